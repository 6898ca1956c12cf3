"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def describe(*packages: str) -> str:
    """One line: CPU, cores, Python and the versions of `packages`."""
    versions = ", ".join(f"{p} {version(p)}" for p in packages)
    return (
        f"{cpu_model()}, {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}; {versions}"
    )
