"""A search by a full name (three words or more, decision 0066): every person whose name has
each word at the start of one of its words, wherever it stands, in name order across pages."""

import httpx

from tests.factories import create_beneficiary
from veteran_care.kit.text import fold

URL = "/api/v1/beneficiaries"


async def _pages(client: httpx.AsyncClient, **params: object) -> list[str]:
    """Every page of a search, followed by its cursors, as one list of ids."""
    seen: list[str] = []
    cursor = None
    while True:
        response = await client.get(URL, params=params | ({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        seen += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return seen


async def test_a_full_name_finds_its_words_wherever_they_stand_in_name_order(
    client: httpx.AsyncClient,
) -> None:
    matching = [
        "Trần Thị Lan",
        "Trần Thị Lan",  # the same name twice: two people, each once
        "Trần Thị Ngọc Lan",  # the words apart
        "Trần Thị Lành",  # the last word a prefix of the name's
        "Lan Thị Trần",  # another order
        "Nguyễn Trần Thị Lan",  # the family name later in the name
    ]
    others = ["Trần Văn Lan", "Trần Thị Hoa", "Trần Thị Alan", "Lê Thị Lan"]
    people = [(n, (await create_beneficiary(client, full_name=n))["id"]) for n in matching]
    for name in others:
        await create_beneficiary(client, full_name=name)
    expected = [i for _, i in sorted(people, key=lambda p: (fold(p[0]), p[1]))]
    for sort, order in (("full_name", expected), ("-full_name", expected[::-1])):
        for query in ("tran thi lan", "TRẦN THỊ LAN", "lan tran thi"):
            assert await _pages(client, q=query, sort=sort, limit=2) == order
    assert await _pages(client, q="tran thi lan", sort="created_at", limit=2) == [
        i for _, i in people
    ]


async def test_a_full_name_with_filters_and_a_renamed_person(client: httpx.AsyncClient) -> None:
    here = await create_beneficiary(client, full_name="Lò Văn Pâng", commune_code="03325")
    there = await create_beneficiary(client, full_name="Lò Văn Pâng", commune_code="03127")
    assert await _pages(client, q="lo van pang", commune_code="03325") == [here["id"]]
    renamed = await client.patch(
        f"{URL}/{there['id']}", json={"full_name": "Lò Văn Ún"}, headers={"If-Match": '"1"'}
    )
    assert renamed.status_code == 200, renamed.text
    assert await _pages(client, q="lo van pang") == [here["id"]]
    assert await _pages(client, q="lo van un") == [there["id"]]
