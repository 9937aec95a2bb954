"""One Settings object, read from the environment (prefix ``VETERAN_CARE_``), ``.env`` and,
in a container, Docker secrets (``/run/secrets/veteran_care_admin_password`` and so on)."""

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me-in-production"
# Where Docker and Compose mount secrets: a file named like the variable (any case) is read
# when the variable is unset or empty (pydantic-settings' secrets directory).
DOCKER_SECRETS = Path("/run/secrets")


class SmsProvider(StrEnum):
    """none (SMS messages wait), generic (an HTTP gateway described by the settings) or esms
    (eSMS.vn's brandname API)."""

    none = "none"
    generic = "generic"
    esms = "esms"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VETERAN_CARE_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    environment: Environment = Field(
        Environment.development, description="development, test or production."
    )
    data_dir: Path = Field(Path("data"), description="Folder for the embedded SQLite database.")
    database_url: str | None = Field(
        None,
        description="SQLAlchemy async URL; default: a SQLite file in the data directory. "
        "PostgreSQL: postgresql+asyncpg://user:password@host:5432/dbname",
    )
    secret_key: str = Field(
        PLACEHOLDER_SECRET, description="Signing secret; must be changed outside development."
    )
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` listens on.")
    worker_timeout_seconds: int = Field(
        30,
        ge=1,
        le=600,
        description="With `serve --workers N`: how long a worker may take to answer uvicorn's "
        "health check, start-up (importing the app) included, before it is killed and restarted.",
    )
    db_pool_size: int = Field(10, ge=1, le=200, description="PostgreSQL pool size per worker.")
    db_max_overflow: int = Field(10, ge=0, le=200, description="Extra connections above the pool.")
    db_pool_timeout: float = Field(
        5.0, gt=0, description="Seconds to wait for a pooled connection."
    )
    db_pool_recycle_seconds: int = Field(
        1800, ge=-1, description="Replace pooled connections older than this (-1 = never)."
    )
    db_statement_timeout_ms: int = Field(
        15000, ge=0, description="PostgreSQL statement timeout per query (0 = none)."
    )
    report_database_url: str | None = Field(
        None,
        description="A PostgreSQL read replica (a streaming standby) for reports and exports, "
        "postgresql+asyncpg://...; unset: they read the primary. Its role needs `pg_monitor` "
        "(to see whether the WAL receiver streams). Decision 0056.",
    )
    report_replica_max_lag_seconds: float = Field(
        60.0,
        ge=0,
        description="How far behind the primary the replica's data may be before a report "
        "says how old it is, or is read from the primary (see the next setting).",
    )
    report_replica_when_behind: Literal["label", "primary"] = Field(
        "label",
        description="When the replica is further behind than allowed, or down: `label`, the "
        "report says how old its data is (`data_as_of`, header `X-Data-As-Of`, a line of the "
        "file's title block) and a replica down is a 503 `replica-unavailable`, so the primary "
        "never takes the reports' load; `primary`, the report is read from the primary.",
    )
    sqlite_busy_timeout_ms: int = Field(
        5000, ge=0, description="How long SQLite waits for a lock before giving up."
    )
    provinces: list[Annotated[str, Field(pattern=r"^[0-9]{2}$")]] = Field(
        default_factory=lambda: ["11"],
        min_length=1,
        description="The provinces this deployment serves (2-digit codes of 2025, e.g. "
        '`["11"]` for Điện Biên, `["11", "12"]` with Lai Châu): their communes are the ones a '
        "person or facility may be registered in.",
    )
    agency_name: str | None = Field(
        None,
        description="Name of the social-affairs agency that receives reports; default: the "
        "Department of Home Affairs of the first province served (Sở Nội vụ tỉnh …).",
    )
    default_language: Literal["vi", "en"] = Field(
        "vi",
        description="Language of messages, report headers and printouts when a request's "
        "`Accept-Language` asks for neither `vi` nor `en`.",
    )
    timezone: str = Field(
        "Asia/Ho_Chi_Minh", description="Time zone that decides what 'today' is for bookings."
    )
    log_level: str = Field("INFO", description="Python log level.")
    log_json: bool | None = Field(
        None, description="JSON log lines; default: on in production, off elsewhere."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Browser origins allowed to call the API (JSON list, e.g. ["https://app.example"]).',
    )
    max_active_requests: int = Field(
        8,
        ge=0,
        le=10_000,
        description=(
            "Requests a worker works on at once; the others wait their turn, first come first "
            "served (0 = no limit). See docs/decisions/0018."
        ),
    )
    admission_wait_seconds: float = Field(
        10.0,
        gt=0,
        description="How long a request waits for its turn before a 503 with Retry-After.",
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        le=1_073_741_824,
        description="Largest request body accepted (413 above).",
    )
    access_token_minutes: int = Field(15, ge=1, le=1440, description="Access token lifetime.")
    refresh_token_days: int = Field(14, ge=1, le=365, description="Refresh token lifetime.")
    max_failed_logins: int = Field(
        5,
        ge=1,
        le=100,
        description="Failed logins of one name from one client address before that address "
        "waits between attempts (1 s, doubling at each further failure).",
    )
    lockout_minutes: int = Field(
        15, ge=1, le=10080, description="The longest wait between two such attempts."
    )
    login_failures_kept_hours: int = Field(
        24,
        ge=1,
        le=720,
        description="How long the failed logins of a name from an address are remembered after "
        "the last one (then counted afresh, and the row is deleted).",
    )
    idempotency_key_hours: int = Field(
        24,
        ge=1,
        le=720,
        description="How long an Idempotency-Key and its response are kept for replay.",
    )
    audit_checkpoint_key: SecretStr | None = Field(
        None,
        description="Key that signs audit checkpoints (HMAC-SHA256); keep it out of the "
        "database and its backups. Unset: derived from the secret key.",
    )
    audit_checkpoint_dir: Path | None = Field(
        None,
        description="Folder where the server writes a signed audit checkpoint on a schedule "
        "(unset = off).",
    )
    audit_checkpoint_interval_seconds: int = Field(
        3600, ge=1, description="Seconds between two checkpoints the server writes."
    )
    audit_seal_interval_seconds: float = Field(
        1.0,
        gt=0,
        le=60,
        description="Seconds between two rounds of the sealer, which chains the audit events "
        "committed since the last round (decision 0029).",
    )
    admin_password: str | None = Field(
        None,
        description="Password of the first admin, created by `serve` when there are no users "
        "(generated and printed once when unset). Or a Docker secret "
        "`veteran_care_admin_password`.",
    )

    messages_worker_in_serve: bool = Field(
        True,
        description="`serve` sends messages and webhook deliveries itself (background tasks "
        "per server process); turn off when `veteran-care worker` runs apart.",
    )
    messages_poll_seconds: float = Field(
        1.0, gt=0, le=300, description="Seconds a worker waits when nothing is due."
    )
    messages_batch_size: int = Field(
        200, ge=1, le=5000, description="Messages a worker claims at once."
    )
    messages_concurrency: int = Field(
        20, ge=1, le=500, description="Messages a worker sends at the same time."
    )
    messages_claim_seconds: int = Field(
        60,
        ge=5,
        le=3600,
        description="How long a worker's claim on a message lasts: after it, a message whose "
        "worker died is sent again, with the same id (the provider deduplicates on it).",
    )
    messages_max_attempts: int = Field(
        6, ge=1, le=50, description="Tries before a message is failed for good."
    )
    messages_retry_base_seconds: float = Field(
        30.0,
        gt=0,
        le=86400,
        description="Wait before the second try; doubled at each further one (with jitter).",
    )
    webhooks_max_attempts: int = Field(
        10,
        ge=1,
        le=50,
        description="Tries before a webhook delivery fails for good (the next event for the "
        "same person then goes).",
    )
    webhooks_retry_base_seconds: float = Field(
        30.0,
        gt=0,
        le=86400,
        description="Wait before a webhook delivery's second try; doubled at each further one "
        "(with jitter, at most a day).",
    )
    webhooks_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="Seconds a webhook receiver has to answer."
    )
    reminder_early_days: int = Field(
        7, ge=1, le=90, description="Days before a checkup of the first reminder."
    )
    reminder_late_days: int = Field(
        2, ge=1, le=90, description="Days before a checkup of the second reminder."
    )
    waitlist_hold_minutes: int = Field(
        120,
        ge=1,
        le=10080,
        description="Minutes a place freed for the first person on a waitlist is held for "
        "them; then it is offered to the next (decision 0050).",
    )
    sms_provider: SmsProvider = Field(SmsProvider.none, description="none, generic or esms.")
    sms_without_diacritics: bool = Field(
        True,
        description="Send SMS without Vietnamese diacritics (160 characters a part, not 70).",
    )
    sms_url: str | None = Field(None, description="The SMS gateway's send URL.")
    sms_username: str | None = Field(None, description="generic: HTTP basic user name.")
    sms_password: SecretStr | None = Field(None, description="generic: HTTP basic password.")
    sms_token: SecretStr | None = Field(None, description="generic: a Bearer token instead.")
    sms_field_to: str = Field("to", description="generic: the JSON field of the phone number.")
    sms_field_text: str = Field("text", description="generic: the JSON field of the text.")
    sms_field_id: str = Field(
        "message_id", description="generic: the JSON field of the id to deduplicate on."
    )
    sms_field_sender: str = Field("from", description="generic: the JSON field of the sender.")
    sms_sender: str | None = Field(None, description="Sender name (brandname), if any.")
    esms_api_key: SecretStr | None = Field(None, description="eSMS.vn ApiKey.")
    esms_secret_key: SecretStr | None = Field(None, description="eSMS.vn SecretKey.")
    esms_sms_type: str = Field("2", description="eSMS.vn SmsType (2 = brandname customer care).")
    zalo_url: str = Field(
        "https://business.openapi.zalo.me/message/template", description="Zalo ZNS send URL."
    )
    zalo_access_token: SecretStr | None = Field(
        None, description="Zalo Official Account access token (unset: Zalo messages wait)."
    )
    zalo_template_ids: dict[str, str] = Field(
        default_factory=dict,
        description='Zalo ZNS template id per message kind (JSON, e.g. {"confirmation": "2345"}).',
    )
    sms_inbound_secret: SecretStr | None = Field(
        None,
        description="Shared secret the SMS gateway signs its reply webhook with (HMAC-SHA256 "
        "of the body, header X-Signature); unset: the webhook answers 404.",
    )
    gateway_timeout_seconds: float = Field(
        10.0, gt=0, le=120, description="How long a gateway may take to answer one message."
    )

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if self.environment != Environment.development and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError(
                "VETERAN_CARE_SECRET_KEY is the placeholder: set a real secret "
                f"outside development (environment={self.environment.value})"
            )
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'veteran_care.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings(_secrets_dir=DOCKER_SECRETS if DOCKER_SECRETS.is_dir() else None)
