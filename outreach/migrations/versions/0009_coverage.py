"""coverage: per-area e-KTP recording counts imported by the office (outreach.coverage)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coverage_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["office.id"], name=op.f("fk_coverage_import_office_id_office")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_import")),
    )
    with op.batch_alter_table("coverage_import", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_import_as_of"), ["as_of"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_coverage_import_office_id"), ["office_id"], unique=False
        )
    op.create_table(
        "coverage_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=True),
        sa.Column("kecamatan_id", sa.Integer(), nullable=True),
        sa.Column("wajib_ktp", sa.Integer(), nullable=False),
        sa.Column("recorded", sa.Integer(), nullable=False),
        sa.Column("not_recorded", sa.Integer(), nullable=False),
        sa.Column("first_time", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["coverage_import.id"],
            name=op.f("fk_coverage_count_import_id_coverage_import"),
        ),
        sa.ForeignKeyConstraint(
            ["kecamatan_id"],
            ["kecamatan.id"],
            name=op.f("fk_coverage_count_kecamatan_id_kecamatan"),
        ),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_coverage_count_kelurahan_id_kelurahan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_count")),
    )
    with op.batch_alter_table("coverage_count", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_coverage_count_import_id"), ["import_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("coverage_count", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_count_import_id"))
    op.drop_table("coverage_count")
    with op.batch_alter_table("coverage_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_import_office_id"))
        batch_op.drop_index(batch_op.f("ix_coverage_import_as_of"))
    op.drop_table("coverage_import")
