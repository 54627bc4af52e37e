"""Store operations and estimated Cosmos DB RU per analysed prompt (analysis + graph update).

Run: ``python tests/bench/store_cost.py [--n 300] [--compare REV]``. Each prompt goes
through the pipeline (which records the analysis: prompt, audit, profile) and then the
graph stage (``process_message``), on SQLite wrapped in a meter that counts every
document read and written. ``--compare REV`` runs the same measurement on the code of
git revision ``REV`` (extracted to a temporary folder) in the same run, side by side.

The local Cosmos-protocol server reports no request charges, so RU are estimated per
document operation from its type and size (KB = JSON bytes / 1024), after Cosmos DB's
documented cost model (point read of a 1 KB item = 1 RU; writes cost about five times
a read, grow with size and with the number of indexed paths; a replace also removes the
old index terms, so it costs about twice an insert):

    read    = 1 + 0.1 * max(0, KB - 1)                 (point read, or one item of read_many)
    create  = 5 + 1.0 * max(0, KB - 1) + 0.05 * P      (P = leaf paths the container indexes,
                                                         from shared/stores/indexing.py)
    upsert  = create; replace = 2 * create; delete = create
    query   = 2.5 + sum(read of each returned item)

(a known-attack entry's ``embedding`` is not an indexed path: its policy excludes it.)

Traffic: "mixed" is the load generator's request mix (tests/bench/load.py: benign,
injection, SQL, PII texts, each numbered, from 200 users); "distinct" is the dev corpus
(about half attacks); "realistic" is nine benign corpus texts to one corpus attack.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "datasets" / "dev.jsonl"
os.environ.setdefault("PSS_SECRET_PROMPT_HMAC_KEY", "bench-hmac-key-0123456789abcdef01234567")


def _leaf_paths(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaf_paths(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaf_paths(v) for v in value)
    return 1


def _kb(doc: Any) -> float:
    return len(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()) / 1024


def read_ru(doc: Any) -> float:
    return 1.0 + 0.1 * max(0.0, _kb(doc) - 1.0)


#: Container -> the top-level fields its indexing policy indexes (absent: every path). Taken
#: from the measured code's ``shared/stores/indexing.py`` (the policy its Bicep template and
#: Cosmos store declare); code older than that file indexed every path of every container.
NARROW_INDEX: dict[str, tuple[str, ...]] = {}


#: Paths every policy excludes: the vector of a known-attack entry (its own vector index).
VECTOR_FIELDS: dict[str, str] = {"attacks": "embedding"}


def _indexed_paths(container: str, doc: Any) -> int:
    """Leaf paths the container's indexing policy indexes: every path unless narrowed, then
    the narrowed fields' leaves plus ``id`` (always indexed). A vector is never counted: the
    ``attacks`` policy excludes ``/embedding/*`` (``shared/stores/cosmos.py``)."""
    fields = NARROW_INDEX.get(container)
    if fields is None or not isinstance(doc, dict):
        vector = VECTOR_FIELDS.get(container)
        if vector and isinstance(doc, dict) and vector in doc:
            return _leaf_paths({k: v for k, v in doc.items() if k != vector})
        return _leaf_paths(doc)
    return 1 + sum(_leaf_paths(doc[f]) for f in fields if f in doc and f != "id")


def write_ru(kind: str, doc: Any, container: str = "") -> float:
    create = 5.0 + 1.0 * max(0.0, _kb(doc) - 1.0) + 0.05 * _indexed_paths(container, doc)
    return 2.0 * create if kind == "replace" else create


def make_meter(src: Path) -> Any:
    """A Store wrapper class over ``src``'s SqliteStore that counts documents and RU."""
    from shared.stores.base import Store

    class Metered(Store):
        name = "metered"
        fresh_reads = True

        def __init__(self, inner: Any) -> None:
            self.inner = inner
            self.atomic_batches = getattr(inner, "atomic_batches", False)
            self.counts: Counter[str] = Counter()
            self.detail: Counter[str] = Counter()  # "<operation> <container>": documents
            self.detail_ru: Counter[str] = Counter()  # writes: RU by container (and node kind in a batch)
            self.ru = 0.0

        def _w(self, kind: str, doc: Any, container: str = "", batched: bool = False) -> None:
            self.counts["writes"] += 1
            ru = write_ru(kind, doc, container)
            self.ru += ru
            if not batched:
                self.detail_ru[f"{kind} {container}"] += ru

        def _r(self, docs: list[Any]) -> None:
            self.counts["reads"] += max(1, len(docs))
            self.ru += sum(read_ru(d) for d in docs) if docs else 1.0

        def read(self, container: str, pk: str, doc_id: str) -> Any:
            self.counts["requests"] += 1
            self.detail[f"read {container}"] += 1
            doc = self.inner.read(container, pk, doc_id)
            self._r([doc] if doc else [])
            return doc

        def create(self, container: str, doc: Any) -> Any:
            self.counts["requests"] += 1
            self.detail[f"create {container}"] += 1
            self._w("create", doc, container)
            return self.inner.create(container, doc)

        def upsert(self, container: str, doc: Any) -> Any:
            self.counts["requests"] += 1
            self.detail[f"upsert {container}"] += 1
            self._w("upsert", doc, container)
            return self.inner.upsert(container, doc)

        def replace(self, container: str, doc: Any, etag: str) -> Any:
            self.counts["requests"] += 1
            self.detail[f"replace {container}"] += 1
            self._w("replace", doc, container)
            return self.inner.replace(container, doc, etag)

        def delete(self, container: str, pk: str, doc_id: str, etag: str | None = None) -> bool:
            self.counts["requests"] += 1
            self._w("delete", {}, container)
            return bool(self.inner.delete(container, pk, doc_id, etag))

        def query(self, container: str, **kwargs: Any) -> Any:
            self.counts["requests"] += 1
            page = self.inner.query(container, **kwargs)
            self.detail[f"query {container}"] += max(1, len(page.items))
            self.counts["reads"] += len(page.items)
            self.ru += 2.5 + sum(read_ru(d) for d in page.items)
            return page

        def read_many(self, container: str, keys: list[tuple[str, str]]) -> list[Any]:
            self.counts["requests"] += 1
            docs = self.inner.read_many(container, keys)
            self.detail[f"read_many {container}"] += len(keys)
            self.counts["reads"] += len(keys)
            self.ru += sum(read_ru(d) for d in docs) + (len(keys) - len(docs))  # a miss costs 1 RU
            return list(docs)

        def batch(self, ops: list[Any]) -> list[Any]:
            self.counts["requests"] += 1
            for op in ops:
                self.detail[f"batch-{op.kind} {op.container}"] += 1
                self.detail_ru[f"{op.kind} {op.container}:{(op.doc or {}).get('kind', '')!s}"] += write_ru(
                    op.kind, op.doc or {}, op.container
                )
                self._w(op.kind, op.doc or {}, op.container, batched=True)
            return list(self.inner.batch(ops))

        def ping(self) -> None:
            self.inner.ping()

    return Metered


SHAPES = ("mixed", "distinct", "realistic")
#: Distinct senders per shape (``--users``): few senders model users with a history, whose
#: profile and user node are replaced (twice the RU of a create) and have grown.
USERS = int(os.environ.get("BENCH_COST_USERS", "200"))


def traffic(kind: str, n: int) -> list[tuple[str, str]]:
    """``(user_id, prompt)`` pairs."""
    if kind == "distinct":
        texts = [json.loads(line)["text"] for line in DEV.open(encoding="utf-8")]
        texts = [t for t in texts if len(t) <= 2000]
        random.Random(5).shuffle(texts)
        return [(f"bench-d-{i % USERS}", texts[i % len(texts)]) for i in range(n)]
    if kind == "realistic":
        records = [json.loads(line) for line in DEV.open(encoding="utf-8")]
        by_label = {
            label: [r["text"] for r in records if r.get("label") == label and len(r["text"]) <= 2000]
            for label in ("benign", "attack")
        }
        for texts in by_label.values():
            random.Random(7).shuffle(texts)
        out = []
        for i in range(n):
            pool = by_label["attack"] if i % 10 == 9 else by_label["benign"]
            out.append((f"bench-r-{i % USERS}", pool[i % len(pool)]))
        return out
    sys.path.insert(0, str(ROOT / "tests" / "bench"))
    from load import MIX  # type: ignore[import-not-found]

    out = []
    for i in range(n):
        template = MIX[i % len(MIX)]
        out.append((f"bench-m-{i % USERS}", str(template["prompt"]).replace("{i}", str(i))))
    return out


def measure(src: Path, n: int) -> dict[str, Any]:
    """Run in a process whose ``sys.path`` starts with ``src`` (this tree or an old one)."""
    import time

    from shared.config import load_settings
    from shared.graph.update import process_message
    from shared.pipeline import AnalysisRequest, Pipeline
    from shared.stores.sqlite import SqliteStore

    try:
        from shared.stores.indexing import INDEXED_FIELDS
    except ImportError:  # older code: every container indexed every path
        INDEXED_FIELDS = {}
    NARROW_INDEX.update(INDEXED_FIELDS)
    import inspect

    first_flag = "first_delivery" in inspect.signature(process_message).parameters
    settings = load_settings(classifier={"enabled": False})
    meter_cls = make_meter(src)
    out: dict[str, Any] = {"bands": settings.graph.lsh_bands}
    for kind in SHAPES:
        with tempfile.TemporaryDirectory() as tmp:
            store = meter_cls(SqliteStore(f"{tmp}/cost.sqlite3"))
            pipe = Pipeline.build(settings, store=store)
            graph = Counter[str]()
            graph_ru = 0.0
            started = time.perf_counter()
            for i, (user, text) in enumerate(traffic(kind, n)):
                result = pipe.analyze(AnalysisRequest(user_id=user, prompt=text))
                before, ru_before = Counter(store.counts), store.ru
                if result.graph_message:
                    # As the queue delivers it the first time (older code has no such flag).
                    extra = {"first_delivery": True} if first_flag else {}
                    process_message(store, settings, result.graph_message, f"m-{kind}-{i}", **extra)
                graph.update(store.counts - before)
                graph_ru += store.ru - ru_before
            elapsed = time.perf_counter() - started
            total = store.counts
            out[kind] = {
                "reads": total["reads"] / n,
                "writes": total["writes"] / n,
                "ops": (total["reads"] + total["writes"]) / n,
                "requests": total["requests"] / n,
                "ru": store.ru / n,
                "graph_ops": (graph["reads"] + graph["writes"]) / n,
                "graph_ru": graph_ru / n,
                "ms_per_prompt": elapsed * 1e3 / n,
                "detail": {k: round(v / n, 2) for k, v in store.detail.most_common()},
                "detail_ru": {k: round(v / n, 2) for k, v in store.detail_ru.most_common()},
            }
            store.inner.close()
    return out


def run_child(src: Path, n: int) -> dict[str, Any]:
    code = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); sys.path.insert(1, sys.argv[3]);"
        "import pathlib, store_cost as sc;"
        "print(json.dumps(sc.measure(pathlib.Path(sys.argv[1]), int(sys.argv[2]))))"
    )
    env = {**os.environ, "PYTHONPATH": str(src)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(src), str(n), str(ROOT / "tests" / "bench")],
        capture_output=True,
        text=True,
        env=env,
        cwd=src,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"measurement of {src} failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def extract(rev: str, into: Path) -> Path:
    """The ``shared`` package of git revision ``rev`` under ``into`` (read-only use)."""
    blob = subprocess.run(
        ["git", "archive", "--format=tar", rev, "shared"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")
    return into


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="prompts per traffic shape")
    parser.add_argument(
        "--compare", metavar="REV", action="append", default=[], help="also measure git revision REV (repeatable)"
    )
    parser.add_argument("--users", type=int, default=200, help="distinct senders per traffic shape")
    args = parser.parse_args(argv)
    os.environ["BENCH_COST_USERS"] = str(args.users)
    rows = {"now": run_child(ROOT, args.n)}
    for rev in args.compare:
        with tempfile.TemporaryDirectory() as tmp:
            rows[rev] = run_child(extract(rev, Path(tmp)), args.n)
    print(
        f"store cost per analysed prompt ({args.n} prompts per shape from {args.users} users; "
        "targets: <= 10 ops, <= 40 RU)"
    )
    print(
        f"{'code':>10} {'bands':>5} {'traffic':>9} {'reads':>6} {'writes':>6} {'ops':>6} {'requests':>8} "
        f"{'RU':>6} {'graph ops':>9} {'graph RU':>8} {'ms':>6}"
    )
    for name, row in rows.items():
        for kind in SHAPES:
            r = row[kind]
            print(
                f"{name[:10]:>10} {row['bands']:>5} {kind:>9} {r['reads']:6.1f} {r['writes']:6.1f} "
                f"{r['ops']:6.1f} {r['requests']:8.1f} {r['ru']:6.1f} {r['graph_ops']:9.1f} "
                f"{r['graph_ru']:8.1f} {r['ms_per_prompt']:6.2f}"
            )
    out = ROOT / ".bench"
    out.mkdir(exist_ok=True)
    (out / "store_cost.json").write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
