"""The `bastion` console script. `bastion --version` is answered before the command line is
built (it needs none of it: typer, rich and every command's options take a tenth of a second
to load); everything else goes to `bastion.cli.app.main`."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from bastion import __version__

        print(f"bastion {__version__}")
        return
    from bastion.cli.app import main as run

    run()
