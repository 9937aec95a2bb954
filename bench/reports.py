"""Reports benchmark on PostgreSQL: each report endpoint against the same SQL run directly.

    .venv/bin/python bench/reports.py [--beneficiaries 200000] [--appointments 1000000]
        [--checkups 1000000] [--dispenses 100000] [--runs 7] [--export-runs 3] [--keep]

1. A fresh database (``bench_reports``, dropped afterwards unless ``--keep``), migrated, then a
   province generated inside PostgreSQL (``INSERT ... SELECT generate_series``; the people with
   asyncpg's ``copy_records_to_table``), not through the API: ``--beneficiaries`` people of the
   province's communes (categories, sexes, ethnic groups, births 1935-1965), ``--checkups``
   periodic checks over about two years (1 January of last year to 90 days ahead) at five
   facilities, holding ``--appointments`` examinations in sessions (``booked`` <= ``capacity``)
   with a realistic mix of outcomes; conclusions, results, ICD-10 diagnoses and ``--dispenses``
   dispenses. ``VACUUM ANALYZE`` and a checkpoint before any timing.
2. A real server (``veteran-care serve``, one uvicorn worker, production settings) pinned to CPU 0
   with ``taskset``; this process pinned to CPU 1 (PostgreSQL shares both). The first admin is
   created from ``VETERAN_CARE_ADMIN_PASSWORD``; the benchmark logs in with a token.
3. For each report: one warm-up, then ``--runs`` timed requests (the people-list CSV export:
   ``--export-runs``), each followed by the same SQL run directly through asyncpg: the exact
   statements and parameters the endpoint sends, captured from SQLAlchemy for the statement
   builder in ``veteran_care.reports.queries``. "raw" runs them as one-shot statements (a custom
   plan every time, as PostgreSQL plans literal SQL); "prepared" through asyncpg's statement
   cache, as the server does (PostgreSQL may switch to a generic plan from the sixth execution);
   "generic" with ``plan_cache_mode=force_generic_plan`` (what a switch would cost).
4. While the CSV export runs, the server's resident memory is sampled from /proc/<pid>/status.

Targets (issue 6): endpoint <= 1.1 x raw SQL + 10 ms; the yearly attendance report under 1 s; the
CSV export of the 1,000,000-row person list with peak memory under 200 MB.
"""

import argparse
import asyncio
import contextlib
import hashlib
import math
import os
import random
import shlex
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from booking import (  # the booking benchmark's server, login and table helpers
    ADMIN_PASSWORD,
    admin_execute,
    expect,
    free_port,
    login,
    print_table,
    start_server,
    stop_server,
    wait_until_ready,
)
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care import migrate
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.demo import ETHNIC_WEIGHTS, NAMINGS
from veteran_care.demo_places import DIEN_BIEN
from veteran_care.identity.passwords import hash_secret
from veteran_care.kit.clock import today
from veteran_care.kit.text import fold
from veteran_care.reports import coverage_queries, health_queries, queries
from veteran_care.reports.provinces import People

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
FACILITY_COUNT = 5
SESSION_CAPACITY = 150
RESULT_SHARE = 40  # % of fulfilled examinations with a recorded result (and 1-2 diagnoses)
CONCLUDED_SHARE = 90  # % of attended checkups with a conclusion (health class I-V)
# Frequent diagnoses of elderly veterans, most frequent first (picked with a skew).
ICD10 = [
    "I10",
    "E11.9",
    "M17.9",
    "E78.5",
    "K29.7",
    "J44.9",
    "H25.9",
    "I25.9",
    "M54.5",
    "N40",
    "M81.9",
    "K21.9",
    "H90.3",
    "I63.9",
    "G47.0",
    "H40.9",
    "B18.1",
    "I50.9",
    "T91.9",
    "F03",
]
MB = 1024 * 1024
GENERIC_RUNS = 2
BASELINE_REQUESTS = 20


def h(expression: str, salt: str) -> str:
    """SQL: a non-negative pseudo-random int, fixed by ``expression`` and ``salt``."""
    return f"(hashtext(({expression})::text || '{salt}') & 2147483647)"


def uid(prefix: str, serial: int) -> uuid.UUID:
    """The id SQL computes as ``md5(prefix || serial)::uuid``."""
    return uuid.UUID(hashlib.md5(f"{prefix}{serial}".encode()).hexdigest())


@dataclass(frozen=True)
class Window:
    start: date  # 1 January of last year
    today: date
    end: date  # 90 days ahead

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def year(self) -> int:
        """The last full calendar year: the yearly reports' year."""
        return self.start.year


@dataclass
class Facts:
    beneficiaries: int = 0
    checkups: int = 0
    appointments: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    conclusions: int = 0
    results: int = 0
    diagnoses: int = 0
    dispenses: int = 0
    listed: int = 0  # rows of the person-level list (checkups not entered in error)
    outcome_mismatches: int = 0  # checkups whose stored outcome differs from their appointments'
    seconds: float = 0.0


# Generation ------------------------------------------------------------------------------------


def person_records(
    count: int, communes: Sequence[str], facility_ids: Sequence[uuid.UUID], seed: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Beneficiaries and their category memberships (ids: md5('b' || serial))."""
    rng = random.Random(seed)
    groups, weights = list(ETHNIC_WEIGHTS), list(ETHNIC_WEIGHTS.values())
    facility_of = {code: facility_ids[i % len(facility_ids)] for i, code in enumerate(communes)}
    now = datetime.now(UTC)
    people: list[tuple[Any, ...]] = []
    memberships: list[tuple[Any, ...]] = []
    for serial in range(count):
        person_id = uid("b", serial)
        ethnicity = rng.choices(groups, weights=weights)[0]
        naming = NAMINGS[ethnicity]
        draw = rng.random()
        sex = "male" if draw < 0.82 else "female" if draw < 0.998 else "unknown"
        female = sex == "female"
        middles = naming.female_middles if female else naming.male_middles
        given = naming.female_given if female else naming.male_given
        name = " ".join(rng.choice(part.split("|")) for part in (naming.families, middles, given))
        commune = rng.choice(communes)
        draw = rng.random()
        status, died = "active", None
        if draw < 0.04:
            status, died = "deceased", date(2024, 1, 1) + timedelta(days=rng.randrange(1000))
        elif draw < 0.06:
            status = "moved-away"
        has_id = rng.random() < 0.9
        phone = f"09{rng.randrange(10**8):08d}" if rng.random() < 0.7 else None
        people.append(
            (
                person_id,
                name,
                fold(name),
                rng.randint(1935, 1965),
                sex,
                ethnicity,
                f"011{serial:09d}" if has_id else None,
                "cccd" if has_id else None,
                f"11{serial:08d}",
                phone,
                commune,
                facility_of[commune],
                status,
                died,
                now,
                now,
                1,
            )
        )
        draw = rng.random()
        if female:
            codes = ["former-youth-volunteer"] if draw < 0.75 else ["veteran"]
        elif draw < 0.55:
            codes = ["veteran"]
        elif draw < 0.75:
            codes = ["wounded-soldier", "veteran"] if rng.random() < 0.5 else ["wounded-soldier"]
        elif draw < 0.85:
            codes = ["sick-soldier"]
        else:
            codes = ["former-youth-volunteer"]
        for code in codes:
            rate = (
                rng.randint(21, 100)
                if code == "wounded-soldier"
                else rng.randint(41, 100)
                if code == "sick-soldier"
                else None
            )
            memberships.append((person_id, code, rate))
    return people, memberships


PEOPLE_COLUMNS = [
    "id",
    "full_name",
    "name_search",
    "birth_year",
    "sex",
    "ethnicity_code",
    "national_id",
    "national_id_type",
    "bhxh_number",
    "phone",
    "commune_code",
    "registered_facility_id",
    "status",
    "date_of_death",
    "created_at",
    "updated_at",
    "version",
]


def outcome_sql(window: Window) -> str:
    """A checkup's outcome from its date and its draw ``u`` (0-9999)."""
    return f"""
    CASE
      WHEN d < DATE '{window.today}' THEN CASE
        WHEN u < 50 THEN 'error'
        WHEN u < 7650 THEN 'attended'
        WHEN u < 8650 THEN 'noshow'
        WHEN u < 9450 THEN 'by_patient'
        WHEN u < 9800 THEN 'by_facility'
        ELSE 'pending' END
      WHEN d = DATE '{window.today}' THEN CASE WHEN u < 6000 THEN 'checked_in' ELSE 'booked' END
      ELSE CASE WHEN u < 9000 THEN 'booked' WHEN u < 9700 THEN 'by_patient'
                ELSE 'by_facility' END
    END"""


async def generate(
    connection: asyncpg.Connection, args: argparse.Namespace, window: Window
) -> Facts:
    began = time.perf_counter()
    b, c, a = args.beneficiaries, args.checkups, args.appointments
    per_checkup = math.ceil(a / c)
    if not c <= a <= 9 * c:
        raise SystemExit("--appointments must be between --checkups and 9 x --checkups")
    await connection.execute("SET synchronous_commit = off")
    communes = [r["code"] for r in await connection.fetch("SELECT code FROM communes ORDER BY 1")]
    specialties = [
        r["code"]
        for r in await connection.fetch("SELECT code FROM specialties ORDER BY sort_order")
    ]
    used_specialties = specialties[: min(len(specialties), per_checkup + 2)]
    now = datetime.now(UTC)

    facility_ids = [uid("f", i) for i in range(FACILITY_COUNT)]
    await connection.executemany(
        "INSERT INTO facilities (id, code, name, level, commune_code, active, created_at, "
        "updated_at, version) VALUES ($1, $2, $3, $4, $5, true, $6, $6, 1)",
        [
            (facility_ids[i], code, name, level.value, commune, now)
            for i, (code, name, level, commune) in enumerate(DIEN_BIEN.facilities[:FACILITY_COUNT])
        ],
    )
    await connection.execute(
        """
        INSERT INTO facility_services (id, facility_id, specialty_code, timetable,
            default_capacity, active, created_at, updated_at, version)
        SELECT md5('v' || f || s)::uuid, f, s,
            '[{"weekday": 1, "part_of_day": "morning"}]'::json, $3, true, now(), now(), 1
        FROM unnest($1::uuid[]) f, unnest($2::text[]) s
        """,
        facility_ids,
        used_specialties,
        SESSION_CAPACITY,
    )
    await connection.execute(
        f"""
        INSERT INTO sessions (id, service_id, facility_id, specialty_code, date, part_of_day,
            capacity, booked, status, version, created_at, updated_at)
        SELECT md5('s' || v.facility_id || v.specialty_code || d::date || p.part)::uuid, v.id,
            v.facility_id, v.specialty_code, d::date, p.part, {SESSION_CAPACITY}, 0, 'open', 1,
            now(), now()
        FROM facility_services v
        CROSS JOIN generate_series(DATE '{window.start}', DATE '{window.end}', '1 day') d
        CROSS JOIN (VALUES ('morning'), ('afternoon')) p(part)
        """
    )
    print(f"  facilities, services, sessions: {time.perf_counter() - began:.1f} s", flush=True)

    people, memberships = person_records(b, communes, facility_ids, args.seed)
    await connection.copy_records_to_table("beneficiaries", records=people, columns=PEOPLE_COLUMNS)
    await connection.copy_records_to_table(
        "beneficiary_category_memberships",
        records=memberships,
        columns=["beneficiary_id", "category_code", "disability_rate"],
    )
    del people, memberships
    print(f"  {b} beneficiaries: {time.perf_counter() - began:.1f} s", flush=True)

    # The plan: one row per checkup. Person i % B has checkups k = i / B, each in its own slice
    # of the window, so that nobody has two checkups (or two active examinations) on one day.
    per_person = math.ceil(c / b)
    slice_days = window.days // per_person
    await connection.execute(
        f"""
        CREATE TEMP TABLE plan AS
        SELECT s.*, {outcome_sql(window)} AS outcome
        FROM (
          SELECT g.i, md5('c' || g.i)::uuid AS id, p.id AS beneficiary_id,
            CASE WHEN {h("g.i", "f")} % 100 < 85 THEN p.registered_facility_id
                 ELSE ($1::uuid[])[1 + {h("g.i", "g")} % {FACILITY_COUNT}] END AS facility_id,
            DATE '{window.start}' + (g.i / {b}) * {slice_days} + {h("g.i", "d")} % {slice_days}
              AS d,
            CASE WHEN {h("g.i", "p")} % 100 < 65 THEN 'morning' ELSE 'afternoon' END AS part,
            {h("g.i", "o")} % 10000 AS u,
            {h("g.i", "s")} % 3 AS base
          FROM generate_series(0, {c - 1}) g(i)
          JOIN beneficiaries p ON p.id = md5('b' || (g.i % {b}))::uuid
        ) s
        """,
        facility_ids,
    )
    await connection.execute(
        """
        INSERT INTO checkups (id, beneficiary_id, facility_id, date, status, outcome,
            part_of_day, created_at, updated_at, version)
        SELECT id, beneficiary_id, facility_id, d,
            CASE outcome WHEN 'attended' THEN 'finished' WHEN 'noshow' THEN 'finished'
                WHEN 'by_patient' THEN 'cancelled' WHEN 'by_facility' THEN 'cancelled'
                WHEN 'checked_in' THEN 'arrived' WHEN 'error' THEN 'entered-in-error'
                ELSE 'planned' END,
            CASE outcome WHEN 'attended' THEN 'attended' WHEN 'checked_in' THEN 'attended'
                WHEN 'noshow' THEN 'noshow' WHEN 'by_patient' THEN 'cancelled_by_patient'
                WHEN 'by_facility' THEN 'cancelled_by_facility' WHEN 'error' THEN NULL
                ELSE 'pending' END,
            part, (d - 20)::timestamptz, least(d, CURRENT_DATE)::timestamptz, 1
        FROM plan
        """
    )
    print(f"  {c} checkups: {time.perf_counter() - began:.1f} s", flush=True)
    await connection.execute(
        f"""
        INSERT INTO appointments (id, checkup_id, session_id, beneficiary_id, facility_id,
            specialty_code, date, status, cancelled_by, cancel_reason, created_at, updated_at,
            version)
        SELECT md5('a' || j)::uuid, id,
            md5('s' || facility_id || specialty || d || part)::uuid,
            beneficiary_id, facility_id, specialty, d, status,
            CASE WHEN status = 'cancelled' THEN by END,
            CASE WHEN status = 'cancelled' AND by = 'patient' THEN 'Bận việc gia đình'
                 WHEN status = 'cancelled' THEN 'Thiết bị hỏng, hẹn lại' END,
            (d - 20)::timestamptz, least(d, CURRENT_DATE)::timestamptz, 1
        FROM (
          SELECT p.*, x.slot, p.i + x.slot * {c} AS j,
            ($1::text[])[1 + (p.base + x.slot) % cardinality($1::text[])] AS specialty,
            CASE p.outcome
              WHEN 'attended' THEN CASE WHEN x.slot > 0 AND {h("p.i + x.slot * " + str(c), "x")}
                % 100 < 4 THEN 'cancelled' ELSE 'fulfilled' END
              WHEN 'noshow' THEN 'noshow'
              WHEN 'by_patient' THEN 'cancelled'
              WHEN 'by_facility' THEN 'cancelled'
              WHEN 'checked_in' THEN CASE WHEN x.slot = 0 THEN 'checked-in' ELSE 'booked' END
              WHEN 'error' THEN 'entered-in-error'
              ELSE 'booked' END AS status,
            CASE p.outcome WHEN 'by_patient' THEN 'patient' ELSE 'facility' END AS by
          FROM plan p CROSS JOIN generate_series(0, {per_checkup - 1}) x(slot)
          WHERE p.i + x.slot * {c} < {a}
        ) q
        """,
        used_specialties,
    )
    print(f"  {a} appointments: {time.perf_counter() - began:.1f} s", flush=True)
    # Seats: every session holds its booked, checked-in, fulfilled and no-show examinations.
    await connection.execute(
        """
        UPDATE sessions s SET booked = n.seats, capacity = greatest(s.capacity, n.seats)
        FROM (SELECT session_id, count(*) AS seats FROM appointments
              WHERE status IN ('booked', 'checked-in', 'fulfilled', 'noshow')
              GROUP BY session_id) n
        WHERE s.id = n.session_id
        """
    )
    await connection.execute(
        f"""
        INSERT INTO checkup_conclusions (checkup_id, beneficiary_id, health_class, conclusion,
            recommendations, follow_up_on, created_at, updated_at, version)
        SELECT id, beneficiary_id, cls, 'Sức khoẻ loại ' || cls,
            CASE WHEN cls IN ('IV', 'V') THEN 'Khám lại sau 3 tháng' END,
            CASE WHEN cls IN ('IV', 'V') THEN d + 90 END,
            d::timestamptz, d::timestamptz, 1
        FROM (
          SELECT p.*, CASE WHEN {h("i", "hc")} % 100 < 10 THEN 'I'
              WHEN {h("i", "hc")} % 100 < 45 THEN 'II' WHEN {h("i", "hc")} % 100 < 80 THEN 'III'
              WHEN {h("i", "hc")} % 100 < 95 THEN 'IV' ELSE 'V' END AS cls
          FROM plan p WHERE outcome = 'attended' AND {h("i", "cc")} % 100 < {CONCLUDED_SHARE}
        ) q
        """
    )
    await connection.execute(
        f"""
        INSERT INTO examination_results (id, appointment_id, checkup_id, beneficiary_id,
            facility_id, specialty_code, status, systolic_mmhg, diastolic_mmhg, heart_rate_bpm,
            weight_kg, height_cm, findings, created_at, updated_at, version)
        SELECT md5('r' || a.id)::uuid, a.id, a.checkup_id, a.beneficiary_id, a.facility_id,
            a.specialty_code,
            CASE WHEN {h("a.id", "rs")} % 1000 < 10 THEN 'entered-in-error'
                 WHEN {h("a.id", "rs")} % 1000 < 30 THEN 'amended' ELSE 'final' END,
            105 + {h("a.id", "bp")} % 70, 60 + {h("a.id", "bd")} % 35, 55 + {h("a.id", "hr")} % 45,
            42 + {h("a.id", "w")} % 35, 150 + {h("a.id", "ht")} % 25, 'Không phát hiện bất thường',
            a.date::timestamptz, a.date::timestamptz, 1
        FROM appointments a
        WHERE a.status = 'fulfilled' AND {h("a.id", "r")} % 100 < {RESULT_SHARE}
        """
    )
    skew = f"floor({len(ICD10)} * power(({h('r.id::text || pos', 'i')} % 10000) / 10000.0, 2))::int"
    await connection.execute(
        f"""
        INSERT INTO diagnoses (id, result_id, beneficiary_id, icd10_code, principal, position)
        SELECT md5('g' || r.id || pos)::uuid, r.id, r.beneficiary_id,
            ($1::text[])[1 + {skew}], pos = 1, pos
        FROM examination_results r CROSS JOIN generate_series(1, 2) pos
        WHERE pos = 1 OR {h("r.id", "g2")} % 100 < 45
        """,
        ICD10,
    )
    print(f"  conclusions, results, diagnoses: {time.perf_counter() - began:.1f} s", flush=True)
    # Dispenses: after attended checkups, at the checkup's facility, on its day.
    await connection.execute(
        "CREATE TEMP TABLE attended AS SELECT row_number() OVER () - 1 AS r, id, "
        "beneficiary_id, facility_id, d FROM plan WHERE outcome = 'attended'"
    )
    attended = await connection.fetchval("SELECT count(*) FROM attended")
    await connection.execute("CREATE INDEX ON attended (r)")
    medicines = [r["id"] for r in await connection.fetch("SELECT id FROM medicines ORDER BY code")]
    await connection.execute(
        f"""
        INSERT INTO dispenses (id, beneficiary_id, checkup_id, facility_id, medicine_id,
            quantity, dosage_instructions, days_of_supply, status, status_reason, dispensed_at,
            created_at, updated_at, version)
        SELECT md5('m' || g)::uuid, t.beneficiary_id, t.id, t.facility_id,
            ($1::uuid[])[1 + {h("g", "dm")} % cardinality($1::uuid[])],
            10 + {h("g", "dq")} % 51, 'Ngày uống 2 lần, mỗi lần 1 viên, sau ăn', 30,
            CASE WHEN {h("g", "ds")} % 100 < 2 THEN 'cancelled'
                 WHEN {h("g", "ds")} % 100 < 3 THEN 'entered-in-error' ELSE 'completed' END,
            CASE WHEN {h("g", "ds")} % 100 < 2 THEN 'Người bệnh không nhận thuốc' END,
            t.d + time '08:00' + ({h("g", "dt")} % 28800) * interval '1 second',
            t.d::timestamptz, t.d::timestamptz, 1
        FROM generate_series(0, {args.dispenses - 1}) g
        JOIN attended t ON t.r = {h("g", "dc")} % {attended}
        """,
        medicines,
    )
    print(f"  {args.dispenses} dispenses: {time.perf_counter() - began:.1f} s", flush=True)
    await connection.execute("DROP TABLE plan; DROP TABLE attended")
    await connection.execute("VACUUM ANALYZE")
    await connection.execute("CHECKPOINT")
    print(f"  VACUUM ANALYZE, CHECKPOINT: {time.perf_counter() - began:.1f} s", flush=True)
    facts = await count_facts(connection)
    facts.seconds = time.perf_counter() - began
    return facts


async def count_facts(connection: asyncpg.Connection) -> Facts:
    async def count(sql: str) -> int:
        value: int = await connection.fetchval(sql)
        return value

    statuses = {
        r["status"]: r["n"]
        for r in await connection.fetch(
            "SELECT status, count(*) AS n FROM appointments GROUP BY 1 ORDER BY 2 DESC"
        )
    }
    return Facts(
        beneficiaries=await count("SELECT count(*) FROM beneficiaries"),
        checkups=await count("SELECT count(*) FROM checkups"),
        appointments=sum(statuses.values()),
        statuses=statuses,
        sessions=await count("SELECT count(*) FROM sessions"),
        conclusions=await count("SELECT count(*) FROM checkup_conclusions"),
        results=await count("SELECT count(*) FROM examination_results"),
        diagnoses=await count("SELECT count(*) FROM diagnoses"),
        dispenses=await count("SELECT count(*) FROM dispenses"),
        listed=await count("SELECT count(*) FROM checkups WHERE status <> 'entered-in-error'"),
        outcome_mismatches=await count(OUTCOME_MISMATCHES),
    )


# Checkups whose stored outcome (checkups.outcome, what the attendance reports count) is not the
# one their appointments give (the derivation the reports ran before the outcome was stored).
OUTCOME_MISMATCHES = """
SELECT count(*) FROM checkups c
LEFT JOIN (
  SELECT checkup_id, CASE
      WHEN bool_or(status IN ('checked-in', 'fulfilled')) THEN 'attended'
      WHEN bool_or(status = 'noshow') THEN 'noshow'
      WHEN bool_or(status = 'booked') THEN 'pending'
      WHEN bool_or(status = 'cancelled' AND cancelled_by = 'patient') THEN 'cancelled_by_patient'
      ELSE 'cancelled_by_facility' END AS outcome
  FROM appointments WHERE status <> 'entered-in-error' GROUP BY checkup_id
) o ON o.checkup_id = c.id
WHERE c.outcome IS DISTINCT FROM o.outcome
"""


# The statements each endpoint sends ------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    sql: str
    args: tuple[Any, ...]


class Captured(Exception):
    """Raised once a streamed statement is captured: the benchmark runs it itself."""


Build = Callable[[AsyncSession], Awaitable[list[Any]]]


@dataclass
class Report:
    name: str
    path: str
    params: list[tuple[str, str]]
    build: Build  # the statements of veteran_care.reports.queries the endpoint runs
    export: bool = False
    statements: list[Statement] = field(default_factory=list)
    endpoint: list[float] = field(default_factory=list)  # seconds, timed runs
    raw: list[float] = field(default_factory=list)
    cursor: list[float] = field(default_factory=list)  # the export: rows through a cursor
    prepared: list[float] = field(default_factory=list)
    generic: list[float] = field(default_factory=list)
    generic_plans: int = 0
    custom_plans: int = 0
    rows: int = 0


async def capture(engine: Any, report: Report) -> list[Statement]:
    """The exact SQL and parameters SQLAlchemy hands to asyncpg for the report's statements."""
    seen: list[Statement] = []
    abort = False

    def record(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        seen.append(Statement(sql, tuple(params or ())))
        if abort:
            raise Captured

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with create_sessionmaker(engine)() as session:
            statements = await report.build(session)  # may run queries of its own (coverage)
            abort = True  # the report's statements: captured, not run
            for stmt in statements:
                with contextlib.suppress(Captured):
                    if report.export:
                        await session.stream(stmt.execution_options(yield_per=2000))
                    else:
                        await session.execute(stmt)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
    return seen


def reports(window: Window) -> list[Report]:
    year = window.year
    scope = queries.Scope(date(year, 1, 1), date(year, 12, 31), None, None)
    everything = queries.Scope(None, None, None, None)
    span = [("date_from", f"{year}-01-01"), ("date_to", f"{year}-12-31")]

    def attendance(*groups: str) -> Build:
        async def build(session: AsyncSession) -> list[Any]:
            return [queries.attendance_statement(scope, list(groups), year)]

        return build

    async def coverage(session: AsyncSession) -> list[Any]:
        return [await coverage_queries.coverage_statement(session, today(), ["commune"], People())]

    async def dispensing(session: AsyncSession) -> list[Any]:
        return [queries.dispensing_statement(scope, ["medicine", "month"])]

    async def health(session: AsyncSession) -> list[Any]:
        groups = ["category", "age_band"]
        return [
            health_queries.classification_statement(scope, groups, year),
            health_queries.diagnoses_statement(scope, groups, year, 10),
        ]

    async def people(session: AsyncSession) -> list[Any]:
        return [queries.attendance_people_statement(everything, today().year, keyed=False)]

    return [
        Report(f"attendance {year} totals", "/api/v1/reports/attendance", span, attendance()),
        Report(
            f"attendance {year} by commune",
            "/api/v1/reports/attendance",
            [*span, ("group_by", "commune")],
            attendance("commune"),
        ),
        Report(
            f"attendance {year} by month",
            "/api/v1/reports/attendance",
            [*span, ("group_by", "month")],
            attendance("month"),
        ),
        Report(
            f"attendance {year} by category",
            "/api/v1/reports/attendance",
            [*span, ("group_by", "category")],
            attendance("category"),
        ),
        Report(
            "coverage by commune", "/api/v1/reports/coverage", [("group_by", "commune")], coverage
        ),
        Report(
            f"dispensing {year} by medicine, month",
            "/api/v1/reports/dispensing",
            [*span, ("group_by", "medicine"), ("group_by", "month")],
            dispensing,
        ),
        Report(
            f"health {year} by category, age band",
            "/api/v1/reports/health",
            [*span, ("group_by", "category"), ("group_by", "age_band")],
            health,
        ),
        Report(
            "people list, CSV (all)",
            "/api/v1/reports/attendance/people",
            [("format", "csv")],
            people,
            export=True,
        ),
    ]


# Timing ----------------------------------------------------------------------------------------


async def run_statements(connection: asyncpg.Connection, statements: Sequence[Statement]) -> float:
    began = time.perf_counter()
    for statement in statements:
        await connection.fetch(statement.sql, *statement.args)
    return time.perf_counter() - began


async def run_stream(connection: asyncpg.Connection, statement: Statement) -> tuple[float, int]:
    """The person list's rows through a cursor fetching 2,000 rows at a time (decoded into
    Python records, no CSV written)."""
    began = time.perf_counter()
    count = 0
    async with connection.transaction():
        async for _row in connection.cursor(statement.sql, *statement.args, prefetch=2000):
            count += 1
    return time.perf_counter() - began, count


async def run_copy(connection: asyncpg.Connection, statement: Statement) -> tuple[float, int]:
    """The person list as the server sends it: the same statement as COPY ... TO STDOUT (CSV,
    header), every byte received through asyncpg and counted, none kept."""
    lines = 0

    async def sink(data: bytes) -> None:
        nonlocal lines
        lines += data.count(b"\n")

    began = time.perf_counter()
    await connection.copy_from_query(
        statement.sql, *statement.args, output=sink, format="csv", header=True
    )
    return time.perf_counter() - began, lines - 1


class RssSampler:
    """Resident memory of a process, sampled from /proc/<pid>/status every 10 ms."""

    def __init__(self, pid: int) -> None:
        self.path = Path(f"/proc/{pid}/status")
        self.peak = 0
        self._task: asyncio.Task[None] | None = None

    def read(self, key: str = "VmRSS") -> int:
        for line in self.path.read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        return 0

    async def _sample(self) -> None:
        while True:
            self.peak = max(self.peak, self.read())
            await asyncio.sleep(0.01)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._sample())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.peak = max(self.peak, self.read())


async def get_report(client: httpx.AsyncClient, report: Report) -> tuple[float, int]:
    """One request, timed to the last byte; returns (seconds, rows)."""
    began = time.perf_counter()
    if report.export:
        lines = 0
        async with client.stream("GET", report.path, params=report.params) as response:
            if response.status_code != 200:
                await response.aread()
                raise SystemExit(f"{report.path}: {response.status_code} {response.text}")
            async for chunk in response.aiter_raw():
                lines += chunk.count(b"\n")
        return time.perf_counter() - began, lines - 1  # the header line
    body = expect(await client.get(report.path, params=report.params), 200)
    return time.perf_counter() - began, len(body["rows"])


async def connect(dsn: str, **settings: str) -> asyncpg.Connection:
    connection: asyncpg.Connection = await asyncpg.connect(
        dsn,
        statement_cache_size=0 if settings.pop("one_shot", "") else 100,
        server_settings={"application_name": "bench-reports", **settings},
    )
    return connection


async def measure(
    client: httpx.AsyncClient,
    dsn: str,
    report: Report,
    runs: int,
    sampler: RssSampler | None,
) -> None:
    """A warm-up, then ``runs`` rounds of: the endpoint and the raw SQL one-shot (custom plans;
    in turns first and second), through a statement cache (as the server), and with generic
    plans forced."""
    raw = await connect(dsn, one_shot="yes")
    prepared = await connect(dsn)
    generic = await connect(dsn, plan_cache_mode="force_generic_plan")
    try:
        await login(client)  # access tokens last 15 minutes
        if sampler is not None:
            sampler.start()
        for run in range(runs + 1):  # run 0: the warm-up, not counted
            # Odd runs time the raw SQL first, even runs the endpoint first: whichever goes
            # second finds the pages the first one read in the caches.
            if run % 2 and not report.export:
                report.raw.append(await run_statements(raw, report.statements))
            seconds, report.rows = await get_report(client, report)
            if run:
                report.endpoint.append(seconds)
            if report.export:
                if run:
                    report.raw.append((await run_copy(raw, report.statements[0]))[0])
                    report.cursor.append((await run_stream(raw, report.statements[0]))[0])
                continue
            if run and not run % 2:
                report.raw.append(await run_statements(raw, report.statements))
            # Every run, the warm-up included, so that its executions count as the server's do.
            seconds = await run_statements(prepared, report.statements)
            if run:
                report.prepared.append(seconds)
            if 1 <= run <= GENERIC_RUNS:  # a forced generic plan does not change between runs
                report.generic.append(await run_statements(generic, report.statements))
        if sampler is not None:
            await sampler.stop()
        plans = await prepared.fetch(
            "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements"
        )
        ours = {s.sql for s in report.statements}
        report.generic_plans = sum(p["generic_plans"] for p in plans if p["statement"] in ours)
        report.custom_plans = sum(p["custom_plans"] for p in plans if p["statement"] in ours)
    finally:
        for connection in (raw, prepared, generic):
            await connection.close()


def sql_literal(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


async def explain(dsn: str, report: Report, generic: bool, lines: int = 32) -> None:
    """EXPLAIN ANALYZE of the report's statements: with their parameters (a custom plan), or
    prepared and executed with plan_cache_mode=force_generic_plan (the generic plan)."""
    connection = await connect(dsn, one_shot="yes")
    try:
        for index, statement in enumerate(report.statements):
            if not statement.args:
                continue  # coverage's list of categories
            if generic:
                await connection.execute("SET plan_cache_mode = force_generic_plan")
                await connection.execute(f"PREPARE bench_{index} AS {statement.sql}")
                values = ", ".join(sql_literal(v) for v in statement.args)
                plan = await connection.fetch(f"EXPLAIN ANALYZE EXECUTE bench_{index}({values})")
            else:
                plan = await connection.fetch("EXPLAIN ANALYZE " + statement.sql, *statement.args)
            text = [r[0] for r in plan]
            kind = "generic plan (forced)" if generic else "custom plan"
            which = f", statement {index + 1}" if len(report.statements) > 1 else ""
            print(f"\nEXPLAIN ANALYZE, {report.name}{which}, {kind}:")
            if len(text) > lines:  # the top of the plan, and its execution time
                text = [*text[: lines - 1], "  ...", text[-1]]
            print("\n".join(text))
    finally:
        await connection.close()


# Output ----------------------------------------------------------------------------------------


def ms(values: Sequence[float]) -> float:
    return statistics.median(values) * 1000 if values else float("nan")


def limit_ms(report: Report) -> float:
    return 1.1 * ms(report.raw) + 10


def meets(report: Report) -> bool:
    return ms(report.endpoint) <= limit_ms(report)


def early_late(values: Sequence[float]) -> tuple[float, float]:
    """Medians of the timed runs before and from the sixth execution (the warm-up is the first):
    PostgreSQL weighs a generic plan from a prepared statement's sixth execution."""
    return ms(values[:4]), ms(values[4:])


def slower(values: Sequence[float]) -> bool:
    early, late = early_late(values)
    return len(values) > 4 and late > 1.2 * early + 5


def generic_costlier(report: Report) -> bool:
    return ms(report.generic) > 1.2 * ms(report.raw) + 5


def targets_table(items: Sequence[Report]) -> None:
    header = ["report", "rows", "endpoint ms", "raw SQL ms", "ratio", "limit ms", "target", ""]
    rows = [
        [
            r.name,
            f"{r.rows:,}",
            f"{ms(r.endpoint):.1f}",
            f"{ms(r.raw):.1f}",
            f"{ms(r.endpoint) / ms(r.raw):.2f}",
            f"{limit_ms(r):.1f}",
            "met" if meets(r) else "MISSED",
            f"{len(r.endpoint)} runs",
        ]
        for r in items
    ]
    print_table(header, rows)


def plans_table(items: Sequence[Report]) -> None:
    header = [
        "report",
        "endpoint 2-5",
        "endpoint 6+",
        "prepared 2-5",
        "prepared 6+",
        "generic forced",
        "generic/custom plans",
        "",
    ]
    rows = []
    for r in items:
        if r.export:
            continue
        end_early, end_late = early_late(r.endpoint)
        prep_early, prep_late = early_late(r.prepared)
        flags = [n for n, v in (("endpoint", r.endpoint), ("prepared", r.prepared)) if slower(v)]
        notes = []
        if flags and generic_costlier(r):
            notes.append("SLOWER FROM THE 6TH: " + ", ".join(flags))
        elif flags:
            notes.append(
                "later runs slower (" + ", ".join(flags) + ") but not a generic plan: noise"
            )
        if generic_costlier(r):
            notes.append(f"a generic plan costs {ms(r.generic) / ms(r.raw):.1f}x")
        rows.append(
            [
                r.name,
                f"{end_early:.1f}",
                f"{end_late:.1f}",
                f"{prep_early:.1f}",
                f"{prep_late:.1f}",
                f"{ms(r.generic):.1f}",
                f"{r.generic_plans}/{r.custom_plans}",
                "; ".join(notes),
            ]
        )
    print_table(header, rows)


def server_connections(rows: Sequence[asyncpg.Record]) -> str:
    return ", ".join(f"{r['state'] or '-'}: {r['n']}" for r in rows) or "none"


async def run(args: argparse.Namespace, database_url: str, workdir: Path) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    on = today()
    window = Window(date(on.year - 1, 1, 1), on, on + timedelta(days=90))
    connection = await asyncpg.connect(dsn)
    try:
        if args.reuse:
            facts = await count_facts(connection)
            print(f"reusing database {args.database}")
            # This run's admin password (the server creates the admin only on a fresh database).
            await connection.execute(
                "UPDATE accounts SET secret_hash = $1 WHERE login = 'admin'",
                hash_secret(ADMIN_PASSWORD),
            )
        else:
            print(f"generating a province in {args.database} ({window.start} to {window.end}):")
            facts = await generate(connection, args, window)
        version = await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()
    statuses = ", ".join(f"{k} {v:,}" for k, v in facts.statuses.items())
    print(
        f"{facts.beneficiaries:,} beneficiaries, {facts.checkups:,} checkups "
        f"({facts.listed:,} in the person list), {facts.appointments:,} appointments "
        f"({statuses}), {facts.sessions:,} sessions, {facts.conclusions:,} conclusions, "
        f"{facts.results:,} results, {facts.diagnoses:,} diagnoses, {facts.dispenses:,} dispenses"
        + (f"; generated in {facts.seconds:.0f} s" if facts.seconds else "")
    )
    print(
        f"stored checkup outcomes that differ from their appointments': "
        f"{facts.outcome_mismatches:,}"
        + ("" if not facts.outcome_mismatches else " (THE REPORTS COUNT WRONG OUTCOMES)")
    )

    items = reports(window)
    engine = create_engine(
        Settings(database_url=database_url, environment="test", secret_key="x" * 64)
    )
    try:
        for report in items:
            report.statements = await capture(engine, report)
    finally:
        await engine.dispose()

    port = free_port()
    server = start_server(database_url, port, workdir)
    sampler = RssSampler(server.pid)
    baseline = high_water = 0
    baseline_request: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=600) as client:
            await wait_until_ready(client, server)
            await login(client)
            for _ in range(BASELINE_REQUESTS + 1):
                began = time.perf_counter()
                expect(await client.get("/api/v1/auth/me"), 200)
                baseline_request.append(time.perf_counter() - began)
            for report in items:
                runs = args.export_runs if report.export else args.runs
                print(f"timing {report.name} ({runs} runs after a warm-up)", flush=True)
                if report.export:
                    baseline, high_water = sampler.read(), sampler.read("VmHWM")
                    sampler.peak = baseline
                await measure(client, dsn, report, runs, sampler if report.export else None)
            high_water_after = sampler.read("VmHWM")
        watcher = await asyncpg.connect(dsn)
        try:
            pool = await watcher.fetch(
                "SELECT state, count(*) AS n FROM pg_stat_activity "
                "WHERE application_name = 'veteran-care' AND datname = current_database() "
                "GROUP BY 1 ORDER BY 1"
            )
        finally:
            await watcher.close()
    except BaseException:
        code = server.poll()
        state = "still running" if code is None else f"exited with {code}"
        log = (workdir / "server.log").read_text(errors="replace").splitlines()
        print(f"the server is {state}; the end of its log:\n" + "\n".join(log[-30:]))
        raise
    finally:
        stop_server(server)

    export = next(r for r in items if r.export)
    aggregates = [r for r in items if not r.export]
    print(
        f"\nReports benchmark: PostgreSQL {version}, one uvicorn worker on CPU 0, this process on "
        f"CPU 1; {facts.beneficiaries:,} beneficiaries, {facts.appointments:,} appointments in "
        f"{facts.checkups:,} checkups, {facts.dispenses:,} dispenses.\n"
        "Medians of the timed runs, in ms. raw SQL: the endpoint's own statements and "
        "parameters through asyncpg, one-shot (custom plans), in the same run.\n"
        "Target: endpoint <= 1.1 x raw SQL + 10 ms (the limit).\n"
    )
    targets_table(items)
    print(
        f"\n(an authenticated GET /api/v1/auth/me takes {ms(baseline_request[1:]):.1f} ms: the "
        "fixed cost of a request; a report adds its audit event and its commit)"
    )
    yearly = items[0]
    print(
        f"\n{yearly.name}: {ms(yearly.endpoint):.0f} ms; target < 1000 ms: "
        f"{'met' if ms(yearly.endpoint) < 1000 else 'MISSED'}"
    )
    seconds = statistics.median(export.endpoint)
    increase = sampler.peak - baseline
    print(
        f"{export.name}: {export.rows:,} rows in {seconds:.1f} s = {export.rows / seconds:,.0f} "
        f"rows/s; raw SQL as COPY (CSV) through asyncpg: {ms(export.raw) / 1000:.1f} s = "
        f"{export.rows / statistics.median(export.raw):,.0f} rows/s (the target's reference); "
        f"the same rows through a cursor (decoded, no CSV): {ms(export.cursor) / 1000:.1f} s, "
        f"endpoint / cursor = {ms(export.endpoint) / ms(export.cursor):.2f}\n"
        f"server memory during the export: RSS {baseline / MB:.0f} MB before, peak "
        f"{sampler.peak / MB:.0f} MB, increase {increase / MB:.0f} MB (VmHWM {high_water / MB:.0f}"
        f" -> {high_water_after / MB:.0f} MB); target increase < 200 MB: "
        f"{'met' if increase < 200 * MB else 'MISSED'}"
    )
    print(
        "\nPlan cache (plan_cache_mode=auto): PostgreSQL weighs a generic plan from a prepared "
        "statement's sixth execution. Medians of the executions 2-5 and 6+ (the warm-up is the "
        "first), of the endpoint and of the same SQL through asyncpg's statement cache on one "
        "connection (pg_prepared_statements counts its generic and custom plans); "
        '"generic forced": plan_cache_mode=force_generic_plan.\n'
    )
    plans_table(aggregates)
    print(f"\nthe server's database connections at the end: {server_connections(pool)}")
    costly = [r for r in aggregates if generic_costlier(r)]
    # The endpoint's own runs: the "prepared" column is this benchmark's connection, which
    # switches to the generic plan by design (it shows what the endpoint is kept from).
    switched = [r for r in costly if slower(r.endpoint)]
    fix = (
        "plan_cache_mode=force_custom_plan in the report's transaction "
        "(veteran_care.db.plan_each_execution, decision 0016)"
    )
    if switched:
        print(
            "LATER RUNS SLOWER: "
            + "; ".join(
                f"{r.name}: endpoint {early_late(r.endpoint)[0]:.0f} -> "
                f"{early_late(r.endpoint)[1]:.0f} ms, prepared {early_late(r.prepared)[0]:.0f} -> "
                f"{early_late(r.prepared)[1]:.0f} ms"
                for r in switched
            )
            + f". PostgreSQL switched to a generic plan, and it costs more. Fix: {fix}."
        )
    else:
        print("No report endpoint got slower from its sixth execution.")
    if costly:
        print(
            "A generic plan would cost more for: "
            + "; ".join(f"{r.name} ({ms(r.generic):.0f} vs {ms(r.raw):.0f} ms)" for r in costly)
            + f". PostgreSQL picks one when its estimate looks no worse; {fix} rules it out."
        )
    for report in aggregates:
        missed = not meets(report) and ms(report.raw) >= 100
        if args.explain or missed or (report is yearly and ms(report.endpoint) >= 1000):
            await explain(dsn, report, generic=False)
        if args.explain or (generic_costlier(report) and report.generic_plans):
            await explain(dsn, report, generic=True)
    if args.explain:
        await explain(dsn, export, generic=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("VETERAN_CARE_BENCH_DATABASE_URL", DEFAULT_URL),
        help="any database on the PostgreSQL server to use (the benchmark makes its own)",
    )
    parser.add_argument("--database", default="bench_reports")
    parser.add_argument("--beneficiaries", type=int, default=200_000)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument(
        "--checkups",
        type=int,
        help="checkups (rows of the person list); default: as many as --appointments, up to "
        "--beneficiaries x 5",
    )
    parser.add_argument("--dispenses", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per report (>= 7)")
    parser.add_argument("--export-runs", type=int, default=3, help="timed runs of the CSV export")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE every report")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a database kept by --keep (no generation)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the database and the server log afterwards"
    )
    args = parser.parse_args()
    if args.checkups is None:
        args.checkups = min(args.appointments, 5 * args.beneficiaries)
    if min(args.beneficiaries, args.checkups, args.dispenses, args.runs, args.export_runs) < 1:
        raise SystemExit("sizes and runs must be positive")

    base = args.database_url
    if not base.startswith("postgresql"):
        raise SystemExit("the benchmark runs on PostgreSQL")
    database_url = make_url(base).set(database=args.database).render_as_string(hide_password=False)
    if not args.reuse:
        asyncio.run(admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
        asyncio.run(admin_execute(base, f'CREATE DATABASE "{args.database}"'))
    workdir = Path(tempfile.mkdtemp(prefix="bench_reports_"))
    try:
        migrate.upgrade(database_url)
        if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
            os.sched_setaffinity(0, {1})  # this process; the server gets CPU 0
        asyncio.run(run(args, database_url, workdir))
        print(f"\ncommand: {shlex.join([os.path.relpath(sys.executable), *sys.argv])}")
    finally:
        if args.keep:
            print(f"kept database {args.database}; server log in {workdir}")
        else:
            asyncio.run(
                admin_execute(base, f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)')
            )
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
