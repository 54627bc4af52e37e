"""Benchmark the classifier (not collected by pytest: timing is reported, never asserted).

    python tests/classifier/bench_classifier.py [--repeat 300]

Prints: artefact size, cold import + load time (fresh subprocess), and p50/p95 of
featurize+score and of ``embed`` at 100 / 1,000 / 10,000 characters on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from shared.detection.classifier import META_NAME, MODEL_DIR, NPZ_NAME, Classifier  # noqa: E402
from shared.detection.features import embed  # noqa: E402
from shared.detection.normalize import normalize  # noqa: E402

_WORDS = [
    "the", "please", "summarize", "this", "email", "about", "quarterly", "results", "ignore", "previous",
    "instructions", "table", "revenue", "customer", "SELECT", "name", "FROM", "users", "WHERE", "id", "=", "1",
    "<b>bold</b>", "you", "are", "now", "a", "helpful", "assistant", "who", "answers", "questions", "travel,",
    "cooking,", "code", "history;", "here", "is", "document:", "|", "2021", "4,512", "12%", "\n",
]  # fmt: skip


def sample_text(n: int, seed: int) -> str:
    rng = random.Random(seed)
    out: list[str] = []
    size = 0
    while size < n:
        w = rng.choice(_WORDS)
        out.append(w)
        size += len(w) + 1
    return " ".join(out)[:n]


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    k = (len(v) - 1) * q
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def cold_load_ms() -> float:
    code = (
        "import time; t=time.perf_counter(); "
        "from shared.detection.classifier import Classifier; c=Classifier.load(); "
        "c.score('hello'); print((time.perf_counter()-t)*1000)"
    )
    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
        runs.append(float(out.stdout.strip()))
    return min(runs)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=300)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    npz = MODEL_DIR / NPZ_NAME
    meta = MODEL_DIR / META_NAME
    print(f"artefact: {npz.stat().st_size / 1e6:.2f} MB npz + {meta.stat().st_size / 1e3:.1f} kB json")
    t0 = time.perf_counter()
    clf = Classifier.load()
    print(f"load (warm process): {(time.perf_counter() - t0) * 1000:.1f} ms")
    print(f"import + load + first score (cold subprocess, best of 3): {cold_load_ms():.1f} ms")
    print(f"model: {json.loads(meta.read_text())['model_type']}")
    for n in (100, 1_000, 10_000):
        texts = [normalize(sample_text(n, s)).text for s in range(20)]
        lat: list[float] = []
        emb: list[float] = []
        for i in range(args.repeat):
            t = texts[i % len(texts)]
            t0 = time.perf_counter()
            clf.score(t)
            lat.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            embed(t)
            emb.append((time.perf_counter() - t0) * 1000)
        print(f"{n:>6} chars  score p50 {statistics.median(lat):.3f} ms  p95 {pct(lat, 0.95):.3f} ms   "
              f"embed p50 {statistics.median(emb):.3f} ms  p95 {pct(emb, 0.95):.3f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
