"""The service's log lines: one JSON object per record, tracebacks included, or text."""

from __future__ import annotations

import io
import json
import logging
import logging.config

from bastion.web.logs import logging_config


def log_through(json_lines: bool) -> str:
    stream = io.StringIO()
    config = logging_config(json_lines=json_lines)
    config["handlers"]["stderr"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("bastion.requests").info(
            "request", extra={"fields": {"route": "/api/v1/banks", "status": 200}}
        )
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        try:
            raise ValueError("first\nsecond")
        except ValueError:
            logging.getLogger("bastion.web").exception("unexpected error in %s", "GET /x")
    finally:
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    return stream.getvalue()


def test_every_record_is_one_json_line_whoever_logged_it() -> None:
    lines = log_through(json_lines=True).splitlines()
    records = [json.loads(line) for line in lines]
    assert [(r["logger"], r["level"], r["message"]) for r in records] == [
        ("bastion.requests", "info", "request"),
        ("uvicorn.error", "info", "Started server process [42]"),
        ("bastion.web", "error", "unexpected error in GET /x"),
    ]
    assert (records[0]["route"], records[0]["status"]) == ("/api/v1/banks", 200)
    assert "ValueError: first\nsecond" in records[2]["error"]
    assert all(r["time"].endswith("+00:00") for r in records)


def test_text_lines_for_a_person_at_a_terminal() -> None:
    text = log_through(json_lines=False)
    assert "INFO    request route=/api/v1/banks status=200" in text
    assert "Traceback" in text
