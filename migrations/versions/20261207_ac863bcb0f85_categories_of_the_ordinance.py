"""categories of the Ordinance

The people a department looks after are the groups of the Ordinance on people with merit
(Pháp lệnh Ưu đãi người có công với cách mạng 02/2020/UBTVQH14, Art. 3), veterans, former
youth volunteers and martyrs' relatives. Each category now records its legal range of disability
rate (lowest and highest), whether a member must have a rate, and its legal basis (null for a
group the department adds). The four existing categories keep their codes and their members;
the Ordinance's other groups and the martyrs' relatives are added with a 12-month check interval.

Revision ID: ac863bcb0f85
Revises: 53cf3e82dfc0
Create Date: 2026-12-07 14:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ac863bcb0f85"
down_revision: str | None = "53cf3e82dfc0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORDINANCE = "Pháp lệnh 02/2020/UBTVQH14, Điều 3"

# code -> legal basis of the four categories already there
EXISTING = {
    "veteran": "Pháp lệnh Cựu chiến binh 36/2005/PL-UBTVQH11",
    "wounded-soldier": f"{ORDINANCE} khoản 1 điểm g",
    "sick-soldier": f"{ORDINANCE} khoản 1 điểm h",
    "former-youth-volunteer": "Quyết định 40/2011/QĐ-TTg",
}

# code, Vietnamese name, English name, (lowest, highest rate, required) or None, legal basis
ADDED: list[tuple[str, str, str, tuple[int, int, bool] | None, str]] = [
    (
        "early-revolutionary",
        "Người hoạt động cách mạng trước ngày 01 tháng 01 năm 1945",
        "Revolutionary active before 1 January 1945",
        None,
        f"{ORDINANCE} khoản 1 điểm a",
    ),
    (
        "pre-uprising-revolutionary",
        "Người hoạt động cách mạng từ 01/01/1945 đến ngày khởi nghĩa tháng Tám năm 1945",
        "Revolutionary active from 1 January 1945 to the August 1945 uprising",
        None,
        f"{ORDINANCE} khoản 1 điểm b",
    ),
    (
        "heroic-mother",
        "Bà mẹ Việt Nam anh hùng",
        "Vietnamese Heroic Mother",
        None,
        f"{ORDINANCE} khoản 1 điểm d",
    ),
    (
        "armed-forces-hero",
        "Anh hùng Lực lượng vũ trang nhân dân",
        "Hero of the People's Armed Forces",
        None,
        f"{ORDINANCE} khoản 1 điểm đ",
    ),
    (
        "resistance-labour-hero",
        "Anh hùng Lao động trong thời kỳ kháng chiến",
        "Labour Hero of the resistance period",
        None,
        f"{ORDINANCE} khoản 1 điểm e",
    ),
    (
        "wounded-soldier-type-b",
        "Thương binh loại B",
        "Type B wounded soldier (recognised before 31 December 1993)",
        (21, 100, True),
        f"{ORDINANCE} khoản 1 điểm g",
    ),
    (
        "treated-as-wounded-soldier",
        "Người hưởng chính sách như thương binh",
        "Person treated as a wounded soldier",
        (21, 100, True),
        f"{ORDINANCE} khoản 1 điểm g",
    ),
    (
        "toxic-chemical-exposed",
        "Người hoạt động kháng chiến bị nhiễm chất độc hóa học",
        "Resistance activist exposed to toxic chemicals",
        (21, 100, False),
        f"{ORDINANCE} khoản 1 điểm i",
    ),
    (
        "former-prisoner",
        "Người hoạt động cách mạng, hoạt động kháng chiến bị địch bắt tù, đày",
        "Revolutionary or resistance activist imprisoned or exiled by the enemy",
        None,
        f"{ORDINANCE} khoản 1 điểm k",
    ),
    (
        "resistance-activist",
        "Người hoạt động kháng chiến giải phóng dân tộc, bảo vệ Tổ quốc, làm nghĩa vụ quốc tế",
        "Activist of the resistance, the defence of the Fatherland or international duty",
        None,
        f"{ORDINANCE} khoản 1 điểm l",
    ),
    (
        "revolution-helper",
        "Người có công giúp đỡ cách mạng",
        "Person who helped the revolution",
        None,
        f"{ORDINANCE} khoản 1 điểm m",
    ),
    (
        "martyr-relative",
        "Thân nhân liệt sĩ",
        "Relative of a martyr",
        None,
        f"{ORDINANCE} khoản 2",
    ),
]

categories = sa.table(
    "beneficiary_categories",
    sa.column("code", sa.String),
    sa.column("name_vi", sa.String),
    sa.column("name_en", sa.String),
    sa.column("carries_disability_rate", sa.Boolean),
    sa.column("disability_rate_required", sa.Boolean),
    sa.column("min_disability_rate", sa.SmallInteger),
    sa.column("max_disability_rate", sa.SmallInteger),
    sa.column("check_interval_months", sa.SmallInteger),
    sa.column("overdue_grace_days", sa.SmallInteger),
    sa.column("legal_basis", sa.String),
)


def upgrade() -> None:
    with op.batch_alter_table("beneficiary_categories") as batch:
        batch.add_column(
            sa.Column(
                "disability_rate_required",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.add_column(sa.Column("max_disability_rate", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("legal_basis", sa.String(length=200), nullable=True))
    rated = categories.c.carries_disability_rate.is_(True)
    op.execute(
        categories.update()
        .where(rated)
        .values(
            disability_rate_required=True,
            max_disability_rate=100,
            min_disability_rate=sa.func.coalesce(categories.c.min_disability_rate, 1),
        )
    )
    for code, basis in EXISTING.items():
        op.execute(categories.update().where(categories.c.code == code).values(legal_basis=basis))
    # A downgrade keeps the rows it added (people may hold them): upgrading again updates them.
    present = set(op.get_bind().scalars(sa.select(categories.c.code)))
    for code, name_vi, name_en, rate, basis in ADDED:
        values = {
            "name_vi": name_vi,
            "name_en": name_en,
            "carries_disability_rate": rate is not None,
            "disability_rate_required": rate is not None and rate[2],
            "min_disability_rate": rate and rate[0],
            "max_disability_rate": rate and rate[1],
            "legal_basis": basis,
        }
        if code in present:
            op.execute(categories.update().where(categories.c.code == code).values(**values))
        else:
            op.execute(
                categories.insert().values(
                    code=code, check_interval_months=12, overdue_grace_days=60, **values
                )
            )
    with op.batch_alter_table("beneficiary_categories") as batch:
        batch.create_check_constraint(
            "max_disability_rate_range", "max_disability_rate BETWEEN 1 AND 100"
        )
        batch.create_check_constraint(
            "disability_rate_range_iff_carried",
            "(carries_disability_rate AND min_disability_rate IS NOT NULL "
            "AND max_disability_rate IS NOT NULL AND min_disability_rate <= max_disability_rate) "
            "OR (NOT carries_disability_rate AND min_disability_rate IS NULL "
            "AND max_disability_rate IS NULL AND NOT disability_rate_required)",
        )


def downgrade() -> None:
    # The added categories stay (people may belong to them), as plain rows without a range.
    with op.batch_alter_table("beneficiary_categories") as batch:
        batch.drop_constraint("disability_rate_range_iff_carried", "check")
        batch.drop_constraint("max_disability_rate_range", "check")
        batch.drop_column("legal_basis")
        batch.drop_column("max_disability_rate")
        batch.drop_column("disability_rate_required")
