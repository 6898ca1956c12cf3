"""Fixtures of the bulk scan tests: a folder of generated benign media, and a bastion with a
bank that some of it matches (a review rule and a webhook on it). The Dask cluster is the
session's (tests/conftest.py)."""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from bastion.banks import NewEntry
from bastion.pipeline import Bastion
from bastion.samples import sample_pixels
from bastion.settings import Settings
from bastion.store.models import JobRow, OutboxRow, ScanItemRow
from tests.s3_server import S3Server, s3_server

__all__ = ["S3Server", "s3_server"]

BANK = "known"


def jpeg(seed: int, size: tuple[int, int] = (160, 120)) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed, 64, 48)).resize(size).save(out, "JPEG", quality=90)
    return out.getvalue()


def make_folder(root: Path, count: int) -> list[Path]:
    root.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = root / f"{i // 50:02d}" / f"photo-{i:04d}.jpg"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(jpeg(i))
        paths.append(path)
    return paths


@dataclass
class Platform:
    """A bastion whose bank holds some of the folder's photos (every `every`-th)."""

    bastion: Bastion
    matching: set[str]

    def counts(self) -> dict[str, int]:
        with self.bastion.db.session() as s:
            return {
                "items": s.scalar(select(func.count()).select_from(ScanItemRow)) or 0,
                "done": s.scalar(
                    select(func.count()).where(ScanItemRow.status == "done")
                ) or 0,
                "jobs": s.scalar(select(func.count()).select_from(JobRow)) or 0,
                "webhooks": s.scalar(select(func.count()).select_from(OutboxRow)) or 0,
            }  # fmt: skip

    def job_keys(self) -> list[str]:
        with self.bastion.db.session() as s:
            return sorted(str(e["content"]["key"]) for e in s.scalars(select(JobRow.evidence)))


def platform_for(settings: Settings, paths: list[Path], root: Path, every: int) -> Platform:
    bastion = Bastion(settings)
    bastion.store.create_bank(BANK)
    chosen = paths[::every]
    entries = [
        NewEntry(signals=bastion.hash_file(p).signals, metadata={"n": i})
        for i, p in enumerate(chosen)
    ]
    bastion.store.add_entries(BANK, entries, source="test")
    bastion.actions.add_review(BANK)
    bastion.actions.add_webhook(BANK, "https://hooks.example.com/bastion")
    return Platform(bastion, {p.relative_to(root).as_posix() for p in chosen})


@pytest.fixture
def platform_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings.load(env={}, data_dir=tmp_path / "data", database_url=database_url)


def worker_pids(cluster: Any) -> list[int]:
    with __import__("distributed").Client(cluster.scheduler_address) as client:
        return sorted(client.run(os.getpid).values())
