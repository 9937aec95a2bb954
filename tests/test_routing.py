"""The app tries its routers busiest first (decision 0063): every operation is still reached by
its own path and method, and the OpenAPI document keeps the routers' documented order."""

import re
import uuid
from typing import Any

import httpx
from fastapi.routing import APIRoute

from veteran_care.main import API_PREFIX, api_routers, documented_paths, matching_order

_PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")
_SAMPLES = {"int": "7", "path": "a/b"}


def _sample(path: str) -> str:
    """A path that this route's template matches: ids where it names parameters."""
    return _PARAMETER.sub(lambda m: _SAMPLES.get(m.group(2) or "", str(uuid.uuid4())), path)


def _counted(app: Any) -> dict[tuple[str, str], float]:
    """The edge's request counter, by method and the route template it names."""
    counts: dict[tuple[str, str], float] = {}
    for metric in app.state.metrics_registry.collect():
        for sample in metric.samples:
            if sample.name == "veteran_care_http_requests_total":
                key = (sample.labels["method"], sample.labels["route"])
                counts[key] = counts.get(key, 0.0) + sample.value
    return counts


async def test_every_operation_is_reached_by_its_own_path(
    app: Any, anon_client: httpx.AsyncClient
) -> None:
    missed = []
    for router in api_routers():
        for route in router.routes:
            assert isinstance(route, APIRoute)
            template = API_PREFIX + route.path_format
            for method in sorted(route.methods - {"HEAD"}):
                before = _counted(app)
                await anon_client.request(method, API_PREFIX + _sample(route.path))
                after = _counted(app)
                reached = [key for key, value in after.items() if value > before.get(key, 0.0)]
                if reached != [(method, template)]:
                    missed.append((method, template, reached))
    assert missed == []


def test_the_busiest_routers_come_first_and_none_is_left_out() -> None:
    order = matching_order()
    assert sorted(map(id, order)) == sorted(map(id, api_routers()))
    assert order[0] is not api_routers()[0]  # the booking desk's, not the log-in's


async def test_the_document_lists_the_paths_in_the_routers_order(app: Any) -> None:
    api_paths = [path for path in app.openapi()["paths"] if path.startswith(API_PREFIX)]
    documented = list(dict.fromkeys(documented_paths()))
    assert api_paths == documented
