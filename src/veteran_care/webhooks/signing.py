"""Standard Webhooks signatures: the secret (``whsec_`` and 24 to 64 random bytes in base64)
and the three headers of a delivery, signed by the ``standardwebhooks`` library itself."""

import base64
import secrets
from datetime import datetime

from standardwebhooks import Webhook

PREFIX = "whsec_"
SECRET_BYTES = 32


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def headers(secret: str, delivery_id: str, at: datetime, body: str) -> dict[str, str]:
    """``webhook-id``, ``webhook-timestamp`` (the try's, in seconds) and
    ``webhook-signature`` (``v1,`` base64 HMAC-SHA256 of ``id.timestamp.body``)."""
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(delivery_id, at, body),
        "content-type": "application/json",
    }
