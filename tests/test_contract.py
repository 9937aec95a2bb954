"""The OpenAPI document is the contract: the committed openapi.json must be what the code says.

After a deliberate API change: `veteran-care openapi > openapi.json`, and the diff shows it."""

import json
from pathlib import Path

from tests.document import openapi_document

COMMITTED = Path(__file__).parents[1] / "openapi.json"


def test_the_committed_openapi_document_is_the_codes() -> None:
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    current = json.loads(json.dumps(openapi_document()))
    assert current == committed, (
        "The API changed: run `veteran-care openapi > openapi.json` and commit the diff."
    )
