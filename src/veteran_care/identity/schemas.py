"""HTTP shapes of tokens, users and machine clients. Secrets are write-only."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.auth.passwords import MIN_PASSWORD_LENGTH
from veteran_care.kit.schemas import UNIQUE_ITEMS, Bool, InputSchema, OutputSchema
from veteran_care.kit.text import Line200
from veteran_care.models import Role

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9._-]{2,63}$"

Login = Annotated[str, Field(pattern=LOGIN_PATTERN, max_length=64, examples=["nguyen.an"])]
Password = Annotated[
    str,
    Field(
        min_length=MIN_PASSWORD_LENGTH,
        max_length=128,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description=f"At least {MIN_PASSWORD_LENGTH} characters; never returned or logged.",
    ),
]
Roles = Annotated[
    list[Role], Field(min_length=1, max_length=len(Role), json_schema_extra=UNIQUE_ITEMS)
]
FacilityIds = Annotated[list[uuid.UUID], Field(max_length=50, json_schema_extra=UNIQUE_ITEMS)]


def _unique(values: list[Any] | None, name: str) -> None:
    if values is not None and len(values) != len(set(values)):
        raise ValueError(f"{name} must not repeat")


# An account's scope, as JSON Schema states it: facility_ids (at least one) unless province-wide.
# `if`/`else` rather than `anyOf`: generated clients keep one model with every property.
SCOPE_RULE: dict[str, Any] = {
    "if": {"properties": {"province_wide": {"const": True}}, "required": ["province_wide"]},
    "else": {"properties": {"facility_ids": {"minItems": 1}}, "required": ["facility_ids"]},
}
SCOPE_DESCRIPTION = (
    "The account is province-wide (`province_wide: true`) or names at least one facility in "
    "`facility_ids` (each must exist: 422 `unknown-facility`)."
)


class _ScopeIn(InputSchema):
    model_config = ConfigDict(json_schema_extra=SCOPE_RULE)

    roles: Roles
    province_wide: Bool = Field(False, description="Every facility of the province.")
    facility_ids: FacilityIds = Field(
        default_factory=list, description="Required (at least one) unless province_wide."
    )

    @model_validator(mode="after")
    def _scope(self) -> "_ScopeIn":
        _unique(self.roles, "roles")
        _unique(self.facility_ids, "facility_ids")
        if not self.province_wide and not self.facility_ids:
            raise ValueError("give facility_ids or set province_wide")
        return self


class UserCreate(_ScopeIn):
    __doc__ = f"A staff user. {SCOPE_DESCRIPTION}"

    username: Login
    full_name: Line200
    password: Password


class ClientCreate(_ScopeIn):
    __doc__ = f"A machine client (client credentials). {SCOPE_DESCRIPTION}"

    client_id: Login
    name: Line200


class AccountUpdate(InputSchema):
    """Partial update of a user or client. Needs If-Match. The account after the update is
    province-wide or has at least one facility (422 `scope-required` otherwise: leaving
    `province_wide` needs `facility_ids`, unless the account has some already)."""

    full_name: Line200 | SkipJsonSchema[None] = Field(None, description="Users only.")
    name: Line200 | SkipJsonSchema[None] = Field(None, description="Clients only.")
    roles: Roles | SkipJsonSchema[None] = None
    province_wide: Bool | SkipJsonSchema[None] = None
    facility_ids: FacilityIds | SkipJsonSchema[None] = None
    active: Bool | SkipJsonSchema[None] = Field(
        None, description="false deactivates: every token of the account stops working at once."
    )

    @field_validator("full_name", "name", "roles", "province_wide", "facility_ids", "active")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return value

    @model_validator(mode="after")
    def _unique_lists(self) -> "AccountUpdate":
        _unique(self.roles, "roles")
        _unique(self.facility_ids, "facility_ids")
        return self


class PasswordReset(InputSchema):
    """An admin sets another user's password; the old one is not needed."""

    password: Password


class PasswordChange(InputSchema):
    """The caller changes their own password: the current one is required."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "my old long password",
                    "new_password": "a new long passphrase",
                }
            ]
        }
    )

    current_password: str = Field(
        min_length=1,
        max_length=128,
        description="The password now: checked like a login (repeated failures from one "
        "address make that address wait, 429).",
    )
    new_password: Password

    @model_validator(mode="after")
    def _differs(self) -> "PasswordChange":
        if self.new_password == self.current_password:
            raise ValueError("new_password must differ from current_password")
        return self


class UserRead(OutputSchema):
    id: uuid.UUID
    username: str
    full_name: str
    roles: list[Role]
    province_wide: bool
    facility_ids: list[uuid.UUID]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ClientRead(OutputSchema):
    id: uuid.UUID
    client_id: str
    name: str
    roles: list[Role]
    province_wide: bool
    facility_ids: list[uuid.UUID]
    active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class ClientSecret(ClientRead):
    client_secret: str = Field(description="Shown once: store it now; only its hash is kept.")


class Token(OutputSchema):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = Field(
        None, description="Users only: exchange it (grant_type=refresh_token) for a new pair."
    )


class Me(OutputSchema):
    id: uuid.UUID
    kind: str
    login: str
    roles: list[Role]
    province_wide: bool
    facility_ids: list[uuid.UUID]
