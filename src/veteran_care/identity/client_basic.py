"""HTTP Basic for machine clients at the token endpoint (RFC 6749, section 2.3.1): the client's
id and secret in the `Authorization` header instead of the form.

Declared as a security scheme, so that the OpenAPI document offers it as the alternative it is,
rather than as an ordinary `authorization` header parameter. It never refuses anything itself:
a missing or unreadable header is no credentials, and the token endpoint decides."""

import base64
import binascii
from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials
from fastapi.security.http import HTTPBase

MAX_CREDENTIALS = 1024

client_basic = HTTPBase(
    scheme="basic",
    scheme_name="ClientBasic",
    description=(
        "Machine clients only, at the token endpoint with `grant_type=client_credentials`: "
        "`client_id:client_secret` in HTTP Basic instead of the form."
    ),
    auto_error=False,
)

ClientBasic = Annotated[HTTPAuthorizationCredentials | None, Depends(client_basic)]


def basic_credentials(header: HTTPAuthorizationCredentials | None) -> tuple[str, str] | None:
    """The client id and secret of a well-formed Basic header, else None."""
    if header is None or header.scheme.lower() != "basic":
        return None
    if len(header.credentials) > MAX_CREDENTIALS:
        return None
    try:
        raw = base64.b64decode(header.credentials, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = raw.partition(":")
    return (client_id, secret) if client_id and secret else None
