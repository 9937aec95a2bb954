"""Accounts (staff users and machine clients), their facility scope, refresh tokens, throttling."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from veteran_care.db.base import Base
from veteran_care.models.columns import (
    IdMixin,
    TimestampMixin,
    UTCDateTime,
    VersionedMixin,
    enum_column,
)


class Role(StrEnum):
    """What an account may do: admin (accounts, facilities, reference data), scheduler
    (registry, sessions, bookings), clinician (results), pharmacist (medicines, stock, dispenses),
    reporter (registry and attendance reports, no clinical detail), auditor (the audit trail)."""

    admin = "admin"
    scheduler = "scheduler"
    clinician = "clinician"
    pharmacist = "pharmacist"
    reporter = "reporter"
    auditor = "auditor"


class AccountKind(StrEnum):
    user = "user"  # a person: username + password
    client = "client"  # a machine (the department's systems): client id + secret


class Account(IdMixin, TimestampMixin, VersionedMixin, Base):
    __tablename__ = "accounts"

    kind: Mapped[AccountKind] = mapped_column(enum_column(AccountKind, "account_kind"))
    # username for users, client id for clients; stored lower-case
    login: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(255))
    roles: Mapped[list[str]] = mapped_column(JSON)
    province_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    # Province scope (decision 0054): every facility and person of these provinces, as well
    # as the facilities linked below.
    province_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Nation-wide (decision 0054): reads the reports of every province served, writes nothing.
    nation_wide: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Access tokens issued before this instant are refused (logout, password reset).
    tokens_valid_after: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    facilities: Mapped[list["AccountFacility"]] = relationship(
        lazy="raise", cascade="all, delete-orphan", order_by="AccountFacility.facility_id"
    )


class AccountFacility(Base):
    """A facility an account may act on (when not province-wide)."""

    __tablename__ = "account_facilities"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    facility_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("facilities.id"), primary_key=True, index=True
    )


class RefreshToken(IdMixin, Base):
    """A refresh token, stored as a SHA-256 hash. Rotation links each to its successor."""

    __tablename__ = "refresh_tokens"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class LoginThrottle(Base):
    """Failed logins of one login name from one client address (decision 0027), whether or not
    such an account exists. Past a few failures the pair waits a growing delay between attempts;
    a success deletes the row, and a row is forgotten (purged) once it has been quiet a while."""

    __tablename__ = "login_throttle"

    login: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The address as the audit trail records it (an IPv6 address as its /64 network).
    client_address: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    # Attempts from this pair are refused, unchecked, until then.
    delayed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When the last attempt was counted: the row is forgotten a while after it (the purge).
    last_failure_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
