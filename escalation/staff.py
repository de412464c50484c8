"""Who is acting, and what each role may do. No FastAPI here: the services take a StaffUser."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("counsellor", "supervisor", "editor", "admin")
# Roles that work with children's chats. Editors edit flows and admins manage accounts: neither
# reads a transcript (least privilege; a supervisor account is the one for oversight).
CHAT_ROLES = ("counsellor", "supervisor")
SUPERVISOR_ROLES = ("supervisor",)


@dataclass(frozen=True)
class StaffUser:
    id: int
    username: str
    role: str

    @property
    def is_supervisor(self) -> bool:
        return self.role in SUPERVISOR_ROLES


class EscalationError(Exception):
    """A refused request; the API maps each subclass to one HTTP status."""


class NotFound(EscalationError):
    """Unknown, or not yours: a counsellor cannot tell someone else's chat from no chat."""


class Conflict(EscalationError):
    """The conversation is not in the state this needs (already claimed, closed...)."""


class Forbidden(EscalationError):
    pass


class InvalidField(EscalationError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
