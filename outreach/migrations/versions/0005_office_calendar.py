"""office calendar: dates set closed or open, special-hours periods, team absences

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 10:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_office_day_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_day")),
        sa.UniqueConstraint("office_id", "day", name=op.f("uq_office_day_office_id")),
    )
    with op.batch_alter_table("office_day", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_day_office_id"), ["office_id"], unique=False)
    op.create_table(
        "office_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("work_start", sa.Time(), nullable=False),
        sa.Column("work_end", sa.Time(), nullable=False),
        sa.Column("friday_end", sa.Time(), nullable=True),
        sa.Column("break_minutes", sa.Integer(), nullable=False),
        sa.Column("sync_deadline", sa.Time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_office_hours_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_hours")),
    )
    with op.batch_alter_table("office_hours", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_hours_office_id"), ["office_id"], unique=False)
    op.create_table(
        "team_absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_team_absence_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_absence")),
    )
    with op.batch_alter_table("team_absence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_absence_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("team_absence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_absence_team_id"))
    op.drop_table("team_absence")
    with op.batch_alter_table("office_hours", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_hours_office_id"))
    op.drop_table("office_hours")
    with op.batch_alter_table("office_day", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_day_office_id"))
    op.drop_table("office_day")
