"""Schemathesis against the service's own OpenAPI document, served by the dev host.

The document is fetched from ``GET /api/openapi.json`` of a running dev host (the real
function app on SQLite). Every check schemathesis has runs (``--checks all``): no 5xx,
status codes, content types, headers and bodies as documented, schema-valid requests
accepted and schema-invalid ones refused, auth actually enforced. Operations under
``/manage`` run with the master key, the rest with a function key.

Deviations are in ``schemathesis.toml`` (413 counts as a rejection; RE2 validity of rules
is not expressible) and ``schemathesis_hooks.py`` (the control-character ratio).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from reliability_support import dev_host, examples, host_env, scale

HERE = Path(__file__).resolve().parent


def _schemathesis() -> list[str]:
    exe = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.fail("schemathesis is not installed in this environment (requirements-dev.txt)")
    return [exe]


def _run(base_url: str, key: str, *filters: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    seed = [] if scale() > 1 else ["--seed", "20261124"]  # reproducible in CI, exploratory in soak
    argv = [
        *_schemathesis(),
        "--config-file",
        str(HERE / "schemathesis.toml"),
        "--no-color",
        "run",
        f"{base_url}/api/openapi.json",
        "--url",
        f"{base_url}/api",
        "-H",
        f"x-functions-key: {key}",
        "--checks",
        "all",
        "--max-examples",
        str(examples(25)),
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--suppress-health-check",
        "all",
        *seed,
        *filters,
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HERE / "schemathesis_hooks.py")}
    return subprocess.run(  # our own argv
        argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False
    )


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_schemathesis_finds_no_problem_in_the_served_api(tmp_path: Path) -> None:
    with dev_host(host_env("embedded", tmp_path)) as host:
        public = _run(host.base_url, host.function_key, "--exclude-path-regex", "^/manage", tmp_path=tmp_path)
        manage = _run(host.base_url, host.master_key, "--include-path-regex", "^/manage", tmp_path=tmp_path)
    for name, result in (("function-key operations", public), ("/manage operations", manage)):
        tail = result.stdout[-6000:] + result.stderr[-2000:]
        assert result.returncode == 0, f"schemathesis found problems in the {name}:\n{tail}"
        assert " passed" in result.stdout and "generated" in result.stdout, tail
