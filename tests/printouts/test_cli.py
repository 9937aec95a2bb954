"""`veteran-care print ...` and `veteran-care report ...` on a demo database: each printout
and report written to a file."""

import asyncio
import io
import uuid
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select
from typer.testing import CliRunner

from veteran_care.auth.principal import system_actor
from veteran_care.cli import app
from veteran_care.config import get_settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.kit.clock import today
from veteran_care.models import Beneficiary, BeneficiaryStatus, Checkup, Session, SessionStatus
from veteran_care.scheduling import booking
from veteran_care.scheduling.checkup_schemas import CheckupCreate


@pytest.fixture
def demo_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("VETERAN_CARE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("VETERAN_CARE_DATABASE_URL", raising=False)
    monkeypatch.setenv("VETERAN_CARE_ENVIRONMENT", "development")
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["seed-demo", "--count", "20"]).exit_code == 0
    yield tmp_path
    get_settings.cache_clear()


async def _book_one() -> tuple[uuid.UUID, uuid.UUID]:
    """A demo person booked into the first open session: (checkup id, session id)."""
    engine = create_engine(get_settings())
    try:
        async with create_sessionmaker(engine)() as db:
            planned = await db.scalar(
                select(Session)
                .where(Session.status == SessionStatus.open)
                .order_by(Session.date, Session.part_of_day)
                .limit(1)
            )
            assert planned is not None
            # An active person free that day (the demo has people who moved away or died,
            # and checkups of its own).
            booked = select(Checkup.id).where(
                Checkup.beneficiary_id == Beneficiary.id, Checkup.date == planned.date
            )
            person = await db.scalar(
                select(Beneficiary.id)
                .where(Beneficiary.status == BeneficiaryStatus.active, ~booked.exists())
                .order_by(Beneficiary.id)
                .limit(1)
            )
            data = CheckupCreate(
                beneficiary_id=person,
                facility_id=planned.facility_id,
                date=planned.date,
                specialty_codes=[planned.specialty_code],
                part_of_day=planned.part_of_day,
                card_override_reason="printout test",
            )
            checkup = await booking.book(db, system_actor("test"), data)
            await db.commit()
            return checkup.id, planned.id
    finally:
        await engine.dispose()


def _text(path: Path) -> str:
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_each_printout_from_the_command_line(demo_db: Path) -> None:
    checkup, session = asyncio.run(_book_one())
    runner = CliRunner()
    slips = demo_db / "slips.pdf"
    result = runner.invoke(app, ["print", "slips", "--session", str(session), "-o", str(slips)])
    assert result.exit_code == 0, result.output
    assert "GIẤY HẸN KHÁM SỨC KHỎE" in _text(slips)
    day_list = demo_db / "day-list.pdf"
    args = ["print", "day-list", "--session", str(session), "-o", str(day_list)]
    assert runner.invoke(app, args).exit_code == 0
    assert "Tổng số: 1 người." in _text(day_list)
    form = demo_db / "form.pdf"
    args = ["print", "health-check-form", "--checkup", str(checkup), "-o", str(form)]
    assert runner.invoke(app, [*args, "--language", "en"]).exit_code == 0
    assert "PERIODIC HEALTH-CHECK FORM" in _text(form)
    missing = runner.invoke(app, ["print", "slips", "--checkup", str(uuid.uuid4()), "-o", "x.pdf"])
    assert missing.exit_code == 2
    assert "was not found" in missing.output


def test_the_departments_reports_from_the_command_line(demo_db: Path) -> None:
    """`veteran-care report ...`: the files the API makes, for the whole province."""
    runner = CliRunner()
    year = str(today().year)
    yearly = demo_db / "yearly.pdf"
    result = runner.invoke(app, ["report", "yearly-checks", "--year", year, "-o", str(yearly)])
    assert result.exit_code == 0, result.output
    text = _text(yearly)
    assert "Báo cáo tổng hợp kết quả khám sức khỏe định kỳ" in text
    assert "Tổng cộng" in text
    sheet = demo_db / "coverage.xlsx"
    args = ["report", "card-coverage", "-f", "xlsx", "--group-by", "commune", "-o", str(sheet)]
    assert runner.invoke(app, [*args, "--language", "en"]).exit_code == 0
    rows = list(load_workbook(sheet).active.iter_rows(values_only=True))
    assert rows[0][0] == "Sở Nội vụ tỉnh Điện Biên"
    assert rows[-1][0] == "Total"
    wrong = ["report", "attendance", "--group-by", "planet", "-o", str(demo_db / "x.csv")]
    refused = runner.invoke(app, wrong)
    assert refused.exit_code == 2
    assert "--group-by planet: not one of province, commune" in refused.output
