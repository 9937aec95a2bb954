"""Beneficiaries (the registry), their categories and their health-insurance cards."""

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Computed,
    Date,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from veteran_care.db.base import Base
from veteran_care.models.columns import IdMixin, TimestampMixin, VersionedMixin, enum_column


class Sex(StrEnum):
    """FHIR AdministrativeGender."""

    male = "male"
    female = "female"
    other = "other"
    unknown = "unknown"


class NationalIdType(StrEnum):
    """Kind of national ID: cccd (12-digit citizen identity card) or cmnd (legacy 9 digits)."""

    cccd = "cccd"  # 12-digit citizen identity card / personal identification number
    cmnd = "cmnd"  # legacy 9-digit identity card


class BeneficiaryStatus(StrEnum):
    """Registry status: active, deceased (with a date of death) or moved away. A person
    is never deleted."""

    active = "active"
    deceased = "deceased"
    moved_away = "moved-away"


class CardNumberFormat(StrEnum):
    """How a card number is written: legacy-15 (object code, benefit level, province,
    BHXH number) or bhxh-10 (cards since April 2021: the BHXH number alone)."""

    legacy_15 = "legacy-15"  # object code + benefit level + province + BHXH number
    bhxh_10 = "bhxh-10"  # cards since April 2021: the 10-digit BHXH number only


class CardStatus(StrEnum):
    """FHIR Coverage status (the subset that applies)."""

    active = "active"
    cancelled = "cancelled"
    entered_in_error = "entered-in-error"


# The first word's letters and digits trimmed from the left (ltrim with a set of characters
# means the same on PostgreSQL and SQLite): " van an" of "nguyen van an", "" of a one-word name.
LATER_NAMES_SQL = "ltrim(name_search, 'abcdefghijklmnopqrstuvwxyz0123456789')"


class Beneficiary(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "beneficiaries"

    full_name: Mapped[str] = mapped_column(String(200))
    # Accent-folded, lower-cased full name: the search key ("nguyen van an").
    name_search: Mapped[str] = mapped_column(String(200))
    # The search key from the end of its first word on (" van an"): where a query word may start
    # a later word of the name. Computed by the database (the same SQL on both); PostgreSQL
    # indexes it by trigrams, so a family name that is also a middle name somewhere is found
    # without reading every person of that family (decision 0035).
    later_names_search: Mapped[str] = mapped_column(
        String(200), Computed(LATER_NAMES_SQL, persisted=True)
    )
    birth_date: Mapped[date | None] = mapped_column(Date, default=None)
    birth_year: Mapped[int] = mapped_column(SmallInteger, index=True)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    ethnicity_code: Mapped[str] = mapped_column(ForeignKey("ethnic_groups.code"), index=True)
    national_id: Mapped[str | None] = mapped_column(String(12), unique=True, default=None)
    national_id_type: Mapped[NationalIdType | None] = mapped_column(
        enum_column(NationalIdType, "national_id_type"), default=None
    )
    bhxh_number: Mapped[str | None] = mapped_column(String(10), unique=True, default=None)
    phone: Mapped[str | None] = mapped_column(String(16), default=None)
    commune_code: Mapped[str | None] = mapped_column(
        ForeignKey("communes.code"), index=True, default=None
    )
    address_line: Mapped[str | None] = mapped_column(String(300), default=None)
    legacy_district: Mapped[str | None] = mapped_column(String(100), default=None)
    registered_facility_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("facilities.id"), index=True, default=None
    )
    status: Mapped[BeneficiaryStatus] = mapped_column(
        enum_column(BeneficiaryStatus, "beneficiary_status"),
        index=True,
        default=BeneficiaryStatus.active,
    )
    date_of_death: Mapped[date | None] = mapped_column(Date, default=None)
    # The day of the person's last check: the latest fulfilled appointment or past check (one
    # entered in error aside). Kept by the database's triggers in the transaction of the write
    # that changes it, so that the due list reads one column instead of every check (decision
    # 0036). Never written by the application.
    last_checked_on: Mapped[date | None] = mapped_column(Date, default=None)

    categories: Mapped[list["BeneficiaryCategoryMembership"]] = relationship(
        lazy="raise",
        cascade="all, delete-orphan",
        order_by="BeneficiaryCategoryMembership.category_code",
    )

    __table_args__ = (
        CheckConstraint("birth_year BETWEEN 1900 AND 2100", name="birth_year_range"),
        CheckConstraint(
            "(status = 'deceased' AND date_of_death IS NOT NULL) "
            "OR (status <> 'deceased' AND date_of_death IS NULL)",
            name="death_date_iff_deceased",
        ),
        CheckConstraint(
            "(national_id IS NULL) = (national_id_type IS NULL)", name="national_id_typed"
        ),
        Index("ix_beneficiaries_name_search_id", "name_search", "id"),
        # The due list of a commune, in name order: a page is a walk of this index.
        Index("ix_beneficiaries_commune_name_search_id", "commune_code", "name_search", "id"),
        Index(
            "ix_beneficiaries_later_names_search_trgm",
            "later_names_search",
            postgresql_using="gin",
            postgresql_ops={"later_names_search": "gin_trgm_ops"},
        ),
        Index("ix_beneficiaries_created_at_id", "created_at", "id"),
        Index(
            "ix_beneficiaries_name_search_trgm",
            "name_search",
            postgresql_using="gin",
            postgresql_ops={"name_search": "gin_trgm_ops"},
        ),
    )


class BeneficiaryName(Base):
    """Every search key a person's name has had, once (decision 0066): the names a search of
    several words matches are found here by trigrams, among tens of thousands of distinct names
    rather than a million people, then each name's people in the name index, in name order.

    Written only by the database's triggers on ``beneficiaries`` (insert, and an update that
    changes ``name_search``); never deleted: a name no one bears any more matches nobody."""

    __tablename__ = "beneficiary_names"

    name_search: Mapped[str] = mapped_column(String(200), primary_key=True)

    __table_args__ = (
        Index(
            "ix_beneficiary_names_name_search_trgm",
            "name_search",
            postgresql_using="gin",
            postgresql_ops={"name_search": "gin_trgm_ops"},
        ),
    )


class BeneficiaryCategoryMembership(Base):
    """One category a beneficiary belongs to (a person can be several)."""

    __tablename__ = "beneficiary_category_memberships"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("beneficiaries.id"), primary_key=True
    )
    category_code: Mapped[str] = mapped_column(
        ForeignKey("beneficiary_categories.code"), primary_key=True, index=True
    )
    disability_rate: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # The recognition: the decision's date, number (e.g. 123/QĐ-LĐTBXH) and issuing authority.
    recognition_date: Mapped[date | None] = mapped_column(Date, default=None)
    decision_number: Mapped[str | None] = mapped_column(String(50), default=None)
    issuing_authority: Mapped[str | None] = mapped_column(String(200), default=None)
    # The person's main category (one per person): the one their file is kept under.
    is_main: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        CheckConstraint(
            "disability_rate IS NULL OR disability_rate BETWEEN 1 AND 100",
            name="disability_rate_range",
        ),
        Index(
            "uq_beneficiary_category_memberships_one_main",
            "beneficiary_id",
            unique=True,
            postgresql_where=text("is_main"),
            sqlite_where=text("is_main"),
        ),
    )


class InsuranceCard(IdMixin, TimestampMixin, VersionedMixin, Base):
    """A health-insurance (BHYT) card: FHIR Coverage."""

    __tablename__ = "insurance_cards"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"), index=True)
    number: Mapped[str] = mapped_column(String(15), index=True)
    number_format: Mapped[CardNumberFormat] = mapped_column(
        enum_column(CardNumberFormat, "card_number_format")
    )
    object_code: Mapped[str | None] = mapped_column(String(2), default=None)
    benefit_level: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    province_code: Mapped[str | None] = mapped_column(String(2), default=None)
    bhxh_number: Mapped[str] = mapped_column(String(10), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    registration_facility_code: Mapped[str] = mapped_column(String(5))
    status: Mapped[CardStatus] = mapped_column(
        enum_column(CardStatus, "card_status"), default=CardStatus.active
    )

    __table_args__ = (
        CheckConstraint("valid_to >= valid_from", name="validity_order"),
        CheckConstraint(
            "benefit_level IS NULL OR benefit_level BETWEEN 1 AND 5", name="benefit_level_range"
        ),
        UniqueConstraint("beneficiary_id", "number", "valid_from"),
    )
