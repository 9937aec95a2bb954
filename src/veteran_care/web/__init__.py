"""The web floor: the middleware every request passes (``stack``: request id, security headers,
access line and metrics, CORS, body limit, admission), logging set-up and the OpenAPI document's
house rules."""
