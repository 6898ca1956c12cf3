"""How long `bastion` takes to start: `--version`, `--help`, a group's and a command's help
and a command that opens the database, beside `python -c pass` measured in the same run.

    python benchmarks/cli_start.py [--runs 20] [--before SRC]

Each command runs `--runs` times, each time in a fresh process (`bastion` is the console
script beside this Python), the commands taking turns so that a change in the machine's load
touches every row alike. The table gives the wall-clock milliseconds (min, median, max) and
the median CPU time (user + system) of the process, which other processes' load changes
less. With `--before SRC`, the same commands also run from the `src` folder of another
checkout (for example an older commit: `git archive COMMIT src | tar -x -C /tmp/before`),
through `python -c "from bastion.cli.app import main; main()"`.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from machine import describe  # noqa: E402

COMMANDS = [
    ["--version"],
    ["--help"],
    ["bank", "--help"],
    ["bank", "create", "--help"],
    ["bank", "list"],
]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run of `argv`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20, help="runs of each command")
    parser.add_argument("--before", type=Path, help="another checkout's src folder to compare")
    args = parser.parse_args()

    script = str(Path(sys.executable).with_name("bastion"))
    rows: dict[str, list[str]] = {"python -c pass": [sys.executable, "-c", "pass"]}
    for command in COMMANDS:
        rows[f"bastion {' '.join(command)}"] = [script, *command]
    if args.before is not None:
        run_before = [sys.executable, "-c", "from bastion.cli.app import main; main()"]
        for command in COMMANDS:
            rows[f"before: bastion {' '.join(command)}"] = [*run_before, *command]

    with tempfile.TemporaryDirectory(prefix="bastion-cli-start-") as tmp:
        env = {**os.environ, "BASTION_DATA_DIR": f"{tmp}/now", "COLUMNS": "80"}
        env.pop("BASTION_DATABASE_URL", None)
        # Its own data directory: the other checkout may know other migrations.
        before_env = {**env, "BASTION_DATA_DIR": f"{tmp}/before", "PYTHONPATH": str(args.before)}
        envs = {name: before_env if name.startswith("before:") else env for name in rows}
        for name, argv in rows.items():  # the first runs create the databases
            if argv[-1] == "list":
                subprocess.run(argv, env=envs[name], capture_output=True, check=True)
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in rows}
        for _ in range(args.runs):
            for name, argv in rows.items():
                samples[name].append(timed(argv, envs[name]))

    print(describe("typer", "rich", "pydantic", "sqlalchemy"))
    print(f"{args.runs} runs of each, taking turns; milliseconds\n")
    print("| command | min | median | max | CPU (median) |")
    print("|---|---:|---:|---:|---:|")
    for name, runs in samples.items():
        walls = [w * 1000 for w, _ in runs]
        cpu = statistics.median(c * 1000 for _, c in runs)
        print(
            f"| `{name}` | {min(walls):.0f} | {statistics.median(walls):.0f} | "
            f"{max(walls):.0f} | {cpu:.0f} |"
        )


if __name__ == "__main__":
    main()
