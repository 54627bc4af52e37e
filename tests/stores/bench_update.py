"""Measure ``Store.update`` latency and the 50-writer contention case on both backends.

Run: ``python tests/stores/bench_update.py [--n 300]``. Not collected by pytest.
Prints p50/p95 of a single-threaded update() on one document (no contention), and the
wall time of 50 threads each doing one update() on the same document.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE)]

from stores_support import cosmos_settings, drop_database, start_cosmos_keepalive  # noqa: E402

from infra.emulators import start_cosmos  # noqa: E402
from shared.stores import USERS, Store  # noqa: E402
from shared.stores.cosmos import CosmosStore  # noqa: E402
from shared.stores.sqlite import SqliteStore  # noqa: E402


def bump(doc: dict[str, Any] | None) -> dict[str, Any]:
    doc = doc or {"count": 0}
    doc["count"] += 1
    return doc


def latency(store: Store, n: int) -> tuple[float, float]:
    store.update(USERS, "bench", "bench", bump)  # warm up: schema, connections
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        store.update(USERS, "bench", "bench", bump)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def contention(store: Store, threads: int = 50) -> float:
    barrier = threading.Barrier(threads)

    def worker() -> None:
        barrier.wait()
        store.update(USERS, "hot", "hot", bump)

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    doc = store.read(USERS, "hot", "hot")
    assert doc is not None and doc["count"] == threads, doc
    return elapsed


def report(label: str, store: Store, n: int) -> None:
    p50, p95 = latency(store, n)
    seconds = contention(store)
    print(f"{label:20} update p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  50 threads {seconds:5.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(str(Path(tmp) / "bench.sqlite3"))
        report("sqlite", store, args.n)
        store.close()
    servers = (("cosmos keep-alive", start_cosmos_keepalive), ("cosmos start_cosmos", start_cosmos))
    for label, start in servers:
        emu = start()
        try:
            cosmos = CosmosStore(cosmos_settings(emu))
            report(label, cosmos, args.n)
            drop_database(cosmos)
        finally:
            emu.stop()


if __name__ == "__main__":
    main()
