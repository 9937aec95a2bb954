"""The id of the request being served, readable anywhere below the edge (logs, audit, errors).

Set by :class:`veteran_care.web.edge.EdgeMiddleware` for the duration of one HTTP request;
``None`` outside a request (CLI, migrations, background work).
"""

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("veteran_care_request_id", default=None)


def current_request_id() -> str | None:
    return request_id_var.get()
