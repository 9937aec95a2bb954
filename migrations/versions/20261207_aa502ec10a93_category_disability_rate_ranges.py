"""category disability rate ranges

A wounded soldier's body-injury rate is 21 % or more, a sick soldier's 41 % or more (Ordinance
02/2020/UBTVQH14, Arts. 23 and 26; Decree 131/2021/ND-CP). Each category now records the
lowest rate it admits; rates under it are refused from now on (rows already stored stay).

Revision ID: aa502ec10a93
Revises: 5e41a7c0b2d9
Create Date: 2026-12-07 07:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "aa502ec10a93"
down_revision: str | None = "5e41a7c0b2d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOWEST = {"wounded-soldier": 21, "sick-soldier": 41}


def upgrade() -> None:
    with op.batch_alter_table("beneficiary_categories") as batch:
        batch.add_column(sa.Column("min_disability_rate", sa.SmallInteger(), nullable=True))
        batch.create_check_constraint(
            "min_disability_rate_range", "min_disability_rate BETWEEN 1 AND 100"
        )
    categories = sa.table(
        "beneficiary_categories", sa.column("code", sa.String), sa.column("min_disability_rate")
    )
    for code, lowest in LOWEST.items():
        op.execute(
            categories.update().where(categories.c.code == code).values(min_disability_rate=lowest)
        )


def downgrade() -> None:
    with op.batch_alter_table("beneficiary_categories") as batch:
        batch.drop_constraint("min_disability_rate_range", "check")
        batch.drop_column("min_disability_rate")
