"""Checkpoints of the audit trail: its head, signed with a key the database never holds.

The hash chain shows an edited row, but not rows deleted from the end: the shorter chain is
still a chain. A checkpoint records the head at one moment (row count, last id, last hash,
time written) and signs it with HMAC-SHA256; the operator keeps it elsewhere. Later the trail
must still reach that head: the row at the checkpoint's id has the checkpoint's hash, with as
many rows up to it as the checkpoint counted. Whoever can edit the database but does not hold
the key can neither make that true again nor write a new checkpoint.

The file is a JSON document: ``version``, the head fields and ``signature``, the HMAC in hex
over the canonical encoding of every other field (sorted keys, no spaces, ASCII).
"""

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from veteran_care.audit import repository
from veteran_care.audit.chain import GENESIS
from veteran_care.config import Settings
from veteran_care.kit.background import in_background

logger = logging.getLogger(__name__)

VERSION = 1
_KEY_LABEL = b"veteran-care audit checkpoint key v1"


class CheckpointError(Exception):
    """A checkpoint file that cannot be trusted: unreadable, malformed or wrongly signed."""


@dataclass(frozen=True)
class Checkpoint:
    """The head of the trail at ``written_at`` (an empty trail: 0 rows, id 0, GENESIS)."""

    rows: int
    last_id: int
    last_hash: str
    written_at: datetime


def checkpoint_key(settings: Settings) -> bytes:
    """The signing key: ``VETERAN_CARE_AUDIT_CHECKPOINT_KEY`` when set (and not empty);
    otherwise one derived from ``VETERAN_CARE_SECRET_KEY`` as HMAC-SHA256 of a fixed label,
    so that it differs from every other use of that secret. A key of its own is better: only
    the hosts that write or check checkpoints need it, not every API server."""
    own = settings.audit_checkpoint_key
    if own is not None and own.get_secret_value():
        return own.get_secret_value().encode()
    return hmac.new(settings.secret_key.encode(), _KEY_LABEL, hashlib.sha256).digest()


async def take(session: AsyncSession) -> Checkpoint:
    """The trail's head now."""
    head = await repository.head(session)
    return Checkpoint(
        rows=head.rows,
        last_id=head.last_id,
        last_hash=head.last_hash or GENESIS,
        written_at=datetime.now(UTC).replace(microsecond=0),
    )


def _fields(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "version": VERSION,
        "rows": checkpoint.rows,
        "last_id": checkpoint.last_id,
        "last_hash": checkpoint.last_hash,
        "written_at": checkpoint.written_at.isoformat(),
    }


def _signature(fields: dict[str, Any], key: bytes) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hmac.new(key, canonical.encode("ascii"), hashlib.sha256).hexdigest()


def sign(checkpoint: Checkpoint, key: bytes) -> str:
    """HMAC-SHA256 in hex over the canonical encoding of the checkpoint's fields."""
    return _signature(_fields(checkpoint), key)


def dumps(checkpoint: Checkpoint, key: bytes) -> str:
    """The signed JSON document, one field a line."""
    document = {**_fields(checkpoint), "signature": sign(checkpoint, key)}
    return json.dumps(document, indent=2) + "\n"


def _signed_fields(text: str, key: bytes) -> dict[str, Any]:
    """The document's fields but its signature, once the signature over them is checked."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CheckpointError("it is not JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("signature"), str):
        raise CheckpointError("it is not a signed checkpoint (no signature field)")
    signature: str = document.pop("signature")
    if not hmac.compare_digest(signature.encode(), _signature(document, key).encode()):
        raise CheckpointError(
            "its signature does not match: the file was changed, or signed with another key"
        )
    return document


def _integer(fields: dict[str, Any], name: str) -> int:
    value = fields.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"its {name} is not a whole number")
    return value


def _text(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if not isinstance(value, str):
        raise CheckpointError(f"its {name} is missing or not text")
    return value


def loads(text: str, key: bytes) -> Checkpoint:
    """The checkpoint in ``text``, once its signature is checked; CheckpointError otherwise."""
    fields = _signed_fields(text, key)
    if fields.get("version") != VERSION:
        raise CheckpointError(f"its version is {fields.get('version')!r}, not {VERSION}")
    try:
        written_at = datetime.fromisoformat(_text(fields, "written_at"))
    except ValueError as exc:
        raise CheckpointError("its written_at is not a date and time") from exc
    return Checkpoint(
        rows=_integer(fields, "rows"),
        last_id=_integer(fields, "last_id"),
        last_hash=_text(fields, "last_hash"),
        written_at=written_at,
    )


def read(path: Path, key: bytes) -> Checkpoint:
    """The checkpoint in the file at ``path`` (see loads)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"it cannot be read: {exc}") from exc
    return loads(text, key)


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` whole or not at all (a temporary file, then a rename)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class HeadCheck:
    """Whether the trail still reaches a checkpoint's head, and if not, what is wrong.

    ``standing`` is what the trail holds now at the checkpoint's id and up to it."""

    checkpoint: Checkpoint
    standing: repository.Standing

    @property
    def reached(self) -> bool:
        if self.checkpoint.last_id == 0:  # a checkpoint of the empty trail
            return True
        return (
            self.standing.hash_at == self.checkpoint.last_hash
            and self.standing.rows_through == self.checkpoint.rows
        )

    @property
    def missing_rows(self) -> int:
        """How many fewer rows the trail has up to the checkpoint's id than it counted."""
        return max(self.checkpoint.rows - self.standing.rows_through, 0)

    @property
    def missing_ids(self) -> range | None:
        """The ids cut from the tail: after the trail's last id, up to the checkpoint's."""
        if self.standing.hash_at is not None or self.standing.last_id >= self.checkpoint.last_id:
            return None
        return range(self.standing.last_id + 1, self.checkpoint.last_id + 1)

    @property
    def changed_id(self) -> int | None:
        """The checkpoint's id, when the row there now has another hash."""
        hash_at = self.standing.hash_at
        if hash_at is None or hash_at == self.checkpoint.last_hash:
            return None
        return self.checkpoint.last_id

    def problem(self) -> str | None:
        """What is wrong, in a sentence; None when the head is reached."""
        checkpoint, standing = self.checkpoint, self.standing
        counted = (
            f"the checkpoint counted {checkpoint.rows} rows up to id {checkpoint.last_id}, "
            f"the trail has {standing.rows_through}"
        )
        if self.reached:
            return None
        missing = self.missing_ids
        if missing is not None:
            return (
                f"rows missing from the tail: ids {missing.start} to {missing.stop - 1} "
                f"({self.missing_rows} rows missing; {counted})"
            )
        if standing.hash_at is None:
            return f"row {checkpoint.last_id}, the checkpoint's head, is missing ({counted})"
        if self.changed_id is not None:
            return (
                f"row {checkpoint.last_id}, the checkpoint's head, was changed: its hash is "
                f"{standing.hash_at}, the checkpoint's is {checkpoint.last_hash}"
            )
        return f"rows are missing before the checkpoint's head ({counted})"


async def check(session: AsyncSession, checkpoint: Checkpoint) -> HeadCheck:
    """How the trail stands against ``checkpoint`` (walk the chain with service.verify too)."""
    return HeadCheck(checkpoint, await repository.standing(session, checkpoint.last_id))


def file_name(checkpoint: Checkpoint) -> str:
    """The name of a scheduled checkpoint's file: its time, so that names sort by it."""
    return f"audit-checkpoint-{checkpoint.written_at.strftime('%Y%m%dT%H%M%SZ')}.json"


async def write_checkpoint_file(
    sessionmaker: async_sessionmaker[AsyncSession], key: bytes, directory: Path
) -> Path:
    """Take a checkpoint of the sealed head and write it to a new timestamped file in
    ``directory`` (the server's sealer chains committed rows every second)."""
    async with sessionmaker() as session:
        checkpoint = await take(session)
    path = directory / file_name(checkpoint)
    await asyncio.to_thread(_write_in_new_folder, path, dumps(checkpoint, key))
    return path


def _write_in_new_folder(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write(path, text)


async def write_checkpoints_periodically(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    directory: Path,
    interval_seconds: float,
) -> None:
    """Write a checkpoint file in ``directory`` now and every ``interval_seconds``, until
    cancelled. A failed write is logged and the next one is attempted on time."""
    key = checkpoint_key(settings)
    while True:
        try:
            path = await write_checkpoint_file(sessionmaker, key, directory)
        except Exception:
            logger.exception("could not write an audit checkpoint")
        else:
            logger.info("audit checkpoint written to %s", path)
        await asyncio.sleep(interval_seconds)


@contextlib.asynccontextmanager
async def checkpoints_on_schedule(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings
) -> AsyncIterator[None]:
    """For the server's lifespan: write checkpoints in the background while the block runs,
    when ``VETERAN_CARE_AUDIT_CHECKPOINT_DIR`` is set (nothing otherwise)."""
    directory = settings.audit_checkpoint_dir
    if directory is None:
        yield
        return
    interval = settings.audit_checkpoint_interval_seconds
    async with in_background(
        write_checkpoints_periodically(sessionmaker, settings, directory, interval)
    ):
        yield
