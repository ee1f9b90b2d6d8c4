"""office appointments: sessions at the office desk and their queue numbers

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_office_session_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_session")),
        sa.UniqueConstraint(
            "office_id", "day", "start_time", name=op.f("uq_office_session_office_id")
        ),
    )
    with op.batch_alter_table("office_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_office_session_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_office_session_office_id"), ["office_id"], unique=False
        )

    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("queue_number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name=op.f("fk_appointment_request_id_service_request"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["office_session.id"],
            name=op.f("fk_appointment_session_id_office_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
        sa.UniqueConstraint("session_id", "queue_number", name=op.f("uq_appointment_session_id")),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_request_id"), ["request_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_appointment_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_session_id"))
        batch_op.drop_index(batch_op.f("ix_appointment_request_id"))
    op.drop_table("appointment")
    with op.batch_alter_table("office_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_office_session_office_id"))
        batch_op.drop_index(batch_op.f("ix_office_session_day"))
    op.drop_table("office_session")
