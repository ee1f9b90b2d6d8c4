"""programmes: recurring programmes, their places and generated visits

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 07:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "programme",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("place_kind", sa.String(length=20), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("team_ids", sa.JSON(), nullable=False),
        sa.Column("hours_start", sa.Time(), nullable=True),
        sa.Column("hours_end", sa.Time(), nullable=True),
        sa.Column("max_persons", sa.Integer(), nullable=True),
        sa.Column("services", sa.JSON(), nullable=False),
        sa.Column("on_holiday", sa.String(length=10), nullable=False),
        sa.Column("closed_ranges", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_programme_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme")),
    )
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_office_id"), ["office_id"], unique=False)

    op.create_table(
        "programme_place",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("location_source", sa.String(length=20), nullable=False),
        sa.Column("expected_persons", sa.Integer(), nullable=False),
        sa.Column("contact_name", sa.String(length=200), nullable=False),
        sa.Column("contact_phone", sa.String(length=20), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_programme_place_kelurahan_id_kelurahan"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_programme_place_office_id_office")
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_place_programme_id_programme"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_place")),
    )
    with op.batch_alter_table("programme_place", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_place_office_id"), ["office_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_place_programme_id"), ["programme_id"], unique=False
        )

    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.add_column(sa.Column("programme_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_service_request_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_service_request_programme_id_programme"),
            "programme",
            ["programme_id"],
            ["id"],
        )

    op.create_table(
        "programme_visit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("slot_date", sa.Date(), nullable=False),
        sa.Column("visit_date", sa.Date(), nullable=True),
        sa.Column("place_id", sa.Integer(), nullable=True),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["place_id"],
            ["programme_place.id"],
            name=op.f("fk_programme_visit_place_id_programme_place"),
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programme.id"],
            name=op.f("fk_programme_visit_programme_id_programme"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["service_request.id"],
            name=op.f("fk_programme_visit_request_id_service_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_visit")),
        sa.UniqueConstraint(
            "programme_id", "slot_date", name=op.f("uq_programme_visit_programme_id")
        ),
    )
    with op.batch_alter_table("programme_visit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_visit_programme_id"), ["programme_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_visit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_visit_programme_id"))
    op.drop_table("programme_visit")
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_service_request_programme_id_programme"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_service_request_programme_id"))
        batch_op.drop_column("programme_id")
    with op.batch_alter_table("programme_place", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_place_programme_id"))
        batch_op.drop_index(batch_op.f("ix_programme_place_office_id"))
    op.drop_table("programme_place")
    with op.batch_alter_table("programme", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_office_id"))
    op.drop_table("programme")
