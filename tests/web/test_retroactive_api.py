"""Retroactive matching through the service: an upload with the platform's ids is kept
(`checked_retention_days`), a bank then gains an entry it matches, and the service's worker
opens one job for it, marked retroactive, in the uploader's case; a live match carries the
same ids."""

from __future__ import annotations

import io
import time
from collections.abc import Callable

import httpx
from PIL import Image
from sqlalchemy import select

from bastion.auth import Scope
from bastion.pipeline import Bastion
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.store.models import CaseRow, JobRow
from tests.web.conftest import running_server


def jpeg(seed: int, quality: int = 90) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed, 160, 120)).save(out, "JPEG", quality=quality)
    return out.getvalue()


def jobs(bastion: Bastion) -> list[tuple[str | None, bool, str]]:
    with bastion.db.session() as s:
        rows = s.execute(select(JobRow.evidence, CaseRow.subject).join(CaseRow)).all()
    return sorted(
        (e["content"].get("content_id"), bool(e["content"].get("retroactive")), subject)
        for e, subject in rows
    )


def test_an_upload_matched_after_the_fact_by_the_services_worker(
    settings: Settings, make_key: Callable[..., str]
) -> None:
    kept = settings.with_overrides(checked_retention_days=30)
    bastion = Bastion(kept)
    bastion.store.create_bank("known")
    bastion.actions.add_review("known")
    bastion.add_to_bank("known", jpeg(1))
    headers = {"Authorization": f"Bearer {make_key(Scope.MATCH)}"}
    try:
        with running_server(kept) as url, httpx.Client(base_url=url, headers=headers) as api:

            def upload(seed: int, content_id: str, user_id: str) -> list[object]:
                answer = api.post(
                    "/api/v1/match",
                    files={"file": (f"{content_id}.jpg", jpeg(seed), "image/jpeg")},
                    data={"content_id": content_id, "user_id": user_id},
                )
                assert answer.status_code == 200, answer.text
                return list(answer.json()["matches"])

            assert upload(1, "post-1", "bob")  # a live match, with its ids
            assert upload(2, "post-2", "alice") == []
            too_long = api.post(
                "/api/v1/match",
                files={"file": ("x.jpg", jpeg(3), "image/jpeg")},
                data={"content_id": "x" * 201},
            )
            assert too_long.status_code == 422  # FastAPI's validation, as for every form field

            bastion.add_to_bank("known", jpeg(2, quality=50))  # post-2 now matches
            deadline = time.monotonic() + 30
            while not any(retro for _, retro, _ in jobs(bastion)):
                assert time.monotonic() < deadline, "no retroactive job within 30 s"
                time.sleep(0.2)
            time.sleep(0.5)
            assert jobs(bastion) == [
                ("post-1", False, "user:bob"),
                ("post-2", True, "user:alice"),
            ]
    finally:
        bastion.close()
