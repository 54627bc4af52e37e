"""``python -m infra.emulators``: --help answers without starting anything, and SIGTERM
stops the node peers instead of orphaning them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)
    return [int(x) for x in out.stdout.split()]


def test_help_starts_nothing() -> None:
    t = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "infra.emulators", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0
    assert "usage: python -m infra.emulators" in proc.stdout and "--cosmos-port" in proc.stdout
    assert "export" not in proc.stdout
    assert time.monotonic() - t < 10


@pytest.mark.emulator
def test_sigterm_stops_the_node_children() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.emulators"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        lines: list[str] = []
        while time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            lines.append(line)
            if line.startswith("make run") or not line:
                break
        assert any("AzureWebJobsStorage" in x for x in lines), lines
        kids = _children(proc.pid)
        assert len(kids) == 2, kids
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        time.sleep(0.5)
        assert [k for k in kids if _alive(k)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
