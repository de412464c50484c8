"""outbox.parts_sent: how much of a split message has been delivered

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parts_sent", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("parts_sent")
