"""past checks

Periodic checks done before go-live, outside Veteran Care (paper records, an import's last
check): day, place (a facility of ours or words), health class, optional vitals and ICD-10
diagnoses. One per person and day unless withdrawn (entered-in-error).

Revision ID: f70db23c4f40
Revises: 7710f116b299
Create Date: 2026-12-07 07:40:14.850193
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f70db23c4f40"
down_revision: str | None = "7710f116b299"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "past_checks",
        sa.Column("beneficiary_id", sa.Uuid(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("facility_id", sa.Uuid(), nullable=True),
        sa.Column("place", sa.String(length=200), nullable=True),
        sa.Column(
            "health_class",
            sa.Enum(
                "I",
                "II",
                "III",
                "IV",
                "V",
                name="past_check_health_class",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("systolic_mmhg", sa.SmallInteger(), nullable=True),
        sa.Column("diastolic_mmhg", sa.SmallInteger(), nullable=True),
        sa.Column("heart_rate_bpm", sa.SmallInteger(), nullable=True),
        sa.Column("temperature_c", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("weight_kg", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("height_cm", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("bmi", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("glucose_mmol_l", sa.Numeric(precision=4, scale=1), nullable=True),
        sa.Column("visual_acuity_left", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("visual_acuity_right", sa.Numeric(precision=3, scale=2), nullable=True),
        sa.Column("diagnoses", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "final",
                "entered-in-error",
                name="past_check_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "api", "import", name="past_check_source", native_enum=False, create_constraint=True
            ),
            nullable=False,
        ),
        sa.Column("recorded_by", sa.Uuid(), nullable=True),
        sa.Column("error_reason", sa.String(length=300), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'entered-in-error') = (error_reason IS NOT NULL)",
            name=op.f("ck_past_checks_error_reason_iff_error"),
        ),
        sa.CheckConstraint(
            "(facility_id IS NULL) <> (place IS NULL)", name=op.f("ck_past_checks_one_place")
        ),
        sa.ForeignKeyConstraint(
            ["beneficiary_id"],
            ["beneficiaries.id"],
            name=op.f("fk_past_checks_beneficiary_id_beneficiaries"),
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_past_checks_facility_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_past_checks")),
    )
    with op.batch_alter_table("past_checks", schema=None) as batch_op:
        batch_op.create_index("ix_past_checks_beneficiary_id", ["beneficiary_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_past_checks_facility_id"), ["facility_id"], unique=False
        )
        batch_op.create_index(
            "uq_past_checks_beneficiary_date",
            ["beneficiary_id", "date"],
            unique=True,
            postgresql_where=sa.text("status <> 'entered-in-error'"),
            sqlite_where=sa.text("status <> 'entered-in-error'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("past_checks", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_past_checks_beneficiary_date",
            postgresql_where=sa.text("status <> 'entered-in-error'"),
            sqlite_where=sa.text("status <> 'entered-in-error'"),
        )
        batch_op.drop_index(batch_op.f("ix_past_checks_facility_id"))
        batch_op.drop_index("ix_past_checks_beneficiary_id")

    op.drop_table("past_checks")
