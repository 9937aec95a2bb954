"""The worklist of the due list: each attempt to reach a person, and what came of it
(decision 0053)."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from veteran_care.db.base import Base
from veteran_care.kit.clock import utcnow
from veteran_care.models.columns import IdMixin, UTCDateTime, enum_column


class AttemptChannel(StrEnum):
    """How staff tried to reach the person: a call, a visit at home, a text, Zalo, or another
    way (through the village head, a neighbour)."""

    phone = "phone"
    home_visit = "home-visit"
    sms = "sms"
    zalo = "zalo"
    other = "other"


class AttemptOutcome(StrEnum):
    """What came of an attempt. will_come books or links a checkup; call_later hides the person
    from the worklist until ``call_back_on``; moved_away and deceased change the registry;
    no_answer, wrong_number and refuses leave the person on the list."""

    will_come = "will_come"
    call_later = "call_later"
    moved_away = "moved_away"
    deceased = "deceased"
    wrong_number = "wrong_number"
    refuses = "refuses"
    no_answer = "no_answer"


class ContactAttempt(IdMixin, Base):
    """One attempt to reach a person on the due list; append-only (a mistake is corrected by a
    later attempt: the worklist reads the latest)."""

    __tablename__ = "contact_attempts"

    beneficiary_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("beneficiaries.id"))
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempted_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    channel: Mapped[AttemptChannel] = mapped_column(enum_column(AttemptChannel, "attempt_channel"))
    outcome: Mapped[AttemptOutcome] = mapped_column(enum_column(AttemptOutcome, "attempt_outcome"))
    call_back_on: Mapped[date | None] = mapped_column(Date, default=None)
    # who gave the news (a moved-away or deceased person cannot say so themselves)
    informant: Mapped[str | None] = mapped_column(String(200), default=None)
    note: Mapped[str | None] = mapped_column(String(300), default=None)
    checkup_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("checkups.id"), default=None)

    __table_args__ = (
        Index("ix_contact_attempts_beneficiary_at", "beneficiary_id", "attempted_at"),
        CheckConstraint(
            "(outcome = 'call_later') = (call_back_on IS NOT NULL)",
            name="call_back_on_iff_call_later",
        ),
        CheckConstraint(
            "(outcome = 'will_come') = (checkup_id IS NOT NULL)", name="checkup_iff_will_come"
        ),
    )
