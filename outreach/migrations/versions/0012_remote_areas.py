"""remote areas: kelurahan without mobile signal ("tanpa sinyal")

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("kelurahan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("no_signal", sa.Boolean(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("kelurahan", schema=None) as batch_op:
        batch_op.drop_column("no_signal")
