"""The append-only audit log: who read or changed what, and when. Never the text itself.

`record` adds a row inside the caller's transaction, so an audited read or change and its entry
commit (or roll back) together. Rows are never updated or deleted through the ORM: the mapper
guard below refuses it, so a bug cannot quietly rewrite history.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

from store.models import AuditEntry, utcnow

# Keys a detail may never carry: the log must not become a second copy of what children wrote.
FORBIDDEN_DETAIL_KEYS = frozenset({"text", "note", "message", "password", "otp", "body"})


class AuditLogIsAppendOnly(RuntimeError):
    pass


async def record(
    session: AsyncSession,
    *,
    user_id: int | None,
    action: str,
    conversation_id: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    detail = dict(detail or {})
    leaked = FORBIDDEN_DETAIL_KEYS.intersection(detail)
    if leaked:
        raise ValueError(f"audit detail may not carry {sorted(leaked)}")
    entry = AuditEntry(
        at=at or utcnow(),
        user_id=user_id,
        action=action[:40],
        conversation_id=conversation_id,
        detail=detail,
    )
    session.add(entry)
    return entry


def _refuse(_mapper, _connection, _target) -> None:
    raise AuditLogIsAppendOnly("audit entries are never changed or deleted")


event.listen(AuditEntry, "before_update", _refuse)
event.listen(AuditEntry, "before_delete", _refuse)
