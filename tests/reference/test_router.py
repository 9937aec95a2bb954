import httpx


async def test_dien_bien_has_45_communes_with_5_digit_codes(client: httpx.AsyncClient) -> None:
    items = (await client.get("/api/v1/communes", params={"province_code": "11"})).json()["items"]
    assert len(items) == 45
    by_code = {c["code"]: c["name"] for c in items}
    assert by_code["03127"] == "Phường Điện Biên Phủ"
    assert by_code["03334"] == "Phường Mường Thanh"
    assert all(len(code) == 5 and code.isdigit() for code in by_code)


async def test_ethnic_groups_are_the_54_plus_foreigners_and_unknown(
    client: httpx.AsyncClient,
) -> None:
    items = (await client.get("/api/v1/ethnic-groups")).json()["items"]
    codes = {g["code"]: g["name"] for g in items}
    assert len(codes) == 56
    assert codes["01"] == "Kinh"
    assert codes["03"] == "Thái"
    assert codes["08"] == "HMông"
    assert codes["29"] == "Khơ-mú"
    assert {"55", "99"} <= set(codes)


async def test_the_four_first_categories_keep_their_codes(client: httpx.AsyncClient) -> None:
    items = (await client.get("/api/v1/beneficiary-categories")).json()["items"]
    rated = {c["code"]: c["carries_disability_rate"] for c in items}
    assert {k: rated[k] for k in ("veteran", "wounded-soldier", "sick-soldier")} == {
        "veteran": False,
        "wounded-soldier": True,
        "sick-soldier": True,
    }
    assert rated["former-youth-volunteer"] is False
