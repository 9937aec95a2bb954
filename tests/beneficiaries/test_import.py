"""Importing beneficiaries from CSV and XLSX: the API's rules, matching, idempotency, batches."""

import csv
import io
import itertools
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from typer.testing import CliRunner

from tests.factories import create_beneficiary, create_facility
from tests.test_conventions import assert_problem
from veteran_care.auth.principal import system_actor
from veteran_care.cli import app as cli
from veteran_care.config import get_settings
from veteran_care.errors import DomainError
from veteran_care.models import AuditEvent, Beneficiary, BeneficiaryCategoryMembership, Role
from veteran_care.registry_import import reading as import_reading
from veteran_care.registry_import import validation as import_validation
from veteran_care.registry_import.importer import ImportSummary, import_beneficiaries

HEADER = ["ho_ten", "ngay_sinh", "gioi_tinh", "ma_dan_toc", "cccd", "ma_bhxh", "ma_xa", "doi_tuong"]
_serial = itertools.count(1)
ROOT = Path(__file__).parents[2]


def ids() -> tuple[str, str]:
    """A fresh (CCCD, BHXH number) pair."""
    n = next(_serial)
    return f"0110{n:08d}", f"77{n:08d}"


def person(name: str = "Lò Văn Pọm", **cells: str) -> dict[str, str]:
    cccd, bhxh = ids()
    row = {
        "ho_ten": name,
        "ngay_sinh": "02/03/1951",
        "gioi_tinh": "nam",
        "ma_dan_toc": "03",
        "cccd": cccd,
        "ma_bhxh": bhxh,
        "ma_xa": "03127",
        "doi_tuong": "veteran",
    }
    row.update(cells)
    return row


def csv_bytes(rows: Sequence[dict[str, str]], delimiter: str = ",", bom: bool = True) -> bytes:
    header = list(dict.fromkeys(column for row in rows for column in row)) or HEADER
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([row.get(column, "") for column in header] for row in rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


async def run(
    sessionmaker: async_sessionmaker[AsyncSession], content: bytes, **options: Any
) -> ImportSummary:
    return await import_beneficiaries(
        sessionmaker, io.BytesIO(content), system_actor("import"), **options
    )


async def stored(session: AsyncSession, bhxh: str) -> dict[str, Any] | None:
    stmt = select(
        Beneficiary.id,
        Beneficiary.full_name,
        Beneficiary.national_id,
        Beneficiary.birth_date,
        Beneficiary.commune_code,
        Beneficiary.phone,
        Beneficiary.version,
        Beneficiary.updated_at,
        Beneficiary.registered_facility_id,
    ).where(Beneficiary.bhxh_number == bhxh)
    row = (await session.execute(stmt)).first()
    return row._asdict() if row else None


async def categories_of(session: AsyncSession, beneficiary_id: Any) -> dict[str, int | None]:
    stmt = select(
        BeneficiaryCategoryMembership.category_code, BeneficiaryCategoryMembership.disability_rate
    ).where(BeneficiaryCategoryMembership.beneficiary_id == beneficiary_id)
    return dict((await session.execute(stmt)).all())


def errors_by_line(summary: ImportSummary) -> dict[int, list[tuple[str | None, str]]]:
    found: dict[int, list[tuple[str | None, str]]] = {}
    for error in summary.errors:
        found.setdefault(error.line, []).append((error.field, error.message))
    return found


async def test_csv_creates_and_the_second_import_changes_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [
        person("Lò Văn Pọm", doi_tuong="veteran;wounded-soldier:61"),
        person("Sùng Thị Mỷ", gioi_tinh="nữ", ma_dan_toc="08", ngay_sinh="1952-01-31"),
        person("Quàng Văn Hặc", ngay_sinh="", nam_sinh="1948", doi_tuong="Thanh niên xung phong"),
    ]
    content = csv_bytes(rows, delimiter=";")
    first = await run(sessionmaker, content)
    assert (first.rows, first.created, first.updated, first.unchanged) == (3, 3, 0, 0)
    assert first.rejected == 0, first.errors
    pom = await stored(session, rows[0]["ma_bhxh"])
    assert pom is not None
    assert pom["birth_date"] == date(1951, 3, 2)
    assert pom["version"] == 1
    assert await categories_of(session, pom["id"]) == {"veteran": None, "wounded-soldier": 61}
    hac = await stored(session, rows[2]["ma_bhxh"])
    assert hac is not None
    assert await categories_of(session, hac["id"]) == {"former-youth-volunteer": None}

    second = await run(sessionmaker, content)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 3, 0)
    again = await stored(session, rows[0]["ma_bhxh"])
    assert again is not None
    assert (again["version"], again["updated_at"]) == (pom["version"], pom["updated_at"])


async def test_rows_update_by_bhxh_number_then_by_cccd(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    by_bhxh = await create_beneficiary(client, full_name="Lò Văn Xôm", phone="0912345678")
    by_cccd = await create_beneficiary(client, full_name="Giàng A Páo")
    other = await create_beneficiary(client, full_name="Tòng Văn Ún")
    new_cccd, _ = ids()
    rows = [
        # Its BHXH number finds the person; the CCCD in the file replaces the stored one.
        person("Lò Văn Xôm", ma_bhxh=by_bhxh["bhxh_number"], cccd=new_cccd, ma_xa="03334"),
        # No BHXH number: found by CCCD, and the empty cells keep what is stored.
        person("Giàng A Páo", ma_bhxh="", cccd=by_cccd["national_id"], ma_xa=""),
        # The BHXH number of one person and the CCCD of another: refused.
        person("Tòng Văn Ún", ma_bhxh=other["bhxh_number"], cccd=by_bhxh["national_id"]),
    ]
    rows[1]["ma_dan_toc"] = "08"
    summary = await run(sessionmaker, csv_bytes(rows))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 2, 0)
    assert summary.rejected == 1
    assert errors_by_line(summary) == {
        4: [("national_id", "the BHXH number is one beneficiary's and the CCCD another's")]
    }
    xom = await stored(session, by_bhxh["bhxh_number"])
    assert xom is not None
    assert (xom["national_id"], xom["commune_code"], xom["phone"]) == (
        new_cccd,
        "03334",
        "0912345678",
    )
    assert xom["version"] == 2
    pao = (await client.get(f"/api/v1/beneficiaries/{by_cccd['id']}")).json()
    assert pao["commune_code"] == by_cccd["commune_code"]
    assert pao["ethnicity_code"] == "08"
    assert pao["birth_date"] == "1951-03-02"
    untouched = (await client.get(f"/api/v1/beneficiaries/{other['id']}")).json()
    assert untouched["version"] == 1


async def test_categories_replace_the_list_and_keep_recognition_dates(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    categories = [
        {"code": "veteran"},
        {"code": "wounded-soldier", "disability_rate": 61, "recognition_date": "1979-05-01"},
    ]
    existing = await create_beneficiary(
        client, birth_date="1951-03-02", birth_year=None, categories=categories
    )
    row = person(
        existing["full_name"],
        ma_bhxh=existing["bhxh_number"],
        cccd=existing["national_id"],
        doi_tuong="veteran;wounded-soldier:61",
    )
    same = await run(sessionmaker, csv_bytes([row]))
    assert (same.updated, same.unchanged) == (0, 1), same.errors
    row["doi_tuong"] = "wounded-soldier:71"
    changed = await run(sessionmaker, csv_bytes([row]))
    assert (changed.updated, changed.unchanged) == (1, 0), changed.errors
    read = (await client.get(f"/api/v1/beneficiaries/{existing['id']}")).json()
    assert read["version"] == 2
    assert read["categories"] == [
        {
            "code": "wounded-soldier",
            "disability_rate": 71,
            "recognition_date": "1979-05-01",
            "decision_number": None,
            "issuing_authority": None,
            "main": True,
        }
    ]


async def test_the_default_facility_registers_new_people_only(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    facility = await create_facility(client)
    existing = await create_beneficiary(client)
    rows = [
        person("Lò Văn Mới"),
        person("Lò Văn Cũ", ma_bhxh=existing["bhxh_number"], cccd=existing["national_id"]),
    ]
    summary = await run(sessionmaker, csv_bytes(rows), default_facility_code=facility["code"])
    assert (summary.created, summary.updated) == (1, 1), summary.errors
    new = await stored(session, rows[0]["ma_bhxh"])
    assert new is not None
    assert str(new["registered_facility_id"]) == facility["id"]
    old = await stored(session, existing["bhxh_number"])
    assert old is not None
    assert (old["full_name"], old["registered_facility_id"]) == ("Lò Văn Cũ", None)


async def test_people_the_file_does_not_place_need_a_facility_or_say_so(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    """Without a default facility a caller of the whole province may register people at none,
    and the summary counts them; the command line refuses unless told (issue 29)."""
    facility = await create_facility(client)
    placed = person("Lò Văn Có Nơi", ma_co_so=facility["code"])
    unplaced = person("Lò Văn Không Nơi")
    content = csv_bytes([placed, unplaced])

    refused = await run(sessionmaker, content, unplaced_allowed=False)
    assert (refused.created, refused.rejected, refused.unplaced) == (1, 1, 0)
    assert errors_by_line(refused) == {
        3: [
            (
                "registered_facility_code",
                "the row names no facility (ma_co_so) and the import has no default one",
            )
        ]
    }
    assert await stored(session, unplaced["ma_bhxh"]) is None

    counted = await run(sessionmaker, content)
    assert (counted.created, counted.unchanged, counted.unplaced) == (1, 1, 1)
    nowhere = await stored(session, unplaced["ma_bhxh"])
    assert nowhere is not None
    assert nowhere["registered_facility_id"] is None


async def test_invalid_rows_are_reported_with_their_line_and_not_written(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    rows = [
        person("Lò Văn Một"),
        person("Lò Văn Hai", cccd="12345"),
        person("Lò Văn Ba", ma_xa="99999"),
        person("Lò Văn Bốn", doi_tuong="wounded-soldier"),
        person("Lò Văn\x00Năm"),
        person("Lò Văn Sáu", ngay_sinh="2999-01-01"),
        person("Lò Văn Bảy", ngay_sinh="31/02/1950"),
        person("Lò Văn Tám", cccd="", ma_bhxh=""),
        person("Lò Văn Chín", doi_tuong="veteran:40"),
        person("Lò Văn Mười", gioi_tinh="robot"),
        person("Lò Văn Mười Một", doi_tuong="sick-soldier:30"),
        person("Lò Văn Mười Hai", ma_xa="03388"),  # Lai Châu's: not served by default
    ]
    summary = await run(sessionmaker, csv_bytes(rows))
    assert (summary.created, summary.rejected) == (1, 11)
    found = errors_by_line(summary)
    assert found == {
        3: [("national_id", "String should match pattern '^([0-9]{9}|[0-9]{12})$'")],
        4: [("commune_code", "there is no commune with code 99999")],
        5: [("categories", "a wounded-soldier carries a disability rate (21-100 %)")],
        6: [("full_name", "control characters (including NUL and line breaks) are not allowed")],
        7: [("birth_date", "must not be in the future")],
        8: [("birth_date", "not a real date")],
        9: [("bhxh_number", "give a BHXH number or a CCCD: imports find people by them")],
        10: [("categories", "the category veteran has no disability rate")],
        11: [("sex", "male or female (nam / nữ), other or unknown")],
        12: [("categories", "a sick-soldier's disability rate is 41-100 %, not 30 %")],
        13: [("commune_code", "commune 03388 is in Lai Châu, which is not served here")],
    }
    assert await stored(session, rows[0]["ma_bhxh"]) is not None
    for row in rows[1:]:
        if row["ma_bhxh"]:
            assert await stored(session, row["ma_bhxh"]) is None


async def test_an_identifier_twice_in_the_file_rejects_the_later_row(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    first = person("Lò Văn Một")
    twin = person("Lò Văn Hai", cccd=first["cccd"])
    same_bhxh = person("Lò Văn Ba", ma_bhxh=first["ma_bhxh"])
    summary = await run(sessionmaker, csv_bytes([first, twin, same_bhxh]))
    assert (summary.created, summary.rejected) == (1, 2)
    assert errors_by_line(summary) == {
        3: [("national_id", "the same national_id as line 2")],
        4: [("bhxh_number", "the same bhxh_number as line 2")],
    }
    assert await stored(session, twin["ma_bhxh"]) is None


async def test_a_batch_that_fails_at_write_time_is_redone_row_by_row(
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Forgetful(dict[tuple[str, str], int]):
        def __setitem__(self, key: tuple[str, str], value: int) -> None:
            pass  # as if another clerk registered the same CCCD meanwhile

    validate = import_validation.Validator.__init__

    def forgetful_validator(self: import_validation.Validator, *args: Any) -> None:
        validate(self, *args)
        self.seen = Forgetful()

    monkeypatch.setattr(import_validation.Validator, "__init__", forgetful_validator)
    rows = [person("Lò Văn Một"), person("Lò Văn Hai"), person("Lò Văn Ba")]
    rows[2]["cccd"] = rows[0]["cccd"]
    summary = await run(sessionmaker, csv_bytes(rows))
    assert (summary.created, summary.rejected) == (2, 1)
    # Redone row by row, the third row finds the person the first one created.
    assert errors_by_line(summary) == {4: [(None, "the same beneficiary as line 2")]}
    assert await stored(session, rows[1]["ma_bhxh"]) is not None
    assert await stored(session, rows[2]["ma_bhxh"]) is None


async def test_one_audit_event_per_batch(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    before = await session.scalar(select(func.max(AuditEvent.id))) or 0
    rows = [person(f"Lò Văn {n}") for n in "ABCDE"]
    rows[4]["ma_xa"] = "99999"
    progress: list[tuple[int, int | None]] = []
    summary = await run(
        sessionmaker,
        csv_bytes(rows),
        batch_size=2,
        progress=lambda done, total: progress.append((done, total)),
    )
    assert (summary.created, summary.rejected) == (4, 1)
    assert progress == [(2, 5), (4, 5), (5, 5)]
    stmt = select(AuditEvent).where(AuditEvent.id > before).order_by(AuditEvent.id)
    events = (await session.scalars(stmt)).all()
    assert [(e.action, e.resource_type, e.actor_kind) for e in events] == [
        ("import", "beneficiary", "system")
    ] * 3
    assert events[0].detail == "lines 2-3: created 2, updated 0, unchanged 0, rejected 0"
    assert events[2].detail == "lines 6-6: created 0, updated 0, unchanged 0, rejected 1"


async def test_xlsx_with_numbers_and_dates_in_cells(
    client: httpx.AsyncClient,
    sessionmaker: async_sessionmaker[AsyncSession],
    session: AsyncSession,
) -> None:
    facility = await create_facility(client)
    cccd, bhxh = ids()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Danh sách đối tượng"])  # a title row above the header
    sheet.append([])
    sheet.append(
        [
            "STT",
            "Họ và tên",
            "Ngày sinh",
            "Giới tính",
            "Dân tộc",
            "Số CCCD",
            "Mã BHXH",
            "Mã xã",
            "Địa chỉ",
            "Đối tượng",
            "Mã cơ sở",
            "Số điện thoại",
        ]
    )
    sheet.append(
        [
            1,
            "Đặng Văn Đức",
            datetime(1950, 5, 17),
            "Nam",
            "Kinh",
            cccd,
            int(bhxh),
            3127,  # a number: the leading zero comes back
            "Bản Him Lam",
            "Bệnh binh: 41%",
            facility["code"],
            912345678,
        ]
    )
    sheet.append([2, "Đỗ Thị Đào", "1953", "Nữ", "01", "bad", "1234", "03127", "", "veteran"])
    content = io.BytesIO()
    workbook.save(content)
    summary = await run(sessionmaker, content.getvalue())
    assert (summary.rows, summary.created, summary.rejected) == (2, 1, 1), summary.errors
    assert summary.ignored_columns == ["STT"]
    assert {(e.line, e.field) for e in summary.errors} == {
        (5, "birth_date"),
        (5, "national_id"),
        (5, "bhxh_number"),
    }
    duc = await stored(session, bhxh)
    assert duc is not None
    assert (duc["birth_date"], duc["commune_code"], duc["phone"]) == (
        date(1950, 5, 17),
        "03127",
        "0912345678",
    )
    assert str(duc["registered_facility_id"]) == facility["id"]
    assert await categories_of(session, duc["id"]) == {"sick-soldier": 41}
    read = (await client.get(f"/api/v1/beneficiaries/{duc['id']}")).json()
    assert read["ethnicity_code"] == "01"
    assert read["address_line"] == "Bản Him Lam"


async def test_the_template_imports_as_documented(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await create_facility(client, code="11001")
    summary = await run(sessionmaker, (ROOT / "docs" / "import-template.csv").read_bytes())
    assert (summary.created, summary.rejected, summary.ignored_columns) == (2, 0, [])
    assert (summary.past_checks, summary.cards) == (2, 2)


def test_the_import_page_documents_every_column() -> None:
    page = (ROOT / "docs" / "import.md").read_text(encoding="utf-8")
    for name, aliases in import_reading.COLUMNS.items():
        assert f"| `{name}` | `{aliases[0]}`" in page


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", 415, "unsupported-file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1legacy xls", 415, "unsupported-file"),
        (b"PK\x03\x04 not really a workbook", 415, "unsupported-file"),
        (b"ho_ten,gioi_tinh\r\nLo Van A,nam\r\n", 422, "invalid-file"),
        (b"", 422, "invalid-file"),
    ],
)
async def test_a_file_that_is_not_a_beneficiary_list_is_refused(
    sessionmaker: async_sessionmaker[AsyncSession], content: bytes, status: int, code: str
) -> None:
    with pytest.raises(DomainError) as raised:
        await run(sessionmaker, content)
    assert (raised.value.status, raised.value.code) == (status, code)


async def test_upload_as_a_scoped_scheduler(
    client: httpx.AsyncClient, client_for: Any, session: AsyncSession
) -> None:
    own = await create_facility(client)
    other = await create_facility(client)
    elsewhere = await create_beneficiary(client, registered_facility_id=other["id"])
    scheduler = await client_for(Role.scheduler, province_wide=False, facility_ids=[own["id"]])
    rows = [
        person("Lò Văn Một"),
        person("Lò Văn Hai", ma_co_so=other["code"]),
        person("Lò Văn Ba", ma_bhxh=elsewhere["bhxh_number"], cccd=elsewhere["national_id"]),
    ]
    response = await scheduler.post(
        "/api/v1/beneficiaries/import",
        files={"file": ("danh-sach.csv", csv_bytes(rows), "text/csv")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["created"], body["rejected"]) == (1, 2)
    assert [(e["line"], e["field"]) for e in body["errors"]] == [
        (3, "registered_facility_code"),
        (4, None),
    ]
    one = await stored(session, rows[0]["ma_bhxh"])
    assert one is not None
    assert str(one["registered_facility_id"]) == own["id"]

    refused = await scheduler.post(
        "/api/v1/beneficiaries/import", files={"file": ("x.png", b"\x89PNG\r\n\xff", "image/png")}
    )
    assert_problem(refused, 415, "unsupported-file")


async def test_reporters_may_not_import(client_for: Any) -> None:
    reporter = await client_for(Role.reporter)
    response = await reporter.post(
        "/api/v1/beneficiaries/import",
        files={"file": ("danh-sach.csv", csv_bytes([person()]), "text/csv")},
    )
    assert_problem(response, 403)


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("VETERAN_CARE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VETERAN_CARE_DATABASE_URL", raising=False)
    monkeypatch.setenv("VETERAN_CARE_ENVIRONMENT", "development")
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_the_command_line_import(sqlite_env: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    good = sqlite_env / "good.csv"
    good.write_bytes(csv_bytes([person("Lò Văn Một"), person("Lò Văn Hai")]))
    # Rows that name no facility need a default one, or the explicit choice of none (issue 29).
    nowhere = runner.invoke(cli, ["import", "beneficiaries", str(good)])
    assert nowhere.exit_code == 1, nowhere.output
    assert "2 rows: 0 created, 0 updated, 0 unchanged, 2 rejected." in nowhere.output
    assert "line 2, registered_facility_code: the row names no facility" in nowhere.output
    assert "give --facility-code CODE (or --leave-unplaced)" in nowhere.output
    unplaced = ["--leave-unplaced"]
    result = runner.invoke(cli, ["import", "beneficiaries", str(good), *unplaced])
    assert result.exit_code == 0, result.output
    assert "2 rows: 2 created, 0 updated, 0 unchanged, 0 rejected." in result.output
    assert "2 people registered at no facility: only province-wide accounts" in result.output
    assert "Cards recorded" not in result.output, "said only when there are some"
    again = runner.invoke(cli, ["import", "beneficiaries", str(good)])
    assert "0 created, 0 updated, 2 unchanged" in again.output, "people already known pass"

    bad = sqlite_env / "bad.csv"
    bad.write_bytes(csv_bytes([person("Lò Văn Ba"), person("Lò Văn Bốn", ma_xa="99999")]))
    result = runner.invoke(cli, ["import", "beneficiaries", str(bad), *unplaced])
    assert result.exit_code == 1, result.output
    assert "1 created" in result.output
    assert "line 3, commune_code: there is no commune with code 99999" in result.output

    carded = person("Lò Văn Năm")
    carded |= {
        "so_the_bhyt": carded["ma_bhxh"],
        "the_tu_ngay": "01/01/2026",
        "the_den_ngay": "31/12/2027",
        "ma_kcb_bd": "11001",
    }
    cards = sqlite_env / "cards.csv"
    cards.write_bytes(csv_bytes([carded]))
    result = runner.invoke(cli, ["import", "beneficiaries", str(cards), *unplaced])
    assert result.exit_code == 0, result.output
    assert "Cards recorded: 1." in result.output

    picture = sqlite_env / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    result = runner.invoke(cli, ["import", "beneficiaries", str(picture)])
    assert result.exit_code == 2
    assert "neither an XLSX workbook nor a UTF-8 CSV" in result.output
    unknown = runner.invoke(cli, ["import", "beneficiaries", str(good), "--facility-code", "NOPE1"])
    assert unknown.exit_code == 2
    assert "no facility with code NOPE1" in unknown.output
    assert runner.invoke(cli, ["audit", "verify"]).exit_code == 0
