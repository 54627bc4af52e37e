"""Measure the dev host: HTTP requests/s on a trivial route and queue delivery latency.

    python -m infra.devhost.bench                 # in-process queues
    python -m infra.devhost.bench --azurite       # also through Azurite

HTTP runs against the dev host in its own process (``python -m infra.devhost``), so the
client threads do not share its GIL; queue latency runs the host in this process to
read its delivery statistics (time from the output binding's send to the start of the
queue-triggered invocation).
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from infra.emulators import free_port, wait_for_port

from .host import DevHost

REPO = Path(__file__).resolve().parents[2]
APP = "infra.devhost.benchapp:app"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def http_benchmark(total: int, clients: int, keep_alive: bool = True) -> dict[str, Any]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.devhost", "--app", APP, "--port", str(port), "--log-level", "WARNING"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        per_client = total // clients
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        barrier = threading.Barrier(clients + 1)

        def client() -> None:
            own: list[float] = []
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            barrier.wait()
            for _ in range(per_client):
                if not keep_alive:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                started = time.perf_counter()
                conn.request("GET", "/api/ping", headers={} if keep_alive else {"Connection": "close"})
                resp = conn.getresponse()
                body = resp.read()
                own.append(time.perf_counter() - started)
                if resp.status != 200 or body != b"pong":
                    with lock:
                        errors[0] += 1
                if not keep_alive:
                    conn.close()
            conn.close()
            with lock:
                latencies.extend(own)

        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        barrier.wait()
        started = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        return {
            "requests": per_client * clients,
            "clients": clients,
            "keep_alive": keep_alive,
            "seconds": round(elapsed, 3),
            "requests_per_s": round(per_client * clients / elapsed, 1),
            "latency_ms_p50": round(_pct(latencies, 0.5) * 1000, 2),
            "latency_ms_p95": round(_pct(latencies, 0.95) * 1000, 2),
            "errors": errors[0],
        }
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def queue_benchmark(messages: int, storage: str | None) -> dict[str, Any]:
    backend = "azurite" if storage else "inprocess"
    host_json = {"extensions": {"queues": {"maxPollingInterval": "00:00:02"}}}
    with DevHost(
        APP,
        app_root=REPO,
        port=0,
        settings_file=False,
        host_json=host_json,
        queue_backend=backend,
        storage_connection=storage,
        timers=False,
    ) as host:
        conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=10)
        # One at a time: latency of a message that finds the listener idle (the common dev case).
        for i in range(messages):
            conn.request("POST", "/api/enqueue", body=json.dumps({"i": i}))
            conn.getresponse().read()
            time.sleep(0.002)
        host.wait_for_queues_idle(60)
        single = list(host.listeners[0].stats.latencies)
        host.listeners[0].stats.latencies.clear()
        # A burst: end-to-end time to drain.
        started = time.perf_counter()
        host.enqueue("devhost-bench", [json.dumps({"burst": i}) for i in range(messages)])
        host.wait_for_queues_idle(120)
        drained = time.perf_counter() - started
        conn.close()
    return {
        "backend": backend,
        "messages": messages,
        "latency_ms_p50": round(statistics.median(single) * 1000, 2),
        "latency_ms_p95": round(_pct(single, 0.95) * 1000, 2),
        "latency_ms_max": round(max(single) * 1000, 2),
        "burst_drain_s": round(drained, 3),
        "burst_msgs_per_s": round(messages / drained, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m infra.devhost.bench")
    p.add_argument("--requests", type=int, default=2000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--messages", type=int, default=300)
    p.add_argument("--azurite", action="store_true", help="also measure queues through Azurite")
    args = p.parse_args(argv)
    results: dict[str, Any] = {
        "http_keep_alive": http_benchmark(args.requests, args.clients, keep_alive=True),
        "http_new_connection_each": http_benchmark(args.requests, args.clients, keep_alive=False),
        "queue_inprocess": queue_benchmark(args.messages, None),
    }
    if args.azurite:
        from infra.emulators import start_azurite

        emulator = start_azurite()
        try:
            results["queue_azurite"] = queue_benchmark(args.messages, emulator.connection_string)
        finally:
            emulator.stop()
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
