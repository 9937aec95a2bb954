"""Report formats: JSON (the route's model), CSV (UTF-8 with BOM, so spreadsheet programs show
Vietnamese) and an SVG bar chart; person-level lists stream (the officer's CSV and XLSX of a
table: :mod:`veteran_care.reports.sheets`).

A report in a file format is a :class:`Document`: its content, whole or as a stream of chunks. The
router sends it (media type, Content-Disposition); nothing here knows about HTTP."""

import asyncio
import contextlib
import csv
import io
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any

from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SVG_TYPE = "image/svg+xml"
PDF_TYPE = "application/pdf"
BOM = "\ufeff"
COPY_CHUNK = 256 * 1024


@dataclass(frozen=True)
class Document:
    """A report as a file: a whole body, or chunks streamed as the database yields them."""

    stem: str
    extension: str
    media_type: str
    content: str | bytes | AsyncIterator[str] | AsyncIterator[bytes]
    attachment: bool = True  # downloaded under a time-stamped name; False: shown as it is

    def filename(self) -> str:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        return f"{self.stem}-{stamp}.{self.extension}"


def preamble_lines(lines: Sequence[str]) -> str:
    """Lines above a CSV's table (a title block), one cell each, as CSV text."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([[line] if line else [] for line in lines])
    return buffer.getvalue()


def csv_stream(
    stem: str,
    columns: Sequence[str],
    batches: AsyncIterator[Sequence[Sequence[Any]]],
    preamble: Sequence[str] = (),
) -> Document:
    """Flat memory however long the list: batches of rows (tuples of plain values: str, numbers,
    dates, UUIDs, None) are written as they come from the database, by the csv module's C loop."""

    async def body() -> AsyncIterator[str]:
        buffer = io.StringIO()
        buffer.write(BOM + preamble_lines(preamble))
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        async for batch in batches:
            writer.writerows(batch)
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Document(stem, "csv", CSV_TYPE, body())


def csv_copy_stream(
    stem: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    stmt: Select[Any],
    preamble: Sequence[str] = (),
) -> Document:
    """PostgreSQL writes the CSV itself (COPY (SELECT ...) TO STDOUT, header from the column
    labels): Python only passes the bytes on, in chunks of about 256 kB. Flat memory: the copy
    waits while the client has not taken the previous chunks."""

    async def body() -> AsyncIterator[bytes]:
        yield (BOM + preamble_lines(preamble)).encode()
        async with sessionmaker() as reader:
            connection = await reader.connection()
            compiled = stmt.compile(
                dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
            )
            arguments = [compiled.params[name] for name in compiled.positiontup or ()]
            # Dates as ISO whatever the server's DateStyle. No statement timeout: the copy lasts
            # as long as the client takes to read it; a client that goes away cancels it.
            await reader.execute(text("SET LOCAL datestyle = 'ISO, YMD'"))
            await reader.execute(text("SET LOCAL statement_timeout = 0"))
            driver = (await connection.get_raw_connection()).driver_connection
            assert driver is not None
            chunks: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)
            pending = bytearray()

            async def sink(data: bytes) -> None:
                pending.extend(data)
                if len(pending) >= COPY_CHUNK:
                    await chunks.put(bytes(pending))
                    pending.clear()

            async def copy() -> None:
                try:
                    await driver.copy_from_query(
                        str(compiled), *arguments, output=sink, format="csv", header=True
                    )
                    if pending:
                        await chunks.put(bytes(pending))
                finally:
                    await chunks.put(None)

            task = asyncio.create_task(copy())
            try:
                while (chunk := await chunks.get()) is not None:
                    yield chunk
                await task  # raises what the copy raised
            finally:
                if not task.done():  # the client went away: stop the copy, drop the connection
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                    await connection.invalidate()

    return Document(stem, "csv", CSV_TYPE, body())


def bar_chart_svg(
    title: str,
    subtitle: str,
    bars: Sequence[tuple[str, float | None, str]],
    empty: str = "Không có lượt khám nào.",
) -> str:
    """A horizontal bar chart of rates (0-100 %): a bar per label, with its note beside it (the
    counts behind the rate, or why there is none), an axis, and room for the longest label."""
    longest = max((len(label) for label, _, _ in bars), default=10)
    left = min(max(120, 12 + 7 * longest), 420)  # about 7 px a character at 12 px
    width, bar, gap, top = left + 520, 18, 6, 64
    height = top + len(bars) * (bar + gap) + 34
    scale = 300 / 100
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="DejaVu Sans, Arial, sans-serif" '
        'font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="10" y="22" font-size="15" font-weight="bold">{escape(title)}</text>',
        f'<text x="10" y="42" fill="#444">{escape(subtitle)}</text>',
    ]
    axis_y = top + len(bars) * (bar + gap) + 4
    for tick in (0, 25, 50, 75, 100):
        x = left + tick * scale
        parts.append(f'<line x1="{x}" y1="{top - 4}" x2="{x}" y2="{axis_y}" stroke="#ddd"/>')
        parts.append(f'<text x="{x}" y="{axis_y + 14}" text-anchor="middle">{tick} %</text>')
    for index, (label, value, note) in enumerate(bars):
        y = top + index * (bar + gap)
        parts.append(
            f'<text x="{left - 8}" y="{y + bar - 5}" text-anchor="end">{escape(label)}</text>'
        )
        length = max(value or 0, 0) * scale
        if value is not None:
            parts.append(
                f'<rect x="{left}" y="{y}" width="{length:.1f}" height="{bar}" fill="#2b6cb0">'
                f"<title>{escape(label)}: {escape(note)}</title></rect>"
            )
        colour = "#000" if value is not None else "#777"
        parts.append(
            f'<text x="{left + length + 6:.1f}" y="{y + bar - 5}" fill="{colour}">'
            f"{escape(note)}</text>"
        )
    if not bars:
        parts.append(f'<text x="10" y="{top + 12}" fill="#777">{escape(empty)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)
