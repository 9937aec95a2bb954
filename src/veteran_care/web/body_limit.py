"""413 problem+json for a request body larger than ``max_body_bytes``, declared or streamed."""

from fastapi import Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from veteran_care.errors import edge_problem
from veteran_care.kit.asgi import body_framing


class _BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` once the body passes the limit. The app's answer is dropped."""


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than the limit of {limit} bytes."


def _caused_by_limit(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        _, rest = exc.split(_BodyTooLarge)
        return rest is None
    return isinstance(exc, _BodyTooLarge)


class BodyLimitMiddleware:
    """413 problem for a body larger than ``max_body_bytes``, declared or streamed."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared, open_length = body_framing(scope)
        if declared is not None and declared > limit:
            await self._too_large(scope, receive, send)
            return
        if not open_length and scope.get("http_version") in _FRAMED_BY_LENGTH:
            # HTTP/1: the server reads no more than the declared length, and a request with
            # neither header has no body; nothing to count (most requests, every GET).
            await self.app(scope, receive, send)
            return

        received = 0
        exceeded = False
        response_started = False

        async def receive_with_limit() -> Message:
            nonlocal received, exceeded
            if exceeded:
                raise _BodyTooLarge(413, _too_large_detail(limit))
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise _BodyTooLarge(413, _too_large_detail(limit))
            return message

        async def send_unless_exceeded(message: Message) -> None:
            nonlocal response_started
            if exceeded and not response_started:
                return  # whatever the app answers to a body it could not finish reading
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive_with_limit, send_unless_exceeded)
        except Exception as exc:
            if not exceeded or response_started:
                raise
            await self._too_large(scope, receive, send)
            if not _caused_by_limit(exc):
                raise
            return
        if exceeded and not response_started:
            await self._too_large(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = edge_problem(
            Request(scope),
            413,
            "payload-too-large",
            _too_large_detail(self.max_body_bytes),
            # The rest of the body is not read: the connection cannot be reused.
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


_FRAMED_BY_LENGTH = frozenset({"1.0", "1.1"})
