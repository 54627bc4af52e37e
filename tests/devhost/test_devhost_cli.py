"""``python -m infra.devhost`` in the foreground: route listing, keys, serving, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from devhost_testutil import ROOT, wait_until

from infra.emulators import free_port

REPO = ROOT.parent.parent


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEVHOST_", "FIXTURE_", "TICK_"))}
    env.pop("AzureWebJobsStorage", None)
    env.update(extra)
    return env


def test_cli_lists_routes_serves_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    settings = tmp_path / "local.settings.json"
    settings.write_text(
        json.dumps(
            {
                "Values": {
                    "FIXTURE_QUEUE": "cli-queue",
                    "TICK_SCHEDULE": "0 0 0 1 1 *",
                    "DEVHOST_FUNCTION_KEY": "cli-function-key-abcdefgh",
                }
            }
        )
    )
    out_path = tmp_path / "out.txt"
    with out_path.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.devhost",
                "--app",
                "devhost_fixture_app.function_app:app",
                "--app-root",
                str(ROOT),
                "--port",
                str(port),
                "--settings",
                str(settings),
            ],
            cwd=REPO,
            env=_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until(lambda: "Listening on" in out_path.read_text(), timeout=20, interval=0.05)
            base = f"http://127.0.0.1:{port}"
            assert httpx.get(f"{base}/api/ping").text == "pong"
            r = httpx.get(f"{base}/api/items/3", headers={"x-functions-key": "cli-function-key-abcdefgh"})
            assert r.status_code == 200
            text = out_path.read_text()
            assert f"ping: [GET] {base}/api/ping (auth: anonymous)" in text
            assert f"items: [GET,PUT] {base}/api/items/{{id:int}}/{{name?}} (auth: function)" in text
            assert "consume: queueTrigger (queue: cli-queue)" in text
            assert "tick: timerTrigger (schedule: 0 0 0 1 1 *)" in text
            # A key set in settings is never printed in full; a generated one is (the developer needs it).
            assert "cli-function-key-abcdefgh" not in text
            master_line = next(line for line in text.splitlines() if line.startswith("Master key:"))
            master = master_line.split(":", 1)[1].strip()
            assert httpx.get(f"{base}/admin/host/status", headers={"x-functions-key": master}).status_code == 200
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=15) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "Stopped." in out_path.read_text()


def test_cli_refuses_a_broken_app_with_exit_code_2() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.devhost",
            "--app",
            "devhost_fixture_app.broken.missing_setting:app",
            "--app-root",
            str(ROOT),
            "--port",
            str(free_port()),
        ],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "%DEVHOST_TEST_UNSET_SETTING%" in result.stderr
    assert time.monotonic() - started < 30
