"""intake: the form's one-time submission key (a double submission makes one request)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("submission_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_service_request_submission_key"), ["submission_key"]
        )


def downgrade() -> None:
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_service_request_submission_key"), type_="unique")
        batch_op.drop_column("submission_key")
