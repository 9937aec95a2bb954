"""Why a row of an import was not written, said in the language of whoever imports: each
`RowError` keeps its message as a catalog id with its values (`kit.i18n.Message`) until the
summary is sent, and `in_language` renders them. The column (`field`) stays English: it is
what the file's header names. A message of the API's own schemas (pydantic's) is chosen by
its error type as in a 422 (`kit.i18n.field_message`), so an import row and a request say the
same thing in the same words."""

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, SkipValidation

from veteran_care.kit.i18n import InvalidValue, Message, field_message, translated


class RowError(BaseModel):
    """Why one row of an import was not written."""

    line: int = Field(description="Line of the CSV file, or row of the sheet (header: 1).")
    field: str | None = Field(description="The column (English name); null: the whole row.")
    # Not validated: a `Message` stays one (pydantic would make it a plain str) until the
    # summary is put in the request's language.
    message: Annotated[str, SkipValidation] = Field(
        description="What is wrong, in words, in the language of `Accept-Language`."
    )


class CellError(InvalidValue):
    """A cell that cannot be read as its column's value (a date, a year, a sex...)."""


def schema_message(error: Any) -> str:
    """One pydantic error of a row's schema, as the API's validation errors say it; with the
    path inside the column (``0.code: ...``) when the error is nested."""
    message = field_message(error)
    loc = error.get("loc") or ()
    if len(loc) > 1:
        problem = message if isinstance(message, Message) else Message(message)
        return Message("{field}: {problem}", field=".".join(map(str, loc[1:])), problem=problem)
    return message


def rendered(errors: Sequence[RowError], language: str) -> list[RowError]:
    """The errors with their messages in ``language``."""
    return [
        error.model_copy(update={"message": translated(error.message, language)})
        for error in errors
    ]


Summary = TypeVar("Summary", bound=BaseModel)


def in_language(summary: Summary, language: str) -> Summary:
    """An import's summary with its errors' messages in ``language``."""
    errors = getattr(summary, "errors", [])
    return summary.model_copy(update={"errors": rendered(errors, language)})
