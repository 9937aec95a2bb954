"""Writing valid import rows to the database, a batch at a time. A row updates the beneficiary
with its BHXH number, else the one with its CCCD; a row naming two different people is
rejected, as is a second row for the same person (across batches) or for someone outside the
importer's facilities. Only non-empty cells are applied: an empty cell or a missing column
keeps the stored value (a partial list never wipes data); `categories`, when given, replaces
the list (keeping known recognition dates). A row equal to what is stored is `unchanged` and
not written: importing a file twice changes nothing. The row's last check and card
(`import_history`, `import_cards`) are written with its person. Each batch is one transaction
of its own (a session per batch, committed here: an import is many transactions by design,
like bulk scheduling), with bulk statements (`import_bulk`: a COPY on PostgreSQL) and one
audit event; a batch that hits an IntegrityError is redone row by row in savepoints, so that
only the culprits are rejected and nothing partial is written for them.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, delete, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.audit import service as audit
from veteran_care.auth.principal import Actor
from veteran_care.beneficiaries.category_rules import main_index
from veteran_care.beneficiaries.identifiers import national_id_type
from veteran_care.beneficiaries.repository import in_scope_clause
from veteran_care.beneficiaries.schemas import CategoryIn
from veteran_care.db.engine import WRITE_OPTION
from veteran_care.db.errors import unique_violation_fields
from veteran_care.kit.clock import utcnow
from veteran_care.kit.i18n import Message
from veteran_care.kit.text import fold
from veteran_care.models import (
    Beneficiary,
    BeneficiaryCategoryMembership,
    BeneficiaryStatus,
    InsuranceCard,
    PastCheck,
)
from veteran_care.registry_import import cards as import_cards
from veteran_care.registry_import import past_checks as import_history
from veteran_care.registry_import.bulk import insert_rows, one_of
from veteran_care.registry_import.reading import COLUMN_OF
from veteran_care.registry_import.validation import Row, RowError

_STORED = (
    Beneficiary.full_name,
    Beneficiary.birth_date,
    Beneficiary.birth_year,
    Beneficiary.sex,
    Beneficiary.ethnicity_code,
    Beneficiary.national_id,
    Beneficiary.bhxh_number,
    Beneficiary.phone,
    Beneficiary.commune_code,
    Beneficiary.address_line,
    Beneficiary.legacy_district,
    Beneficiary.registered_facility_id,
)
_UPDATE = (
    update(Beneficiary)
    .where(Beneficiary.id == bindparam("b_id"))
    .values(version=Beneficiary.version + 1)
)
Membership = BeneficiaryCategoryMembership


@dataclass
class Plan:
    inserts: list[dict[str, Any]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    memberships: list[dict[str, Any]] = field(default_factory=list)
    replaced: list[uuid.UUID] = field(default_factory=list)  # memberships deleted first
    past_checks: list[dict[str, Any]] = field(default_factory=list)  # the rows' last checks
    cards: list[dict[str, Any]] = field(default_factory=list)  # the rows' new cards
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)  # one per rejected row
    matched: dict[uuid.UUID, int] = field(default_factory=dict)  # person -> line
    fields: set[str] = field(default_factory=set)

    def merge(self, other: "Plan") -> None:
        lists = ("inserts", "updates", "memberships", "replaced", "past_checks", "cards", "errors")
        for name in lists:
            getattr(self, name).extend(getattr(other, name))
        self.unchanged += other.unchanged
        self.matched |= other.matched
        self.fields |= other.fields


# category code -> (rate, recognition date, decision number, issuing authority, main)
Recognition = tuple[int | None, date | None, str | None, str | None, bool]
Held = dict[str, Recognition]
KEPT = (None, None, None, None, False)  # what a category not held before keeps: nothing


def _replacing(listed: Sequence[CategoryIn], held: Held) -> Held:
    """The categories a row lists, keeping the recognition details it leaves out (a partial
    row never wipes them); the main one is the one marked, else the first listed."""
    main = main_index(listed)
    replacing: Held = {}
    for index, c in enumerate(listed):
        _, recognised, number, authority, _ = held.get(c.code, KEPT)
        replacing[c.code] = (
            c.disability_rate,
            c.recognition_date or recognised,
            c.decision_number or number,
            c.issuing_authority or authority,
            index == main,
        )
    return replacing


class Writer:
    def __init__(
        self, actor: Actor, default_facility: uuid.UUID | None, *, unplaced_allowed: bool = True
    ) -> None:
        self.actor = actor
        self.unplaced_allowed = unplaced_allowed
        principal = actor.require()
        self.scope = principal.scope
        self.provinces = principal.province_codes
        if default_facility is None and self.scope is not None and len(self.scope) == 1:
            default_facility = next(iter(self.scope))
        self.default_facility = default_facility
        self.matched: dict[uuid.UUID, int] = {}  # people written or matched, across batches

    async def _stored(
        self, session: AsyncSession, rows: Sequence[Row], postgresql: bool
    ) -> tuple[list[dict[str, Any]], dict[uuid.UUID, Held]]:
        """The stored beneficiaries the rows name (locked), and the categories they hold."""
        bhxh = [r.data.bhxh_number for r in rows if r.data.bhxh_number]
        ids = [r.data.national_id for r in rows if r.data.national_id]
        visible = (
            literal(True) if self.scope is None else in_scope_clause(self.scope, self.provinces)
        )
        stmt = (
            select(Beneficiary.id, visible.label("visible"), *_STORED)
            .where(
                or_(
                    one_of(Beneficiary.bhxh_number, bhxh, postgresql),
                    one_of(Beneficiary.national_id, ids, postgresql),
                )
            )
            .order_by(Beneficiary.id)
            .with_for_update(of=Beneficiary)
        )
        found = [row._asdict() for row in (await session.execute(stmt)).all()]
        held: dict[uuid.UUID, Held] = {}
        if found:
            stmt_m = select(
                Membership.beneficiary_id,
                Membership.category_code,
                Membership.disability_rate,
                Membership.recognition_date,
                Membership.decision_number,
                Membership.issuing_authority,
                Membership.is_main,
            ).where(one_of(Membership.beneficiary_id, [f["id"] for f in found], postgresql))
            for person, code, rate, day, number, authority, main in (
                await session.execute(stmt_m)
            ).all():
                held.setdefault(person, {})[code] = (rate, day, number, authority, main)
        return found, held

    async def _plan(self, session: AsyncSession, rows: Sequence[Row]) -> Plan:
        postgresql = session.get_bind().dialect.name == "postgresql"
        found, held = await self._stored(session, rows, postgresql)
        by_bhxh = {f["bhxh_number"]: f for f in found if f["bhxh_number"]}
        by_id = {f["national_id"]: f for f in found if f["national_id"]}
        cards = await import_cards.stored(session, [f["id"] for f in found], postgresql)
        plan = Plan()
        now = utcnow()
        for row in rows:
            data = row.data
            by_b = by_bhxh.get(data.bhxh_number) if data.bhxh_number else None
            by_n = by_id.get(data.national_id) if data.national_id else None
            problem = self._problem(plan, row, (by_b, by_n), cards)
            if problem is not None:
                plan.errors.append(RowError(line=row.line, field=problem[0], message=problem[1]))
                continue
            stored = by_b or by_n
            if stored is None:
                person = self._create(plan, row, now)
            else:
                self._update(plan, row, stored, held.get(stored["id"], {}), now)
                person = stored["id"]
            self._extras(plan, row, person, cards, now)
        return plan

    def _problem(
        self,
        plan: Plan,
        row: Row,
        matches: tuple[dict[str, Any] | None, dict[str, Any] | None],
        cards: import_cards.Stored,
    ) -> tuple[str | None, str] | None:
        """Why the row cannot be written (its column, a message), given the people its BHXH
        number and its CCCD find; None when it can."""
        by_b, by_n = matches
        if by_b is not None and by_n is not None and by_b["id"] != by_n["id"]:
            return "national_id", Message(
                "the BHXH number is one beneficiary's and the CCCD another's"
            )
        stored = by_b or by_n
        if stored is not None:
            first = self.matched.get(stored["id"]) or plan.matched.get(stored["id"])
            if first is not None:
                return None, Message("the same beneficiary as line {first}", first=first)
            if not stored["visible"]:
                return None, Message("this beneficiary is not registered at your facilities")
        if row.card is None:
            return None
        bhxh = row.data.bhxh_number or (stored["bhxh_number"] if stored else None)
        return import_cards.problem(row.card, bhxh, stored["id"] if stored else None, cards)

    def _extras(
        self,
        plan: Plan,
        row: Row,
        person: uuid.UUID | None,
        cards: import_cards.Stored,
        now: datetime,
    ) -> None:
        """The row's last check and card, once its person is written (unless held already)."""
        if person is None:
            return
        if row.past_check is not None:
            actor_id = self.actor.require().account_id
            plan.past_checks.append(import_history.values(person, row.past_check, actor_id, now))
        card = None if row.card is None else import_cards.values(person, row.card, cards, now)
        if card is not None:
            plan.cards.append(card)

    def _create(self, plan: Plan, row: Row, now: datetime) -> uuid.UUID | None:
        data = row.data
        values = data.model_dump(exclude={"categories"})
        values["registered_facility_id"] = data.registered_facility_id or self.default_facility
        if values["registered_facility_id"] is None and (
            self.scope is not None or not self.unplaced_allowed
        ):
            message = (
                Message("choose one of your facilities (ma_co_so)")
                if self.scope is not None
                else Message(
                    "the row names no facility (ma_co_so) and the import has no default one"
                )
            )
            plan.errors.append(
                RowError(line=row.line, field="registered_facility_code", message=message)
            )
            return None
        if data.birth_date is not None:
            values["birth_year"] = data.birth_date.year
        beneficiary_id = uuid.uuid4()
        values |= {
            "id": beneficiary_id,
            "name_search": fold(data.full_name),
            "national_id_type": national_id_type(data.national_id) if data.national_id else None,
            "status": BeneficiaryStatus.active,
            "date_of_death": None,
            # with its past check's day: the trigger has nothing to update (decision 0057)
            "last_checked_on": row.past_check.date if row.past_check is not None else None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
        }
        plan.inserts.append(values)
        main = main_index(data.categories)
        plan.memberships += [
            {
                "beneficiary_id": beneficiary_id,
                "category_code": c.code,
                "disability_rate": c.disability_rate,
                "recognition_date": c.recognition_date,
                "decision_number": c.decision_number,
                "issuing_authority": c.issuing_authority,
                "is_main": index == main,
            }
            for index, c in enumerate(data.categories)
        ]
        plan.matched[beneficiary_id] = row.line
        plan.fields |= row.data.model_fields_set
        return beneficiary_id

    def _update(
        self,
        plan: Plan,
        row: Row,
        stored: dict[str, Any],
        held: Held,
        now: datetime,
    ) -> None:
        plan.matched[stored["id"]] = row.line
        given = row.given()
        changes = {name: value for name, value in given.items() if stored[name] != value}
        if (
            "birth_year" in given
            and "birth_date" not in given
            and stored["birth_date"] is not None
            and stored["birth_date"].year != given["birth_year"]
        ):
            changes["birth_date"] = None  # a bare year replaces a date of another year
        categories = None
        if "categories" in row.data.model_fields_set:
            categories = _replacing(row.data.categories, held)
        if categories == held:
            categories = None
        if not changes and categories is None:
            plan.unchanged += 1
            return
        merged = {name: stored[name] for name in stored if name not in ("id", "visible")}
        merged |= changes
        merged["name_search"] = fold(merged["full_name"])
        nid = merged["national_id"]
        merged["national_id_type"] = national_id_type(nid) if nid else None
        plan.updates.append({**merged, "b_id": stored["id"], "updated_at": now})
        plan.fields |= set(changes)
        if categories is not None:
            plan.fields.add("categories")
            plan.replaced.append(stored["id"])
            plan.memberships += [
                {
                    "beneficiary_id": stored["id"],
                    "category_code": code,
                    "disability_rate": rate,
                    "recognition_date": recognised,
                    "decision_number": number,
                    "issuing_authority": authority,
                    "is_main": main,
                }
                for code, (rate, recognised, number, authority, main) in categories.items()
            ]

    async def _apply(self, session: AsyncSession, plan: Plan) -> None:
        connection = await session.connection()
        postgresql = connection.dialect.name == "postgresql"
        await insert_rows(connection, Beneficiary, plan.inserts, postgresql)
        if plan.updates:
            await connection.execute(_UPDATE, plan.updates)
        if plan.replaced:
            await connection.execute(
                delete(Membership).where(
                    one_of(Membership.beneficiary_id, plan.replaced, postgresql)
                )
            )
        await insert_rows(connection, Membership, plan.memberships, postgresql)
        await insert_rows(connection, InsuranceCard, plan.cards, postgresql)
        if plan.cards:
            plan.fields |= set(import_cards.COLUMNS)
        # A person's last check already recorded for that day is kept: re-imports add none.
        created = {row["id"] for row in plan.inserts}  # people with no past check yet
        checks = await import_history.new_ones(connection, plan.past_checks, postgresql, created)
        plan.past_checks = checks
        await insert_rows(connection, PastCheck, plan.past_checks, postgresql)
        if plan.past_checks:
            plan.fields |= set(import_history.COLUMNS)

    async def _attempt(self, session: AsyncSession, rows: Sequence[Row]) -> Plan:
        if not rows:
            return Plan()
        async with session.begin_nested():
            plan = await self._plan(session, rows)
            await self._apply(session, plan)
        return plan

    async def _row_by_row(self, session: AsyncSession, rows: Sequence[Row]) -> Plan:
        """After an IntegrityError, find the culprits: one savepoint per row."""
        plan = Plan()
        for row in rows:
            try:
                plan.merge(await self._attempt(session, [row]))
            except IntegrityError as exc:
                columns = unique_violation_fields(exc)
                message = (
                    Message(
                        "another beneficiary already has this {columns}",
                        columns=", ".join(columns),
                    )
                    if columns
                    else Message("the row breaks a rule of the data model")
                )
                column = columns[0] if columns and len(columns) == 1 else None
                plan.errors.append(RowError(line=row.line, field=column, message=message))
            self.matched |= plan.matched
        return plan

    async def write(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        rows: Sequence[Row],
        lines: tuple[int, int],
        invalid: int,
    ) -> Plan:
        """Write one batch in one transaction, with its audit event."""
        async with sessionmaker() as session:
            await session.connection(execution_options={WRITE_OPTION: True})
            try:
                plan = await self._attempt(session, rows)
            except IntegrityError:
                plan = await self._row_by_row(session, rows)
            await audit.record(
                session,
                self.actor,
                "import",
                resource_type="beneficiary",
                changed_fields=sorted(COLUMN_OF.get(name, name) for name in plan.fields) or None,
                detail=(
                    f"lines {lines[0]}-{lines[1]}: created {len(plan.inserts)}, updated "
                    f"{len(plan.updates)}, unchanged {plan.unchanged}, "
                    f"rejected {len(plan.errors) + invalid}"
                    + (f", past checks {len(plan.past_checks)}" if plan.past_checks else "")
                    + (f", cards {len(plan.cards)}" if plan.cards else "")
                ),
            )
            await session.commit()
        self.matched |= plan.matched
        return plan
