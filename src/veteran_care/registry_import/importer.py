"""Bulk import of beneficiaries from a CSV or XLSX file, by the API's own rules: the file is
read (`import_reading`: its header and rows, before anything is written), each batch of rows
is validated (`import_validation`) and written in a transaction of its own
(`import_writing`: matching stored people, bulk statements, one audit event), and the
outcome of every row is tallied into the `ImportSummary` the API and the CLI return. A batch
is validated while the one before it is being written (a task of the same event loop: the
database works while Python validates), and the batches are written one after the other, in
file order.
"""

import asyncio
import itertools
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.auth.principal import Actor
from veteran_care.kit.i18n import Message
from veteran_care.registry_import.reading import Cell, InvalidFile, Table, open_table
from veteran_care.registry_import.validation import (
    Reference,
    Row,
    RowError,
    Validator,
    load_reference,
)
from veteran_care.registry_import.writing import Plan, Writer

BATCH_SIZE = 2000  # rows a transaction; 1,000 cost a fifth more CPU a row (bench/README.md)
MAX_ERRORS = 1000
YIELD_EVERY = 25  # rows validated between two turns of the event loop

Progress = Callable[[int, int | None], None]  # rows done, rows in the file (when known)


class ImportSummary(BaseModel):
    """What an import did: rows read, written and rejected, with the errors."""

    rows: int = Field(description="Data rows read (blank rows are skipped).")
    created: int = Field(description="People registered by the file.")
    updated: int = Field(
        description="People already registered (same CCCD or BHXH number) whose record changed."
    )
    unchanged: int = Field(description="People already registered with nothing to change.")
    past_checks: int = Field(
        description="Last checks recorded as past checks (a person's check of a day already "
        "recorded is not recorded again)."
    )
    cards: int = Field(
        description="Health-insurance cards recorded (a card the person holds already, same "
        "number and validity, is not recorded again)."
    )
    rejected: int = Field(description="Rows not written; `errors` says why.")
    errors: list[RowError] = Field(description=f"The first {MAX_ERRORS} errors, in file order.")
    errors_omitted: int = Field(description="Errors beyond those listed.")
    warnings: list[RowError] = Field(
        default_factory=list,
        description=f"The first {MAX_ERRORS} rows written with a change, in file order: a "
        "commune code of before 2025 recorded as the 2025 commune it became.",
    )
    ignored_columns: list[str] = Field(description="Header cells that name no known column.")
    unplaced: int = Field(
        0,
        description="People created at no facility (their row names none, and the import has "
        "no default): only province-wide accounts see them until `registered_facility_id` is "
        "set. Among `created`.",
    )


@dataclass
class _Tally:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    past_checks: int = 0
    cards: int = 0
    rejected: int = 0
    errors: list[RowError] = field(default_factory=list)
    omitted: int = 0
    unplaced: int = 0
    warnings: list[RowError] = field(default_factory=list)

    def reject(self, errors: Sequence[RowError]) -> None:
        self.rejected += 1
        room = max(MAX_ERRORS - len(self.errors), 0)
        self.errors += errors[:room]
        self.omitted += max(len(errors) - room, 0)

    def count(self, rows: int, plan: Plan, rejected: dict[int, list[RowError]]) -> None:
        """One batch: its rows, what was written, and its rejected rows in file order."""
        for line in sorted(rejected):
            self.reject(rejected[line])
        self.rows += rows
        self.created += len(plan.inserts)
        self.unplaced += sum(1 for row in plan.inserts if row["registered_facility_id"] is None)
        self.updated += len(plan.updates)
        self.unchanged += plan.unchanged
        self.past_checks += len(plan.past_checks)
        self.cards += len(plan.cards)

    def summary(self, table: Table) -> ImportSummary:
        return ImportSummary(
            rows=self.rows,
            created=self.created,
            updated=self.updated,
            unchanged=self.unchanged,
            past_checks=self.past_checks,
            cards=self.cards,
            rejected=self.rejected,
            errors=self.errors,
            errors_omitted=self.omitted,
            warnings=self.warnings,
            ignored_columns=table.ignored,
            unplaced=self.unplaced,
        )


def _default_facility(ref: Reference, code: str | None, actor: Actor) -> uuid.UUID | None:
    """The facility of `default_facility_code`, which must be one of the actor's."""
    if code is None:
        return None
    facility = ref.facilities.get(code.upper())
    if facility is None:
        raise InvalidFile(
            Message("There is no facility with code {code}.", code=code), code="unknown-facility"
        )
    if not actor.require().in_scope(facility):
        raise InvalidFile("You can only register people at your own facilities.")
    return facility


Checked = tuple[list[Row], dict[int, list[RowError]]]  # a batch's valid rows, and the rejected


async def _validate(chunk: Sequence[tuple[int, Sequence[Cell]]], validator: Validator) -> Checked:
    """Validate a batch of rows, handing the event loop back every `YIELD_EVERY` rows: the
    batch before it is being written meanwhile (its statements wait for the database)."""
    valid: list[Row] = []
    rejected: dict[int, list[RowError]] = {}
    for index, (line, cells) in enumerate(chunk, 1):
        checked = validator.row(line, cells)
        if isinstance(checked, Row):
            valid.append(checked)
        else:
            rejected[line] = checked
        if index % YIELD_EVERY == 0:
            await asyncio.sleep(0)
    return valid, rejected


async def _write_batch(
    sessionmaker: async_sessionmaker[AsyncSession],
    chunk: Sequence[tuple[int, Sequence[Cell]]],
    checked: Checked,
    writer: Writer,
    tally: _Tally,
) -> None:
    """Write a validated batch's valid rows and count the outcome of each."""
    valid, rejected = checked
    plan = await writer.write(sessionmaker, valid, (chunk[0][0], chunk[-1][0]), len(rejected))
    for error in plan.errors:
        rejected[error.line] = [error]
    tally.count(len(chunk), plan, rejected)
    written = [w for row in valid if row.line not in rejected for w in row.warnings]
    tally.warnings += written[: max(MAX_ERRORS - len(tally.warnings), 0)]


async def import_beneficiaries(
    sessionmaker: async_sessionmaker[AsyncSession],
    source: BinaryIO,
    actor: Actor,
    *,
    default_facility_code: str | None = None,
    unplaced_allowed: bool = True,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a CSV or XLSX file of beneficiaries (a seekable binary file). Raises
    `UnreadableFile` (415) or `InvalidFile` (422) before writing anything when the file cannot
    be read or its header lacks a required column; `default_facility_code` registers the new
    people whose row names no facility. Without one, such rows are rejected unless
    ``unplaced_allowed`` (a province-wide caller: its people are counted as `unplaced`); a
    caller of some facilities registers them at its only one, or must name it."""
    table = open_table(source)
    try:
        async with sessionmaker() as session:
            ref = await load_reference(session)
        default_facility = _default_facility(ref, default_facility_code, actor)
        validator = Validator(ref, table.columns, actor)
        writer = Writer(actor, default_facility, unplaced_allowed=unplaced_allowed)
        tally = _Tally()
        writing: asyncio.Task[None] | None = None  # the batch before, being written
        try:
            while chunk := list(itertools.islice(table.rows, batch_size)):
                checked = await _validate(chunk, validator)
                if writing is not None:
                    previous, writing = writing, None
                    await _done(previous, tally, table.total, progress)
                write = _write_batch(sessionmaker, chunk, checked, writer, tally)
                writing = asyncio.create_task(write)
        finally:  # the batch read before an unreadable one is written, as any other
            if writing is not None:
                await _done(writing, tally, table.total, progress)
    finally:
        table.rows.close()
    return tally.summary(table)


async def _done(
    writing: "asyncio.Task[None]", tally: _Tally, total: int | None, progress: Progress | None
) -> None:
    await writing
    if progress is not None:
        progress(tally.rows, total)
