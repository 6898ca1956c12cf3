"""`make serve` and `bastion serve` as a new user meets them: a port of their choosing, a
busy port said plainly, a first request to paste whole, and only what serving needs."""

from __future__ import annotations

import json
import os
import pty
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import CliRunner

REPO = Path(__file__).resolve().parents[2]


def listening(host: str = "127.0.0.1") -> socket.socket:
    """A socket listening on a free port of `host`, as another program would hold it."""
    sock = socket.socket()
    sock.bind((host, 0))
    sock.listen()
    return sock


def test_a_busy_port_is_one_line_naming_a_free_one_before_anything_is_created(
    cli: CliRunner, tmp_path: Path
) -> None:
    with listening() as taken:
        port = taken.getsockname()[1]
        run = cli("serve", "--port", str(port))
    assert run.code == 2
    assert run.out == ""  # no admin key was made (and shown) for a service that cannot start
    (line,) = run.err.splitlines()
    assert line.startswith(f"error: port {port} is in use on 127.0.0.1; run make serve PORT=")
    free = int(line.split("PORT=")[1].split()[0])
    assert free != port
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", free))  # the suggestion was free
    assert not (tmp_path / "data" / "bastion.db").exists()


def test_an_address_that_cannot_be_listened_on_is_one_line(cli: CliRunner) -> None:
    run = cli("serve", "--host", "192.0.2.1", "--port", "8000")  # TEST-NET-1: not this host's
    assert run.code == 2
    assert run.err.startswith("error: cannot listen on 192.0.2.1 port 8000: ")
    assert len(run.err.splitlines()) == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_serve(tmp_path: Path, port: int, stderr: int) -> subprocess.Popen[str]:
    # A narrow terminal: the Try line must still come out whole, on one line.
    env = {**os.environ, "BASTION_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "40"}
    env.pop("BASTION_DATABASE_URL", None)
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("bastion")), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    process.wait(timeout=30)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


def terminal_lines(fd: int, count: int) -> list[str]:
    """The first `count` lines written to a terminal's other end."""
    text = b""
    while text.count(b"\n") < count:
        text += os.read(fd, 4096)
    return text.decode().replace("\r\n", "\n").split("\n")[:count]


def test_first_run_try_line_holds_the_whole_key_and_works_pasted(tmp_path: Path) -> None:
    """On a terminal, the person who started the service gets a first request to paste."""
    port = free_port()
    main_end, terminal = pty.openpty()
    process = start_serve(tmp_path, port, stderr=terminal)
    os.close(terminal)
    try:
        assert process.stdout is not None
        key = process.stdout.readline().strip()
        assert key.startswith("bst_")
        password = process.stdout.readline().strip()
        lines = terminal_lines(main_end, 4)
        assert lines[0] == "Created an admin API key. It is shown only this once; store it now:"
        assert lines[1].startswith("Try: curl ")
        assert lines[2] == (
            "Created the console user admin. Its password is shown only this once; store it now:"
        )
        assert lines[3] == (
            f"Sign in at http://127.0.0.1:{port}/ as admin (you choose a new password at first "
            "sign-in)."
        )
        assert password not in "".join(lines)
        words = shlex.split(lines[1].removeprefix("Try: "))
        assert words[:2] == ["curl", "-H"]
        header, url = words[2], words[3]
        assert header == f"Authorization: Bearer {key}"
        name, _, value = header.partition(": ")
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = httpx.get(url, headers={name: value}, timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert answer.status_code == 200
        assert [b["name"] for b in answer.json()] == ["demo"]
    finally:
        stop(process)
        os.close(main_end)


def test_logs_off_a_terminal_are_json_lines_without_the_key(tmp_path: Path) -> None:
    """Standard error sent to a collector: one JSON object per line, the key made on the
    first run only on standard output."""
    port = free_port()
    process = start_serve(tmp_path, port, stderr=subprocess.PIPE)
    try:
        assert process.stdout is not None
        key = process.stdout.readline().strip()
        assert key.startswith("bst_")
        password = process.stdout.readline().strip()
        assert len(password) == 24
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v1/banks", timeout=2)
                break
            except httpx.TransportError:
                assert process.poll() is None
                assert time.monotonic() < deadline
                time.sleep(0.1)
        httpx.get(
            f"http://127.0.0.1:{port}/api/v1/banks", headers={"X-API-Key": key}, timeout=5
        ).raise_for_status()
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stderr is not None
        errors = process.stderr.read()
        stop(process)
    lines = [json.loads(line) for line in errors.splitlines()]
    messages = [(r["logger"], r["message"]) for r in lines]
    assert ("bastion.serve", "serving") in messages
    assert ("bastion.requests", "request") in messages
    assert any(r.get("route") == "/api/v1/banks" and r.get("status") == 200 for r in lines)
    assert key not in errors
    assert "bst_" not in errors
    assert password not in errors
    assert ("bastion.serve", "created the console user admin: its password is printed once on "
            "standard output; store it") in messages  # fmt: skip
    sign_in = f"Sign in at http://127.0.0.1:{port}/ as admin"
    assert any(m.startswith(sign_in) for _, m in messages)


def make(*args: str, venv: Path) -> list[str]:
    """The commands `make -n` would run, with the environment in `venv`."""
    run = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(REPO), f"VENV={venv}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return run.stdout.splitlines()


@pytest.mark.skipif(subprocess.run(["make", "--version"], capture_output=True).returncode != 0,
                    reason="make is not installed")  # fmt: skip
def test_make_serve_takes_port_and_host_and_installs_only_what_serving_needs(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    fresh = make("serve", "PORT=8123", "HOST=0.0.0.0", venv=venv)
    installs = [c for c in fresh if " install " in c and "--upgrade pip" not in c]
    assert installs == [
        f"{venv}/bin/python -m pip --quiet --disable-pip-version-check install "
        "-c constraints.txt -e ."
    ]
    assert fresh[-1] == f"{venv}/bin/bastion serve --host '0.0.0.0' --port '8123'"
    # The development install adds the test plugin (tests/plugins/bastion-dhash).
    dev = "-e '.[dev]' -e tests/plugins/bastion-dhash"
    assert any(c.endswith(dev) for c in make("test", venv=venv))

    # Once the development install is made, serving installs nothing more.
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").touch()
    (venv / ".installed-dev").touch()
    (venv / ".installed-runtime").touch()
    assert make("serve", venv=venv) == [
        f"{venv}/bin/bastion serve --host '127.0.0.1' --port '8000'"
    ]
    # And after a runtime-only install, testing adds the development tools.
    (venv / ".installed-dev").unlink()
    assert any(c.endswith(dev) for c in make("lint", venv=venv))
    assert [c for c in make("serve", venv=venv) if " install " in c] == []
