"""Keyset (cursor) pagination with explicit sort keys.

A cursor is opaque to clients: base64url JSON of ``[sort, last_value, last_id]``. Pages are
fetched with ``WHERE (key, id) > (:last_value, :last_id) ORDER BY key, id LIMIT :n + 1``, so a page
deep in the list costs what the first page costs.
"""

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import ConfigDict, Field
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from veteran_care.errors import DomainError
from veteran_care.kit.i18n import Message
from veteran_care.kit.schemas import Schema

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

LimitQuery = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"Page size (default {DEFAULT_LIMIT}).")
]
CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` from the previous page."),
]


class Page(Schema, Generic[T]):
    # In the config, not the docstring: each Page[X] is a class of its own, without a docstring.
    model_config = ConfigDict(
        json_schema_extra={
            "description": "One page of a list, in the list's sort order; follow `next_cursor` "
            "for the rest."
        }
    )

    items: list[T]
    """This page's records (at most `limit`)."""
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page."
    )


class InvalidCursor(DomainError):
    status = 422
    code = "invalid-cursor"


@dataclass(frozen=True)
class SortKey:
    """A named sort order: the column, its direction and how to read a value from a cursor."""

    column: InstrumentedAttribute[Any]
    descending: bool = False
    parse: Callable[[Any], Any] = lambda value: value
    dump: Callable[[Any], Any] = lambda value: value


def iso_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("not a timestamp")
    return datetime.fromisoformat(value)


def datetime_key(column: InstrumentedAttribute[Any], descending: bool = False) -> SortKey:
    return SortKey(column, descending, parse=iso_datetime, dump=lambda v: v.isoformat())


def text_key(column: InstrumentedAttribute[Any], descending: bool = False) -> SortKey:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError("not a string")
        return value

    return SortKey(column, descending, parse=parse)


def encode_cursor(sort: str, value: Any, row_id: uuid.UUID) -> str:
    raw = json.dumps([sort, value, str(row_id)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str, key: SortKey) -> tuple[Any, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        cursor_sort, value, row_id = json.loads(base64.urlsafe_b64decode(padded))
        if cursor_sort != sort:
            raise InvalidCursor(
                Message(
                    "This cursor belongs to sort '{cursor_sort}', not '{sort}'; "
                    "start again without a cursor.",
                    cursor_sort=cursor_sort,
                    sort=sort,
                )
            )
        return key.parse(value), uuid.UUID(row_id)
    except InvalidCursor:
        raise
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidCursor("The cursor is not valid; use `next_cursor` as given.") from exc


def paginate(
    stmt: Select[Any],
    *,
    id_column: InstrumentedAttribute[Any],
    sort: str,
    key: SortKey,
    cursor: str | None,
    limit: int,
) -> Select[Any]:
    """Apply keyset ordering, the cursor position and ``limit + 1`` (to know if more follow)."""
    if cursor is not None:
        value, last_id = decode_cursor(cursor, sort, key)
        position = tuple_(key.column, id_column)
        after = (value, last_id)
        stmt = stmt.where(position < after if key.descending else position > after)
    if key.descending:
        stmt = stmt.order_by(key.column.desc(), id_column.desc())
    else:
        stmt = stmt.order_by(key.column.asc(), id_column.asc())
    return stmt.limit(limit + 1)


def page_of(
    rows: Sequence[Any], *, sort: str, key: SortKey, limit: int
) -> tuple[list[Any], str | None]:
    """Cut the ``limit + 1`` rows to a page and compute the next cursor."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    last = items[-1]
    value = getattr(last, key.column.key)
    return items, encode_cursor(sort, key.dump(value), last.id)


async def fetch_page(
    session: AsyncSession,
    stmt: Select[Any],
    *,
    id_column: InstrumentedAttribute[Any],
    sort: str,
    key: SortKey,
    cursor: str | None,
    limit: int,
) -> tuple[list[Any], str | None]:
    """One page of the entities ``stmt`` selects: :func:`paginate`, run, :func:`page_of`."""
    stmt = paginate(stmt, id_column=id_column, sort=sort, key=key, cursor=cursor, limit=limit)
    rows = (await session.scalars(stmt)).all()
    return page_of(rows, sort=sort, key=key, limit=limit)
