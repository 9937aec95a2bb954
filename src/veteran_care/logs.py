"""Logging: stdlib only, one configuration for `serve` and every uvicorn worker.

Production writes one JSON object per line (``time``, ``level``, ``logger``, ``message``,
``request_id`` and any ``extra=`` fields); elsewhere a readable line that also shows the request
id. Exceptions in JSON mode carry their type and stack frames but not their message: driver
errors quote the offending values (``Key (national_id)=(…) already exists``), and personal data
must not reach the logs.
"""

import asyncio
import json
import logging
import logging.config
import select
import time
import traceback
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any, TextIO

from veteran_care.config import Environment, Settings
from veteran_care.kit.request_context import current_request_id

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"

# Every attribute a bare LogRecord has; anything else on a record came in through ``extra=``
# (uvicorn's ``color_message`` is its message again, with terminal escapes).
_BARE_RECORD = logging.LogRecord("", logging.INFO, "", 0, "", None, None)
_RECORD_ATTRIBUTES = frozenset(vars(_BARE_RECORD)) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


ACCESS_MESSAGE = "%s %s %d %.1fms"


class AccessRecord(logging.LogRecord):
    """The record of one access line (``veteran_care.access``), made for every request.

    ``LogRecord.__init__`` looks up the source file's name and module, the thread and the
    process, the same for every access line: they are set once here. Under
    :func:`configure_logging` (no thread or process lookups) it costs two thirds of
    ``Logger.makeRecord`` (2.2 against 3.4 µs in a tight loop); otherwise it is made as any
    record is. Handlers, filters and formatters see an ordinary ``LogRecord`` with ``method``,
    ``route``, ``status``, ``duration_ms`` and ``request_id`` attributes.
    """

    def __init__(
        self,
        logger_name: str,
        method: str,
        route: str,
        status: int,
        duration_ms: float,
        request_id: str,
        pathname: str,
        created: float | None = None,
    ) -> None:
        args = (method, route, status, duration_ms)
        lookups = _lookups_on()
        if lookups:
            super().__init__(
                logger_name, logging.INFO, pathname, 0, ACCESS_MESSAGE, args, None, "access"
            )
        else:
            constant = _CONSTANT_FIELDS.get((logger_name, pathname))
            if constant is None:
                constant = _CONSTANT_FIELDS[logger_name, pathname] = _constant_fields(
                    logger_name, pathname
                )
            self.__dict__.update(constant)
            self.args = args
        if created is not None or not lookups:  # the time the request was answered
            created = time.time() if created is None else created
            self.created = created
            self.msecs = int((created - int(created)) * 1000) + 0.0  # as LogRecord does
            self.relativeCreated = (created - _STARTED) * 1000
        self.method = method
        self.route = route
        self.status = status
        self.duration_ms = duration_ms
        self.request_id = request_id


# (logger name, source path) -> what every access record of them has alike
_CONSTANT_FIELDS: dict[tuple[str, str], dict[str, Any]] = {}


def _constant_fields(logger_name: str, pathname: str) -> dict[str, Any]:
    model = logging.LogRecord(
        logger_name, logging.INFO, pathname, 0, ACCESS_MESSAGE, (), None, "access"
    )
    changing = ("args", "created", "msecs", "relativeCreated")
    return {k: v for k, v in vars(model).items() if k not in changing}


def _lookups_on() -> bool:
    return bool(
        logging.logThreads
        or logging.logProcesses
        or logging.logMultiprocessing
        or getattr(logging, "logAsyncioTasks", False)  # Python 3.12+
    )


_STARTED = _BARE_RECORD.created - _BARE_RECORD.relativeCreated / 1000  # logging's start time
# An access record's attributes: a bare record's and its five own. One more (a filter's, or the
# ``message`` another handler's formatter set) sends it through JsonFormatter's general path.
_ACCESS_RECORD_SIZE = len(vars(_BARE_RECORD)) + 5


class RequestIdFilter(logging.Filter):
    """Puts the current request id on the record (formatters show ``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            request_id = current_request_id()
            if request_id is not None:
                record.request_id = request_id
        return True


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT, defaults={"request_id": "-"})


# ".000Z" to ".999Z" by millisecond; index 1000, which rounding can reach, reads ".999Z"
_MILLISECONDS = tuple(f".{min(n, 999):03d}Z" for n in range(1001))
# An access line's text around its duration (see JsonFormatter._access_parts)
_Parts = tuple[str, str]
_MOST_ACCESS_PARTS = 4096


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the message of an exception is deliberately left out.

    Every request writes an access line through it, so it avoids per-call set-up: one encoder,
    and the timestamp's seconds formatted once per second.
    """

    _encode = json.JSONEncoder(ensure_ascii=False, default=str).encode
    _second = -1
    _second_text = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._access_parts_of: dict[tuple[str, str, str, int], _Parts] = {}

    def _time(self, created: float) -> str:
        second = int(created)
        if second != self._second:
            self._second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = second
        return self._second_text + _MILLISECONDS[int((created - second) * 1000)]

    def format(self, record: logging.LogRecord) -> str:
        if type(record) is AccessRecord and len(vars(record)) == _ACCESS_RECORD_SIZE:
            return self._access_line(record)
        fields = vars(record)
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": fields.get("request_id") or current_request_id(),
        }
        for key, value in fields.items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            entry["exc_type"] = _qualified_name(exc_type)
            entry["stack"] = "".join(traceback.format_tb(tb))
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return self._encode(entry)

    def _access_line(self, record: AccessRecord) -> str:
        """What the general path gives for an access record (a test holds them equal), in a
        third of its time (2.2 against 6.6 µs in a tight loop): one line per request."""
        return self.access_line(
            record.created,
            record.name,
            record.method,
            record.route,
            record.status,
            record.duration_ms,
            record.request_id,
        )

    def access_line(
        self,
        created: float,
        logger_name: str,
        method: str,
        route: str,
        status: int,
        duration_ms: float,
        request_id: str,
    ) -> str:
        """The line of an access record with these values (``write_access_lines`` writes it
        without making the record).

        What does not change between the requests of one route and status is encoded once
        (:meth:`_access_parts`); the time, the duration and the request id are put in between.
        """
        parts = self._access_parts_of.get((logger_name, method, route, status))
        if parts is None:
            parts = self._access_parts(logger_name, method, route, status)
        head, tail = parts
        return (
            f'{{"time": "{self._time(created)}{head}{duration_ms:.1f}ms", '
            f'"request_id": {encode_basestring(request_id)}{tail}{float(duration_ms)!r}}}'
        )

    def _access_parts(self, logger_name: str, method: str, route: str, status: int) -> _Parts:
        """The text of an access line around its duration, for these values: from the end of
        the time to the duration in the message, and from the request id to the duration.

        JSON escapes character by character, so the message's text before its duration is
        escaped alone. Routes are templates, methods and statuses few: the cache stays small
        (and is emptied if a caller passes more than that).
        """
        if len(self._access_parts_of) >= _MOST_ACCESS_PARTS:
            self._access_parts_of.clear()
        message_start = ACCESS_MESSAGE.split("%.1f", 1)[0] % (method, route, status)
        head = (
            f'", "level": "INFO", "logger": {encode_basestring(logger_name)}, '
            f'"message": {encode_basestring(message_start)[:-1]}'
        )
        tail = (
            f', "method": {encode_basestring(method)}, "route": {encode_basestring(route)}, '
            f'"status": {int(status)}, "duration_ms": '
        )
        parts = self._access_parts_of[logger_name, method, route, status] = (head, tail)
        return parts


# An access line's values, formatted when it is written: (time, logger name, method, route,
# status, duration in ms, request id, the caller's source file), an ``AccessRecord``'s.
AccessEntry = tuple[float, str, str, str, int, float, str, str]


class LineBatchHandler(logging.StreamHandler[TextIO]):
    """A ``StreamHandler`` that writes the lines of one turn of the event loop together.

    Every request writes an access line, and ``StreamHandler`` makes one ``write`` system call
    for each (it flushes every record). On the thread of a running event loop, a line at
    INFO or below waits in memory until the loop's next turn (``call_soon``), when the waiting
    lines go out together, in writes of at most ``PIPE_BUF`` bytes (see ``_atomic_writes``).
    Anywhere else, and for a warning or worse, the waiting lines and this one are written at
    once. ``flush``, which ``logging.shutdown`` calls at exit, writes what waits.

    An access line waits as its values (``emit_access``) and is formatted when the lines are
    written: one after the other, the formatting code stays in the processor's caches, where
    between two requests' worth of other code it is not (decision 0023).
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        super().__init__(stream)
        self._waiting: list[str | AccessEntry] = []
        self._flush_on: asyncio.AbstractEventLoop | None = None  # the loop a flush awaits

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._wait(line, record.levelno)

    def emit_access(self, entries: Iterable[AccessEntry]) -> None:
        """Writes the access lines of these values, formatted as ``JsonFormatter`` formats an
        access record, when the lines are written. Under the handler's lock."""
        self._waiting.extend(entries)
        self._written_in_turn(logging.INFO)

    def _wait(self, line: str | AccessEntry, level: int) -> None:
        self._waiting.append(line)
        self._written_in_turn(level)

    def _written_in_turn(self, level: int) -> None:
        if level > logging.INFO or len(self._waiting) >= _MOST_WAITING:
            self.flush()
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.flush()
            return
        if loop is not self._flush_on:  # none awaits on this loop (or it ended before it ran)
            self._flush_on = loop
            loop.call_soon(self._flush_from_loop)

    def _flush_from_loop(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # Handler.__init__ sets it
            self._flush_on = None
            self.flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]  # Handler.__init__ sets it
            waiting, self._waiting = self._waiting, []
            for text in _atomic_writes(self._lines(waiting), self.terminator):
                try:
                    self.stream.write(text)
                    self.stream.flush()
                except RecursionError:  # as StreamHandler.emit
                    raise
                except Exception:  # a closed or full stream: reported as logging reports it
                    self.handleError(logging.makeLogRecord({"msg": text}))
            if not waiting:
                super().flush()

    def _lines(self, waiting: list[str | AccessEntry]) -> Iterator[str]:
        formatter = self.formatter
        access_line = formatter.access_line if type(formatter) is JsonFormatter else None
        for line in waiting:
            if isinstance(line, str):
                yield line
                continue
            created, logger_name, method, route, status, duration_ms, request_id, _ = line
            try:
                if access_line is not None:
                    yield access_line(
                        created, logger_name, method, route, status, duration_ms, request_id
                    )
                else:  # another formatter was set since: it gets the record
                    yield self.format(_access_record(line))
            except Exception:
                self.handleError(_access_record(line))

    def _at_fork_reinit(self) -> None:  # logging calls it in a forked child
        super()._at_fork_reinit()  # type: ignore[misc]  # logging.Handler has it
        self._waiting = []  # the parent writes them
        self._flush_on = None


def _access_record(entry: AccessEntry) -> AccessRecord:
    created, logger_name, method, route, status, duration_ms, request_id, pathname = entry
    return AccessRecord(
        logger_name, method, route, status, duration_ms, request_id, pathname, created
    )


def _atomic_writes(lines: Iterable[str], terminator: str) -> Iterator[str]:
    """The lines in as few writes as can each reach a pipe whole: at most ``PIPE_BUF`` bytes.

    The workers of ``serve --workers N`` share the server's standard error, often a pipe (a
    container's log, journald). A write of more than ``PIPE_BUF`` bytes to a pipe may be
    interleaved with another process's, which would cut lines apart; a line longer than that
    is written alone, as any handler writes it.
    """
    chunk: list[str] = []
    size = 0
    for line in lines:
        line += terminator
        length = len(line) if line.isascii() else len(line.encode())
        if chunk and size + length > select.PIPE_BUF:
            yield "".join(chunk)
            chunk, size = [], 0
        chunk.append(line)
        size += length
    if chunk:
        yield "".join(chunk)


_MOST_WAITING = 256


# An access line's values: method, route, status, duration in ms, request id, time answered
AccessValues = tuple[str, str, int, float, str, float]


def write_access_lines(
    logger: logging.Logger, pathname: str, lines: Iterable[AccessValues]
) -> None:
    """Logs these requests' access lines at INFO, in order, as ``logger.handle`` would their
    ``AccessRecord``s (``pathname``: the caller's source file).

    When the records would reach one handler only, a ``LineBatchHandler`` with the JSON
    formatter and no filter but ``RequestIdFilter`` (``configure_logging``'s production
    setup), the handler is given the values and formats the lines when it writes them: the
    same lines (a test holds them equal), without the records, the logger's and the handler's
    walk (decisions 0021 and 0023), and the path is chosen once for them all (decision 0025).
    Any other setup (a level, a filter, another handler: pytest's ``caplog``) gets the records,
    at once.
    """
    if not logger.isEnabledFor(logging.INFO):
        return
    name = logger.name
    handler = _only_json_handler(logger)
    if handler is None:
        for method, route, status, duration_ms, request_id, created in lines:
            logger.handle(
                AccessRecord(
                    name, method, route, status, duration_ms, request_id, pathname, created
                )
            )
        return
    entries: list[AccessEntry] = [
        (created, name, method, route, status, duration_ms, request_id, pathname)
        for method, route, status, duration_ms, request_id, created in lines
    ]
    with handler.lock:  # type: ignore[union-attr]  # Handler.__init__ sets it
        handler.emit_access(entries)


def access_record_handled(logger: logging.Logger) -> bool:
    """Whether an access line of ``logger`` reaches a handler as a record (any setup but
    ``configure_logging``'s production one), where :func:`write_access_lines` would not take
    its direct path: such a handler may expect the record in the request (pytest's
    ``caplog`` reads it right after the response)."""
    return logger.isEnabledFor(logging.INFO) and _only_json_handler(logger) is None


def _only_json_handler(logger: logging.Logger) -> "LineBatchHandler | None":
    """The handler an INFO record of ``logger`` reaches, if it is the only one and writes the
    record as ``JsonFormatter`` does with nothing changed on the way; otherwise None."""
    found: LineBatchHandler | None = None
    current: logging.Logger | None = logger
    while current is not None:
        if current.filters:
            return None
        for handler in current.handlers:
            if (
                found is not None
                or type(handler) is not LineBatchHandler
                or type(handler.formatter) is not JsonFormatter
                or handler.level > logging.INFO
            ):
                return None
            for handler_filter in handler.filters:  # a loop: no generator made per request
                if type(handler_filter) is not RequestIdFilter:
                    return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    return found


def _qualified_name(cls: type[BaseException]) -> str:
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def use_json(settings: Settings) -> bool:
    if settings.log_json is not None:
        return settings.log_json
    return settings.environment == Environment.production


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict; also handed to uvicorn so workers log the same way."""
    formatter = JsonFormatter if use_json(settings) else PlainFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"veteran_care": {"()": formatter}},
        "handlers": {
            "veteran_care": {
                "class": "veteran_care.logs.LineBatchHandler",
                "stream": "ext://sys.stderr",
                "formatter": "veteran_care",
                "filters": ["request_id"],
            }
        },
        "root": {"level": settings.log_level.upper(), "handlers": ["veteran_care"]},
        "loggers": {
            # uvicorn's own lines go through our handler (JSON in production) ...
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # ... except its access line: veteran_care.access writes one without personal data.
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def configure_logging(settings: Settings) -> None:
    """Idempotent: the root logger's handlers are replaced, never added to."""
    logging.config.dictConfig(logging_config(settings))
    # No formatter of ours shows the thread or process: skip looking them up for every record
    # (the logging HOWTO's "Optimization"; every request writes an access line).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    if hasattr(logging, "logAsyncioTasks"):  # Python 3.12+
        logging.logAsyncioTasks = False
