"""The tables. Text a child or a counsellor wrote is stored only encrypted (`*_enc` columns);
channel user ids only as keyed hashes. See store.crypto.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for big tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC on both backends (SQLite would otherwise hand back naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _ts(*, default: bool = False) -> Mapped[datetime]:
    return mapped_column(UtcDateTime(), default=utcnow if default else None)


class Participant(Base):
    """A child (or whoever writes) on one channel, known only by a keyed hash of their id."""

    __tablename__ = "participants"
    __table_args__ = (UniqueConstraint("channel", "user_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    user_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _ts(default=True)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_status", "status"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    # Where replies go (a Telegram chat id, a web chat session): encrypted, reversible.
    address_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # bot | waiting | counsellor | closed: exactly one at a time.
    status: Mapped[str] = mapped_column(String(12), default="bot")
    language: Mapped[str | None] = mapped_column(String(5))
    flow_state: Mapped[dict] = mapped_column(JSON, default=dict)
    risk_level: Mapped[str] = mapped_column(String(10), default="none")
    risk_score: Mapped[float] = mapped_column(Float, default=0.0)
    category: Mapped[str | None] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    age_band: Mapped[str | None] = mapped_column(String(10))
    handoff_reason: Mapped[str | None] = mapped_column(String(200))
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _ts(default=True)
    updated_at: Mapped[datetime] = _ts(default=True)
    queued_at: Mapped[datetime | None] = _ts()
    claimed_at: Mapped[datetime | None] = _ts()
    closed_at: Mapped[datetime | None] = _ts()
    last_child_message_at: Mapped[datetime | None] = _ts()
    version: Mapped[int] = mapped_column(Integer, default=0)


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    # child | bot | counsellor | system
    sender: Mapped[str] = mapped_column(String(12))
    sender_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # text | photo | voice | sticker | document | location | video | button | command
    kind: Mapped[str] = mapped_column(String(12), default="text")
    text_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Channel reference to an attachment (Telegram file_id), encrypted.
    attachment_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    # The NLU analysis; its reasons quote the text, so it is encrypted too.
    analysis_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    risk_level: Mapped[str | None] = mapped_column(String(10))
    inbox_id: Mapped[int | None] = mapped_column(ForeignKey("inbox.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = _ts(default=True)


class InboxUpdate(Base):
    """Every update as received, stored before it is acknowledged; the dedupe key is unique."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index("ix_inbox_status", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(20))
    update_key: Mapped[str] = mapped_column(String(80))
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # pending | done | failed
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime] = _ts(default=True)
    processed_at: Mapped[datetime | None] = _ts()


class OutboxMessage(Base):
    """A reply committed together with the step that produced it, sent afterwards.

    `dedupe_key` makes a replayed step unable to enqueue the same reply twice.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(20))
    payload_enc: Mapped[bytes] = mapped_column(LargeBinary)
    # pending | sent | failed
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # parts of a split message already delivered: a retry, or a new process, goes on from here
    parts_sent: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _ts(default=True)
    next_attempt_at: Mapped[datetime] = _ts(default=True)
    sent_at: Mapped[datetime | None] = _ts()


class User(Base):
    """Staff: counsellor | supervisor | editor | admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    on_shift: Mapped[bool] = mapped_column(Boolean, default=False)
    last_seen_at: Mapped[datetime | None] = _ts()
    created_at: Mapped[datetime] = _ts(default=True)


class StaffSession(Base):
    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _ts(default=True)
    last_seen_at: Mapped[datetime] = _ts(default=True)


class AuditEntry(Base):
    """Append-only: who read or changed what, never the text itself."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_conversation", "conversation_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = _ts(default=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class Note(Base):
    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _ts(default=True)


class ImportBatch(Base):
    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    file_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[str | None] = mapped_column(String(64))
    imported_at: Mapped[datetime] = _ts(default=True)


class Case(Base):
    """One contact as counted in the statistics: a closed chat, a logged call, an imported row.

    Counts only: no text, no identity. Reports read nothing else.
    """

    __tablename__ = "cases"
    __table_args__ = (Index("ix_cases_opened", "opened_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL"), unique=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = _ts()
    closed_at: Mapped[datetime | None] = _ts()
    category: Mapped[str] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str] = mapped_column(String(12))
    age: Mapped[int | None] = mapped_column(Integer)
    age_band: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str | None] = mapped_column(String(40))
    counselling: Mapped[bool] = mapped_column(Boolean, default=True)
    risk_level: Mapped[str | None] = mapped_column(String(10))
    referral_agency: Mapped[str | None] = mapped_column(String(100))
    referral_consent: Mapped[bool | None] = mapped_column(Boolean)
    referral_override_reason: Mapped[str | None] = mapped_column(String(500))
    referral_override_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(10), default="console")  # console | logged | import
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class FlowVersion(Base):
    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    flow_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    source_yaml: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(500))
    diff: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _ts(default=True)


class NluFeedback(Base):
    """A counsellor's correction of the bot's category or risk: a labelled example for retraining."""

    __tablename__ = "nlu_feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    text_enc: Mapped[bytes] = mapped_column(LargeBinary)
    predicted_category: Mapped[str | None] = mapped_column(String(40))
    predicted_risk: Mapped[str | None] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(40))
    subcategory: Mapped[str | None] = mapped_column(String(40))
    risk_level: Mapped[str | None] = mapped_column(String(10))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = _ts(default=True)
