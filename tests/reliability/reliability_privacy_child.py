"""Child process of ``test_reliability_privacy.py`` (a fresh interpreter: OpenTelemetry's
global providers can be set once per process, and DEBUG logging must start before anything).

Usage: ``python reliability_privacy_child.py <workdir> <corpus.json>``. Environment: the
fake ingestion and Azure OpenAI endpoints. It runs every path of the service over HTTP
through the dev host with logging at DEBUG into ``<workdir>/debug.log``, then writes the
replies to ``<workdir>/replies.json``. The parent searches everything left behind.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]


def main() -> int:
    workdir = Path(sys.argv[1])
    corpus: list[dict[str, Any]] = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    logging.basicConfig(
        level=logging.DEBUG,
        filename=str(workdir / "debug.log"),
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    import httpx
    from reliability_support import dev_host, host_env

    from shared import telemetry

    env = host_env("embedded", workdir)
    replies: list[dict[str, Any]] = []
    with dev_host(env) as host:
        key = {"x-functions-key": host.function_key}
        admin = {"x-functions-key": host.master_key}
        with httpx.Client(base_url=host.base_url, headers=key, timeout=60) as c:

            def record(route: str, r: httpx.Response) -> None:
                replies.append({"route": route, "status": r.status_code, "body": r.text})

            for n, item in enumerate(corpus):
                text = item["text"]
                user = f"privacy-user-{n % 3}"
                record("analyze", c.post("/api/analyze", json={"user_id": user, "prompt": text}))
                record(
                    "analyze+llm",
                    c.post(
                        "/api/analyze",
                        json={"user_id": user, "prompt1": text, "prompt2": text[::-1], "forward_to_llm": True},
                    ),
                )
                record(
                    "analyze+turns",
                    c.post("/api/analyze", json={"user_id": user, "prompt": "and now?", "turns": [text, text]}),
                )
                record("batch", c.post("/api/analyze/batch", json={"user_id": user, "items": [{"prompt": text}]}))
                record("scan-output", c.post("/api/scan-output", json={"output": text}))
                # refusals that carry the text: wrong type elsewhere, too long, NUL byte, bad JSON
                record("bad-type", c.post("/api/analyze", json={"user_id": user, "prompt": text, "turns": text}))
                record("too-long", c.post("/api/analyze", json={"user_id": user, "prompt": text * 2000}))
                record("nul", c.post("/api/analyze", json={"user_id": user, "prompt": text + "\u0000"}))
                record(
                    "bad-json",
                    c.post("/api/analyze", content=('{"user_id": "x", "prompt": "' + text).encode(), headers=key),
                )
                record("bad-user", c.post("/api/analyze", json={"user_id": text, "prompt": "hello"}))
                record("bad-rule", c.post("/api/manage/rules", json={"id": "x", "pattern": text}, headers=admin))
            host.wait_for_queues_idle(60)
            host.fire_timer("reputation_decay")
            for n in range(3):
                record("profile", c.get(f"/api/users/privacy-user-{n}/profile"))
                record("graph-user", c.get(f"/api/graph/users/privacy-user-{n}"))
            for route in ("/api/metrics", "/api/graph/campaigns", "/api/health"):
                record(route, c.get(route))
            record("rules", c.get("/api/manage/rules", headers=admin))
    telemetry.flush_telemetry(20_000)
    time.sleep(1.0)
    (workdir / "replies.json").write_text(json.dumps(replies), encoding="utf-8")
    logging.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
