"""`bastion serve`: run the HTTP service."""

from __future__ import annotations

import copy
import os
from typing import Any

import typer

from bastion.cli.context import CliContext
from bastion.web.app import ROLES
from bastion.web.first_run import prepare


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    roles: str = typer.Option(
        ",".join(sorted(ROLES)),
        "--roles",
        help="Comma-separated roles: hash, match, curate (route groups) and worker (webhook "
        "delivery and scheduled exchange syncs).",
    ),
) -> None:
    """Serve the HTTP API (OpenAPI at /docs). First run: an admin key and a demo bank."""
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    chosen = {r.strip() for r in roles.split(",") if r.strip()}
    if not chosen or chosen - ROLES:
        raise typer.BadParameter(
            f"unknown role(s) {', '.join(sorted(chosen - ROLES)) or '(none given)'}; "
            f"choose from {', '.join(sorted(ROLES))}",
            param_hint="--roles",
        )
    cli: CliContext = ctx.obj
    settings = cli.settings
    secret = prepare(settings)
    if secret is not None:
        cli.err.print(
            "Created an admin API key. It is shown only this once; store it now:", markup=False
        )
        cli.out.print(secret, markup=False)
        cli.err.print(
            f"Try: curl -H 'Authorization: Bearer {secret[:16]}...' "
            f"http://{host}:{port}/api/v1/banks",
            markup=False,
        )
    # Worker processes build their own app from the environment.
    os.environ["BASTION_DATA_DIR"] = str(settings.data_dir)
    os.environ["BASTION_DATABASE_URL"] = settings.database_url
    os.environ["BASTION_PDQ_MODE"] = settings.pdq_mode
    os.environ["BASTION_ROLES"] = ",".join(sorted(chosen))
    cli.err.print(f"serving on http://{host}:{port} (API docs at /docs)", markup=False)
    uvicorn.run(
        "bastion.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=_logs_to_stderr(LOGGING_CONFIG),
        # uvicorn's access log prints raw query strings; bastion logs route templates.
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def _logs_to_stderr(config: dict[str, Any]) -> dict[str, Any]:
    """Uvicorn's logging, all on stderr: stdout carries only the first-run key."""
    config = copy.deepcopy(config)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"
    config["loggers"]["bastion"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
