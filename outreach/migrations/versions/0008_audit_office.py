"""audit: the office of each audit event (the audit page is scoped by it)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_office_id"), ["office_id"], unique=False)
    # Events written before: in a one-office installation they are that office's.
    op.execute(
        "UPDATE audit_event SET office_id = (SELECT MIN(id) FROM office) "
        "WHERE (SELECT COUNT(*) FROM office) = 1"
    )


def downgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_event_office_id"))
        batch_op.drop_column("office_id")
