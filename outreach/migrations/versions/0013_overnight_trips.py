"""overnight trips: routes ending at a lodging, and leaving from it the next day

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 09:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ends_at_lodging", sa.Boolean(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("lodging_site_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("lodging_area", sa.String(length=120), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.drop_column("lodging_area")
        batch_op.drop_column("lodging_site_id")
        batch_op.drop_column("ends_at_lodging")
