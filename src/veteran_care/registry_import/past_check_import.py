"""An import of past checks alone: a CSV or XLSX file of people already registered, each row a
check done before go-live (`ngay_kham_gan_nhat`, `phan_loai_suc_khoe`, `noi_kham`), the person
found by BHXH number, else CCCD. The file is read as the beneficiary import reads it
(`import_reading`, `import_validation.read_cells`), each check is held to the same rules
(`import_history.past_check`, with the person's birth and death), and a person's check of a day
already recorded is kept as it is: importing the same file twice records nothing the second
time. A row whose person is unknown (or out of the caller's scope) is reported with its line.
Each batch is one transaction with one audit event."""

import itertools
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from pydantic import BaseModel, Field
from sqlalchemy import literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries.identifiers import BHXH_PATTERN, NATIONAL_ID_PATTERN
from veteran_care.beneficiaries.repository import in_scope_clause
from veteran_care.db.engine import WRITE_OPTION
from veteran_care.history.schemas import PastCheckCreate
from veteran_care.kit.clock import utcnow
from veteran_care.kit.i18n import N_, Message
from veteran_care.models import Beneficiary, PastCheck
from veteran_care.registry_import import past_checks as history
from veteran_care.registry_import.bulk import insert_rows, one_of
from veteran_care.registry_import.importer import BATCH_SIZE, MAX_ERRORS
from veteran_care.registry_import.reading import Cell, open_table
from veteran_care.registry_import.validation import (
    Reference,
    RowError,
    load_reference,
    read_cells,
)

REQUIRED = (("bhxh_number", "national_id"), (history.DAY,), (history.CLASS,), (history.PLACE,))
_PATTERNS = {"bhxh_number": BHXH_PATTERN, "national_id": NATIONAL_ID_PATTERN}
_NOT_ONE = {"bhxh_number": N_("not a BHXH number"), "national_id": N_("not a CCCD")}
_NOBODY = {
    ("bhxh_number",): N_("no beneficiary has this BHXH number"),
    ("national_id",): N_("no beneficiary has this CCCD"),
    ("bhxh_number", "national_id"): N_("no beneficiary has this BHXH number or CCCD"),
}


class PastCheckImportSummary(BaseModel):
    """What an import of past checks did: rows read, checks recorded, rows rejected."""

    rows: int = Field(description="Data rows read (blank rows are skipped).")
    recorded: int = Field(description="Past checks recorded.")
    already_recorded: int = Field(
        description="Rows whose person has a past check of that day already (kept as it is)."
    )
    rejected: int = Field(description="Rows not written; `errors` says why.")
    errors: list[RowError] = Field(description=f"The first {MAX_ERRORS} errors, in file order.")
    errors_omitted: int = Field(description="Errors beyond those listed.")
    ignored_columns: list[str] = Field(description="Header cells that name no known column.")


@dataclass
class _Row:
    line: int
    keys: dict[str, str]  # bhxh_number / national_id -> value
    check: dict[str, Any]  # the check's columns


@dataclass
class _Tally:
    rows: int = 0
    recorded: int = 0
    already: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected: int = 0
    omitted: int = 0
    seen: set[tuple[uuid.UUID, Any]] = field(default_factory=set)  # (person, day) in the file

    def reject(self, errors: Sequence[RowError]) -> None:
        self.rejected += 1
        room = max(MAX_ERRORS - len(self.errors), 0)
        self.errors += errors[:room]
        self.omitted += max(len(errors) - room, 0)


def _parse(line: int, columns: list[str | None], cells: Sequence[Cell], ref: Reference) -> Any:
    """A row's identifiers and check cells, or its errors."""
    values, errors = read_cells(line, columns, cells, ref)
    keys = {name: values[name] for name in _PATTERNS if name in values}
    for name, value in keys.items():
        if not re.fullmatch(_PATTERNS[name], str(value)):
            errors.append(RowError(line=line, field=name, message=_NOT_ONE[name]))
    if not keys and not any(e.field in _PATTERNS for e in errors):
        errors.append(
            RowError(
                line=line, field="bhxh_number", message=Message("give a BHXH number or a CCCD")
            )
        )
    check = {name: values[name] for name in history.COLUMNS if name in values}
    return errors or _Row(line, keys, check)


async def _people(
    session: AsyncSession, rows: Sequence[_Row], actor: Actor
) -> dict[tuple[str, str], Any]:
    """The people the rows name, by (column, identifier), with whether the caller sees them."""
    postgresql = session.get_bind().dialect.name == "postgresql"
    principal = actor.require()
    scope = principal.scope
    visible = literal(True) if scope is None else in_scope_clause(scope, principal.province_codes)
    bhxh = [r.keys["bhxh_number"] for r in rows if "bhxh_number" in r.keys]
    ids = [r.keys["national_id"] for r in rows if "national_id" in r.keys]
    stmt = select(
        Beneficiary.id,
        Beneficiary.bhxh_number,
        Beneficiary.national_id,
        Beneficiary.birth_date,
        Beneficiary.birth_year,
        Beneficiary.date_of_death,
        visible.label("visible"),
    ).where(
        or_(
            one_of(Beneficiary.bhxh_number, bhxh, postgresql),
            one_of(Beneficiary.national_id, ids, postgresql),
        )
    )
    found: dict[tuple[str, str], Any] = {}
    for person in (await session.execute(stmt)).all():
        for name in _PATTERNS:
            if getattr(person, name) is not None:
                found[(name, getattr(person, name))] = person
    return found


def _checked(row: _Row, people: dict[tuple[str, str], Any]) -> Any:
    """(person, the check) of a row, or its errors."""
    matches = [(name, people.get((name, value))) for name, value in row.keys.items()]
    person = next((p for _, p in matches if p is not None), None)
    if person is None or not person.visible:
        name = next(iter(row.keys))
        message = _NOBODY[tuple(n for n in _PATTERNS if n in row.keys)]
        return [RowError(line=row.line, field=name, message=message)]
    if any(p is not None and p.id != person.id for _, p in matches):
        message = Message("the BHXH number and the CCCD are of two different people")
        return [RowError(line=row.line, field="national_id", message=message)]
    born = person.birth_date
    year = born.year if born else person.birth_year
    checked = history.past_check(row.check, born, year, person.date_of_death)
    if checked is None:
        checked = [(history.DAY, Message("the day of the check is missing"))]
    if isinstance(checked, list):
        return [RowError(line=row.line, field=f, message=m) for f, m in checked]
    return person.id, checked


async def _write(
    session: AsyncSession, actor: Actor, found: list[tuple[uuid.UUID, PastCheckCreate]]
) -> int:
    """Record the checks not recorded yet; how many were."""
    connection = await session.connection()
    postgresql = connection.dialect.name == "postgresql"
    now = utcnow()
    account = actor.require().account_id
    rows = [history.values(person, check, account, now) for person, check in found]
    fresh = await history.new_ones(connection, rows, postgresql)
    await insert_rows(connection, PastCheck, fresh, postgresql)
    return len(fresh)


def _plan(
    rows: Sequence[_Row], people: dict[tuple[str, str], Any], seen: set[tuple[uuid.UUID, Any]]
) -> tuple[list[tuple[uuid.UUID, PastCheckCreate]], list[list[RowError]]]:
    """The checks to record (one per person and day in the file: ``seen`` grows) and the
    errors of the rows that cannot be."""
    found: list[tuple[uuid.UUID, PastCheckCreate]] = []
    errors: list[list[RowError]] = []
    for row in rows:
        checked = _checked(row, people)
        if isinstance(checked, list):
            errors.append(checked)
        elif (checked[0], checked[1].date) not in seen:
            seen.add((checked[0], checked[1].date))
            found.append(checked)
    return found, errors


async def _batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    rows: Sequence[_Row],
    actor: Actor,
    tally: _Tally,
) -> list[list[RowError]]:
    """Record a batch's checks in one transaction; the errors of its rows."""
    for attempt in (1, 2):  # a concurrent import may record the same check meanwhile: redo once
        async with sessionmaker() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            seen = set(tally.seen)
            found, errors = _plan(rows, await _people(session, rows, actor), seen)
            try:
                recorded = await _write(session, actor, found)
            except IntegrityError:
                if attempt == 2:
                    raise
                continue
            await audit.record(
                session,
                actor,
                "import",
                resource_type="past_check",
                detail=f"lines {rows[0].line}-{rows[-1].line}: past checks {recorded}, "
                f"rejected {len(errors)}",
            )
            await session.commit()
            tally.seen = seen
            tally.recorded += recorded
            tally.already += len(rows) - len(errors) - recorded
            return errors
    raise AssertionError("unreachable")  # pragma: no cover


async def import_past_checks(
    sessionmaker: async_sessionmaker[AsyncSession],
    source: BinaryIO,
    actor: Actor,
    *,
    batch_size: int = BATCH_SIZE,
) -> PastCheckImportSummary:
    """Import a CSV or XLSX file of past checks (a seekable binary file). Raises
    `UnreadableFile` (415) or `InvalidFile` (422) before writing anything when the file cannot
    be read or its header lacks a required column."""
    table = open_table(source, REQUIRED)
    tally = _Tally()
    try:
        async with sessionmaker() as session:
            ref = await load_reference(session)
        while chunk := list(itertools.islice(table.rows, batch_size)):
            tally.rows += len(chunk)
            valid: list[_Row] = []
            rejected: list[list[RowError]] = []
            for line, cells in chunk:
                parsed = _parse(line, table.columns, cells, ref)
                if isinstance(parsed, _Row):
                    valid.append(parsed)
                else:
                    rejected.append(parsed)
            if valid:
                rejected += await _batch(sessionmaker, valid, actor, tally)
            for row_errors in sorted(rejected, key=lambda errors: errors[0].line):
                tally.reject(row_errors)
    finally:
        table.rows.close()
    return PastCheckImportSummary(
        rows=tally.rows,
        recorded=tally.recorded,
        already_recorded=tally.already,
        rejected=tally.rejected,
        errors=tally.errors,
        errors_omitted=tally.omitted,
        ignored_columns=table.ignored,
    )
