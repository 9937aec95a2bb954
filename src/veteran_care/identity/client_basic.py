"""HTTP Basic for machine clients at the token endpoint (RFC 6749, section 2.3.1): the client's
id and secret in the `Authorization` header instead of the form.

Read from the request's headers, not declared as a parameter or a security scheme: the token
endpoint is public (`security: []`), and its description says that Basic is accepted. A scheme,
even an optional one, makes generated clients (openapi-python-client) demand an authenticated
client for the very call that logs in. A missing or unreadable header is no credentials."""

import base64
import binascii

MAX_CREDENTIALS = 1024


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """The client id and secret of a well-formed `Authorization: Basic ...`, else None."""
    scheme, _, encoded = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic" or not encoded or len(encoded) > MAX_CREDENTIALS:
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, _, secret = raw.partition(":")
    return (client_id, secret) if client_id and secret else None
