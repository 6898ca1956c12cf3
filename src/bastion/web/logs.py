"""The service's logs: one JSON object per line on standard error, or readable text on a
terminal.

Every record becomes one line, whichever library logged it (bastion, uvicorn): ``time``,
``level``, ``logger`` and ``message``, the structured ``fields`` a record carries
(``log.info("request", extra={"fields": {...}})``), and a traceback as ``error``, inside the
same line. A collector reads every line as JSON; a person at a terminal reads text.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

#: What loggers records go to (uvicorn's own and bastion's).
_LOGGERS = ("uvicorn", "uvicorn.error", "bastion")


class JsonLines(logging.Formatter):
    """A record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(fields_of(record))
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextLines(logging.Formatter):
    """A record as text for a person: time, level, message and its fields as key=value."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        fields = " ".join(f"{k}={v}" for k, v in fields_of(record).items())
        text = f"{at} {record.levelname:<7} {record.getMessage()}"
        if fields:
            text += f" {fields}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a record was logged with (``extra={"fields": {...}}``)."""
    fields = getattr(record, "fields", None)
    return dict(fields) if isinstance(fields, dict) else {}


def logging_config(*, json_lines: bool, level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for the service (uvicorn's `log_config`): every logger
    on standard error through one formatter (standard output carries only the first-run
    key)."""
    formatter = JsonLines if json_lines else TextLines
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"bastion": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "bastion",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["stderr"], "level": level, "propagate": False} for name in _LOGGERS
        },
    }
