"""Accent-insensitive search, identifier search, filters and keyset pagination."""

import unicodedata

import httpx

from tests.factories import create_beneficiary
from tests.test_conventions import assert_problem
from veteran_care.kit.text import fold

URL = "/api/v1/beneficiaries"


async def _ids(client: httpx.AsyncClient, **params: object) -> list[str]:
    response = await client.get(URL, params=params)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


async def test_unaccented_query_finds_accented_name(client: httpx.AsyncClient) -> None:
    an = await create_beneficiary(client, full_name="Nguyễn Văn An")
    await create_beneficiary(client, full_name="Nguyễn Văn Bình")
    assert await _ids(client, q="nguyen van an") == [an["id"]]
    assert await _ids(client, q="NGUYEN AN") == [an["id"]]


async def test_d_finds_d_with_stroke(client: httpx.AsyncClient) -> None:
    dang = await create_beneficiary(client, full_name="Đặng Văn Đức")
    assert await _ids(client, q="dang") == [dang["id"]]
    assert await _ids(client, q="đặng đức") == [dang["id"]]


async def test_nfd_typed_query_finds_nfc_stored_name(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, full_name="Lường Thị Xuân")
    query = unicodedata.normalize("NFD", "Lường Thị Xuân")
    assert await _ids(client, q=query) == [person["id"]]


async def test_like_wildcards_in_the_query_match_literally(client: httpx.AsyncClient) -> None:
    await create_beneficiary(client, full_name="Giàng A Páo")
    assert await _ids(client, q="%") == []
    assert await _ids(client, q="_") == []


async def test_search_by_cccd_bhxh_and_card_number(client: httpx.AsyncClient) -> None:
    person = await create_beneficiary(client, bhxh_number="1198765432")
    await create_beneficiary(client)
    card = await client.post(
        f"{URL}/{person['id']}/cards",
        json={
            "number": "CB2111198765432",
            "valid_from": "2020-01-01",
            "valid_to": "2020-12-31",
            "registration_facility_code": "11001",
        },
    )
    assert card.status_code == 201, card.text
    assert await _ids(client, q=person["national_id"]) == [person["id"]]
    assert await _ids(client, q="1198765432") == [person["id"]]
    assert await _ids(client, q="CB2111198765432") == [person["id"]]
    assert await _ids(client, q="cb2111198765432") == [person["id"]]


async def test_filters(client: httpx.AsyncClient) -> None:
    tag = "Mùa A Sử"
    a = await create_beneficiary(
        client, full_name=tag, commune_code="03325", ethnicity_code="08", birth_year=1944
    )
    b = await create_beneficiary(
        client,
        full_name=tag,
        commune_code="03127",
        ethnicity_code="08",
        birth_year=1960,
        categories=[{"code": "sick-soldier", "disability_rate": 61}],
    )
    assert await _ids(client, q=tag, commune_code="03325") == [a["id"]]
    assert await _ids(client, q=tag, category="sick-soldier") == [b["id"]]
    assert set(await _ids(client, q=tag, ethnicity_code="08")) == {a["id"], b["id"]}
    assert await _ids(client, q=tag, birth_year_from=1950) == [b["id"]]
    assert await _ids(client, q=tag, birth_year_to=1950) == [a["id"]]
    assert await _ids(client, q=tag, status="deceased") == []


async def test_deep_cursor_pages_cover_everything_once_in_order(
    client: httpx.AsyncClient,
) -> None:
    created = [
        await create_beneficiary(client, full_name=f"Sùng Seo Chứ {i:03d}") for i in range(45)
    ]
    for sort in ("full_name", "-full_name", "created_at", "-created_at"):
        seen: list[dict] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, object] = {"q": "sung seo chu", "limit": 4, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get(URL, params=params)).json()
            seen.extend(page["items"])
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 12
        assert sorted(p["id"] for p in seen) == sorted(p["id"] for p in created)
        names = [p["full_name"] for p in seen]
        if sort == "full_name":
            assert names == sorted(names)
        if sort == "-full_name":
            assert names == sorted(names, reverse=True)


async def test_last_page_has_no_cursor(client: httpx.AsyncClient) -> None:
    await create_beneficiary(client, full_name="Vàng Thị Dợ")
    page = (await client.get(URL, params={"q": "vang thi do"})).json()
    assert len(page["items"]) == 1
    assert page["next_cursor"] is None


async def test_bad_cursor_is_a_422(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(URL, params={"cursor": "garbage!"}), 422, "invalid-cursor")


async def test_cursor_of_another_sort_is_refused(client: httpx.AsyncClient) -> None:
    for i in range(3):
        await create_beneficiary(client, full_name=f"Thào A Lử {i}")
    page = (await client.get(URL, params={"q": "thao a lu", "limit": 1})).json()
    response = await client.get(
        URL, params={"q": "thao a lu", "cursor": page["next_cursor"], "sort": "created_at"}
    )
    assert_problem(response, 422, "invalid-cursor")


async def test_a_word_first_or_later_in_the_name_pages_in_name_order(
    client: httpx.AsyncClient,
) -> None:
    """A family name that is also someone's middle or given name: both kinds of match, merged in
    name order across pages, each person once, in either direction."""
    names = [
        "Nguyễn Văn An",
        "Trần Nguyễn Bình",  # later word
        "Nguyễn Thị Cúc",
        "Lê Văn Nguyên",  # later word, prefix of it
        "Nguyễn Văn Dũng",
        "Phạm Thị Hà",  # no match
        "Nguyên Văn Xuân",  # first word, "nguyen" folded
        "Anguyen Văn Tư",  # no word starts with it
    ]
    people = {n: (await create_beneficiary(client, full_name=n))["id"] for n in names}
    expected = [
        people[n]
        for n in sorted(
            (n for n in names if n not in ("Phạm Thị Hà", "Anguyen Văn Tư")),
            key=lambda n: (fold(n), people[n]),
        )
    ]
    for sort, order in (("full_name", expected), ("-full_name", expected[::-1])):
        seen: list[str] = []
        cursor = None
        while True:
            params: dict[str, object] = {"q": "nguyen", "limit": 2, "sort": sort}
            if cursor:
                params["cursor"] = cursor
            response = await client.get(URL, params=params)
            assert response.status_code == 200, response.text
            seen += [item["id"] for item in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == order
    assert await _ids(client, q="nguyen binh") == [people["Trần Nguyễn Bình"]]
    assert await _ids(client, q="binh nguyen") == [people["Trần Nguyễn Bình"]]
    assert await _ids(client, q="nguyen xuan") == [people["Nguyên Văn Xuân"]]
