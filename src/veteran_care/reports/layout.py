"""What a filed report holds, whatever its file: a title block (the agency, the report's name, the
period, when and by whom it was made), then sheets of columns, rows and a totals row. The one
model the CSV, XLSX (:mod:`veteran_care.reports.sheets`) and PDF
(:mod:`veteran_care.reports.paper`) writers read."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

Kind = Literal["text", "count", "rate", "number", "date"]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: Kind = "count"


@dataclass(frozen=True)
class TitleBlock:
    agency: str
    title: str
    period: str
    made: str
    language: str = "vi"  # of the texts above; a PDF writes its numbers the same way


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    total: Mapping[str, Any] | None = None
    total_label: str = ""
    notes: Sequence[str] = field(default_factory=tuple)


def plain(value: Any) -> Any:
    """A cell's value as a file holds it: enums by value, None as empty, days as the officer
    writes them (dd/mm/yyyy), others as text."""
    if value is None:
        return ""
    if hasattr(value, "value"):  # enums
        return value.value
    if isinstance(value, date):
        day = f"{value.day:02d}/{value.month:02d}/{value.year:04d}"
        return f"{day} {value:%H:%M}" if isinstance(value, datetime) else day
    if isinstance(value, float | int | str):
        return value
    return str(value)
