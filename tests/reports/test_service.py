"""The reports service without HTTP: what it refuses, and what it hands the router to send."""

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from veteran_care.auth.principal import system_actor
from veteran_care.kit.clock import today
from veteran_care.kit.validation import InvalidInput
from veteran_care.reports import exports, service
from veteran_care.reports.schemas import ReportTable

ACTOR = system_actor("reports-test")
BACKWARDS = service.Period(date_from=today() + timedelta(days=5), date_to=today())


async def test_a_period_that_ends_before_it_starts_is_refused(session: AsyncSession) -> None:
    with pytest.raises(InvalidInput) as refused:
        await service.attendance(session, ACTOR, BACKWARDS, None, "json")
    assert refused.value.extra["errors"][0]["message"] == "date_to must be on or after date_from"
    with pytest.raises(InvalidInput, match=r"query\.date_to"):
        await service.dispensing(session, ACTOR, BACKWARDS, None, "csv")


async def test_a_table_comes_back_as_it_is_or_as_a_file(session: AsyncSession) -> None:
    table = await service.coverage(session, ACTOR, ["commune", "commune"], "json")
    assert isinstance(table, ReportTable)
    assert (table.report, table.group_by) == ("coverage", ["commune"])
    document = await service.coverage(session, ACTOR, ["commune"], "csv")
    assert isinstance(document, exports.Document)
    assert (document.stem, document.extension, document.media_type, document.attachment) == (
        "coverage",
        "csv",
        exports.CSV_TYPE,
        True,
    )
    assert isinstance(document.content, str)
    lines = document.content.removeprefix(exports.BOM).splitlines()
    assert lines[1] == "Báo cáo tình hình khám sức khỏe định kỳ theo kỳ hạn"
    header = (
        "Xã, phường,Mã xã,Số người đang quản lý,Đã khám trong kỳ hạn,Đến hạn khám,Quá hạn khám,"
        "Chưa khám lần nào"
    )
    assert lines[5] == header.replace("Xã, phường", '"Xã, phường"')


async def test_the_chart_is_shown_not_downloaded(session: AsyncSession) -> None:
    chart = await service.attendance(session, ACTOR, service.Period(), None, "svg")
    assert isinstance(chart, exports.Document)
    assert (chart.media_type, chart.attachment) == (exports.SVG_TYPE, False)
    assert isinstance(chart.content, str)
    assert "Tỷ lệ đến khám theo xã, phường" in chart.content
    assert "Không có lượt khám nào." in chart.content  # an empty chart says so
