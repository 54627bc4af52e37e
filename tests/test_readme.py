"""The README's commands work: every fenced ```sh block runs, in order, against a dev host.

Convention (stated at the top of README.md): a block fenced as ```sh is a command a
reader can paste, and this test runs it with ``bash -euo pipefail`` from the repository
root; a block fenced as ```console is not run (long-running servers, the whole suite,
Azure, Core Tools). The dev host is started the way ``make run`` starts it
(``python -m infra.devhost`` with ``local.settings.example.json``) on a free port, and
``127.0.0.1:7071`` in the blocks is pointed at that port; its database lives in a
temporary folder. ``make run`` itself is checked with ``make -n`` (what it would run,
with ``PORT=``, and that it installs no npm packages) rather than run, because it would
install packages into the virtualenv.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
DEFAULT_ADDRESS = "127.0.0.1:7071"


def blocks(kind: str) -> list[str]:
    return [body for lang, body in FENCE.findall(README.read_text(encoding="utf-8")) if lang == kind]


def _free_port() -> int:
    from infra.emulators import free_port

    return free_port()


def _env() -> dict[str, str]:
    """A reader's shell: no PSS_* settings from the test session."""
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("PSS_") and k != "AzureWebJobsStorage"}


@pytest.fixture(scope="module")
def dev_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("readme")
    port = _free_port()
    log = (tmp / "devhost.log").open("wb")
    proc = subprocess.Popen(  # our own argv: the command `make run` runs
        [
            sys.executable,
            "-m",
            "infra.devhost",
            "--port",
            str(port),
            "--settings",
            str(ROOT / "local.settings.example.json"),
            "--state-dir",
            str(tmp / "state"),
            "--no-timers",
            "--queue-backend",  # what `make run` passes when AzureWebJobsStorage is not exported
            "inprocess",
            "--set",
            f"PSS_STORE__SQLITE_PATH={tmp / 'readme.sqlite3'}",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    address = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://{address}/api/health", timeout=2).status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            assert proc.poll() is None, (tmp / "devhost.log").read_text(errors="replace")
            assert time.monotonic() < deadline, "dev host did not start"
            time.sleep(0.2)
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_the_readme_states_the_convention_and_has_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "```sh" in text and "```console" in text
    assert "tests/test_readme.py" in text
    assert len(blocks("sh")) >= 4
    unknown = {lang for lang, _ in FENCE.findall(text)} - {"sh", "console", "", "json", "text"}
    assert not unknown, f"fence languages this test does not know: {unknown}"


def test_make_run_takes_a_port_and_needs_no_npm() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is needed to check the Makefile (see README: Quick start)")
    out = subprocess.run(
        [make, "-n", "run", "PORT=8123"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
    )
    assert out.returncode == 0, out.stderr
    assert "-m infra.devhost --port 8123" in out.stdout
    assert "npm" not in out.stdout
    default = subprocess.run([make, "-n", "run"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
    assert "-m infra.devhost --port 7071" in default.stdout
    assert (
        "npm ci"
        in subprocess.run(
            [make, "-n", "-B", "setup-node"], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False
        ).stdout
    )


def test_every_sh_block_runs(dev_host: str) -> None:
    assert shutil.which("curl"), "the README's HTTP examples use curl"
    for n, block in enumerate(blocks("sh"), start=1):
        script = block.replace(DEFAULT_ADDRESS, dev_host)
        started = time.monotonic()
        proc = subprocess.run(  # the README's own commands
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        took = time.monotonic() - started
        assert proc.returncode == 0, (
            f"README sh block {n} failed (exit {proc.returncode}, {took:.1f} s):\n{block}\n"
            f"--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-2000:]}"
        )
        assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
