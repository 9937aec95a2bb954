"""A claimed batch's rows written without SQLAlchemy's work per row (decision 0067): the
decisions, the outcomes and the attempts of the dispatcher.

An executemany through SQLAlchemy processed every parameter of every row (a dict a row matched
to the statement's parameters, a processor a value): about a third of the dispatcher's CPU per
message. Here each column's values are put through that column's own bind processor (what
SQLAlchemy itself would hand the driver; a value repeated from the row before, such as the
batch's one time of writing, is processed once) and given to the driver whole:

- PostgreSQL: one statement, each column's values one array, read with ``unnest``;
- SQLite (no arrays): the driver's own executemany of the plain statement (the sqlite3 module
  binds and steps each row in C), through ``exec_driver_sql``.

The SQL of each shape is built once and kept.
"""

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import String, Table, TextClause, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

_BUILT: dict[tuple[Any, ...], Any] = {}


def _kept(key: tuple[Any, ...], build: Callable[[], Any]) -> Any:
    if key not in _BUILT:
        _BUILT[key] = build()
    return _BUILT[key]


def _processed(processor: Callable[[Any], Any] | None, values: Sequence[Any]) -> list[Any]:
    """Each value as the driver takes it; a value repeated from the row before is processed
    once."""
    if processor is None:
        return list(values)
    found: list[Any] = []
    last: Any = object()
    done: Any = None
    for value in values:
        if value is not last:
            last, done = value, processor(value)
        found.append(done)
    return found


def _columns(
    dialect: Dialect, table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[list[Any]]:
    """The rows (a value per name, in order) as a list of processed values a column."""
    return [
        _processed(table.c[n].type.dialect_impl(dialect).bind_processor(dialect), values)
        for n, values in zip(names, zip(*rows, strict=True), strict=True)
    ]


def _array_of(column_type: Any, dialect: Dialect) -> str:
    """The type of a column's array, a string's without its length: an explicit cast to
    ``VARCHAR(n)`` cuts a longer value, where writing it into the column refuses it."""
    if isinstance(column_type, String) and column_type.length:
        column_type = String()
    return f"{column_type.compile(dialect=dialect)}[]"


def _unnest(dialect: Dialect, table: Table, names: Sequence[str]) -> str:
    """PostgreSQL's FROM item ``v``: a row of the named columns per element of the arrays."""
    arrays = ", ".join(
        f"CAST(:c{n} AS {_array_of(table.c[name].type, dialect)})" for n, name in enumerate(names)
    )
    return f"unnest({arrays}) AS v({', '.join(names)})"


async def update(
    session: AsyncSession,
    table: Table,
    names: tuple[str, ...],
    rows: Sequence[Sequence[Any]],
    where: Mapping[str, Any],
) -> None:
    """UPDATE ``table`` SET each of ``names`` but the first from the rows, matched on the first
    (a key), where also each column of ``where`` equals its value."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    key, changed, guards = names[0], names[1:], tuple(where)
    columns = _columns(dialect, table, names, rows)
    guard_values = _columns(dialect, table, guards, [tuple(where.values())])
    if dialect.name == "postgresql":
        statement: TextClause = _kept(
            ("update", dialect.name, table.name, names, guards),
            lambda: text(
                f"UPDATE {table.name} SET {', '.join(f'{n} = v.{n}' for n in changed)} "
                f"FROM {_unnest(dialect, table, names)} WHERE {table.name}.{key} = v.{key}"
                + "".join(f" AND {table.name}.{g} = :g{i}" for i, g in enumerate(guards))
            ),
        )
        params = {f"c{i}": values for i, values in enumerate(columns)}
        params |= {f"g{i}": values[0] for i, values in enumerate(guard_values)}
        await session.execute(statement, params)
        return
    sql: str = _kept(
        ("update", dialect.name, table.name, names, guards),
        lambda: (
            f"UPDATE {table.name} SET {', '.join(f'{n} = ?' for n in changed)} "
            f"WHERE {key} = ?" + "".join(f" AND {g} = ?" for g in guards)
        ),
    )
    fixed = tuple(values[0] for values in guard_values)
    ordered = zip(*columns[1:], columns[0], strict=True)
    connection = await session.connection()
    await connection.exec_driver_sql(sql, [(*row, *fixed) for row in ordered])


async def insert(
    session: AsyncSession, table: Table, names: tuple[str, ...], rows: Sequence[Sequence[Any]]
) -> None:
    """INSERT INTO ``table`` the rows (a value per name, in order)."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    columns = _columns(dialect, table, names, rows)
    listed = ", ".join(names)
    if dialect.name == "postgresql":
        statement: TextClause = _kept(
            ("insert", dialect.name, table.name, names),
            lambda: text(
                f"INSERT INTO {table.name} ({listed}) "
                f"SELECT {listed} FROM {_unnest(dialect, table, names)}"
            ),
        )
        await session.execute(statement, {f"c{i}": v for i, v in enumerate(columns)})
        return
    sql = f"INSERT INTO {table.name} ({listed}) VALUES ({', '.join('?' * len(names))})"
    connection = await session.connection()
    await connection.exec_driver_sql(sql, list(zip(*columns, strict=True)))
