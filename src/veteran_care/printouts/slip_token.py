"""The code printed on an appointment slip: the checkup's id with an HMAC of it, so that it
cannot be guessed from another slip or made up, and a desk reading it knows the checkup without
a search. ``VC1:`` and upper-case base32: QR's alphanumeric mode, a small code (version 3).

The key is derived from the server's secret key: rotating that key voids the printed slips (the
desk then scans the person's CCCD instead)."""

import base64
import hashlib
import hmac
import uuid

PREFIX = "VC1:"
MAC_BYTES = 10
_LABEL = b"veteran-care appointment slip v1"


class BadToken(ValueError):
    """Not a slip's code, or one this server did not sign."""


def _mac(secret: str, checkup_id: uuid.UUID) -> bytes:
    key = hmac.new(secret.encode(), _LABEL, hashlib.sha256).digest()
    return hmac.new(key, checkup_id.bytes, hashlib.sha256).digest()[:MAC_BYTES]


def sign(secret: str, checkup_id: uuid.UUID) -> str:
    raw = checkup_id.bytes + _mac(secret, checkup_id)
    return PREFIX + base64.b32encode(raw).decode().rstrip("=")


def looks_like_token(text: str) -> bool:
    return text.strip().upper().startswith(PREFIX)


def verify(secret: str, token: str) -> uuid.UUID:
    """The checkup a slip's code names; ``BadToken`` when it was not signed here."""
    body = token.strip().upper().removeprefix(PREFIX)
    try:
        raw = base64.b32decode(body + "=" * (-len(body) % 8))
    except ValueError:
        raise BadToken("not a slip's code") from None
    if len(raw) != 16 + MAC_BYTES:
        raise BadToken("not a slip's code")
    checkup_id = uuid.UUID(bytes=raw[:16])
    if not hmac.compare_digest(raw[16:], _mac(secret, checkup_id)):
        raise BadToken("a slip's code this server did not sign")
    return checkup_id
