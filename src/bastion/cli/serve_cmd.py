"""`bastion serve`: run the HTTP service."""

from __future__ import annotations

import errno
import os
import socket
from typing import TYPE_CHECKING

import typer

from bastion.errors import ConfigurationError

if TYPE_CHECKING:
    from bastion.cli.context import CliContext

#: How far past a busy port to look for a free one to suggest.
_PORTS_TO_SUGGEST = 20


def serve(
    ctx: typer.Context,
    host: str = typer.Option(
        "127.0.0.1", "--host", metavar="ADDRESS", help="Address to listen on."
    ),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes."),
    roles: str | None = typer.Option(
        None,
        "--roles",
        metavar="LIST",
        help="Comma-separated roles: hash, match, curate, ui (route groups; ui: the review "
        "desk) and worker (webhook delivery and scheduled exchange syncs). Default: all.",
    ),
) -> None:
    """Serve the HTTP API (OpenAPI at /docs). First run: an admin key, the console user
    admin and a demo bank.

    Logs go to standard error: text on a terminal, else one JSON object per line (the key
    and the admin's password made on the first run are printed on standard output only,
    never logged)."""
    import logging
    import logging.config
    import sys

    import uvicorn

    from bastion.web.app import ROLES
    from bastion.web.first_run import ADMIN_USER, prepare, sign_in_line, try_line
    from bastion.web.logs import logging_config

    chosen = {r.strip() for r in (roles or ",".join(ROLES)).split(",") if r.strip()}
    if not chosen or chosen - ROLES:
        raise typer.BadParameter(
            f"unknown role(s) {', '.join(sorted(chosen - ROLES)) or '(none given)'}; "
            f"choose from {', '.join(sorted(ROLES))}",
            param_hint="--roles",
        )
    cli: CliContext = ctx.obj
    settings = cli.settings
    check_port_free(host, port)  # before the first run shows a key the user could miss
    url = local_url(host, port)
    on_terminal = sys.stderr.isatty()
    log_config = logging_config(json_lines=not on_terminal)
    logging.config.dictConfig(log_config)
    log = logging.getLogger("bastion.serve")
    first = prepare(settings)
    secret = first.api_key
    if secret is not None:
        if on_terminal:
            cli.err.print(
                "Created an admin API key. It is shown only this once; store it now:",
                markup=False,
            )
        else:
            log.warning("created an admin API key: printed once on standard output; store it")
        cli.out.print(secret, markup=False)
        if on_terminal:
            cli.err.print(try_line(secret, url), markup=False)
    if first.admin_password is not None:
        if on_terminal:
            cli.err.print(
                f"Created the console user {ADMIN_USER}. Its password is shown only this "
                "once; store it now:",
                markup=False,
            )
        else:
            log.warning(
                "created the console user %s: its password is printed once on standard "
                "output; store it",
                ADMIN_USER,
            )
        cli.out.print(first.admin_password, markup=False)
        if on_terminal:
            cli.err.print(sign_in_line(url), markup=False)
        else:
            log.warning(sign_in_line(url))
    # Worker processes build their own app from the environment.
    os.environ["BASTION_DATA_DIR"] = str(settings.data_dir)
    os.environ["BASTION_DATABASE_URL"] = settings.database_url
    os.environ["BASTION_PDQ_MODE"] = settings.pdq_mode
    os.environ["BASTION_ROLES"] = ",".join(sorted(chosen))
    if on_terminal:
        cli.err.print(
            f"serving on {url} (API docs at {url}/docs: paste your API key there)", markup=False
        )
    else:
        log.info("serving", extra={"fields": {"url": url, "docs": f"{url}/docs"}})
    uvicorn.run(
        "bastion.web.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=log_config,
        # uvicorn's access log prints raw query strings; bastion logs route templates.
        access_log=False,
        timeout_graceful_shutdown=10,
    )


def check_port_free(host: str, port: int) -> None:
    """Fail with one line, naming a free port to use instead, when `port` is taken on `host`
    (or cannot be listened on at all); bound and released as uvicorn will bind it."""
    try:
        _bind(host, port)
    except OSError as e:
        if e.errno != errno.EADDRINUSE:
            raise ConfigurationError(f"cannot listen on {host} port {port}: {e.strerror}") from None
        free = next(
            (p for p in range(port + 1, port + _PORTS_TO_SUGGEST) if _is_free(host, p)), None
        )
        suggestion = (
            f"; run make serve PORT={free} (or bastion serve --port {free})"
            if free is not None
            else "; choose another with --port (make serve PORT=...)"
        )
        raise ConfigurationError(f"port {port} is in use on {host}{suggestion}") from None


def _bind(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))


def _is_free(host: str, port: int) -> bool:
    try:
        _bind(host, port)
    except OSError:
        return False
    return True


def local_url(host: str, port: int) -> str:
    """The address to reach the service at from this machine: a wildcard host becomes the
    loopback address, an IPv6 address goes in brackets."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
