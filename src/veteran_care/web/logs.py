"""Logging through ``dictConfig``, one configuration for ``serve`` and every uvicorn worker,
with the request id on every line. Production writes JSON lines (python-json-logger); an
exception carries its type and frames but not its message, which may quote personal data."""

import logging
import logging.config
import time
import traceback
from typing import Any

from asgi_correlation_id import CorrelationIdFilter
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter as LibraryJsonFormatter

from veteran_care.config import Environment, Settings

PLAIN_FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(correlation_id)s] %(message)s"
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "stack"}
RENAMED["correlation_id"] = "request_id"


class JsonFormatter(LibraryJsonFormatter):
    """One JSON object per line, UTC times with milliseconds, ``exc_type`` and ``stack``."""

    converter = staticmethod(time.gmtime)
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03dZ"

    def __init__(self) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}{correlation_id}",
            style="{",
            rename_fields=RENAMED,
            # uvicorn's ``color_message`` is its message again, with terminal escapes
            reserved_attrs=[*RESERVED_ATTRS, "color_message"],
            json_ensure_ascii=False,
        )

    def formatException(self, ei: Any) -> str:
        return "".join(traceback.format_tb(ei[2]))

    def add_fields(
        self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        if record.exc_info and (exc_type := record.exc_info[0]) is not None:
            module, name = exc_type.__module__, exc_type.__qualname__
            log_data["exc_type"] = name if module == "builtins" else f"{module}.{name}"


def logging_config(settings: Settings) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict; also handed to uvicorn so workers log the same way."""
    json_lines = settings.log_json
    if json_lines is None:
        json_lines = settings.environment == Environment.production
    formatter = {"()": JsonFormatter} if json_lines else {"format": PLAIN_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "request_id": {"()": CorrelationIdFilter, "default_value": None if json_lines else "-"}
        },
        "formatters": {"veteran_care": formatter},
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
            # uvicorn's lines through our handler, but its access line (raw paths with ids)
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": True},
            # a warning per request whose X-Request-ID it replaced: a client could fill the log
            "asgi_correlation_id": {"level": "ERROR"},
            # its statements with their parameters at DEBUG: never personal data in logs
            "aiosqlite": {"level": "WARNING"},
        },
    }


def configure_logging(settings: Settings) -> None:
    """Idempotent: the root logger's handlers are replaced, never added to."""
    logging.config.dictConfig(logging_config(settings))
