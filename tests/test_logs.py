"""The log handler (lines of one turn of the event loop written together, none lost) and the
access line written without its record."""

import asyncio
import io
import json
import logging
import select
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from veteran_care.logs import (
    AccessRecord,
    JsonFormatter,
    LineBatchHandler,
    RequestIdFilter,
    write_access_lines,
)


class CountingStream(io.StringIO):
    """Counts the writes a handler makes (one system call each on a real stream)."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    @property
    def writes(self) -> int:
        return len(self.texts)

    def write(self, text: str) -> int:
        self.texts.append(text)
        return super().write(text)


def _record(message: str, level: int = logging.INFO) -> logging.LogRecord:
    return logging.LogRecord("veteran_care.test", level, __file__, 1, message, None, None)


def _handler() -> tuple[LineBatchHandler, CountingStream]:
    stream = CountingStream()
    handler = LineBatchHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    return handler, stream


async def test_lines_of_one_turn_of_the_loop_are_written_together_at_its_next() -> None:
    handler, stream = _handler()
    for n in range(3):
        handler.handle(_record(f"line {n}"))
    assert stream.getvalue() == ""  # still this turn
    await asyncio.sleep(0)
    assert stream.getvalue() == "line 0\nline 1\nline 2\n"
    assert stream.writes == 1
    handler.handle(_record("line 3"))
    await asyncio.sleep(0)
    assert stream.getvalue().endswith("line 2\nline 3\n")
    assert stream.writes == 2


async def test_a_warning_is_written_at_once_after_the_lines_that_wait() -> None:
    handler, stream = _handler()
    handler.handle(_record("info"))
    handler.handle(_record("warning", logging.WARNING))
    assert stream.getvalue() == "info\nwarning\n"
    await asyncio.sleep(0)
    assert stream.getvalue() == "info\nwarning\n"


async def test_no_write_is_more_than_a_pipe_takes_whole_and_none_cuts_a_line() -> None:
    handler, stream = _handler()
    lines = [f"{n:03d} " + "đ" * 100 for n in range(100)]  # 205 bytes with the newline
    long_line = "x" * (select.PIPE_BUF + 1)
    for line in [*lines[:50], long_line, *lines[50:]]:
        handler.handle(_record(line))
    await asyncio.sleep(0)
    assert "".join(stream.texts).splitlines() == [*lines[:50], long_line, *lines[50:]]
    assert all(text.endswith("\n") for text in stream.texts)
    assert [len(t.encode()) <= select.PIPE_BUF for t in stream.texts].count(False) == 1
    per_write = select.PIPE_BUF // 205
    assert stream.writes == 2 * -(-50 // per_write) + 1  # the long line alone


def test_outside_an_event_loop_every_line_is_written_at_once() -> None:
    handler, stream = _handler()
    handler.handle(_record("one"))
    assert stream.getvalue() == "one\n"
    handler.handle(_record("two"))
    assert stream.getvalue() == "one\ntwo\n"


async def test_flush_writes_what_waits_and_a_long_turn_is_written_in_parts() -> None:
    handler, stream = _handler()
    handler.handle(_record("waiting"))
    handler.flush()  # as logging.shutdown does at exit
    assert stream.getvalue() == "waiting\n"
    for n in range(1000):  # a turn that never yields does not hold every line
        handler.handle(_record(f"{n}"))
    assert 1 < stream.writes < 100
    await asyncio.sleep(0)
    assert stream.getvalue().splitlines() == ["waiting", *(f"{n}" for n in range(1000))]


async def test_a_line_that_cannot_be_formatted_is_reported_and_the_rest_still_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", True)
    handler, stream = _handler()
    handler.handle(_record("before"))
    handler.handle(logging.LogRecord("x", logging.INFO, __file__, 1, "%d", ("nan",), None))
    handler.handle(_record("after"))
    await asyncio.sleep(0)
    assert stream.getvalue() == "before\nafter\n"
    assert "--- Logging error ---" in capsys.readouterr().err


def test_lines_left_by_a_loop_that_ended_go_out_with_the_next_loops() -> None:
    handler, stream = _handler()
    ended = asyncio.new_event_loop()
    ended.call_soon(handler.handle, _record("left"))
    ended.call_soon(ended.stop)  # the loop stops before the turn its flush awaits
    ended.run_forever()
    ended.close()
    assert stream.getvalue() == ""

    async def log(message: str) -> None:
        handler.handle(_record(message))

    asyncio.run(log("next"))
    assert stream.getvalue() == "left\nnext\n"


ACCESS = ("GET", '/odd "route"/{id}', 200, 1.5, "req-45")


def write_access_line(
    logger: logging.Logger,
    method: str,
    route: str,
    status: int,
    duration_ms: float,
    request_id: str,
    pathname: str,
) -> None:
    """One request's access line, answered now."""
    write_access_lines(
        logger, pathname, [(method, route, status, duration_ms, request_id, time.time())]
    )


@contextmanager
def json_logger() -> Iterator[tuple[logging.Logger, CountingStream, LineBatchHandler]]:
    """A logger set up as configure_logging sets the root in production, on its own (and
    without the handlers pytest's logging plugin adds for the test)."""
    logger = logging.getLogger("veteran_care.test_access")
    stream = CountingStream()
    handler = LineBatchHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    saved = logger.handlers[:]
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, stream, handler
    finally:
        logger.handlers[:] = saved
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def _without_time(line: str) -> dict[str, object]:
    entry: dict[str, object] = json.loads(line)
    assert len(str(entry.pop("time"))) == len("2026-11-24T23:22:47.595Z")
    return entry


def test_an_access_line_written_without_its_record_is_the_records_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with json_logger() as (logger, stream, _):
        logger.handle(AccessRecord(logger.name, *ACCESS, __file__))
        with monkeypatch.context() as patched:  # no record is made on the direct path
            patched.setattr(logger, "handle", None)
            write_access_line(logger, *ACCESS, __file__)
    through_record, direct = stream.getvalue().splitlines()
    assert _without_time(direct) == _without_time(through_record)
    assert _without_time(direct)["route"] == '/odd "route"/{id}'


def test_any_other_logging_setup_gets_the_access_record() -> None:
    seen: list[logging.LogRecord] = []

    class Keep(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            seen.append(record)
            return True

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    with json_logger() as (logger, stream, handler):
        handler.addFilter(Keep())
        write_access_line(logger, *ACCESS, __file__)
        assert [type(r) for r in seen] == [AccessRecord]
        handler.filters.pop()
        logger.addHandler(Collect())  # two handlers (pytest's caplog is one more)
        write_access_line(logger, *ACCESS, __file__)
        assert [type(r) for r in seen] == [AccessRecord, AccessRecord]
        logger.setLevel(logging.WARNING)
        write_access_line(logger, *ACCESS, __file__)
        assert len(seen) == 2
    assert len(stream.getvalue().splitlines()) == 2


def test_a_forked_child_leaves_the_waiting_lines_to_its_parent() -> None:
    handler, stream = _handler()
    loop = asyncio.new_event_loop()
    loop.call_soon(handler.handle, _record("the parent's"))
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()
    handler._at_fork_reinit()  # what logging runs in a child after os.fork()
    handler.flush()
    assert stream.getvalue() == ""
    handler.handle(_record("the child's"))
    assert stream.getvalue() == "the child's\n"


def test_a_failed_write_loses_only_its_own_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", False)
    handler, stream = _handler()
    lines = [f"{n:03d} " + "x" * 1500 for n in range(8)]  # two lines per write
    loop = asyncio.new_event_loop()
    for line in lines:
        loop.call_soon(handler.handle, _record(line))
    loop.call_soon(loop.stop)
    loop.run_forever()
    loop.close()
    original = stream.write
    calls = 0

    def fail_once(text: str) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise BlockingIOError("the pipe is full")
        return original(text)

    monkeypatch.setattr(stream, "write", fail_once)
    handler.flush()
    assert stream.getvalue().splitlines() == [*lines[:2], *lines[4:]]


async def test_access_lines_wait_with_the_turns_other_lines_and_keep_their_order() -> None:
    with json_logger() as (logger, stream, _):
        write_access_line(logger, *ACCESS, __file__)
        logger.info("between")
        write_access_line(logger, "POST", "/x", 201, 12.0, "req-46", __file__)
        assert stream.getvalue() == ""
        await asyncio.sleep(0)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(e["message"], e["request_id"]) for e in lines] == [
        ('GET /odd "route"/{id} 200 1.5ms', "req-45"),
        ("between", None),
        ("POST /x 201 12.0ms", "req-46"),
    ]
    assert stream.writes == 1
    assert lines[2]["duration_ms"] == 12.0


async def test_a_waiting_access_line_goes_to_the_formatter_the_handler_has_when_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with json_logger() as (logger, stream, handler):
        with monkeypatch.context() as answered:
            answered.setattr(time, "time", lambda: 1764000000.25)
            write_access_line(logger, *ACCESS, __file__)
        handler.setFormatter(
            logging.Formatter("%(created)s %(levelname)s %(message)s %(request_id)s")
        )
        await asyncio.sleep(0)
    # the record has the time the request was answered, not the time it was written
    assert stream.getvalue() == '1764000000.25 INFO GET /odd "route"/{id} 200 1.5ms req-45\n'


@pytest.mark.parametrize(
    ("created", "shown"),
    [
        (1764000000.0, "2025-11-24T16:00:00.000Z"),
        (1764000000.0421, "2025-11-24T16:00:00.042Z"),
        (1764000059.9999, "2025-11-24T16:00:59.999Z"),
    ],
)
def test_the_time_of_a_line_is_utc_to_the_millisecond_on_both_paths(
    created: float, shown: str
) -> None:
    access = AccessRecord("veteran_care.access", *ACCESS, __file__, created)
    other = _record("other")
    other.created = created
    for record in (access, other):
        assert json.loads(JsonFormatter().format(record))["time"] == shown


async def test_an_access_line_that_cannot_be_formatted_is_reported_and_the_rest_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logging, "raiseExceptions", True)
    with json_logger() as (logger, stream, _):
        write_access_line(logger, "GET", "/x", 200, 1.0, None, __file__)  # type: ignore[arg-type]
        write_access_line(logger, *ACCESS, __file__)
        await asyncio.sleep(0)
    assert [json.loads(line)["request_id"] for line in stream.getvalue().splitlines()] == ["req-45"]
    assert "--- Logging error ---" in capsys.readouterr().err
