"""SQLite through aiosqlite, one trip to its thread per statement (decision 0017).

aiosqlite runs every call on a ``sqlite3`` connection in a thread of its own, and each call is
a trip there and back: a queue put, a thread wake-up, and the event loop woken through its
self-pipe, about 20 µs of CPU each on this project's server. SQLAlchemy's aiosqlite adapter
makes four such trips per SELECT (open a cursor, execute, fetch all, close) and three per
write; a ``GET /beneficiaries/{id}`` took 25.

Here a statement is one trip: a function run in aiosqlite's thread opens a ``sqlite3`` cursor,
executes, fetches every row, reads the description, row count and last row id, and closes the
cursor; the adapter's cursor then serves those from memory, as SQLAlchemy's own adapter does
after its fetch. A transaction's ``BEGIN`` (``db._sqlite_on_begin``) waits for its first
statement and goes in the same trip. COMMIT and ROLLBACK are sent only when a transaction is
open (otherwise SQLite would do nothing with them). Server-side cursors (``stream()``) are
SQLAlchemy's own; a ``BEGIN`` that waits is sent before one is opened.

It is installed as the DBAPI module of the engine (``create_async_engine(..., module=...)``,
SQLAlchemy's documented way to give a dialect another DBAPI module) and subclasses
SQLAlchemy's adapter classes, whose internals it relies on: ``pyproject.toml`` holds
SQLAlchemy to the minor release it was written against.
"""

import collections
import sqlite3
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_cursor
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

_Outcome = tuple[Any, list[Any], int, int | None]


def _run(
    connection: aiosqlite.Connection,
    begin: str | None,
    operation: str,
    parameters: Any,
    many: bool,
) -> _Outcome:
    """In aiosqlite's thread: the transaction's ``BEGIN`` if it waits, then the statement, all
    its rows and what the cursor says of it."""
    _begin(connection, begin)
    cursor = connection._conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _begin(connection: aiosqlite.Connection, begin: str | None) -> None:
    if begin is not None:
        connection._conn.execute(begin).close()


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's aiosqlite cursor adapter, with each statement run in one trip."""

    __slots__ = ("_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor is opened here (one trip each, to open and to close it).
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None  # type: ignore[assignment]
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]

    async def _run(self, operation: Any, parameters: Any, many: bool) -> None:
        adapt_connection: OneTripConnection = self._adapt_connection  # type: ignore[assignment]
        outcome: _Outcome = await adapt_connection.run_with_begin(_run, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = outcome
        self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._run(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._run(operation, seq_of_parameters, many=True)

    async def _async_soft_close(self) -> None:
        return  # the rows are in memory and there is no cursor to close

    def close(self) -> None:
        self._rows.clear()

    def nextset(self) -> None:
        raise sqlite3.NotSupportedError("SQLite has one result set per statement")

    def setinputsizes(self, *inputsizes: Any) -> None:
        return None


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ("_begin",)

    _cursor_cls = OneTripCursor  # type: ignore[assignment]  # a subclass of the declared one

    def __init__(self, dbapi: Any, connection: Any) -> None:  # an aiosqlite.Connection
        super().__init__(dbapi, connection)
        self._begin: str | None = None

    def defer_begin(self, statement: str) -> None:
        """``BEGIN`` (or ``BEGIN IMMEDIATE``), sent with the transaction's first statement."""
        self._begin = statement

    async def run_with_begin(self, function: Any, *args: Any) -> Any:
        """``function(connection, begin, *args)`` in aiosqlite's thread, in turn with this
        connection's other calls, given the ``BEGIN`` that waits (or None).

        A ``BEGIN`` that fails (the database is locked) waits again: SQLAlchemy holds the
        transaction begun, and its next statement must begin it, not run in autocommit."""
        async with self._execute_mutex:
            begin, self._begin = self._begin, None
            try:
                return await self._connection._execute(function, self._connection, begin, *args)
            except Exception:
                if begin is not None and not self._in_transaction():
                    self._begin = begin
                raise

    def cursor(self, server_side: bool = False) -> AsyncAdapt_dbapi_cursor:
        if server_side and self._begin is not None:
            try:
                await_(self.run_with_begin(_begin))
            except Exception as error:
                self._handle_exception(error)
        return super().cursor(server_side)

    def _in_transaction(self) -> bool:
        return bool(self._connection._connection and self._connection.in_transaction)

    def rollback(self) -> None:
        self._begin = None  # a transaction that ran no statement: nothing was sent
        if self._in_transaction():
            super().rollback()

    def commit(self) -> None:
        self._begin = None
        if self._in_transaction():
            super().commit()


class OneTripDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """The DBAPI module for the aiosqlite dialect: its connections are ``OneTripConnection``."""

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def dbapi() -> OneTripDBAPI:
    return OneTripDBAPI(aiosqlite, sqlite3)
