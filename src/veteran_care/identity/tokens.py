"""Issuing tokens at login: JWT access tokens (checked by ``auth.tokens``) and opaque refresh
tokens (stored hashed)."""

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import jwt

from veteran_care.auth.tokens import ALGORITHM, AUDIENCE, ISSUER


def issue_access_token(secret: str, account_id: uuid.UUID, now: datetime, minutes: int) -> str:
    issued = round(now.timestamp(), 3)  # sub-second: a token issued after a logout stays valid
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": str(account_id),
        "iat": issued,
        "nbf": int(issued),
        "exp": int((now + timedelta(minutes=minutes)).timestamp()),
        "jti": uuid.uuid4().hex,
        "typ": "access",
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and the SHA-256 hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
