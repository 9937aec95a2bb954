"""`veteran-care worker` as a child process a test may kill with SIGKILL, against a database
seeded with messages due now."""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, insert, select

from tests.conftest import TEST_SECRET
from veteran_care.config import Settings
from veteran_care.db.engine import create_engine, create_sessionmaker
from veteran_care.kit.clock import today, utcnow
from veteran_care.models import (
    Beneficiary,
    Checkup,
    ConsentStatus,
    ContactChannel,
    ContactConsent,
    Facility,
    FacilityLevel,
    Message,
    MessageKind,
    MessageStatus,
    Sex,
)


class WorkerProcess:
    def __init__(self, database_url: str, gateway_url: str, workdir: Path, **env: str) -> None:
        command = shutil.which("veteran-care", path=str(Path(sys.executable).parent))
        assert command, "the veteran-care script is not installed next to this Python"
        self.command = command
        self.log_path = workdir / "worker.log"
        self.env = {
            **os.environ,
            "VETERAN_CARE_DATABASE_URL": database_url,
            "VETERAN_CARE_ENVIRONMENT": "test",
            "VETERAN_CARE_SECRET_KEY": TEST_SECRET,
            "VETERAN_CARE_DATA_DIR": str(workdir),
            "VETERAN_CARE_LOG_LEVEL": "WARNING",
            "VETERAN_CARE_SMS_PROVIDER": "generic",
            "VETERAN_CARE_SMS_URL": gateway_url,
            "VETERAN_CARE_MESSAGES_POLL_SECONDS": "0.1",
            "VETERAN_CARE_MESSAGES_CLAIM_SECONDS": "5",
            "VETERAN_CARE_GATEWAY_TIMEOUT_SECONDS": "30",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "WorkerProcess":
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self.command, "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def cpu_seconds(self) -> float:
        """The worker's CPU time so far (user and system, from /proc; Linux)."""
        assert self.process is not None
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def settings_for(url: str) -> Settings:
    return Settings(database_url=url, environment="test", secret_key=TEST_SECRET)


def seed(url: str, count: int) -> set[uuid.UUID]:
    """A person with a phone, a checkup, and ``count`` messages about it, due now."""

    async def run() -> set[uuid.UUID]:
        engine = create_engine(settings_for(url))
        try:
            async with create_sessionmaker(engine).begin() as session:
                facility = Facility(
                    code="F" + uuid.uuid4().hex[:6],
                    name="Trung tâm Y tế huyện Mường Chà",
                    level=FacilityLevel.regional_medical_centre,
                )
                person = Beneficiary(
                    full_name="Lò Văn Pọm",
                    name_search="lo van pom",
                    birth_year=1950,
                    sex=Sex.male,
                    ethnicity_code="03",
                    phone="0912345678",
                )
                session.add_all([facility, person])
                await session.flush()
                consent = ContactConsent(
                    beneficiary_id=person.id,
                    status=ConsentStatus.given,
                    decided_on=today(),
                    channel=ContactChannel.sms,
                    recorded_at=utcnow(),
                )
                session.add(consent)
                checkup = Checkup(
                    beneficiary_id=person.id,
                    facility_id=facility.id,
                    date=today() + timedelta(days=10),
                )
                session.add(checkup)
                await session.flush()
                now = utcnow()
                ids = [uuid.uuid4() for _ in range(count)]
                await session.execute(
                    insert(Message),
                    [
                        {
                            "id": i,
                            "kind": MessageKind.confirmation,
                            "beneficiary_id": person.id,
                            "checkup_id": checkup.id,
                            "next_attempt_at": now,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for i in ids
                    ],
                )
                return set(ids)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def statuses(url: str) -> dict[MessageStatus, int]:
    async def run() -> dict[MessageStatus, int]:
        engine = create_engine(settings_for(url))
        try:
            async with engine.connect() as connection:
                rows = await connection.execute(
                    select(Message.status, func.count()).group_by(Message.status)
                )
                return {MessageStatus(status): n for status, n in rows}
        finally:
            await engine.dispose()

    return asyncio.run(run())
