"""Argon2id password and secret hashing with OWASP's parameters (m=19 MiB, t=2, p=1)."""

import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_HASHER = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))
# Verified against when the account does not exist, so timing does not reveal which names exist.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10


def hash_secret(secret: str) -> str:
    return _HASHER.hash(secret)


def verify_secret(secret: str, hashed: str | None) -> bool:
    if hashed is None:
        _HASHER.verify(secret, _DUMMY_HASH)
        return False
    try:
        return _HASHER.verify(secret, hashed)
    except Exception:  # a malformed stored hash never authenticates
        return False


def generate_secret() -> str:
    return secrets.token_urlsafe(24)
