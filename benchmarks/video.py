"""Video hashing speed, as multiples of real time, on one core: TMK+PDQF and vPDQ.

    python benchmarks/video.py [--shared ../shared] [--repeat 3] [--vpdq-python PYTHON]
                               [--tmk-hash-video BIN]

Uses the SD and HD sample videos in ../shared/testdata/video/sample-videos (reference data
that CI and developers have). The process is pinned to one core (Linux). vPDQ is timed at
its default of one frame a second and at every frame, and a whole upload as the service
hashes it with the default settings (every video signal, each its own decoding pass). The
anchor is decoding alone (every frame, no conversion), measured in the same run: every
hasher must decode every frame.

Meta's `vpdq` package is the reference. It compiles against system FFmpeg development
libraries (its issue #1834), so it lives in a Python of its own, given with --vpdq-python;
on Debian or Ubuntu:

    sudo apt install pkg-config libavcodec-dev libavformat-dev libavutil-dev libswscale-dev
    python3 -m venv /tmp/vpdq && /tmp/vpdq/bin/pip install vpdq
    python benchmarks/video.py --vpdq-python /tmp/vpdq/bin/python

It is then timed beside bastion in the same run, on the same core, with one hashing thread,
and every frame of every sample video is compared with bastion's vPDQ.

Meta's TMK+PDQF reference is the C++ `tmk-hash-video` (facebook/ThreatExchange, tmk/cpp:
`make tmk-hash-video`), which runs the `ffmpeg` command line; given with --tmk-hash-video
(and `ffmpeg` on PATH), it is timed the same way and its descriptors are compared with
bastion's.
"""

from __future__ import annotations

import argparse
import functools
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av

from bastion.hashing import ContentHasher
from bastion.pdq import PdqMode
from bastion.settings import Settings
from bastion.tmk import TmkFeatures, level2_score, tmk_from_video
from bastion.vpdq import vpdq_frames

sys.path.insert(0, str(Path(__file__).resolve().parent))
from machine import describe

VIDEOS = {
    "SD 720x480, 18.8 s": "chair-19-sd-bar.mp4",
    "HD 1280x720, 6.9 s": "pattern-hd-no-bar.mp4",
}


def duration(data: bytes) -> float:
    with av.open(io.BytesIO(data), mode="r") as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return (container.duration or 0) / 1_000_000


def decode_only(data: bytes) -> None:
    with av.open(io.BytesIO(data), mode="r") as container:
        for _frame in container.decode(container.streams.video[0]):
            pass


#: Run in the --vpdq-python interpreter: times vpdq.computeHash on one core, returns hashes.
REFERENCE = """
import json, os, sys, time, importlib.metadata, vpdq
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
path, seconds_per_hash, repeat = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
times = []
for _ in range(repeat):
    start = time.perf_counter()
    features = vpdq.computeHash(path, seconds_per_hash=seconds_per_hash, thread_count=1)
    times.append(time.perf_counter() - start)
json.dump({"seconds": min(times), "version": importlib.metadata.version("vpdq"),
           "frames": [[f.frame_number, f.quality, f.hex] for f in features]}, sys.stdout)
"""


def reference_vpdq(
    python: str, video: Path, seconds_per_hash: float, repeat: int
) -> dict[str, Any]:
    """Meta's vpdq on `video` in the interpreter `python`: best time and its frames."""
    done = subprocess.run(
        [python, "-c", REFERENCE, str(video), str(seconds_per_hash), str(repeat)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"vpdq failed in {python}: {done.stderr.strip().splitlines()[-1:]}")
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def agreement(python: str, folder: Path) -> None:
    """Every frame of every sample video, bastion's vPDQ beside Meta's vpdq."""
    print("\n| video | frames | same hash and quality | most bits apart |")
    print("|---|---:|---:|---:|")
    for video in sorted(folder.glob("*.mp4")):
        theirs = reference_vpdq(python, video, 0, 1)["frames"]
        mine = vpdq_frames(video.read_bytes(), seconds_per_hash=0)
        pairs = list(zip(mine, theirs, strict=False))
        same = sum((f.index, f.quality, f.hash) == tuple(t) for f, t in pairs)
        apart = max((bin(int(f.hash, 16) ^ int(t[2], 16)).count("1") for f, t in pairs), default=0)
        counts = f"{len(mine)}" if len(mine) == len(theirs) else f"{len(mine)} vs {len(theirs)}"
        print(f"| {video.stem} | {counts} | {same} | {apart} |")


def reference_tmk(binary: str, video: Path, out: Path) -> TmkFeatures:
    """Meta's tmk-hash-video on `video` (it runs the ffmpeg on PATH), its descriptor."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        sys.exit("--tmk-hash-video needs ffmpeg on PATH")
    done = subprocess.run(
        [binary, "-f", ffmpeg, "-i", str(video), "-o", str(out)], capture_output=True, check=False
    )
    if done.returncode != 0:
        sys.exit(f"tmk-hash-video failed on {video.name}: {done.stderr[-300:]!r}")
    return TmkFeatures.from_bytes(out.read_bytes())


def tmk_agreement(binary: str, folder: Path, scratch: Path) -> None:
    """Every sample video's descriptor, bastion's beside tmk-hash-video's."""
    print("\n| video | frames (bastion, reference) | largest difference | level-2 score |")
    print("|---|---:|---:|---:|")
    for video in sorted(folder.glob("*.mp4")):
        theirs = reference_tmk(binary, video, scratch / "agreement.tmk")
        mine = tmk_from_video(video.read_bytes())
        apart = max(
            float(abs(getattr(mine, part) - getattr(theirs, part)).max())
            for part in ("pure_average", "cos", "sin")
        )
        frames = f"{mine.frame_count}, {theirs.frame_count}"
        print(f"| {video.stem} | {frames} | {apart:.1e} | {level2_score(mine, theirs):.6f} |")


def best_of(repeat: int, work: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--vpdq-python", help="a Python with Meta's vpdq installed, timed beside bastion"
    )
    parser.add_argument(
        "--tmk-hash-video", help="Meta's tmk-hash-video binary, timed beside bastion"
    )
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bastion-bench-"))
    folder = args.shared / "testdata" / "video" / "sample-videos"
    if not folder.is_dir():
        sys.exit(f"sample videos not found in {folder} (pass --shared)")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    print(f"Machine: {describe('av', 'numpy')}; one core; best of {args.repeat}\n")
    upload = ContentHasher(Settings.load(env={}, data_dir=Path("unused")).hashing_options())
    print("| video | work | seconds | times real time |")
    print("|---|---|---:|---:|")
    for label, name in VIDEOS.items():
        data = (folder / name).read_bytes()
        length = duration(data)
        runs: list[tuple[str, Callable[[], Any]]] = [
            ("anchor: decode every frame", functools.partial(decode_only, data)),
            ("TMK+PDQF (15 fps, 64x64)", functools.partial(tmk_from_video, data)),
            ("vPDQ, 1 frame/s (default)", functools.partial(vpdq_frames, data)),
            (
                "vPDQ, 1 frame/s, fast PDQ",
                functools.partial(vpdq_frames, data, mode=PdqMode.FAST),
            ),
            ("vPDQ, every frame", functools.partial(vpdq_frames, data, seconds_per_hash=0)),
            (
                "upload as the service hashes it (MD5, SHA-256, vPDQ + bars, TMK)",
                functools.partial(upload.hash_bytes, data),
            ),
        ]
        for work, run in runs:
            seconds = best_of(args.repeat, run)
            print(f"| {label} | {work} | {seconds:.2f} | {length / seconds:,.1f} |")
        if args.tmk_hash_video:
            timed = functools.partial(
                reference_tmk, args.tmk_hash_video, folder / name, scratch / "timed.tmk"
            )
            seconds = best_of(args.repeat, timed)
            work = "Meta tmk-hash-video (C++, ffmpeg command line)"
            print(f"| {label} | {work} | {seconds:.2f} | {length / seconds:,.1f} |")
        if args.vpdq_python:
            for work, every in (("1 frame/s", 1.0), ("every frame", 0.0)):
                found = reference_vpdq(args.vpdq_python, folder / name, every, args.repeat)
                seconds = found["seconds"]
                work = f"Meta vpdq {found['version']}, {work}, one thread"
                print(f"| {label} | {work} | {seconds:.2f} | {length / seconds:,.1f} |")
    if args.vpdq_python:
        agreement(args.vpdq_python, folder)
    if args.tmk_hash_video:
        tmk_agreement(args.tmk_hash_video, folder, scratch)
    shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
