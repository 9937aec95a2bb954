"""fhirpy, a FHIR client nobody here wrote, against the view (issue 22): `count()`,
`search(_id=...).get()`, every page of a search and a read, on every resource type.

fhirpy's async client speaks aiohttp, so it cannot use httpx's ASGI transport: the test app (on
the test's rolled-back transaction, with the record's data) is served by uvicorn on 127.0.0.1,
in the test's own event loop. fhirpy is not a project dependency yet: skipped without it."""

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

from tests.fhir.conftest import Record
from tests.fhir.test_search import one_of_each
from veteran_care.fhir.codes import CCCD_SYSTEM, FHIR_PREFIX

fhirpy = pytest.importorskip("fhirpy")


@pytest.fixture
async def fhir_url(app: Any) -> AsyncIterator[str]:
    config = uvicorn.Config(
        app, lifespan="off", log_config=None, access_log=False, ws="none", http="h11"
    )
    server = uvicorn.Server(config)
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        port = listening.getsockname()[1]
        serving = asyncio.create_task(server.serve(sockets=[listening]))
        while not server.started:
            assert not serving.done(), serving.exception()
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}{FHIR_PREFIX}"
        finally:
            server.should_exit = True
            await serving


async def test_fhirpy_counts_searches_and_reads_every_type(
    fhir_url: str, client: httpx.AsyncClient, record: Record
) -> None:
    fhir = fhirpy.AsyncFHIRClient(fhir_url, authorization=client.headers["authorization"])
    resources = await one_of_each(client, record)
    assert len(resources) == 11
    for resource_type, resource in resources.items():
        everyone = fhir.resources(resource_type).limit(3)  # pages of 3, followed by fhirpy
        listed = [found.id async for found in everyone]
        assert len(listed) == len(set(listed)) > 0
        assert await fhir.resources(resource_type).count() == len(listed), resource_type
        found = await fhir.resources(resource_type).search(_id=resource["id"]).get()
        assert found.serialize() == resource, resource_type
        read = await fhir.reference(resource_type, resource["id"]).to_resource()
        assert read.serialize() == resource
    me = record.person["id"]
    patients = fhir.resources("Patient").search(identifier=f"{CCCD_SYSTEM}|")
    assert me in [p.id for p in await patients.fetch_all()]
    assert await fhir.resources("Observation").search(patient=me).count() == 12
    with pytest.raises(fhirpy.base.exceptions.ResourceNotFound):
        await fhir.resources("Patient").search(_id="nobody").get()
