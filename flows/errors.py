"""A problem found in a flow, told so staff can fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class FlowError:
    rule: str
    message: str  # what is wrong
    fix: str  # how to fix it, in plain words
    file: str = ""
    flow: str | None = None
    step: str | None = None
    line: int | None = None

    def where(self) -> str:
        parts = [f"{self.file}:{self.line}" if self.line else self.file]
        if self.flow:
            parts.append(f"flow '{self.flow}'")
        if self.step:
            parts.append(f"step '{self.step}'")
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        return f"{self.where()}: {self.message} How to fix: {self.fix} [{self.rule}]"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "text": str(self)}
