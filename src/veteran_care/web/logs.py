"""Logging: stdlib ``logging`` through ``dictConfig``, one configuration for ``serve`` and every
uvicorn worker.

Production writes one JSON object per line (``time``, ``level``, ``logger``, ``message``,
``request_id`` and any ``extra=`` fields); elsewhere a readable line that also shows the request
id. Exceptions in JSON carry their type and stack frames but not their message: driver errors
quote the offending values (``Key (national_id)=(…) already exists``), and personal data must
not reach the logs.
"""

import json
import logging
import logging.config
import traceback
from datetime import UTC, datetime
from typing import Any

from veteran_care.config import Environment, Settings
from veteran_care.web.edge import request_id_var

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"
# Every attribute a bare record has; anything else came in through ``extra=`` (uvicorn's
# ``color_message`` is its message again, with terminal escapes).
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


class RequestIdFilter(logging.Filter):
    """Puts the current request id on the record (formatters show ``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id_var.get()
        return True


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__(PLAIN_FORMAT, defaults={"request_id": "-"})

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the message of an exception is deliberately left out."""

    def format(self, record: logging.LogRecord) -> str:
        fields = vars(record)
        created = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "time": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": fields.get("request_id") or request_id_var.get(),
        }
        for key, value in fields.items():
            if key not in _RECORD_ATTRIBUTES and key not in entry:
                entry[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            exc_type, _, tb = record.exc_info
            module, name = exc_type.__module__, exc_type.__qualname__
            entry["exc_type"] = name if module == "builtins" else f"{module}.{name}"
            entry["stack"] = "".join(traceback.format_tb(tb))
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


def use_json(settings: Settings) -> bool:
    if settings.log_json is not None:
        return settings.log_json
    return settings.environment == Environment.production


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict; also handed to uvicorn so workers log the same way."""
    formatter = JsonFormatter if use_json(settings) else PlainFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"veteran_care": {"()": formatter}},
        "handlers": {
            "veteran_care": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "veteran_care",
                "filters": ["request_id"],
            }
        },
        "root": {"level": settings.log_level.upper(), "handlers": ["veteran_care"]},
        "loggers": {
            # uvicorn's own lines go through our handler (JSON in production) ...
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # ... except its access line, which prints raw paths with ids: veteran_care.access
            # writes one without personal data.
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def configure_logging(settings: Settings) -> None:
    """Idempotent: the root logger's handlers are replaced, never added to."""
    logging.config.dictConfig(logging_config(settings))
