"""Schemathesis hooks for CI's run (SCHEMATHESIS_HOOKS=tests.contract.schemathesis_hooks).

A list's `cursor` is opaque: only a `next_cursor` the server issued is valid, so a generated one
is refused (422 `invalid-cursor`) however well it matches the schema. Generated queries that carry
a cursor are left out, rather than accepting 422 from every list operation, which would hide any
other filter the schema fails to describe. Paging itself is covered by the tests of each list.
"""

import re
import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def filter_query(ctx: schemathesis.HookContext, query: dict[str, Any] | None) -> bool:
    return not query or not ({"cursor", "_cursor"} & set(query))


# An Idempotency-Key that the server accepts is replaced by a fresh one: the fuzzer reuses short
# values ("0", "!") across different bodies, which the API rightly refuses (422
# `idempotency-key-reused`). Invalid keys are left as generated, so their 422 is still checked;
# replays themselves are covered by tests/idempotency.
_VALID_KEY = re.compile(r"^[\x21-\x7E]{1,255}$")


@schemathesis.hook
def before_call(ctx: schemathesis.HookContext, case: Any, **kwargs: Any) -> None:
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and _VALID_KEY.match(key):
        case.headers["Idempotency-Key"] = str(uuid.uuid4())
