"""Every backend key is built here, so prefixes never collide and tests can isolate a run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KeyBuilder:
    prefix: str = "helpline"

    def lock(self, name: str) -> str:
        return f"{self.prefix}:lock:{name}"

    def index(self, name: str) -> str:
        return f"{self.prefix}:index:{name}"

    def counter(self, name: str) -> str:
        return f"{self.prefix}:counter:{name}"

    def topic(self, name: str) -> str:
        return f"{self.prefix}:topic:{name}"

    def topic_name(self, channel: str) -> str:
        """The topic name back from a Redis channel name."""
        return channel.removeprefix(f"{self.prefix}:topic:")
