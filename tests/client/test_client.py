"""The client library an app embeds: importable without the service's parts, and hashing
media on the device with bombs and non-media refused."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from PIL import Image

from bastion.client import signals_of
from bastion.errors import MediaError
from bastion.samples import sample_pixels

SERVER_PARTS = ["sqlalchemy", "alembic", "fastapi", "starlette", "uvicorn", "psycopg", "typer"]


def test_the_client_imports_without_the_services_parts() -> None:
    code = (
        "import sys\n"
        f"for name in {SERVER_PARTS!r}:\n"
        "    sys.modules[name] = None\n"
        "import bastion.client\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in "
        f"{SERVER_PARTS!r} and sys.modules[m] is not None)\n"
        "assert not loaded, loaded\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_signals_of_an_image_and_refusals() -> None:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(3, 160, 120)).save(out, "JPEG")
    signals = signals_of(out.getvalue())
    assert sorted(signals) == ["md5", "pdq", "sha256"]
    assert len(signals["pdq"]) == 64
    with pytest.raises(MediaError):
        signals_of(b"not media at all")
    big = io.BytesIO()
    Image.new("L", (4000, 4000)).save(big, "PNG")
    with pytest.raises(MediaError):
        signals_of(big.getvalue(), max_pixels=1_000_000)
