"""Reading an ASGI request's scope: its path as routed, and how its body is framed."""

from starlette.types import Scope


def route_path(scope: Scope) -> str:
    """The path as the router sees it (without the ``root_path`` a proxy mounts us under)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if root_path and path.startswith(root_path):
        return path[len(root_path) :] or "/"
    return path


def body_framing(scope: Scope) -> tuple[int | None, bool]:
    """The declared ``Content-Length`` (``None`` if absent), and whether the body's length is
    open: a ``Transfer-Encoding`` is given, or a ``Content-Length`` that is not a number."""
    declared: int | None = None
    open_length = False
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                open_length = True
        elif name == b"transfer-encoding":
            open_length = True
    return declared, open_length
