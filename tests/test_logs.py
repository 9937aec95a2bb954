"""The log handler: lines of one turn of the event loop are written together, none is lost."""

import asyncio
import io
import logging

import pytest

from veteran_care.logs import LineBatchHandler


class CountingStream(io.StringIO):
    """Counts the writes a handler makes (one system call each on a real stream)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
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
