"""Rules on the request's own input that a schema cannot state, refused in the one shape of
validation errors (``422 validation-error`` with ``errors[]``, as the framework's own)."""

from datetime import date

from veteran_care.errors import DomainError
from veteran_care.kit.i18n import Message


class InvalidInput(DomainError):
    """Bad input that the schema lets through and a rule refuses (a range that ends before it
    starts, two fields that contradict each other): the same ``validation-error`` problem, with
    the fields in ``errors``, as the framework's own request validation."""

    status = 422
    code = "validation-error"

    def __init__(self, field: str, message: str, *, error_type: str = "value_error") -> None:
        super().__init__(
            Message("Invalid input: {fields}.", fields=field),
            errors=[{"field": field, "message": message, "type": error_type}],
        )


def check_date_range(
    date_from: date | None,
    date_to: date | None,
    *,
    names: tuple[str, str] = ("date_from", "date_to"),
    max_days: int | None = None,
    location: str = "query",
) -> None:
    """A range given as two parameters: the end on or after the start (and at most
    ``max_days`` long), else 422 ``validation-error`` naming the end."""
    if date_from is None or date_to is None:
        return
    first, last = names
    if date_to < date_from:
        raise InvalidInput(
            f"{location}.{last}",
            Message("{last} must be on or after {first}", last=last, first=first),
        )
    if max_days is not None and (date_to - date_from).days >= max_days:
        raise InvalidInput(
            f"{location}.{last}", Message("at most {max_days} days at a time", max_days=max_days)
        )
