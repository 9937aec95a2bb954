"""HTTP shapes of tokens, users and machine clients. Secrets are write-only."""

import uuid
from typing import Annotated, Any

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from veteran_care.identity import examples as ex
from veteran_care.identity.passwords import MIN_PASSWORD_LENGTH
from veteran_care.kit.i18n import InvalidValue
from veteran_care.kit.schemas import (
    UNIQUE_ITEMS,
    Bool,
    CreatedAt,
    InputSchema,
    OutputSchema,
    UpdatedAt,
    Version,
    examples,
)
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
ProvinceCode = Annotated[str, Field(pattern=r"^[0-9]{2}$", min_length=2, max_length=2)]
ProvinceCodes = Annotated[
    list[ProvinceCode], Field(max_length=34, json_schema_extra=UNIQUE_ITEMS, examples=[["12"]])
]


def _unique(values: list[Any] | None, name: str) -> None:
    if values is not None and len(values) != len(set(values)):
        raise InvalidValue("{name} must not repeat", name=name)


# An account's scope, as JSON Schema states it (decision 0054): facility_ids (at least one)
# unless province-wide, nation-wide or naming provinces; a nation-wide account names nothing
# else. `if`/`then`/`else` rather than `anyOf` at the top: generated clients keep one model
# with every property.
_TRUE = {"const": True}
SCOPE_RULE: dict[str, Any] = {
    "allOf": [
        {
            "if": {
                "anyOf": [
                    {"properties": {"province_wide": _TRUE}, "required": ["province_wide"]},
                    {"properties": {"nation_wide": _TRUE}, "required": ["nation_wide"]},
                    {
                        "properties": {"province_codes": {"minItems": 1}},
                        "required": ["province_codes"],
                    },
                ]
            },
            "else": {"properties": {"facility_ids": {"minItems": 1}}, "required": ["facility_ids"]},
        },
        {
            "if": {"properties": {"nation_wide": _TRUE}, "required": ["nation_wide"]},
            "then": {
                "properties": {
                    "province_wide": {"const": False},
                    "facility_ids": {"maxItems": 0},
                    "province_codes": {"maxItems": 0},
                }
            },
        },
    ]
}


class _ScopeIn(InputSchema):
    model_config = ConfigDict(json_schema_extra=SCOPE_RULE)

    roles: Roles
    """What the account may do."""
    province_wide: Bool = False
    """true: every facility of the province (of every province the deployment serves); else
    only facility_ids and province_codes."""
    facility_ids: FacilityIds = Field(default_factory=list)
    """The facilities the account works for: required (at least one) unless province_wide,
    nation_wide or province_codes."""
    province_codes: ProvinceCodes = Field(default_factory=list)
    """Provinces (2-digit codes, among those the deployment serves: 422 `province-not-served`
    otherwise) whose facilities, people and reports the account works on: a department
    officer."""
    nation_wide: Bool = False
    """true: reads the reports of every province served and writes nothing (a ministry
    officer); names no facility or province and is not province_wide."""

    @model_validator(mode="after")
    def _scope(self) -> "_ScopeIn":
        _unique(self.roles, "roles")
        _unique(self.facility_ids, "facility_ids")
        _unique(self.province_codes, "province_codes")
        if self.nation_wide and (self.province_wide or self.facility_ids or self.province_codes):
            raise InvalidValue(
                "a nation_wide account has no province_wide, facility_ids or province_codes"
            )
        if not (self.province_wide or self.nation_wide or self.facility_ids or self.province_codes):
            raise InvalidValue(
                "give facility_ids or province_codes, or set province_wide or nation_wide"
            )
        return self


class UserCreate(_ScopeIn):
    """A staff account: login, name, password, roles and scope. The account is province-wide
    (`province_wide: true`), nation-wide (`nation_wide: true`: reports only, nothing else named)
    or names at least one facility in `facility_ids` (each must exist: 422 `unknown-facility`)
    or province in `province_codes` (each served: 422 `province-not-served`)."""

    model_config = examples(ex.USER_CREATE, **SCOPE_RULE)

    username: Login
    """Login name: lower-case letters, digits, . _ -; unique."""
    full_name: Line200
    """The person's full name (Vietnamese, NFC)."""
    password: Password


class ClientCreate(_ScopeIn):
    """A machine client (the department's systems): it logs in with client credentials; the
    secret is generated and shown once. The client is province-wide (`province_wide: true`),
    nation-wide (`nation_wide: true`: reports only, nothing else named) or names at least one
    facility in `facility_ids` (each must exist: 422 `unknown-facility`) or province in
    `province_codes` (each served: 422 `province-not-served`)."""

    model_config = examples(ex.CLIENT_CREATE, **SCOPE_RULE)

    client_id: Login
    """Client id for the client-credentials grant: lower-case letters, digits, . _ -; unique."""
    name: Line200
    """What the client is, e.g. the department's reporting system."""


class AccountUpdate(InputSchema):
    """Partial update of a user or client. Needs If-Match. The account after the update is
    province-wide, nation-wide or has at least one facility or province (422 `scope-required`
    otherwise: leaving `province_wide` needs `facility_ids` or `province_codes`, unless the
    account has some already); a nation-wide one has none (422 `scope-required`)."""

    model_config = examples(ex.ACCOUNT_UPDATE)

    full_name: Line200 | SkipJsonSchema[None] = Field(None, description="Users only.")
    name: Line200 | SkipJsonSchema[None] = Field(None, description="Clients only.")
    roles: Roles | SkipJsonSchema[None] = None
    """Replaces the roles."""
    province_wide: Bool | SkipJsonSchema[None] = None
    """true: every facility of the province."""
    facility_ids: FacilityIds | SkipJsonSchema[None] = None
    """Replaces the facility scope."""
    province_codes: ProvinceCodes | SkipJsonSchema[None] = None
    """Replaces the provinces."""
    nation_wide: Bool | SkipJsonSchema[None] = None
    """true: reports of every province served, nothing written."""
    active: Bool | SkipJsonSchema[None] = Field(
        None, description="false deactivates: every token of the account stops working at once."
    )

    @field_validator(
        "full_name",
        "name",
        "roles",
        "province_wide",
        "facility_ids",
        "province_codes",
        "nation_wide",
        "active",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise InvalidValue("cannot be null; leave the field out to keep it")
        return value

    @model_validator(mode="after")
    def _unique_lists(self) -> "AccountUpdate":
        _unique(self.roles, "roles")
        _unique(self.facility_ids, "facility_ids")
        _unique(self.province_codes, "province_codes")
        return self


class PasswordReset(InputSchema):
    """An admin sets another user's password; the old one is not needed."""

    model_config = examples({"password": "mật khẩu tạm thời 2027"})

    password: Password
    """The new password, to be given to the user in person."""


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
            raise InvalidValue("new_password must differ from current_password")
        return self


class UserRead(OutputSchema):
    """A staff account (the password is never returned)."""

    model_config = examples(ex.USER_READ)

    id: uuid.UUID
    """The account's id."""
    username: str
    """Login name."""
    full_name: str
    """The person's full name."""
    roles: list[Role]
    """What the account may do."""
    province_wide: bool
    """true: every facility of the province."""
    facility_ids: list[uuid.UUID]
    """The facilities it works for when not province-wide."""
    province_codes: list[str]
    """The provinces it works for (their facilities, people and reports)."""
    nation_wide: bool
    """true: reads the reports of every province served, writes nothing."""
    active: bool
    """false: deactivated, cannot log in."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class ClientRead(OutputSchema):
    """A machine client (the secret is never returned after creation)."""

    id: uuid.UUID
    """The account's id."""
    client_id: str
    """Client id for the client-credentials grant."""
    name: str
    """What the client is."""
    roles: list[Role]
    """What the client may do."""
    province_wide: bool
    """true: every facility of the province."""
    facility_ids: list[uuid.UUID]
    """The facilities it works for when not province-wide."""
    province_codes: list[str]
    """The provinces it works for (their facilities, people and reports)."""
    nation_wide: bool
    """true: reads the reports of every province served, writes nothing."""
    active: bool
    """false: deactivated, its tokens refused."""
    version: Version
    created_at: CreatedAt
    updated_at: UpdatedAt


class ClientSecret(ClientRead):
    """A machine client just created, with its secret (shown this once)."""

    client_secret: str = Field(description="Shown once: store it now; only its hash is kept.")


class Token(OutputSchema):
    """An OAuth2 token response (RFC 6749): send the access token as `Authorization: Bearer ...`."""

    access_token: str
    """The bearer token for API calls."""
    token_type: str = "bearer"
    """Always bearer."""
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str | None = Field(
        None, description="Users only: exchange it (grant_type=refresh_token) for a new pair."
    )


class Me(OutputSchema):
    """The caller's account, as its token says."""

    id: uuid.UUID
    """The account's id."""
    kind: str
    """user (a person) or client (a machine)."""
    login: str
    """Username or client id."""
    roles: list[Role]
    """What the account may do."""
    province_wide: bool
    """true: every facility of the province."""
    facility_ids: list[uuid.UUID]
    """The facilities it works for when not province-wide."""
    province_codes: list[str]
    """The provinces it works for (their facilities, people and reports)."""
    nation_wide: bool
    """true: reads the reports of every province served, writes nothing."""
