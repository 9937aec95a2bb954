"""Acting on a reply: match the number to the newest message of ours it received, then HUY
cancels that message's checkup (by the patient: its places are freed and a cancellation notice
goes out), CO confirms it (an audit event), anything else is kept for a person to read. Each
reply is recorded once, by the gateway's id: a webhook delivered again is answered the same."""

import hashlib
import hmac
import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.audit import service as audit
from veteran_care.auth.principal import system_actor
from veteran_care.errors import DomainError
from veteran_care.kit.clock import utcnow
from veteran_care.kit.text import fold
from veteran_care.messaging import repository as messages
from veteran_care.models import CancelledBy, MessageReply
from veteran_care.replies.schemas import InboundReply, ReplyRead
from veteran_care.scheduling import booking

CANCEL_REASON = "Hủy qua tin nhắn trả lời (HUY)"


def signature_is_valid(secret: str, body: bytes, header: str | None) -> bool:
    """``X-Signature: sha256=<hex>``, the HMAC-SHA256 of the body with the shared secret."""
    if not header:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256=").strip().lower(), expected)


def addresses(sender: str) -> list[str]:
    """The forms a number may be recorded in: 0912…, 84912…, +84912…"""
    digits = sender.removeprefix("+")
    local = "0" + digits[2:] if digits.startswith("84") else digits
    international = "84" + local[1:] if local.startswith("0") else digits
    return sorted({local, international, "+" + international})


async def receive(session: AsyncSession, data: InboundReply) -> ReplyRead:
    seen = await session.scalar(select(MessageReply).where(MessageReply.provider_id == data.id))
    if seen is not None:
        return ReplyRead(action=seen.action, checkup_id=seen.checkup_id)
    about = await messages.last_sent_to(session, addresses(data.sender))
    checkup_id, beneficiary_id = about if about else (None, None)
    action = await _act(session, fold(data.text).split(" ")[0] if data.text else "", checkup_id)
    session.add(
        MessageReply(
            provider_id=data.id,
            received_at=utcnow(),
            phone=data.sender,
            text=data.text[:500],
            action=action,
            checkup_id=checkup_id,
            beneficiary_id=beneficiary_id,
        )
    )
    await session.flush()
    return ReplyRead(action=action, checkup_id=checkup_id)


async def _act(session: AsyncSession, word: str, checkup_id: uuid.UUID | None) -> str:
    if word not in ("huy", "co"):
        return "logged"
    if checkup_id is None:
        return "unmatched"
    actor = system_actor("sms-reply")
    checkup = await booking.get_checkup(session, actor, checkup_id)
    if word == "co":
        if checkup.status.value != "planned":
            return "unmatched"
        await audit.record(
            session,
            actor,
            "confirm",
            resource_type="checkup",
            resource_id=checkup_id,
            beneficiary_id=checkup.beneficiary_id,
            detail="confirmed by SMS reply (CO)",
        )
        return "confirmed"
    try:
        await booking.cancel_checkup(session, actor, checkup_id, CancelledBy.patient, CANCEL_REASON)
    except DomainError:  # nothing left to cancel
        return "unmatched"
    return "cancelled"
