"""What channels hand the core, and what the core hands back to channels.

An output channel needs one method, `send`; buttons it cannot show are rendered as numbered
text by `render_buttons_as_text`, so a new channel works from its first method.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal, Protocol

InboundKind = Literal[
    "text",
    "button",
    "command",
    "photo",
    "voice",
    "video",
    "sticker",
    "document",
    "location",
    "other",
]
MEDIA_KINDS = frozenset({"photo", "voice", "video", "sticker", "document", "location", "other"})


@dataclass(frozen=True)
class InboundMessage:
    channel: str  # telegram | webchat
    user_id: str  # the channel's id for the person; stored only as a keyed hash
    address: str  # where replies go (Telegram chat id, web chat session); stored encrypted
    kind: InboundKind
    text: str | None = None
    button: str | None = None  # callback data
    command: str | None = None  # start | help | language | human | delete
    attachment: str | None = None  # channel reference to a file (Telegram file_id)
    language_hint: str | None = None  # the app's language setting, when the channel says

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> InboundMessage:
        return cls(**{key: data.get(key) for key in cls.__dataclass_fields__})


@dataclass(frozen=True)
class OutButton:
    label: str
    data: str


@dataclass(frozen=True)
class OutgoingMessage:
    text: str
    buttons: tuple[OutButton, ...] = ()
    sender: str = "bot"  # bot | counsellor | system
    protect_content: bool = False
    message_id: int | None = None  # our stored message, so live views can de-duplicate

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "buttons": [asdict(button) for button in self.buttons],
            "sender": self.sender,
            "protect_content": self.protect_content,
            "message_id": self.message_id,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OutgoingMessage:
        return cls(
            text=data["text"],
            buttons=tuple(OutButton(**button) for button in data.get("buttons", ())),
            sender=data.get("sender", "bot"),
            protect_content=bool(data.get("protect_content", False)),
            message_id=data.get("message_id"),
        )


class SendError(Exception):
    """Delivery failed."""


@dataclass
class RetryLater(SendError):
    """Delivery failed for now (429, 5xx, timeout); the outbox retries after `seconds`."""

    seconds: float = 1.0
    reason: str = "temporary failure"

    def __str__(self) -> str:
        return f"{self.reason} (retry in {self.seconds:.1f}s)"


@dataclass
class Undeliverable(SendError):
    """Delivery can never succeed (the child blocked the bot, the chat is gone)."""

    reason: str = "undeliverable"

    def __str__(self) -> str:
        return self.reason


class PartProgress:
    """How many parts of a split message have gone out, kept where the message is kept.

    A channel that sends one message as several parts (Telegram's 4096-character limit) starts
    at `parts_sent` and calls `record` after each part, so a retry, or a new process after a
    crash, continues with the next part instead of sending the earlier ones twice. The default
    keeps the count in memory only (one attempt); the outbox stores it with the message.
    """

    def __init__(self, parts_sent: int = 0) -> None:
        self.parts_sent = parts_sent

    async def record(self, parts_sent: int) -> None:
        self.parts_sent = parts_sent


class OutputChannel(Protocol):
    name: str

    async def send(
        self, address: str, message: OutgoingMessage, progress: PartProgress | None = None
    ) -> None:
        """Deliver one message or raise RetryLater / Undeliverable."""


def render_buttons_as_text(message: OutgoingMessage) -> str:
    if not message.buttons:
        return message.text
    lines = [message.text, ""]
    lines += [f"{number}. {button.label}" for number, button in enumerate(message.buttons, 1)]
    return "\n".join(lines)


@dataclass
class CollectingOutput:
    """Collects what would be sent; for tests and the flow simulator."""

    name: str = "collect"
    sent: list[tuple[str, OutgoingMessage]] = field(default_factory=list)

    async def send(
        self, address: str, message: OutgoingMessage, progress: PartProgress | None = None
    ) -> None:
        self.sent.append((address, message))
