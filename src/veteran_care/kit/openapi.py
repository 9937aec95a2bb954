"""What FastAPI cannot say in the OpenAPI document by itself, added after it is generated.

- `If-Match` is required wherever a missing one is refused with 428 (the route reads it as
  optional so that the refusal is our 428 problem, not a validation error).
- Links from every create to the reads and writes of what it created (and from a read to the
  update of the same thing, with the ETag as `If-Match`), and to the creates that name it in their
  body (a beneficiary to a booking): documentation for client authors, and the paths that
  stateful testing (schemathesis) follows.
- FastAPI's `Body_<operation>` names for form bodies become names a client can live with.
- The nulls of the shapes' examples, which FastAPI drops (fastapi/fastapi#5559).
- Every 201 declares the `Location` header that each create sends (the URL to read what it
  created), so that no create can be documented without it.
- Each problem response shows an example of its own status (kit/problem_examples.py).
- Problems are documented as ``application/problem+json`` only, a body that cannot be read is a
  400, and each operation passes through the documenters ``main`` hands over (who may call it,
  idempotency keys, …): ``install_openapi``.
"""

import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from fastapi import FastAPI

from veteran_care.errors import PROBLEM_MEDIA_TYPE
from veteran_care.kit.problem_examples import exemplify_problems
from veteran_care.kit.schemas import Schema

SCHEMA_NAMES = {
    "Body_issue_token": "TokenRequest",
    "Body_import_beneficiaries": "BeneficiaryImportUpload",
    "Body_import_past_checks": "PastCheckImportUpload",
}
# FastAPI builds those form bodies from the parameters: their description and example are here.
GENERATED_SCHEMAS: dict[str, dict[str, Any]] = {
    "TokenRequest": {
        "description": "An OAuth2 token request (RFC 6749), form-encoded: the fields the grant "
        "type needs.",
        "examples": [
            {
                "grant_type": "password",
                "username": "tran.thi.hoa",
                "password": "đổi mật khẩu ngay lần đầu",
            }
        ],
    },
    "BeneficiaryImportUpload": {
        "description": "A registry file to import: CSV (UTF-8) or XLSX, one person per row, "
        "with a header row naming the columns in English or Vietnamese.",
        "examples": [
            {
                "file": "ho_ten,gioi_tinh,nam_sinh,so_cccd,ma_so_bhxh,ma_xa\n"
                "Lò Văn Pấng,male,1951,011051004321,1122998877,03325\n"
            }
        ],
    },
    "PastCheckImportUpload": {
        "description": "A file of past checks to import: CSV (UTF-8) or XLSX, one check per "
        "row, the person found by BHXH number or CCCD.",
        "examples": [
            {
                "file": "ma_bhxh,ngay_kham_gan_nhat,phan_loai_suc_khoe,noi_kham\n"
                "1122998877,12/03/2026,II,Bệnh viện Quân y 6\n"
            }
        ],
    },
}
# Creates whose result feeds operations on another path than their own.
EXTRA_LINKS: dict[str, dict[str, dict[str, str]]] = {
    # A booked checkup's first appointment: its reads, result and status changes.
    "book_checkup": {
        "/api/v1/appointments/{appointment_id}": {"appointment_id": "/appointments/0/id"}
    },
    # A receipt or an adjustment answers with the lot it changed (its `Location`).
    "receive_stock": {"/api/v1/facilities/{facility_id}/stock/lots": {"lot_id": "/id"}},
    "adjust_stock": {"/api/v1/facilities/{facility_id}/stock/lots": {"lot_id": "/id"}},
}
# Creates whose result is named in another create's body: the link fills those body fields and
# the rest is generated (schemathesis merges a link's requestBody into the generated one).
BODY_LINKS: dict[str, dict[str, dict[str, str]]] = {
    "create_beneficiary": {
        "book_checkup": {"beneficiary_id": "$response.body#/id"},
        "create_dispense": {"beneficiary_id": "$response.body#/id"},
    },
    "create_facility": {"generate_sessions": {"facility_id": "$response.body#/id"}},
    "create_facility_service": {
        "create_session": {"service_id": "$response.body#/id"},
        "generate_sessions": {"facility_id": "$request.path.facility_id"},
    },
    "create_medicine": {"create_dispense": {"medicine_id": "$response.body#/id"}},
}
LOCATION = "The URL of what was created, a path from the server's root: GET it to read it."
# A PUT that creates on first call needs If-Match only to replace: the header stays optional.
IF_MATCH_OPTIONAL = frozenset({"conclude_checkup"})
_PARAM = re.compile(r"\{([^}]+)\}")
_METHODS = ("get", "put", "post", "patch", "delete")


def refine(schema: dict[str, Any]) -> None:
    _keep_nulls_in_examples(schema)
    _rename_schemas(schema)
    _declare_location(schema)
    _require_if_match(schema)
    _link_creates(schema)
    _link_reads_to_updates(schema)
    exemplify_problems(schema)


def _rename_schemas(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    for old, new in SCHEMA_NAMES.items():
        if old in components:
            components[new] = components.pop(old)
            components[new]["title"] = new
            components[new].update(GENERATED_SCHEMAS.get(new, {}))
    refs = {
        f"#/components/schemas/{old}": f"#/components/schemas/{new}"
        for old, new in SCHEMA_NAMES.items()
    }

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if ref in refs:
                node["$ref"] = refs[ref]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema.get("paths", {}))


def _schema_examples() -> dict[str, Any]:
    """The examples each API shape declares, by class name (the component's name)."""
    found: dict[str, Any] = {}
    pending: list[type[Schema]] = [Schema]
    while pending:
        model = pending.pop()
        pending += model.__subclasses__()
        extra = model.model_config.get("json_schema_extra")
        if isinstance(extra, dict) and "examples" in extra:
            found[model.__name__] = extra["examples"]
    return found


def _keep_nulls_in_examples(schema: dict[str, Any]) -> None:
    """FastAPI drops every null of the document it generates, those of examples included: a
    read's example would lose its required nullable fields and no longer match its own schema.
    The examples are put back as the shapes declare them."""
    components = schema.get("components", {}).get("schemas", {})
    for name, examples in _schema_examples().items():
        component = components.get(name)
        if component is not None and component.get("title") == name and "examples" in component:
            component["examples"] = examples


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in schema.get("paths", {}).items()
        for method, operation in item.items()
        if method in _METHODS
    ]


def _declare_location(schema: dict[str, Any]) -> None:
    for _, _, operation in _operations(schema):
        created = operation.get("responses", {}).get("201")
        if created is not None:
            headers = created.setdefault("headers", {})
            headers.setdefault("Location", {"description": LOCATION, "schema": {"type": "string"}})


def _require_if_match(schema: dict[str, Any]) -> None:
    for _, _, operation in _operations(schema):
        if (
            "428" not in operation.get("responses", {})
            or operation["operationId"] in IF_MATCH_OPTIONAL
        ):
            continue
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                parameter["required"] = True
                described = parameter["schema"]
                parameter["schema"] = {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "title": described.get("title", "If-Match"),
                    "description": described.get("description", ""),
                }


def _if_match(operation: dict[str, Any]) -> str | None:
    """The name of the operation's If-Match header parameter, if it has one."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            name: str = parameter["name"]
            return name
    return None


def _link(
    target: dict[str, Any], path: str, known: dict[str, str], etag: bool
) -> dict[str, Any] | None:
    """A link to ``target`` at ``path`` when every path parameter it needs is ``known``."""
    needed = _PARAM.findall(path)
    if not all(name in known for name in needed):
        return None
    parameters: dict[str, str] = {f"path.{name}": known[name] for name in needed}
    header = _if_match(target) if etag else None
    if header is not None:
        parameters[f"header.{header}"] = "$response.header.ETag"
    return {"operationId": target["operationId"], "parameters": parameters}


def _add_link(response: dict[str, Any], link: dict[str, Any] | None) -> None:
    if link is not None:
        response.setdefault("links", {})[link["operationId"]] = link


def _link_creates(schema: dict[str, Any]) -> None:
    operations = _operations(schema)
    for path, method, operation in operations:
        created = operation.get("responses", {}).get("201")
        if method != "post" or created is None:
            continue
        own = {name: f"$request.path.{name}" for name in _PARAM.findall(path)}
        for target_path, _, target in operations:
            rest = target_path.removeprefix(path + "/")
            if rest == target_path or not rest.startswith("{"):
                continue
            new_id = rest[1 : rest.index("}")]
            known = {**own, new_id: "$response.body#/id"}
            # The create's ETag is the version of what it created, not of what hangs below it.
            etag = target_path == f"{path}/{{{new_id}}}"
            _add_link(created, _link(target, target_path, known, etag=etag))
        for target_id, body in BODY_LINKS.get(operation["operationId"], {}).items():
            _add_link(created, {"operationId": target_id, "requestBody": body})
        for prefix, pointers in EXTRA_LINKS.get(operation["operationId"], {}).items():
            known = {**own, **{n: f"$response.body#{p}" for n, p in pointers.items()}}
            for target_path, _, target in operations:
                if target_path == prefix or target_path.startswith(prefix + "/"):
                    _add_link(created, _link(target, target_path, known, etag=False))


def _link_reads_to_updates(schema: dict[str, Any]) -> None:
    for path, item in schema.get("paths", {}).items():
        read = item.get("get", {}).get("responses", {}).get("200")
        if read is None:
            continue
        known = {name: f"$request.path.{name}" for name in _PARAM.findall(path)}
        for method in ("patch", "put"):
            if method in item and _if_match(item[method]) is not None:
                _add_link(read, _link(item[method], path, known, etag=True))


Documenter = Callable[[dict[str, Any]], None]


def problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


MALFORMED_BODY = problem("The body could not be read (e.g. not UTF-8).")


def _house_rules(schema: dict[str, Any], documenters: tuple[Documenter, ...]) -> None:
    for path in schema["paths"].values():
        for operation in path.values():
            if "requestBody" in operation:
                operation["responses"].setdefault("400", MALFORMED_BODY)
            for document in documenters:
                document(operation)
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if PROBLEM_MEDIA_TYPE in content:
                    content.pop("application/json", None)


def _in_order(paths: dict[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """The paths ``order`` names, in its order, in the places they took; the others as they were."""
    rank = {path: i for i, path in reversed(list(enumerate(order)))}
    named = iter(sorted((path for path in paths if path in rank), key=rank.__getitem__))
    keys = [next(named) if path in rank else path for path in paths]
    return {path: paths[path] for path in keys}


def install_openapi(
    app: FastAPI, documenters: Iterable[Documenter], path_order: Sequence[str] = ()
) -> None:
    """The app's document, generated once with the house rules and ``refine`` applied, its
    paths in ``path_order`` (the app may match its routes in another order)."""
    generate = app.openapi
    documenters = tuple(documenters)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema["paths"] = _in_order(schema["paths"], path_order)
            _house_rules(schema, documenters)
            refine(schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
