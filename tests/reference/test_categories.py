"""The categories the law defines, with their legal rate ranges; the department's own, which the
registry and the import validate by alike."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.beneficiaries.test_import import csv_bytes, errors_by_line, person, run
from tests.factories import beneficiary_payload, create_beneficiary
from tests.test_conventions import assert_problem
from veteran_care.models import Beneficiary, BeneficiaryCategoryMembership, Role

# The Ordinance on people with merit (02/2020/UBTVQH14, Art. 3), and beside it veterans, former
# youth volunteers and martyrs' relatives: code -> (Vietnamese name, rate range or None).
LEGAL = {
    "early-revolutionary": ("Người hoạt động cách mạng trước ngày 01 tháng 01 năm 1945", None),
    "pre-uprising-revolutionary": (
        "Người hoạt động cách mạng từ 01/01/1945 đến ngày khởi nghĩa tháng Tám năm 1945",
        None,
    ),
    "heroic-mother": ("Bà mẹ Việt Nam anh hùng", None),
    "armed-forces-hero": ("Anh hùng Lực lượng vũ trang nhân dân", None),
    "resistance-labour-hero": ("Anh hùng Lao động trong thời kỳ kháng chiến", None),
    "wounded-soldier": ("Thương binh", (21, 100)),
    "wounded-soldier-type-b": ("Thương binh loại B", (21, 100)),
    "treated-as-wounded-soldier": ("Người hưởng chính sách như thương binh", (21, 100)),
    "sick-soldier": ("Bệnh binh", (41, 100)),
    "toxic-chemical-exposed": (
        "Người hoạt động kháng chiến bị nhiễm chất độc hóa học",
        (21, 100),
    ),
    "former-prisoner": (
        "Người hoạt động cách mạng, hoạt động kháng chiến bị địch bắt tù, đày",
        None,
    ),
    "resistance-activist": (
        "Người hoạt động kháng chiến giải phóng dân tộc, bảo vệ Tổ quốc, làm nghĩa vụ quốc tế",
        None,
    ),
    "revolution-helper": ("Người có công giúp đỡ cách mạng", None),
    "veteran": ("Cựu chiến binh", None),
    "former-youth-volunteer": ("Thanh niên xung phong", None),
    "martyr-relative": ("Thân nhân liệt sĩ", None),
}

LOCAL = {
    "code": "agent-orange-child",
    "name_vi": "Con đẻ của người nhiễm chất độc hóa học",
    "name_en": "Child of a person exposed to toxic chemicals",
    "carries_disability_rate": True,
    "disability_rate_required": True,
    "min_disability_rate": 41,
    "max_disability_rate": 80,
    "check_interval_months": 6,
}


async def categories(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    response = await client.get("/api/v1/beneficiary-categories")
    assert response.status_code == 200, response.text
    return {c["code"]: c for c in response.json()["items"]}


async def test_the_legal_groups_are_there_with_their_ranges(client: httpx.AsyncClient) -> None:
    found = await categories(client)
    for code, (name_vi, rates) in LEGAL.items():
        category = found[code]
        assert category["name_vi"] == name_vi
        assert category["carries_disability_rate"] is (rates is not None)
        assert (category["min_disability_rate"], category["max_disability_rate"]) == (
            rates or (None, None)
        )
        assert category["check_interval_months"] == 12
        assert category["legal_basis"]
    assert "Điều 3 khoản 1 điểm g" in found["wounded-soldier"]["legal_basis"]
    assert found["wounded-soldier"]["disability_rate_required"] is True
    # Exposed to toxic chemicals: recognised with a rate, or without one (a child's deformity).
    assert found["toxic-chemical-exposed"]["disability_rate_required"] is False
    exposed = beneficiary_payload(categories=[{"code": "toxic-chemical-exposed"}])
    assert (await client.post("/api/v1/beneficiaries", json=exposed)).status_code == 201


async def test_a_rate_outside_the_range_is_a_422_naming_the_field(
    client: httpx.AsyncClient,
) -> None:
    assert (await client.post("/api/v1/beneficiary-categories", json=LOCAL)).status_code == 201
    too_high = [{"code": "veteran"}, {"code": "agent-orange-child", "disability_rate": 81}]
    body = assert_problem(
        await client.post("/api/v1/beneficiaries", json=beneficiary_payload(categories=too_high)),
        422,
    )
    assert body["code"] == "disability-rate-out-of-range"
    assert body["field"] == "categories.1.disability_rate"
    assert "41-80 %" in body["detail"]
    person = await create_beneficiary(client)
    response = await client.patch(
        f"/api/v1/beneficiaries/{person['id']}",
        json={"categories": [{"code": "agent-orange-child", "disability_rate": 40}]},
        headers={"If-Match": f'"{person["version"]}"'},
    )
    assert assert_problem(response, 422)["field"] == "categories.0.disability_rate"


async def test_a_department_category_works_end_to_end(
    client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    created = await client.post("/api/v1/beneficiary-categories", json=LOCAL)
    assert created.status_code == 201, created.text
    assert created.json()["legal_basis"] is None
    listed = await categories(client)
    assert listed["agent-orange-child"]["max_disability_rate"] == 80

    member = await create_beneficiary(
        client, categories=[{"code": "agent-orange-child", "disability_rate": 61}]
    )
    assert member["categories"][0]["code"] == "agent-orange-child"

    # The import reads the category by its Vietnamese name, and by the same range.
    rows = [
        person(doi_tuong="Con đẻ của người nhiễm chất độc hóa học: 50"),
        person(doi_tuong="agent-orange-child:90"),
    ]
    summary = await run(sessionmaker, csv_bytes(rows))
    assert (summary.created, summary.rejected) == (1, 1)
    assert "41-80 %" in errors_by_line(summary)[3][0][1]

    renamed = await client.patch(
        "/api/v1/beneficiary-categories/agent-orange-child",
        json={"name_vi": "Con đẻ người nhiễm chất độc da cam", "check_interval_months": 3},
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["check_interval_months"] == 3
    # A never-checked member of the department's category is due.
    due = await client.get("/api/v1/due-list", params={"category": "agent-orange-child"})
    assert due.status_code == 200, due.text
    assert member["id"] in {e["beneficiary_id"] for e in due.json()["items"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"carries_disability_rate": False}, "min_disability_rate"),
        ({"max_disability_rate": None}, "max_disability_rate"),
        ({"max_disability_rate": 30}, "max_disability_rate"),
        (
            {
                "carries_disability_rate": False,
                "min_disability_rate": None,
                "max_disability_rate": None,
            },
            "disability_rate_required",
        ),
    ],
    ids=["range-without-rate", "no-highest", "highest-below-lowest", "requires-without-rate"],
)
async def test_a_range_that_does_not_add_up_is_refused(
    client: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/beneficiary-categories", json={**LOCAL, **change})
    body = assert_problem(response, 422)
    assert body["code"] == "invalid-rate-range"
    assert body["field"] == field


async def test_codes_are_taken_once_and_only_admins_add(
    client: httpx.AsyncClient, client_for: Any
) -> None:
    taken = {**LOCAL, "code": "veteran"}
    body = assert_problem(await client.post("/api/v1/beneficiary-categories", json=taken), 409)
    assert body["code"] == "duplicate"
    assert (await categories(client))["veteran"]["name_vi"] == "Cựu chiến binh"
    scheduler = await client_for(Role.scheduler)
    response = await scheduler.post("/api/v1/beneficiary-categories", json=LOCAL)
    assert response.status_code == 403


async def test_the_import_reads_a_legal_name_that_has_commas(
    sessionmaker: async_sessionmaker[AsyncSession], session: AsyncSession
) -> None:
    row = person(
        doi_tuong="veteran; Người hoạt động cách mạng, hoạt động kháng chiến bị địch bắt tù, đày"
    )
    summary = await run(sessionmaker, csv_bytes([row]))
    assert (summary.created, summary.rejected) == (1, 0), summary.errors
    held = await session.scalars(
        select(BeneficiaryCategoryMembership.category_code)
        .join(Beneficiary)
        .where(Beneficiary.bhxh_number == row["ma_bhxh"])
    )
    assert set(held) == {"veteran", "former-prisoner"}
