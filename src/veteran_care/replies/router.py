"""/api/v1/messages/replies: the SMS gateway's inbound webhook (public: it is signed, not
logged in). The gateway signs the body with the shared secret
``VETERAN_CARE_SMS_INBOUND_SECRET``: ``X-Signature: sha256=<hex of HMAC-SHA256(body)>``."""

from typing import Annotated

from fastapi import APIRouter, Header, Request

from veteran_care.db.session import WriteSession
from veteran_care.errors import DomainError, problem_responses
from veteran_care.kit.json_body import JsonBodyRoute
from veteran_care.replies import service
from veteran_care.replies.schemas import InboundReply, ReplyRead

router = APIRouter(route_class=JsonBodyRoute, tags=["messages"])


class BadSignature(DomainError):
    status = 401
    code = "bad-signature"


class RepliesOff(DomainError):
    status = 404
    code = "replies-not-configured"


@router.post(
    "/messages/replies",
    summary="A person's SMS reply, from the gateway (signed): HUY cancels, CO confirms",
    description=(
        "The reply is matched to the newest message of ours sent to its number. `HUY` (any "
        "case, with or without diacritics) cancels that checkup by the patient and frees its "
        "places, `CO` confirms it; any other text is kept for a person to read. A reply whose "
        "`id` was seen before is answered as the first time and not acted on again. 401 "
        "`bad-signature` when `X-Signature` is not the HMAC-SHA256 of the body with the "
        "shared secret; 404 `replies-not-configured` while no secret is configured."
    ),
    responses=problem_responses(401, 404),
)
async def receive_reply(
    request: Request,
    data: InboundReply,
    session: WriteSession,
    x_signature: Annotated[
        str | None, Header(max_length=200, description="sha256=<hex HMAC-SHA256 of the body>")
    ] = None,
) -> ReplyRead:
    secret = request.app.state.settings.sms_inbound_secret
    if secret is None:
        raise RepliesOff("SMS replies are not configured (VETERAN_CARE_SMS_INBOUND_SECRET).")
    if not service.signature_is_valid(secret.get_secret_value(), await request.body(), x_signature):
        raise BadSignature("The X-Signature header does not sign this body.")
    return await service.receive(session, data)
