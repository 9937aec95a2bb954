"""What every FHIR search shares: the result parameters, FHIR's handling of parameters it cannot
apply, and the JSON-only answer to `_format` and `Accept`.

A search applies its type's parameters (capability.SEARCH), `_id`, `_count`, `_summary=count`
(or `false`), `_elements`, `_sort` (the values queries.SORTS lists), `_format` (JSON) and the
`_cursor` of a `next` link. Anything else (an unknown parameter, a modifier, `_include`, a value
of `_summary`, `_sort` or `_elements` that is not supported) is refused with a 400 naming it under
`Prefer: handling=strict`, and otherwise (lenient, FHIR's default) left out, also of the Bundle's
`self` link, which therefore says exactly what was applied.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Header, Query, Request

from veteran_care.errors import DomainError
from veteran_care.fhir import elements as subsetting
from veteran_care.fhir import search as params
from veteran_care.fhir.capability import SEARCH
from veteran_care.fhir.queries import SORTS
from veteran_care.fhir.search import BadSearch, Controls
from veteran_care.kit.i18n import Message
from veteran_care.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT

JSON_FORMATS = ("json", "application/json", "application/fhir+json", "application/json+fhir")
_JSON_ACCEPTED = frozenset({"*/*", "application/*", *JSON_FORMATS[1:]})
RESULT_PARAMETERS = frozenset({"_id", "_count", "_summary", "_elements", "_sort"})
_ALWAYS_KNOWN = frozenset({"_cursor", "_format"})
_ASCII = r"^[!-~]+$"  # printable, no spaces: what a value of these parameters can be


class NotAcceptable(DomainError):
    status = 406
    code = "not-acceptable"


def _media(value: str) -> str:
    # An unencoded `+` in a query string arrives as a space: `_format=application/fhir+json`.
    return value.split(";")[0].strip().lower().replace(" ", "+")


def _json_accepted(accept: str) -> bool:
    for part in accept.split(","):
        media, *options = part.split(";")
        weights = [o.strip()[2:] for o in options if o.strip().lower().startswith("q=")]
        try:
            weight = float(weights[0]) if weights else 1.0
        except ValueError:
            weight = 1.0
        if weight > 0 and _media(media) in _JSON_ACCEPTED:
            return True
    return False


async def negotiate(
    request: Request,
    format_: Annotated[
        str | None,
        Query(
            alias="_format",
            max_length=50,
            description="JSON only; any other format (`xml`, ...) is answered 406.",
            json_schema_extra={"enum": list(JSON_FORMATS)},
        ),
    ] = None,
) -> None:
    """Every /fhir route: 406 (an OperationOutcome, in JSON) for a format other than JSON."""
    _once(request, "_format")
    if format_ is not None and _media(format_) not in JSON_FORMATS:
        raise NotAcceptable(
            Message(
                "_format={format}: this server answers application/fhir+json only.", format=format_
            )
        )
    accept = request.headers.get("accept", "").strip()
    if accept and not _json_accepted(accept):
        raise NotAcceptable(
            Message(
                "Accept: {accept}: this server answers application/fhir+json only.", accept=accept
            )
        )


def _once(request: Request, *names: str) -> None:
    """A single-valued parameter given twice is malformed (400), not merely unsupported."""
    for name in names:
        if len(request.query_params.getlist(name)) > 1:
            raise BadSearch(Message("{name}: given more than once.", name=name))


def is_strict(prefer: str | None) -> bool:
    """`Prefer: handling=strict` (RFC 7240 preferences, comma- or semicolon-separated)."""
    tokens = (prefer or "").replace(";", ",").split(",")
    return any(t.replace(" ", "").lower() == "handling=strict" for t in tokens)


def _refuse(unsupported: list[str]) -> None:
    raise BadSearch(
        Message(
            "Unknown or unsupported search parameters (Prefer: handling=strict): {names}.",
            names=", ".join(unsupported),
        )
    )


Prefer = Annotated[
    str | None,
    Header(
        max_length=200,
        description="`handling=strict`: refuse (400) parameters this server does not support, "
        "instead of leaving them out (the default, `handling=lenient`).",
    ),
]


def search_controls(resource_type: str) -> Callable[..., Awaitable[Controls]]:
    """The dependency that reads a search's result parameters for `resource_type`."""
    filters = frozenset(name for name, _ in SEARCH[resource_type])
    known = filters | RESULT_PARAMETERS | _ALWAYS_KNOWN
    sorts = tuple(SORTS.get(resource_type, ()))
    sort_text = f"One of: {', '.join(sorts)}." if sorts else f"{resource_type} takes none."

    async def controls(
        request: Request,
        ids: Annotated[
            str | None,
            Query(
                alias="_id",
                max_length=params.MAX_IDS * 65 - 1,
                pattern=params.IDS_PATTERN,
                description=f"One id or a comma-separated list (up to {params.MAX_IDS}); an id "
                "this server does not know matches nothing.",
            ),
        ] = None,
        count: Annotated[
            int,
            Query(
                alias="_count",
                ge=0,
                le=MAX_LIMIT,
                description=f"Page size (default {DEFAULT_LIMIT}); 0: the total only.",
            ),
        ] = DEFAULT_LIMIT,
        cursor: Annotated[
            str | None,
            Query(alias="_cursor", max_length=512, description="From the Bundle's `next` link."),
        ] = None,
        summary: Annotated[
            str | None,
            Query(
                alias="_summary",
                max_length=20,
                pattern=_ASCII,
                description="`count`: the total only, no entries. Other values are not "
                "supported (see `Prefer`).",
            ),
        ] = None,
        elements: Annotated[
            str | None,
            Query(
                alias="_elements",
                max_length=300,
                pattern=_ASCII,
                description="Top-level elements to return, comma-separated; `id`, `meta` and "
                "mandatory elements always come (tagged SUBSETTED).",
            ),
        ] = None,
        sort: Annotated[
            str | None,
            Query(
                alias="_sort",
                max_length=100,
                pattern=_ASCII,
                description=f"The order. {sort_text}",
            ),
        ] = None,
        prefer: Prefer = None,
    ) -> Controls:
        _once(request, "_id", "_count", "_cursor", "_summary", "_elements", "_sort")
        unsupported = sorted({name for name in request.query_params if name not in known})
        count_only = count == 0 or summary == "count"
        if summary not in (None, "count", "false"):
            unsupported.append(f"_summary={summary}")
        chosen = subsetting.parse(elements)
        if elements is not None and chosen is None:
            unsupported.append(f"_elements={elements}")
        if sort is not None and sort not in sorts:
            unsupported.append(f"_sort={sort}")
        if unsupported and is_strict(prefer):
            _refuse(unsupported)
        dropped = {name.partition("=")[0] for name in unsupported}
        return Controls(
            ids=params.ids(ids),
            count=count,
            cursor=cursor,
            count_only=count_only,
            sort=sort if sort in sorts else None,
            elements=chosen,
            applied=tuple(
                (name, value)
                for name, value in request.query_params.multi_items()
                if name not in dropped
            ),
        )

    controls.__name__ = f"search_{resource_type.lower()}_controls"
    return controls


async def operation_controls(request: Request, prefer: Prefer = None) -> None:
    """An operation without parameters (`$everything`): under strict handling, refuse any."""
    unsupported = sorted(name for name in request.query_params if name not in _ALWAYS_KNOWN)
    if unsupported and is_strict(prefer):
        _refuse(unsupported)
