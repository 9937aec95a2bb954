"""A batch of rows as one statement's FROM item: what the dispatcher writes per claimed batch
(the decisions, the outcomes, the attempts) goes to the database as one statement with a few
parameters, not an executemany of a parameter set per row (decision 0067).

An executemany made SQLAlchemy process every parameter of every row and the driver run the
statement once a row: about a third of the dispatcher's CPU per message. Here each column's
values are put through that column's own bind processor (what SQLAlchemy itself would send to
the driver) and passed whole: on PostgreSQL as one array a column, read with ``unnest``; on
SQLite (no arrays) as one JSON array of rows, read with ``json_each``. The SQL of each shape is
built once and kept.
"""

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Column, Table, TextClause, text
from sqlalchemy.engine import Dialect

_BUILT: dict[tuple[str, str, tuple[str, ...], str], TextClause] = {}
Processor = Callable[[Any], Any] | None


def _source(dialect: Dialect, columns: Sequence[Column[Any]]) -> str:
    """The FROM item ``v`` whose columns are named as ``columns``, one row per given row."""
    names = ", ".join(c.name for c in columns)
    if dialect.name == "postgresql":
        arrays = ", ".join(
            f"CAST(:c{n} AS {c.type.compile(dialect=dialect)}[])" for n, c in enumerate(columns)
        )
        return f"unnest({arrays}) AS v({names})"
    picked = ", ".join(f"json_extract(value, '$[{n}]') AS {c.name}" for n, c in enumerate(columns))
    return f"(SELECT {picked} FROM json_each(:rows)) AS v"


def _statement(
    kind: str, dialect: Dialect, table: Table, names: tuple[str, ...], build: Callable[[str], str]
) -> TextClause:
    key = (kind, dialect.name, names, table.name)
    if key not in _BUILT:
        _BUILT[key] = text(build(_source(dialect, [table.c[n] for n in names])))
    return _BUILT[key]


def _processed(processor: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """Each value processed; a value repeated from the row before (the batch's one time of
    writing, a None, a status) is processed once."""
    found: list[Any] = []
    last: Any = object()
    done: Any = None
    for value in values:
        if value is not last:
            last, done = value, processor(value)
        found.append(done)
    return found


def parameters(
    dialect: Dialect, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> dict[str, Any]:
    """The rows (each a value per name, in order) as the statement's parameters."""
    processors: list[Processor] = [
        table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names
    ]
    columns = [
        list(values) if p is None else _processed(p, values)
        for p, values in zip(processors, zip(*rows, strict=True), strict=True)
    ]
    if dialect.name == "postgresql":
        return {f"c{n}": values for n, values in enumerate(columns)}
    return {"rows": json.dumps([list(row) for row in zip(*columns, strict=True)])}


def update_from(
    dialect: Dialect,
    table: Table,
    key: str,
    names: tuple[str, ...],
    where: tuple[tuple[str, str], ...] = (),
) -> TextClause:
    """UPDATE ``table`` SET each of ``names`` (but ``key``) from the rows, matched on ``key``,
    where also each (column, SQL) of ``where`` is equal (the SQL a literal or a bind parameter
    of the caller's). On SQLite those columns are read through a unary ``+``, which keeps the
    planner from looking rows up by an index of theirs and scanning the rows given for each:
    the rows given are read once, each looked up by ``key``."""
    plus = "+" if dialect.name == "sqlite" else ""

    def build(source: str) -> str:
        sets = ", ".join(f"{n} = v.{n}" for n in names if n != key)
        also = "".join(f" AND {plus}{table.name}.{c} = {sql}" for c, sql in where)
        return (
            f"UPDATE {table.name} SET {sets} FROM {source} WHERE {table.name}.{key} = v.{key}{also}"
        )

    return _statement(f"update {key} {where}", dialect, table, names, build)


def insert_from(dialect: Dialect, table: Table, names: tuple[str, ...]) -> TextClause:
    """INSERT INTO ``table`` the rows."""

    def build(source: str) -> str:
        listed = ", ".join(names)
        return f"INSERT INTO {table.name} ({listed}) SELECT {listed} FROM {source}"

    return _statement("insert", dialect, table, names, build)
