"""JWT access tokens (PyJWT, HS256 only) and opaque refresh tokens (stored hashed)."""

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import jwt

ISSUER = "veteran-care"
AUDIENCE = "veteran-care-api"
ALGORITHM = "HS256"
ALLOWED_ALGORITHMS = [ALGORITHM]


class InvalidToken(Exception):
    pass


@dataclass(frozen=True)
class AccessClaims:
    account_id: uuid.UUID
    issued_at: float
    jti: str


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


def decode_access_token(secret: str, token: str) -> AccessClaims:
    """The claims of a valid access token (signature, issuer, audience, type, not yet expired).

    The signature and claims are checked once per token and remembered (every request sends its
    token again); the expiry is checked on every call, as PyJWT checks it: valid while
    ``now < exp``. A refused token is never remembered."""
    claims, expires = _verified(secret, token)
    if time.time() >= expires:
        raise InvalidToken("Signature has expired")
    return claims


@lru_cache(maxsize=4096)
def _verified(secret: str, token: str) -> tuple[AccessClaims, int]:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=ALLOWED_ALGORITHMS,
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["iss", "aud", "sub", "iat", "nbf", "exp", "jti"]},
        )
        if claims.get("typ") != "access":
            raise InvalidToken("not an access token")
        access = AccessClaims(uuid.UUID(claims["sub"]), float(claims["iat"]), str(claims["jti"]))
        return access, int(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc


def new_refresh_token() -> tuple[str, str]:
    """A fresh opaque refresh token and the SHA-256 hash that is stored."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
