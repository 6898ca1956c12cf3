"""Property-based checks of the whole API against its own OpenAPI document (schemathesis):
no server errors, and every response matches the documented schema, status code and
content type. (Run through schemathesis's command line: its pytest plugin does not
support pytest 9.)"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bastion.auth import Scope
from bastion.settings import Settings
from tests.web.conftest import running_server

CHECKS = (
    "not_a_server_error,response_schema_conformance,"
    "content_type_conformance,status_code_conformance"
)


def test_api_conforms_to_its_openapi_document(
    settings: Settings, make_key: Callable[..., str], tmp_path: Path
) -> None:
    key = make_key(Scope.ADMIN)
    with running_server(settings) as url:
        result = subprocess.run(
            [
                str(Path(sys.executable).with_name("schemathesis")),
                "run",
                f"{url}/openapi.json",
                "--header",
                f"Authorization: Bearer {key}",
                "--checks",
                CHECKS,
                "--max-examples",
                "10",
                "--seed",
                "1",
            ],
            cwd=tmp_path,  # schemathesis keeps a cache folder in the working directory
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout
