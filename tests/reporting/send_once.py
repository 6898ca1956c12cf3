"""Run by test_crash.py in a child process: say its pid, wait for "go", then send the due
reports once (the fake CyberTipline kills it at the step the test chose).

Usage: python send_once.py DATABASE_URL DATA_DIR CYBERTIPLINE_URL
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from bastion.pipeline import Bastion
from bastion.settings import Settings


def main(url: str, data_dir: Path, cybertipline: str) -> None:
    settings = Settings.load(
        env={}, data_dir=data_dir, database_url=url, cybertipline_url=cybertipline
    )
    bastion = Bastion(settings)
    try:
        print(os.getpid(), flush=True)
        if sys.stdin.readline().strip() != "go":
            raise SystemExit("no go")
        bastion.reporting.send_due("child")
    finally:
        bastion.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), sys.argv[3])
