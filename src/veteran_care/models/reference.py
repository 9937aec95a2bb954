"""Reference data: communes, ethnic groups, beneficiary categories (loaded by migrations)."""

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base


class Commune(Base):
    """A commune or ward (2025 two-tier administration), with its 5-digit national code."""

    __tablename__ = "communes"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    division_type: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str] = mapped_column(String(2), index=True)
    province_name: Mapped[str] = mapped_column(String(100))


class OldCommune(Base):
    """A commune code of before 1 July 2025 and a 2025 commune it became part of (decision
    0055): one row, or one per part when the old commune was split, one of them the default."""

    __tablename__ = "old_communes"

    old_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    new_code: Mapped[str] = mapped_column(ForeignKey("communes.code"), primary_key=True)
    old_name: Mapped[str] = mapped_column(String(100))
    old_district: Mapped[str] = mapped_column(String(100))
    old_province_code: Mapped[str] = mapped_column(String(2))
    is_default: Mapped[bool] = mapped_column(Boolean)


class EthnicGroup(Base):
    """The national list of 54 ethnic groups (GSO 2-digit codes), plus 55 and 99."""

    __tablename__ = "ethnic_groups"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


class BeneficiaryCategory(Base):
    """A group of people the department looks after: the groups of the Ordinance on people with
    merit (02/2020/UBTVQH14, Art. 3), veterans, former youth volunteers, martyrs' relatives, and
    any the department adds (``legal_basis`` null). A table so that it can grow."""

    __tablename__ = "beneficiary_categories"
    __table_args__ = (
        CheckConstraint("min_disability_rate BETWEEN 1 AND 100", name="min_disability_rate_range"),
        CheckConstraint("max_disability_rate BETWEEN 1 AND 100", name="max_disability_rate_range"),
        CheckConstraint(
            "(carries_disability_rate AND min_disability_rate IS NOT NULL "
            "AND max_disability_rate IS NOT NULL AND min_disability_rate <= max_disability_rate) "
            "OR (NOT carries_disability_rate AND min_disability_rate IS NULL "
            "AND max_disability_rate IS NULL AND NOT disability_rate_required)",
            name="disability_rate_range_iff_carried",
        ),
    )

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    carries_disability_rate: Mapped[bool] = mapped_column(Boolean)
    # Whether a member must have a rate (a wounded soldier does; a person exposed to toxic
    # chemicals may be recognised without one, for a child's deformity).
    disability_rate_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # The legal range of the rate (wounded soldiers 21-100 %, sick soldiers 41-100 %).
    min_disability_rate: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    max_disability_rate: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # A person of this category is due for a periodic check when none was fulfilled within
    # this interval (the shortest of the person's categories counts), overdue after the grace.
    check_interval_months: Mapped[int] = mapped_column(SmallInteger, default=12)
    overdue_grace_days: Mapped[int] = mapped_column(SmallInteger, default=60)
    # Where the law defines the group, e.g. "Pháp lệnh 02/2020/UBTVQH14, Điều 3 khoản 1 điểm g";
    # null for a group the department added.
    legal_basis: Mapped[str | None] = mapped_column(String(200), default=None)
