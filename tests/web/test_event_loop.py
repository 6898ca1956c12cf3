"""Slow work (hashing, the database) runs in worker threads: the event loop keeps answering."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import Image

from bastion.auth import Scope
from bastion.pipeline import Bastion
from bastion.samples import sample_pixels
from bastion.settings import Settings
from tests.web.conftest import running_server


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(sample_pixels(3)).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("method", "path"),
    [("POST", "/h/hash"), ("POST", "/m/lookup"), ("POST", "/c/bank/HELD/content")],
)
def test_hma_uploads_hash_off_the_event_loop(
    settings: Settings,
    make_key: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
) -> None:
    gate = threading.Event()
    hashing = threading.Event()
    real = Bastion.hash_content

    def held(self: Bastion, data: bytes, name: str, **options: Any) -> Any:
        hashing.set()
        assert gate.wait(20), "the test never released the hash"
        return real(self, data, name, **options)

    monkeypatch.setattr(Bastion, "hash_content", held)
    headers = {"X-API-Key": make_key(Scope.ADMIN)}
    with running_server(settings) as url, httpx.Client(base_url=url, headers=headers) as client:
        assert client.post("/c/banks", json={"name": "HELD"}).status_code == 201
        answers: list[httpx.Response] = []
        upload = threading.Thread(
            target=lambda: answers.append(
                client.request(method, path, files={"photo": ("a.jpg", jpeg())}, timeout=30)
            )
        )
        upload.start()
        try:
            assert hashing.wait(10)
            # The hash is held in its thread; the loop still answers other requests.
            assert client.get("/status/live", timeout=3).text == "I-AM-ALIVE"
            assert client.get("/c/banks", timeout=3).status_code == 200
        finally:
            gate.set()
            upload.join(timeout=30)
        assert answers[0].status_code == 200, answers[0].text
