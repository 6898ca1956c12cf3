"""Bulk scans end to end (`bastion.pipeline.scan`): a folder of generated media checked on a
real Dask cluster of two worker processes, SQLite and PostgreSQL; every item recorded once,
with its signals or its error; every match acted on once (a review job and a webhook); a re-run
resumes; a changed file is checked again; a bucket served by moto's S3 server; a manifest with
the platform's ids, and a URL on this machine refused."""

from __future__ import annotations

import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bastion.pipeline import Bastion
from bastion.pipeline.scan import Scanner, ScanPlan, plain_text_is_local
from bastion.settings import Settings
from bastion.store.models import CaseRow, JobRow, ScanItemRow
from tests.hostile_media import png_header_only
from tests.scanning.conftest import Platform, jpeg, make_folder, platform_for
from tests.videos import synthetic_video


@pytest.fixture
def folder(tmp_path: Path) -> tuple[Path, list[Path]]:
    root = tmp_path / "uploads"
    return root, make_folder(root, 60)


@pytest.fixture
def platform(platform_settings: Settings, folder: tuple[Path, list[Path]]) -> Iterator[Platform]:
    root, paths = folder
    found = platform_for(platform_settings, paths, root, every=7)
    yield found
    found.bastion.close()


def items(bastion: Bastion) -> dict[str, ScanItemRow]:
    with bastion.db.session() as s:
        return {r.key: r for r in s.scalars(select(ScanItemRow))}


def test_a_folder_is_scanned_on_the_cluster_each_item_once(
    platform: Platform, folder: tuple[Path, list[Path]], cluster: Any
) -> None:
    root, _ = folder
    (root / "clip.mp4").write_bytes(synthetic_video(5, seconds=2.0, size=(96, 64)))
    (root / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg at all")
    (root / "bomb.png").write_bytes(png_header_only(60_000, 60_000))
    with (root / "huge.jpg").open("wb") as f:  # sparse: over max_media_bytes, nothing read
        f.truncate(platform.bastion.settings.max_media_bytes + 1)
    scanner = Scanner(platform.bastion, scheduler=cluster.scheduler_address)

    outcome = scanner.run(ScanPlan(str(root), "uploads", batch=4), actor="test")

    assert outcome.ran_on == "dask"
    assert outcome.listed.total == 64
    assert (outcome.result.done, outcome.result.failed) == (61, 3)
    assert outcome.scan.state == "stopped"  # items failed: not finished
    recorded = items(platform.bastion)
    assert {k for k, r in recorded.items() if r.status == "failed"} == {
        "broken.jpg", "bomb.png", "huge.jpg",
    }  # fmt: skip
    assert "exceeds the limit" in recorded["huge.jpg"].error
    assert "pixels" in recorded["bomb.png"].error
    assert recorded["clip.mp4"].status == "done"
    assert {"video_md5", "vpdq", "tmk_pdqf"} <= set(recorded["clip.mp4"].signals or {})
    assert all(len(r.signals["pdq"]) == 64 for k, r in recorded.items() if k.endswith("0.jpg"))
    # Every matching photo acted on once: one review job and one webhook delivery each.
    assert platform.job_keys() == sorted(platform.matching)
    assert platform.counts()["webhooks"] == len(platform.matching) == 9
    assert {k for k, r in recorded.items() if r.matches} == platform.matching
    assert outcome.counts.matched == 9
    assert outcome.counts.queued == 18

    # The same command again: nothing done is checked again; the failures are retried.
    again = scanner.run(ScanPlan(str(root), "uploads", batch=4), actor="test")
    assert (again.listed.new, again.result.done, again.result.failed) == (0, 0, 3)
    assert items(platform.bastion)["broken.jpg"].attempts == 2
    assert platform.counts()["jobs"] == 9

    # A new file and a changed one are checked; the others are not.
    (root / "new.jpg").write_bytes(jpeg(1000))
    (root / "00" / "photo-0001.jpg").write_bytes(jpeg(1001))
    for name in ("broken.jpg", "bomb.png", "huge.jpg"):
        (root / name).unlink()
    third = scanner.run(ScanPlan(str(root), "uploads", batch=4, retry_failed=False), actor="test")
    assert (third.listed.new, third.listed.changed, third.result.done) == (1, 1, 2)
    assert platform.counts()["jobs"] == 9


def test_a_scan_in_this_process_does_the_same(
    platform: Platform, folder: tuple[Path, list[Path]]
) -> None:
    root, _ = folder
    outcome = Scanner(platform.bastion, workers=0).run(ScanPlan(str(root), "here"), actor="t")
    assert outcome.ran_on == "this process"
    assert (outcome.result.done, outcome.result.failed, outcome.scan.state) == (60, 0, "finished")
    assert platform.job_keys() == sorted(platform.matching)


def test_a_dry_run_records_matches_and_acts_on_none(
    platform: Platform, folder: tuple[Path, list[Path]]
) -> None:
    root, _ = folder
    outcome = Scanner(platform.bastion, workers=0).run(
        ScanPlan(str(root), "dry", act=False), actor="t"
    )
    assert outcome.counts.matched == 9
    assert platform.counts()["jobs"] == platform.counts()["webhooks"] == 0


def test_a_name_already_used_for_another_source_is_refused(
    platform: Platform, folder: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    root, _ = folder
    scanner = Scanner(platform.bastion, workers=0)
    scanner.run(ScanPlan(str(root), "mine"), actor="t")
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(Exception, match="give this one another name"):
        scanner.run(ScanPlan(str(other), "mine"), actor="t")


def test_a_bucket_is_scanned_through_the_s3_api(
    platform: Platform,
    folder: tuple[Path, list[Path]],
    s3_server: Any,
    cluster: Any,
) -> None:
    _, paths = folder
    client = s3_server.client()
    bucket = s3_server.new_bucket()
    for path in paths[:20]:
        client.put_object(Bucket=bucket, Key=f"media/{path.name}", Body=path.read_bytes())
    client.put_object(Bucket=bucket, Key="media/notes.txt", Body=b"not media")
    client.put_object(Bucket=bucket, Key="elsewhere/x.jpg", Body=paths[0].read_bytes())
    scanner = Scanner(platform.bastion, scheduler=cluster.scheduler_address)
    plan = ScanPlan(
        f"s3://{bucket}/media", "bucket", batch=3, storage_options=s3_server.storage_options()
    )

    outcome = scanner.run(plan, actor="test")

    assert (outcome.listed.total, outcome.result.done, outcome.result.failed) == (21, 20, 1)
    recorded = items(platform.bastion)
    assert recorded["photo-0000.jpg"].location == f"s3://{bucket}/media/photo-0000.jpg"
    assert all(r.etag for r in recorded.values())  # the objects' ETags
    matching = {Path(k).name for k in platform.matching if int(k[-8:-4]) < 20}
    assert {k for k, r in recorded.items() if r.matches} == matching
    # Overwriting an object changes its ETag: it is checked again.
    client.put_object(Bucket=bucket, Key="media/photo-0003.jpg", Body=jpeg(77))
    again = scanner.run(plan, actor="test")
    assert (again.listed.changed, again.result.done) == (1, 1)


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def http_files(folder: tuple[Path, list[Path]]) -> Iterator[str]:
    root, _ = folder
    handler = lambda *a: _Files(*a, directory=str(root))  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("allowed", [False, True])
def test_a_manifest_brings_the_platforms_ids_and_urls_follow_the_fetch_policy(
    platform_settings: Settings,
    folder: tuple[Path, list[Path]],
    http_files: str,
    tmp_path: Path,
    allowed: bool,
) -> None:
    root, paths = folder
    settings = Settings.load(
        env={},
        data_dir=platform_settings.data_dir,
        database_url=platform_settings.database_url,
        fetch_allow_networks="127.0.0.0/8" if allowed else "",
    )
    platform = platform_for(settings, paths, root, every=7)
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        "content_id,path,url,user_id\n"
        f"post-1,{paths[0]},,alice\n"
        f"post-2,,{http_files}/00/photo-0007.jpg,bob\n"
        f"post-3,{paths[1]},,\n"
    )
    try:
        outcome = Scanner(platform.bastion, workers=0).run(
            ScanPlan(str(manifest), "manifest"), actor="t"
        )
        recorded = items(platform.bastion)
        assert recorded["post-1"].user_id == "alice"
        if allowed:
            assert outcome.result.done == 3
            with platform.bastion.db.session() as s:
                cases = dict(
                    s.execute(
                        select(
                            JobRow.evidence["content"]["content_id"].as_string(), CaseRow.subject
                        ).join(CaseRow, CaseRow.id == JobRow.case_id)
                    ).all()
                )
            # Each job joins its user's case.
            assert cases == {"post-1": "user:alice", "post-2": "user:bob"}
        else:
            assert outcome.result.failed == 1
            assert "not a public address" in recorded["post-2"].error
    finally:
        platform.bastion.close()


def test_an_unknown_source_is_refused_before_anything_is_recorded(
    platform: Platform, tmp_path: Path
) -> None:
    scanner = Scanner(platform.bastion, workers=0)
    with pytest.raises(Exception, match="no such folder"):
        scanner.run(ScanPlan(str(tmp_path / "nowhere"), "x"), actor="t")
    assert platform.bastion.scans.list() == []
    shutil.rmtree(tmp_path / "nowhere", ignore_errors=True)


def test_settings_go_to_a_scheduler_in_clear_only_on_this_machine() -> None:
    assert plain_text_is_local("tcp://127.0.0.1:8786")
    assert plain_text_is_local("localhost:8786")
    assert plain_text_is_local("tcp://[::1]:8786")
    assert plain_text_is_local("tls://10.0.0.5:8786")
    assert not plain_text_is_local("tcp://10.0.0.5:8786")
    assert not plain_text_is_local("scheduler.internal:8786")
