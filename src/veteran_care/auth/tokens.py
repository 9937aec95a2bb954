"""Checking JWT access tokens (PyJWT, HS256 only); a login issues them (``identity.tokens``)."""

import time
import uuid
from dataclasses import dataclass
from functools import lru_cache

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


def decode_access_token(secret: str, token: str) -> AccessClaims:
    """The claims of a valid access token. Signature and claims are checked once per token and
    remembered (a refused one never is); the expiry on every call, as PyJWT does (``now < exp``)."""
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
