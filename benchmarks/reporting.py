"""Reports to the CyberTipline, per minute: 1,000 reports of three files each, sent through
the persisted state machine (`bastion.reporting.filing`) to the fake CyberTipline.

The fake (tests/reporting/fake_cybertipline.py: the documented endpoints, every document
checked against NCMEC's schema) runs in a process of its own, so its work is not counted
against the sender's. Each report's three files are generated JPEG pictures (benign, about
30-60 KB each) kept sealed in the evidence vault, as reported media is.

Three runs, on the same fake:

- **anchor**: the same eight requests per report (submit, three uploads, three file
  details, finish) sent by a bare HTTP client with the same documents: no database, no
  vault, no state machine; what the network and the fake cost.
- **one sender**: `Reporting.send_due` in one thread, as one worker process does: each step
  recorded before and after it is sent, files read from the vault, preservation afterwards.
- **four senders**: four threads of `send_due` at once (as four workers would), each report
  leased by one of them.

    python benchmarks/reporting.py                     # 1,000 reports on SQLite
    python benchmarks/reporting.py --reports 100       # a quick run
    python benchmarks/reporting.py --postgres postgresql://postgres@127.0.0.1:5432/test

NCMEC's schema is read from ../shared/ncmec (as the tests read it); without it the benchmark
stops with a message.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from bastion.pipeline import Bastion  # noqa: E402
from bastion.reporting.cybertipline import CyberTiplineClient  # noqa: E402
from bastion.reporting.cybertipline.document import file_document, report_document  # noqa: E402
from bastion.reporting.model import Incident, IncidentType, ReportStatus  # noqa: E402
from bastion.reporting.store import NewFile, NewReport  # noqa: E402
from bastion.review import Classification  # noqa: E402
from bastion.samples import sample_pixels  # noqa: E402
from bastion.settings import Settings  # noqa: E402

XSD = Path(os.environ.get("BASTION_SHARED_DIR", ROOT.parent / "shared")) / "ncmec"
XSD = XSD / "cybertipline-report.xsd"
FILES_PER_REPORT = 3


def serve_fake() -> None:
    """The fake CyberTipline, in this process until stdin closes."""
    from tests.reporting.fake_cybertipline import FakeCyberTipline

    with FakeCyberTipline(XSD.read_bytes()) as fake:
        print(fake.url, flush=True)
        sys.stdin.read()


def jpeg(seed: int) -> bytes:
    out = io.BytesIO()
    Image.fromarray(sample_pixels(seed)).save(out, "JPEG", quality=85)
    return out.getvalue()


def prepare(bastion: Bastion, reports: int) -> list[int]:
    """Queued reports of three files each, with their media sealed in the vault."""
    reporting = bastion.reporting
    reporting.update_profile(
        "bench", reporter_first_name="Trust", reporter_last_name="Safety",
        reporter_email="reports@example.org", platform="Example Forum",
    )  # fmt: skip
    reporting.set_credentials("esp", "secret", "bench")
    pictures = [jpeg(seed) for seed in range(1, 31)]
    ids = []
    for n in range(reports):
        files = []
        for k in range(FILES_PER_REPORT):
            data = pictures[(n * FILES_PER_REPORT + k) % len(pictures)]
            data = data + n.to_bytes(4, "big") + k.to_bytes(1, "big")  # distinct bytes each
            evidence = bastion.vault.put(data, "image/jpeg", actor="bench")
            files.append(
                NewFile(
                    evidence_id=evidence.id, file_name=f"report-{n}-file-{k}.jpg",
                    classification=Classification.B2, viewed_by_esp=True,
                    original_hashes={"MD5": hashlib.md5(data).hexdigest()},
                )
            )  # fmt: skip
        report = reporting.store.create(
            NewReport(
                sink="cybertipline",
                incident=Incident(IncidentType.CHILD_SEXUAL_ABUSE_MATERIAL, datetime.now(UTC),
                                  description=f"Benchmark report {n}: generated pictures."),
                reporter=reporting.profile().reporter,
                files=tuple(files),
            ),
            "bench",
        )  # fmt: skip
        reporting.request(report.id, "bench")
        ids.append(report.id)
    return ids


def anchor(url: str, bastion: Bastion, ids: list[int]) -> float:
    """The eight requests of each report, from a bare client; seconds."""
    reports = [bastion.reporting.store.get(i) for i in ids]
    media = {f.evidence_id: bastion.vault.open(f.evidence_id) for r in reports for f in r.files}
    started = time.perf_counter()
    with CyberTiplineClient(url, "esp", "secret") as client:
        for report in reports:
            remote = client.submit(report_document(report))
            for file in report.files:
                attached = client.upload(remote, file.file_name, media[file.evidence_id])
                client.fileinfo(file_document(remote, file, file_id=attached.file_id))
            client.finish(remote)
    return time.perf_counter() - started


def send(bastion: Bastion, ids: list[int], threads: int) -> float:
    """Every queued report sent by `threads` senders; seconds."""
    reporting = bastion.reporting
    started = time.perf_counter()

    def sender(name: str) -> None:
        while reporting.send_due(name, limit=10):
            pass

    workers = [threading.Thread(target=sender, args=(f"bench-{i}",)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    states = {reporting.store.get(i).status for i in ids}
    if states != {ReportStatus.FINISHED}:
        raise SystemExit(f"not every report finished: {sorted(states)}")
    return elapsed


def run(database_url: str | None, url: str, count: int, threads: int, data: Path) -> float:
    settings = Settings.load(
        env={}, data_dir=data,
        database_url=database_url or f"sqlite:///{data / 'bastion.db'}",
        cybertipline_url=url,
    )  # fmt: skip
    bastion = Bastion(settings)
    try:
        ids = prepare(bastion, count)
        return send(bastion, ids, threads)
    finally:
        bastion.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=1000)
    parser.add_argument("--postgres", help="a PostgreSQL URL (a fresh schema is made)")
    parser.add_argument("--serve-fake", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake()
        return
    if not XSD.is_file():
        raise SystemExit(f"NCMEC's schema not found at {XSD} (set BASTION_SHARED_DIR)")
    fake = subprocess.Popen(
        [sys.executable, __file__, "--serve-fake"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    assert fake.stdout is not None
    url = fake.stdout.readline().strip()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            database = None
            if args.postgres:
                database = _schema(args.postgres)
            prepared = Path(tmp) / "anchor"
            settings = Settings.load(
                env={}, data_dir=prepared,
                database_url=f"sqlite:///{prepared / 'bastion.db'}", cybertipline_url=url,
            )  # fmt: skip
            bastion = Bastion(settings)
            ids = prepare(bastion, args.reports)
            bare = anchor(url, bastion, ids)
            bastion.close()
            one = run(database and database("one"), url, args.reports, 1, Path(tmp) / "one")
            four = run(database and database("four"), url, args.reports, 4, Path(tmp) / "four")
    finally:
        fake.stdin.close()  # type: ignore[union-attr]
        fake.wait(timeout=30)
    n = args.reports
    print(f"{n} reports of {FILES_PER_REPORT} files, {n * (2 + 2 * FILES_PER_REPORT)} requests")
    print(f"{'database':<12}{'PostgreSQL' if args.postgres else 'SQLite'}")
    for label, seconds in (("anchor", bare), ("one sender", one), ("four senders", four)):
        print(f"{label:<14}{seconds:8.1f} s  {n / seconds * 60:8.0f} reports/min  "
              f"{seconds / n * 1000:6.1f} ms/report")  # fmt: skip
    print(f"state machine over anchor (one sender): {one / bare:.2f}x")


def _schema(url: str):  # type: ignore[no-untyped-def]
    import sqlalchemy as sa

    def fresh(label: str) -> str:
        name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {name}"))
        engine.dispose()
        return (
            sa.engine.make_url(url)
            .update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False)
        )

    return fresh


if __name__ == "__main__":
    main()
