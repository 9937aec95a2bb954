"""Rules the schema states: a body built from the document alone (its required fields and
defaults) is either valid there and accepted by the server, or invalid there and refused. The
server and the schema never disagree on the bodies below."""

import itertools
from typing import Any

import httpx
import pytest

from tests.document import openapi_document, schema_accepts
from tests.factories import create_facility
from tests.test_conventions import assert_problem

_serial = itertools.count(1)


def _account(kind: str) -> dict[str, Any]:
    n = next(_serial)
    if kind == "users":
        return {
            "roles": ["scheduler"],
            "username": f"schema.rule.{n}",
            "full_name": "Quàng Thị Lụa",
            "password": "a long enough passphrase " + str(n),
        }
    return {"roles": ["reporter"], "client_id": f"schema-rule-{n}", "name": "Sở Nội vụ"}


@pytest.mark.parametrize(("kind", "schema"), [("users", "UserCreate"), ("clients", "ClientCreate")])
async def test_an_account_is_province_wide_or_names_facilities_as_the_schema_says(
    client: httpx.AsyncClient, kind: str, schema: str
) -> None:
    facility = await create_facility(client)
    scopes: list[tuple[dict[str, Any], bool]] = [
        ({}, False),  # the required fields alone: the schema says why not
        ({"province_wide": False}, False),
        ({"facility_ids": []}, False),
        ({"province_wide": False, "facility_ids": []}, False),
        ({"province_wide": True}, True),
        ({"facility_ids": [facility["id"]]}, True),
        ({"province_wide": False, "facility_ids": [facility["id"]]}, True),
        ({"province_wide": True, "facility_ids": [facility["id"]]}, True),
        ({"province_codes": []}, False),
        ({"province_codes": ["11"]}, True),
        ({"nation_wide": False}, False),
        ({"nation_wide": True}, True),
        ({"nation_wide": True, "province_wide": True}, False),
        ({"nation_wide": True, "facility_ids": [facility["id"]]}, False),
        ({"nation_wide": True, "province_codes": ["11"]}, False),
    ]
    for scope, valid in scopes:
        body = {**_account(kind), **scope}
        assert schema_accepts(schema, body) is valid, scope
        response = await client.post(f"/api/v1/{kind}", json=body)
        if valid:
            assert response.status_code == 201, (scope, response.text)
        else:
            problem = assert_problem(response, 422, "validation-error")
            assert any(
                words in problem["errors"][0]["message"]
                for words in ("give facility_ids or province_codes", "a nation_wide account")
            )


def test_the_scope_rule_is_described_where_a_reader_looks() -> None:
    schemas = openapi_document()["components"]["schemas"]
    for name in ("UserCreate", "ClientCreate"):
        assert "province-wide" in schemas[name]["description"]
        assert "unless province_wide" in schemas[name]["properties"]["facility_ids"]["description"]
    assert "scope-required" in schemas["AccountUpdate"]["description"]


async def test_a_person_needs_a_birth_date_or_year_as_the_schema_says(
    client: httpx.AsyncClient,
) -> None:
    required_only = {"full_name": "Lò Thị Xuân", "sex": "female"}
    assert not schema_accepts("BeneficiaryCreate", required_only)
    assert_problem(await client.post("/api/v1/beneficiaries", json=required_only), 422)
    assert not schema_accepts("BeneficiaryCreate", {**required_only, "birth_date": None})
    for birth in ({"birth_year": 1951}, {"birth_date": "1951-05-07"}):
        body = {**required_only, **birth}
        assert schema_accepts("BeneficiaryCreate", body), birth
        response = await client.post("/api/v1/beneficiaries", json=body)
        assert response.status_code == 201, response.text


def test_an_amendment_changes_something_as_the_schema_says() -> None:
    assert not schema_accepts("ResultAmend", {"reason": "đo lại"})
    assert schema_accepts("ResultAmend", {"reason": "đo lại", "heart_rate_bpm": 72})


def test_a_dispense_status_change_offers_only_what_it_accepts() -> None:
    """A dispense is completed when it is made: the change offers cancelled and
    entered-in-error only, so that a body built from the schema is never refused."""
    assert schema_accepts("DispenseStatusIn", {"status": "cancelled", "reason": "trả lại"})
    assert schema_accepts("DispenseStatusIn", {"status": "entered-in-error", "reason": "nhầm"})
    assert not schema_accepts("DispenseStatusIn", {"status": "completed", "reason": "x"})
