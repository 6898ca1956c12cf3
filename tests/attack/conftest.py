"""The attack scripts use the fixtures of the CLI and web suites."""

from tests.cli.conftest import cli
from tests.web.conftest import anonymous, api, base_url, make_key

__all__ = ["anonymous", "api", "base_url", "cli", "make_key"]
