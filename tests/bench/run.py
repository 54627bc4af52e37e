"""``make bench``: every performance and quality figure the project reports, in one run.

Sections (``--only a,b`` to pick; all by default):

* ``encoder``   the transformer alone: artefact size and checksum, load time, latency at
                32 / 128 / 256 / 512 tokens on one core (6 layers shipped vs 3), int8 vs
                fp32 scores, and the depth / synthetic-data ablations on a held-out fold
* ``core``      latency p50/p95/p99 of the core pipeline (rules, decoding, sanitizers,
                agents; no models), the pipeline with the linear model only (before the
                transformer) and the full default pipeline at 100 / 1,000 / 10,000
                characters, single-core throughput and per-stage percentiles
* ``redos``     rule-engine time on adversarial inputs at 10,000 and 100,000 characters
                (the ratio stays near 10 when matching is linear)
* ``coldstart`` import of the function app, pipeline build (model load) and first analysis,
                in a fresh process; peak memory
* ``quality``   detection on ../shared/datasets/dev.jsonl through ../shared/eval/score.py
                (--cmd) for the keyword baseline, the rules-only engine and the full pipeline
* ``loso``      leave-one-out for the full pipeline over dev + extra (a classifier trained
                without each source family), per source, per category and per script, next
                to the keyword baseline, with the ablation (rules only, linear model only)
* ``ordinary``  the ordinary short messages and the multilingual requests of
                tests/detection/data: blocked per level; the transformer's scores on the latter
* ``devhost``   analyze requests/s and p50/p95 through the dev host (embedded default)
* ``graph``     graph-update cost per message with 1k / 10k / 100k stored prompts
* ``decay``     reputation-decay cost per 10k users away from baseline
* ``cost``      store operations and estimated Cosmos DB RU per analysed prompt, mixed and
                distinct traffic, side by side with the code of ``BENCH_COST_BASE``
                (default: the commit before issue 14's batching), tests/bench/store_cost.py
* ``lsh``       LSH band/row curve (tests/bench/lsh_curve.py)
* ``load``      bounded load against the dev host at 1, 8 and 32 concurrent clients

Figures are printed side by side with their targets and written to ``.bench/report.json``.
Timing is wall-clock on whatever else the machine is doing; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
DEV = SHARED / "datasets" / "dev.jsonl"
EXTRA = SHARED / "datasets" / "extra.jsonl"
SCORE = SHARED / "eval" / "score.py"
OUT = ROOT / ".bench"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("PSS_SECRET_PROMPT_HMAC_KEY", "bench-hmac-key-0123456789abcdef01234567")


# ----------------------------------------------------------------------------- helpers


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "p50": round(pct(values, 0.5), 3),
        "p95": round(pct(values, 0.95), 3),
        "p99": round(pct(values, 0.99), 3),
        "mean": round(statistics.fmean(values), 3),
        "n": len(values),
    }


def load_dev() -> list[dict[str, Any]]:
    with DEV.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def texts_of_length(items: list[dict[str, Any]], length: int, n: int, seed: int = 7) -> list[str]:
    """Realistic inputs of an exact length: dev texts (attacks and benign) cut or joined."""
    rng = random.Random(seed)
    pool = [it["text"] for it in items]
    out = []
    for _ in range(n):
        parts: list[str] = []
        while sum(map(len, parts)) < length:
            parts.append(rng.choice(pool))
        out.append("\n".join(parts)[:length])
    return out


def header(title: str) -> None:
    print(f"\n=== {title} " + "=" * max(0, 74 - len(title)), flush=True)


def build_pipeline(classifier: bool, encoder: bool = True) -> Any:
    from shared.config import load_settings
    from shared.pipeline import Pipeline

    return Pipeline.build(
        load_settings(
            classifier={"enabled": classifier, "encoder_enabled": encoder}, limits={"max_input_chars": 200_000}
        )
    )


def time_calls(fn: Callable[[str], Any], texts: list[str], warmup: int = 5) -> list[float]:
    for t in texts[:warmup]:
        fn(t)
    times = []
    for t in texts:
        start = time.perf_counter()
        fn(t)
        times.append((time.perf_counter() - start) * 1e3)
    return times


# ----------------------------------------------------------------------------- sections


def bench_core(report: dict[str, Any], quick: bool) -> None:
    from shared.pipeline import AnalysisRequest

    header("latency, warm instance: core (rules, decoding, sanitizers, agents), +linear model, +transformer")
    items = load_dev()
    n = {100: 300, 1_000: 300, 10_000: 60} if quick else {100: 1000, 1_000: 1000, 10_000: 200}
    rows: dict[str, Any] = {}
    # "linear" is the pipeline before issue 9's transformer; "full" is the shipped default.
    for name, classifier, encoder in (("core", False, False), ("linear", True, False), ("full", True, True)):
        try:
            pipe = build_pipeline(classifier, encoder)
        except Exception as exc:  # e.g. no trained model yet
            print(f"  {name}: unavailable ({type(exc).__name__}: {exc})")
            continue

        def one(text: str, pipe: Any = pipe) -> Any:
            return pipe.analyze(AnalysisRequest("bench", text), record=False)

        # Steady state: a warm instance has seen traffic (RE2 builds its DFA states lazily
        # and keeps them), so measure after 1,000 other prompts of mixed lengths.
        for t in texts_of_length(items, 1_000, 600, seed=101) + texts_of_length(items, 10_000, 40, seed=102):
            one(t)

        # The mix joins dev texts (most 1k mixes hold an attack); benign traffic alone has no
        # sanitize verdicts, so no re-checks of a cleaned text. Key suffix -> (pool, seed, label).
        traffic = {"": (items, 7, "")}
        if name != "core":
            traffic["_benign"] = ([it for it in items if it["label"] == "benign"], 13, " benign only")
        for kind, (pool, seed, label) in traffic.items():
            for length, count in n.items():
                times = time_calls(one, texts_of_length(pool, length, count, seed=seed))
                rows[f"{name}{kind}@{length}"] = s = summary_ms(times)
                print(
                    f"  {name:6s} {length:>6,} chars{label}  p50 {s['p50']:7.3f} ms  p95 {s['p95']:7.3f} ms  "
                    f"p99 {s['p99']:7.3f} ms  (n={s['n']})"
                )
        texts = texts_of_length(items, 1_000, 500 if quick else 2000, seed=11)
        start = time.perf_counter()
        for t in texts:
            one(t)
        rate = len(texts) / (time.perf_counter() - start)
        rows[f"{name}_throughput_per_s_1k"] = round(rate, 1)
        print(f"  {name:6s} throughput at 1,000 chars, one core: {rate:,.0f} prompts/s")
        # Per-stage percentiles at 1,000 characters (the pipeline's own stage clock).
        stages: dict[str, list[float]] = {}
        for t in texts_of_length(items, 1_000, 300 if quick else 1000, seed=12):
            for stage, ms in one(t).stage_ms.items():
                stages.setdefault(stage, []).append(ms)
        rows[f"{name}_stages_1k"] = {k: summary_ms(v) for k, v in stages.items()}
        print(
            f"  {name:6s} stages at 1,000 chars: "
            + "  ".join(f"{k.removeprefix('detect.')} {pct(v, 0.5):.2f}/{pct(v, 0.95):.2f}" for k, v in stages.items())
            + "  (p50/p95 ms)"
        )
    report["latency"] = rows
    for length in (100, 1_000, 10_000):
        for kind in ("", "_benign"):
            a, b = rows.get(f"linear{kind}@{length}"), rows.get(f"full{kind}@{length}")
            if a and b:
                label = "benign only" if kind else "mixed"
                print(f"  full / linear p95 at {length:,} chars ({label}): x{b['p95'] / max(a['p95'], 1e-9):.2f}")
    print("  targets: core p95 <= 2 ms @1k; full p95 <= 20 ms @1k and <= 120 ms @10k (issue 9, one core)")


def bench_redos(report: dict[str, Any], quick: bool) -> None:
    from shared.detection.builtin_rules import all_builtin_rules
    from shared.detection.normalize import normalize
    from shared.detection.rules import CompiledRules

    header("ReDoS: rule engine on adversarial input, 10,000 vs 100,000 characters")
    rules = CompiledRules(all_builtin_rules())
    shapes = {
        "a-run": lambda n: "a" * n,
        "quotes": lambda n: "'" * n,
        "open-tags": lambda n: ("<a " * n)[:n],
        "override-words": lambda n: ("ignore all your previous " * n)[:n],
        "sql-ors": lambda n: ("' or '1'='1 " * n)[:n],
        "nested-brackets": lambda n: ("[(" * n)[:n],
        "spaces-and-dots": lambda n: (". " * n)[:n],
        "mixed": lambda n: ("ignore <svg onload= ' or 1=1 -- decode base64 " * n)[:n],
    }
    rows = {}
    reps = 3 if quick else 5
    for name, make in shapes.items():
        timings = {}
        for n in (10_000, 100_000):
            text = make(n)
            norm = normalize(text)

            def match(norm: Any = norm) -> Any:
                return rules.match(norm.text, "text"), rules.match(norm.plain, "plain")

            best = min(_timed(match) for _ in range(reps))
            timings[n] = best
        ratio = timings[100_000] / max(timings[10_000], 1e-9)
        rows[name] = {
            "ms_10k": round(timings[10_000], 2),
            "ms_100k": round(timings[100_000], 2),
            "ratio": round(ratio, 1),
        }
        print(f"  {name:16s} 10k {timings[10_000]:8.2f} ms   100k {timings[100_000]:8.2f} ms   ratio {ratio:5.1f}")
    # the same through the whole pipeline (normalise + decode + rules + sanitize + agents)
    pipe = build_pipeline(False)
    from shared.pipeline import AnalysisRequest

    for n in (10_000, 100_000):
        text = shapes["mixed"](n)
        t = min(_timed(lambda text=text: pipe.analyze(AnalysisRequest("b", text), record=False)) for _ in range(2))
        rows[f"pipeline_mixed_{n}"] = round(t, 2)
    rows["pipeline_ratio"] = round(rows["pipeline_mixed_100000"] / rows["pipeline_mixed_10000"], 1)
    print(
        f"  whole pipeline, 'mixed': 10k {rows['pipeline_mixed_10000']:.1f} ms, "
        f"100k {rows['pipeline_mixed_100000']:.1f} ms, ratio {rows['pipeline_ratio']}"
    )
    report["redos"] = rows
    print("  target: ratio near 10 (linear); a backtracking engine would be ~100 or never finish")


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3


def bench_coldstart(report: dict[str, Any], quick: bool) -> None:
    header("cold start (fresh process)")
    code = (
        "import time, resource, json, os\n"
        "t0=time.perf_counter()\n"
        "import function_app\n"
        "t1=time.perf_counter()\n"
        "from shared.pipeline import Pipeline, AnalysisRequest\n"
        "from shared.config import load_settings\n"
        "p=Pipeline.build(load_settings())\n"
        "t2=time.perf_counter()\n"
        "p.analyze(AnalysisRequest('u','hello there, how are you?'), record=False)\n"
        "t3=time.perf_counter()\n"
        "print(json.dumps({'import_app_s':t1-t0,'build_pipeline_s':t2-t1,'first_analysis_s':t3-t2,"
        "'import_plus_build_s':t2-t0,'max_rss_mb':resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024}))\n"
    )
    variants = {"with transformer (default)": {}, "linear model only": {"PSS_CLASSIFIER__ENCODER_ENABLED": "false"}}
    out_rows: dict[str, Any] = {}
    for label, extra_env in variants.items():
        runs = []
        for _ in range(2 if quick else 5):
            out = subprocess.run(
                [sys.executable, "-c", code],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PSS_GRAPH_QUEUE_NAME": "graph-updates", **extra_env},
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        med = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
        out_rows[label] = med
        print(f"  {label}:")
        print(f"    import function_app  {med['import_app_s']:.3f} s")
        print(f"    build pipeline (rules, models, index)  {med['build_pipeline_s']:.3f} s")
        print(f"    import + build  {med['import_plus_build_s']:.3f} s   (target <= 2 s)")
        print(
            f"    first analysis  {med['first_analysis_s'] * 1e3:.1f} ms   peak RSS {med['max_rss_mb']:.0f} MB (<= 500)"
        )
    report["coldstart"] = out_rows["with transformer (default)"]
    report["coldstart_linear_only"] = out_rows["linear model only"]


def run_score(args: list[str]) -> dict[str, Any]:
    out_json = Path(tempfile.mkstemp(suffix=".json")[1])
    subprocess.run(
        [sys.executable, str(SCORE), str(DEV), *args, "--json-out", str(out_json)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    data = json.loads(out_json.read_text())
    out_json.unlink()
    return data


def bench_quality(report: dict[str, Any], quick: bool) -> None:
    header("detection on dev.jsonl via ../shared/eval/score.py")
    env_cmd = f"PSS_SECRET_PROMPT_HMAC_KEY={os.environ['PSS_SECRET_PROMPT_HMAC_KEY']} {sys.executable} -m shared scan -"
    runs = {
        "keyword baseline": ["--baseline", "keywords"],
        "rules only": ["--cmd", env_cmd + " --rules-only"],
        "full pipeline": ["--cmd", env_cmd],
    }
    if quick:
        for args in runs.values():
            args += ["--limit", "1500"]
    rows = {}
    for name, args in runs.items():
        try:
            data = run_score(args)
        except subprocess.CalledProcessError as exc:
            print(f"  {name}: failed ({exc.stderr.strip()[-200:]})")
            continue
        o = data["overall"]
        rows[name] = {k: o[k] for k in ("recall", "fpr", "precision", "f1", "hard_benign_fpr", "roc_auc")}
        rows[name]["latency_ms_p95"] = data["latency_ms"]["p95"]
        rows[name]["per_source"] = {s: {"recall": v["recall"], "fpr": v["fpr"]} for s, v in data["per_source"].items()}
        rows[name]["per_category"] = {
            c: {"recall": v["recall"], "fpr": v["fpr"]} for c, v in data["per_category"].items()
        }
    print(f"  {'detector':18s} {'recall':>8s} {'FPR':>7s} {'hardFPR':>8s} {'prec':>7s} {'F1':>7s} {'AUC':>6s}")
    for name, r in rows.items():
        auc = f"{r['roc_auc']:.3f}" if r["roc_auc"] is not None else "  -  "
        print(
            f"  {name:18s} {100 * r['recall']:7.2f}% {100 * r['fpr']:6.2f}% {100 * r['hard_benign_fpr']:7.2f}% "
            f"{100 * r['precision']:6.2f}% {100 * r['f1']:6.2f}% {auc:>6s}"
        )
    if "keyword baseline" in rows:
        base = rows["keyword baseline"]
        for name in ("rules only", "full pipeline"):
            if name in rows:
                r = rows[name]
                print(
                    f"  {name} vs baseline: recall x{r['recall'] / base['recall']:.2f}, "
                    f"FPR x{r['fpr'] / base['fpr']:.2f}"
                )
    names = [n for n in ("keyword baseline", "rules only", "full pipeline") if n in rows]
    for key, label in (("per_source", "source"), ("per_category", "category")):
        print(f"  {label:28s} " + " ".join(f"{n[:14]:>16s}" for n in names) + "   (recall, or FPR for benign)")
        for item in sorted({k for n in names for k in rows[n][key]}):
            cells = []
            for n in names:
                v = rows[n][key].get(item)
                if v is None:
                    cells.append(f"{'-':>16s}")
                elif v.get("recall") is not None:
                    cells.append(f"{'recall ' + format(100 * v['recall'], '.1f') + '%':>16s}")
                else:
                    cells.append(f"{'FPR ' + format(100 * (v.get('fpr') or 0.0), '.1f') + '%':>16s}")
            print(f"  {item:28s} " + " ".join(cells))
    report["quality"] = rows


def bench_loso(report: dict[str, Any], quick: bool) -> None:
    header("leave-one-out over dev + extra: full pipeline, classifier retrained without each source family")
    try:
        from infra.training.pipeline_loso import run_pipeline_loso
    except ImportError as exc:
        print(f"  unavailable: {exc}")
        return
    result = run_pipeline_loso(quick=quick, log=print)
    report["loso"] = result


def bench_ordinary(report: dict[str, Any], quick: bool) -> None:
    header("ordinary messages (tests/detection/data): blocked per level; the transformer on other languages")
    from shared.config import load_settings
    from shared.pipeline import AnalysisRequest, Pipeline

    data = ROOT / "tests" / "detection" / "data"
    lists = {"short": "ordinary_messages.txt", "multilingual": "multilingual_requests.txt"}
    rows: dict[str, Any] = {}
    for kind, name in lists.items():
        lines = (data / name).read_text(encoding="utf-8").splitlines()
        msgs = [line for line in lines if line.strip() and not line.startswith("#")]
        print(f"  {name} ({len(msgs)} messages):")
        for level in ("low", "medium", "high", "paranoid"):
            pipeline = Pipeline.build(load_settings(severity_level=level))
            results = [pipeline.analyze(AnalysisRequest(user_id="bench", prompt=m), record=False) for m in msgs]
            blocked = sum(r.decision.value == "block" for r in results)
            key = level if kind == "short" else f"{kind}_{level}"
            rows[key] = {"n": len(msgs), "blocked": blocked, "rate": blocked / len(msgs)}
            print(f"    {level:9s} {blocked:4d} blocked ({100 * blocked / len(msgs):.2f}%)")
        if kind == "multilingual":
            detector = Pipeline.build(load_settings()).detector
            models = [detector.detect(m).model_scores for m in msgs]
            enc = np.array([m.encoder for m in models if m is not None])
            comb = np.array([m.combined for m in models if m is not None])
            if len(enc):
                rows["multilingual_scores"] = {
                    "encoder_median": float(np.median(enc)),
                    "encoder_over_0.9": float((enc > 0.9).mean()),
                    "blend_median": float(np.median(comb)),
                    "blend_max": float(comb.max()),
                }
                print(f"    transformer alone: median {np.median(enc):.3f}, {100 * (enc > 0.9).mean():.0f}% above 0.9; "
                      f"blend: median {np.median(comb):.4f}, max {comb.max():.4f}")  # fmt: skip
    print("  targets: 0 at medium, <= 1% at paranoid")
    report["ordinary"] = rows


def bench_devhost(report: dict[str, Any], quick: bool) -> None:
    header("analyze through the dev host (embedded default: SQLite, in-process queue)")
    sys.path.insert(0, str(Path(__file__).parent))
    from load import LocalHost, run_load  # type: ignore[import-not-found]

    # The host runs in its own process (its own GIL), as a Functions worker would: the
    # client threads here must not compete with the server for the interpreter.
    # Two traffic shapes: the load generator's fixed mix (near-identical texts from 200
    # users: one hot campaign, the graph stage's worst case) and distinct dev-corpus texts.
    rng = random.Random(5)
    distinct = [it["text"] for it in load_dev() if len(it["text"]) <= 2_000]
    rng.shuffle(distinct)
    rows: dict[str, Any] = {}
    for shape, prompts in (("repeated mix", None), ("distinct texts", distinct)):
        with LocalHost() as host:  # a fresh store per shape
            for clients in (1, 8, 32):
                res = run_load(
                    host.base_url, host.key, clients=clients, requests=300 if quick else 1500, prompts=prompts
                )
                rows[f"{shape}/{clients}"] = res
                print(
                    f"  {shape:14s} {clients:>2} clients: {res['requests_per_s']:7.1f} req/s  "
                    f"p50 {res['p50_ms']:6.2f} ms  p95 {res['p95_ms']:6.2f} ms  p99 {res['p99_ms']:6.2f} ms  "
                    f"errors {res['errors']}"
                )
    report["devhost_load"] = rows


def bench_graph(report: dict[str, Any], quick: bool) -> None:
    from shared.config import load_settings
    from shared.graph.lsh import signature_bands
    from shared.graph.update import process_message
    from shared.stores.base import GRAPH
    from shared.stores.sqlite import SqliteStore

    header("graph update cost per message vs stored prompts (must stay flat)")
    settings = load_settings()
    items = [it["text"] for it in load_dev()]
    rng = random.Random(3)
    sizes = (1_000, 10_000) if quick else (1_000, 10_000, 100_000)
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(f"{tmp}/graph.sqlite3")
        stored = 0
        for size in sizes:
            while stored < size:  # bulk history: prompt nodes and their bucket memberships
                text = rng.choice(items) + f" #{stored}"
                bands = signature_bands(text, settings.graph)
                store.upsert(GRAPH, {"id": f"prompt:h{stored}", "kind": "prompt", "bands": bands, "at": time.time()})
                for band in bands[:4]:
                    store.upsert(
                        GRAPH,
                        {
                            "id": f"bucket:{band}",
                            "kind": "bucket",
                            "members": [
                                {
                                    "prompt_id": f"h{stored}",
                                    "user_id": "hist",
                                    "at": time.time(),
                                    "attack": stored % 2 == 0,
                                }
                            ],
                        },
                    )
                stored += 1
            times = []
            for i in range(100 if quick else 300):
                text = rng.choice(items)
                msg = {
                    "version": 1,
                    "request_id": f"r{size}-{i}",
                    "prompt_id": f"n{size}-{i}",
                    "user_id": f"u{i % 40}",
                    "input_hash": f"{size:08x}{i:024x}",
                    "at": time.time(),
                    "attack": i % 2 == 0,
                    "decision": "block",
                    "risk": 0.95,
                    "risk_level": "critical",
                    "threats": ["jailbreak"],
                    "rule_ids": ["jb.dan"],
                    "bands": signature_bands(text, settings.graph),
                    "embedding": None,
                }
                start = time.perf_counter()
                process_message(store, settings, msg, f"m{size}-{i}")
                times.append((time.perf_counter() - start) * 1e3)
            rows[size] = summary_ms(times)
            s = rows[size]
            print(f"  {size:>7,} stored prompts: p50 {s['p50']:6.2f} ms  p95 {s['p95']:6.2f} ms per message")
        store.close()
    first, last = rows[sizes[0]]["p50"], rows[sizes[-1]]["p50"]
    print(f"  ratio p50 {sizes[-1]:,} / {sizes[0]:,}: {last / first:.2f}  (flat = about 1)")
    report["graph_update"] = {str(k): v for k, v in rows.items()}


def bench_decay(report: dict[str, Any], quick: bool) -> None:
    from shared.config import load_settings
    from shared.decay import run_decay
    from shared.reputation import UserProfile
    from shared.stores.base import USERS
    from shared.stores.sqlite import SqliteStore

    header("reputation decay cost per 10k users away from baseline")
    settings = load_settings()
    n = 10_000
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(f"{tmp}/decay.sqlite3")
        t0 = time.time() - 3600
        for i in range(n):
            p = UserProfile(f"user-{i:06d}", reputation=0.5, last_decay_at=t0, away=True)
            store.upsert(USERS, p.to_doc())
        for i in range(n):  # users at baseline: must not cost anything
            store.upsert(USERS, UserProfile(f"fine-{i:06d}").to_doc())
        start = time.perf_counter()
        rep = run_decay(store, settings)
        first = time.perf_counter() - start
        start = time.perf_counter()
        rep2 = run_decay(store, settings, now=None)
        second = time.perf_counter() - start
        store.close()
    print(f"  first run: {first:.2f} s for {rep.examined:,} away users ({rep.updated:,} updated, {rep.pages} pages)")
    print(f"  second run: {second:.2f} s ({rep2.updated:,} updated); {n:,} users at baseline never read")
    report["decay"] = {
        "users": n,
        "first_run_s": round(first, 3),
        "second_run_s": round(second, 3),
        "examined": rep.examined,
    }


#: The commit whose store cost ``cost`` prints beside today's (before batching, 16 bands).
COST_BASE = os.environ.get("BENCH_COST_BASE", "c3c4b2e")


def bench_cost(report: dict[str, Any], quick: bool) -> None:
    header(f"store operations and estimated RU per analysed prompt (now vs {COST_BASE})")
    sys.path.insert(0, str(Path(__file__).parent))
    import store_cost  # type: ignore[import-not-found]

    store_cost.main(["--n", "100" if quick else "300", "--compare", COST_BASE])
    report["store_cost"] = json.loads((OUT / "store_cost.json").read_text())


def bench_lsh(report: dict[str, Any], quick: bool) -> None:
    header("LSH bands x rows: near-duplicate recall / precision at J >= 0.8 vs bucket documents per text")
    sys.path.insert(0, str(Path(__file__).parent))
    import lsh_curve  # type: ignore[import-not-found]

    report["lsh_curve"] = lsh_curve.main()


#: Fold-0 variants of the transformer's training (``infra/training/README.md`` says how to run them).
ABLATIONS = {
    "l3": "3 layers (the recipe before)",
    "nosyn": "3 layers, without synthetic.py",
}


def _oof_compare(names: dict[str, Path], items: list[dict[str, Any]]) -> dict[str, Any]:
    """AUC and recall at 1% / 5% FPR of out-of-fold score files, on the records all of them scored.

    Each transformer variant is shown alone and in the shipped kind of blend: the
    noisy-OR with the linear model's out-of-family score, its logit tempered by the
    shipped inverse temperature (what decides in the pipeline).
    """
    from infra.training.fit_blend import LINEAR_OOF, recall_at_fpr
    from infra.training.loso import roc_auc
    from shared.detection.ensemble import Blend

    tables = {k: json.loads(p.read_text())["scores"] for k, p in names.items() if p.exists()}
    if len(tables) < 2:
        print("    (fewer than two out-of-fold score files: run the ablations, infra/training/README.md)")
        return {}
    linear = json.loads(LINEAR_OOF.read_text())["scores"] if LINEAR_OOF.exists() else {}
    blend = Blend.load()
    common = [it for it in items if all(it["id"] in t for t in tables.values())]
    y = np.array([int(it["label"] == "attack") for it in common])
    out: dict[str, Any] = {}
    for name, t in tables.items():
        s = np.array([t[it["id"]] for it in common])
        row = out[name] = {
            "n": len(common),
            "auc": roc_auc(y, s),
            "recall_at_1pct_fpr": recall_at_fpr(y, s, 0.01),
            "recall_at_5pct_fpr": recall_at_fpr(y, s, 0.05),
        }
        line = (f"    {name:34s} n={len(common):5d}  AUC {row['auc']:.4f}  recall@1%/5%FPR "
                f"{100 * row['recall_at_1pct_fpr']:.1f}% / {100 * row['recall_at_5pct_fpr']:.1f}%")  # fmt: skip
        if linear and all(it["id"] in linear for it in common) and blend.kind == "noisy_or":
            b = np.array([blend(linear[it["id"]], t[it["id"]]) for it in common])
            row["blend"] = {"auc": roc_auc(y, b), "recall_at_1pct_fpr": recall_at_fpr(y, b, 0.01),
                            "recall_at_5pct_fpr": recall_at_fpr(y, b, 0.05)}  # fmt: skip
            line += (f"  | blended: AUC {row['blend']['auc']:.4f}  {100 * row['blend']['recall_at_1pct_fpr']:.1f}%"
                     f" / {100 * row['blend']['recall_at_5pct_fpr']:.1f}%")  # fmt: skip
        print(line)
    return out


def bench_encoder(report: dict[str, Any], quick: bool) -> None:
    """The transformer alone: size, load, latency by token count, int8 vs fp32, depth and data ablations."""
    header("transformer classifier: size, load, latency on one core, int8 vs fp32, ablations")
    from shared.detection.encoder import MODEL_DIR, EncoderClassifier

    rows: dict[str, Any] = {}
    meta = json.loads((MODEL_DIR / "encoder.json").read_text())
    size = (MODEL_DIR / meta["model"]).stat().st_size
    start = time.perf_counter()
    enc = EncoderClassifier.load(threads=1)
    rows["load_s"] = round(time.perf_counter() - start, 3)
    rows["size_mb"] = round(size / 1e6, 2)
    rows["sha256"] = meta["sha256"]
    rows["layers"] = meta["provenance"]["layers_kept"]
    rows["train_seconds"] = meta["provenance"].get("train_seconds")
    print(f"  {meta['model']}: {size / 1e6:.1f} MB, {rows['layers']} layers, sha256 {meta['sha256'][:16]}..., "
          f"load {rows['load_s']:.2f} s (incl. onnxruntime import), trained in {rows['train_seconds']} s")  # fmt: skip
    items = load_dev()
    words = " ".join(it["text"] for it in items[:400]).split()
    variants = {f"{rows['layers']} layers (shipped)": enc}
    # The shallower model shipped before (3 layers), kept locally for timing side by side.
    alt_file = ROOT / ".bench" / "encoder_l3" / "encoder.onnx"
    if alt_file.exists():
        alt = dict(meta, model=alt_file.name, sha256=hashlib.sha256(alt_file.read_bytes()).hexdigest())
        with tempfile.TemporaryDirectory() as folder:  # the model is read into memory on load
            tmp = Path(folder)
            shutil.copy(alt_file, tmp / alt_file.name)
            shutil.copy(MODEL_DIR / meta["tokenizer"], tmp / meta["tokenizer"])
            (tmp / "encoder.json").write_text(json.dumps(alt))
            variants["3 layers (timing only)"] = EncoderClassifier.load(tmp, threads=1)
    rows["latency_by_tokens"] = {}
    for label, model in variants.items():
        for tokens in (32, 128, 256, 512):
            texts = []
            for k in range(60 if quick else 200):
                off = (k * 37) % max(1, len(words) - 600)
                chunk = words[off : off + tokens]
                while len(model._tokenizer.encode(" ".join(chunk), add_special_tokens=False).ids) > tokens:
                    chunk = chunk[:-1]
                texts.append(" ".join(chunk))
            times = time_calls(lambda t, m=model: m.score(t, max_windows=8, budget_ms=None), texts)
            s = summary_ms(times)
            rows["latency_by_tokens"][f"{label}@{tokens}"] = s
            print(f"  {label:22s} {tokens:4d} tokens  p50 {s['p50']:6.2f} ms  p95 {s['p95']:6.2f} ms")
    fp32 = ROOT / ".bench" / "encoder" / "encoder.fp32.onnx"
    if fp32.exists():
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        ref = ort.InferenceSession(str(fp32), sess_options=opts, providers=["CPUExecutionProvider"])
        diffs = []
        for it in items[:: max(1, len(items) // (150 if quick else 500))]:
            ids = enc._tokenizer.encode(it["text"], add_special_tokens=False).ids[:126]
            row = np.array([[101, *ids, 102]], dtype=np.int64)
            feed = {"input_ids": row, "attention_mask": np.ones_like(row)}
            p8 = 1 / (1 + np.exp(-float(enc._session.run(None, feed)[0][0])))
            p32 = 1 / (1 + np.exp(-float(ref.run(None, feed)[0][0])))
            diffs.append(abs(p8 - p32))
        d = np.array(diffs)
        rows["int8_vs_fp32"] = {"n": len(d), "max_abs": float(d.max()), "within_0.01": float((d < 0.01).mean())}
        print(f"  int8 vs fp32 on {len(d)} dev windows: max |diff| {d.max():.4f}, "
              f"{100 * (d < 0.01).mean():.1f}% within 0.01")  # fmt: skip
    all_items = items + [json.loads(x) for x in EXTRA.open(encoding="utf-8") if x.strip()] if EXTRA.exists() else items
    print("  ablations on the records of held-out fold 0 (out-of-fold, the same records for each):")
    rows["depth_ablation"] = _oof_compare(
        {f"{rows['layers']} layers, 2 epochs (shipped recipe)": ROOT / ".bench" / "oof_encoder.json",
         **{label: ROOT / ".bench" / "ablation" / f"oof_{key}_f0.json" for key, label in ABLATIONS.items()}},
        all_items,
    )  # fmt: skip
    report["encoder"] = rows


SECTIONS: dict[str, Callable[[dict[str, Any], bool], None]] = {
    "encoder": bench_encoder,
    "core": bench_core,
    "redos": bench_redos,
    "coldstart": bench_coldstart,
    "quality": bench_quality,
    "loso": bench_loso,
    "ordinary": bench_ordinary,
    "devhost": bench_devhost,
    "graph": bench_graph,
    "decay": bench_decay,
    "cost": bench_cost,
    "lsh": bench_lsh,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated sections: " + ",".join(SECTIONS))
    parser.add_argument("--quick", action="store_true", help="smaller samples")
    parser.add_argument("--soak", action="store_true", help="longer runs (make soak)")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if not DEV.exists():
        print(f"note: {DEV} not found; quality sections need ../shared beside the repository")
    report: dict[str, Any] = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "python": sys.version.split()[0]}
    for name in chosen:
        SECTIONS[name](report, args.quick)
    OUT.mkdir(exist_ok=True)
    (OUT / "report.json").write_text(json.dumps(report, indent=1, default=str))
    print(f"\nwritten: {OUT / 'report.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
