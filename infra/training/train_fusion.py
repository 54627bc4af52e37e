"""Fit the layer combiner (``shared/detection/model/fusion.json``) on out-of-fold data.

    python -m infra.training.train_fusion [--write] [--features-cache .bench/fusion_features.json]

1. Every record of dev.jsonl + extra.jsonl goes through the real pipeline with the
   family-wise out-of-fold classifier standing in for the shipped one
   (``pipeline_loso.run_pipeline_loso``, reusing ``.bench/oof_family.json``); the
   DecisionAgent's layer features (:func:`shared.detection.fusion.layer_features`) and
   the noisy-OR risk are recorded per record (ids, labels and numbers only: no text).
2. The combiner is cross-fitted with the *same* 16 family folds: a logistic regression
   fitted on 15 families' features scores the 16th, so its figures are out-of-fold for
   the combiner too (and for the classifier inside it).
3. Each severity level's operating point is the lowest out-of-fold probability at which
   the benign and hard-benign FPR stay within the level's targets (the classifier's
   table in ``infra/training/README.md``), counting the rules floor and the short-text
   cap exactly as the runtime applies them.
4. The noisy-OR and the combiner are compared on the same records and folds. With
   ``--write`` the combiner fitted on all families is written, with a checksum and
   provenance, only if it is better (higher AUC and recall at 1% FPR, mean recall over
   sources not lower at the medium level, benign FPR not higher); otherwise nothing is
   written and the noisy-OR stays.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from infra.training.train_classifier import family_of  # noqa: E402
from shared.detection.fusion import DEFAULT_PATH, FEATURES, LEVELS, numbers_digest  # noqa: E402
from shared.detection.scoring import BLOCK_THRESHOLDS, Calibration  # noqa: E402

FEATURES_CACHE = ROOT / ".bench" / "fusion_features.json"
#: Benign / hard-benign FPR targets per level (the classifier's own table).
TARGETS: dict[str, tuple[float, float]] = {
    "low": (0.0025, 0.01),
    "medium": (0.01, 0.03),
    "high": (0.03, 0.08),
    "paranoid": (0.08, 0.20),
}
C = 0.01  # 1, 0.1, 0.01 tried on the out-of-fold figures: 0.01 ranked best (still below the noisy-OR)
SOURCE_POWER = 0.5  # each (source, label) cell weighs n**power in total, as for the classifier


# ------------------------------------------------------------------ fitting
def _matrix(rows: Sequence[dict[str, Any]]) -> np.ndarray:
    return np.array([[r["features"][name] for name in FEATURES] for r in rows], dtype=np.float64)


def _weights(rows: Sequence[dict[str, Any]]) -> np.ndarray:
    """Each (source, label) cell weighs n**0.5 in total; then the classes are balanced."""
    cells: dict[tuple[str, bool], int] = defaultdict(int)
    for r in rows:
        cells[(r["source"], r["attack"])] += 1
    w = np.array([cells[(r["source"], r["attack"])] ** SOURCE_POWER / cells[(r["source"], r["attack"])] for r in rows])
    y = np.array([r["attack"] for r in rows])
    for cls in (True, False):
        if (y == cls).any():
            w[y == cls] *= len(rows) / 2 / w[y == cls].sum()
    return w


def fit(rows: Sequence[dict[str, Any]]) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=C, max_iter=2000, solver="lbfgs")
    model.fit(_matrix(rows), np.array([r["attack"] for r in rows], dtype=int), sample_weight=_weights(rows))
    return model.coef_[0].astype(float), float(model.intercept_[0])


def predict(coef: np.ndarray, intercept: float, rows: Sequence[dict[str, Any]]) -> np.ndarray:
    z = _matrix(rows) @ coef + intercept
    return 1.0 / (1.0 + np.exp(-z))


def cross_fit(rows: Sequence[dict[str, Any]], log: Callable[[str], None] = print) -> np.ndarray:
    """Out-of-fold combiner probabilities: each family scored by a fit on the others."""
    fams = np.array([r["family"] for r in rows])
    p = np.zeros(len(rows))
    for fam in sorted(set(fams.tolist())):
        held = np.flatnonzero(fams == fam)
        train = [rows[i] for i in np.flatnonzero(fams != fam)]
        coef, b = fit(train)
        p[held] = predict(coef, b, [rows[i] for i in held])
    log(f"  fusion: cross-fitted over {len(set(fams.tolist()))} families")
    return p


# --------------------------------------------------------- operating points
def _decide(p: np.ndarray, t: float, floor: np.ndarray, cap: np.ndarray, block: float) -> np.ndarray:
    """The runtime rule at one level: rules floor, or the combiner where the short-text cap allows."""
    return (floor >= block) | ((p >= t) & (cap >= block))


def choose_thresholds(rows: Sequence[dict[str, Any]], p: np.ndarray) -> dict[str, float]:
    y = np.array([r["attack"] for r in rows])
    hard = np.array([bool(r["hard"]) for r in rows])
    floor = np.array([r["features"]["rules"] for r in rows])
    cap = np.array([r["cap"] for r in rows])
    benign, hard_benign = ~y, ~y & hard
    candidates = np.unique(np.round(p, 6))
    out: dict[str, float] = {}
    for level in LEVELS:
        fpr_t, hard_t = TARGETS[level]
        block = BLOCK_THRESHOLDS[_level(level)]
        best = 0.999999
        # FPR falls as t rises: bisect over the sorted candidates for the lowest t within targets.
        lo, hi = 0, len(candidates) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            pred = _decide(p, float(candidates[mid]), floor, cap, block)
            ok = pred[benign].mean() <= fpr_t and (not hard_benign.any() or pred[hard_benign].mean() <= hard_t)
            if ok:
                best = float(candidates[mid])
                hi = mid - 1
            else:
                lo = mid + 1
        out[level] = min(max(best, 1e-4), 0.999999)
    # Stricter levels never use a higher threshold than laxer ones.
    out["medium"] = min(out["medium"], out["low"])
    out["high"] = min(out["high"], out["medium"])
    out["paranoid"] = min(out["paranoid"], out["high"])
    return out


def _level(name: str) -> Any:
    from shared.config import SeverityLevel

    return SeverityLevel(name)


def fused_risk(rows: Sequence[dict[str, Any]], p: np.ndarray, thresholds: dict[str, float]) -> np.ndarray:
    cal = Calibration.from_thresholds(thresholds)
    return np.array([max(r["features"]["rules"], min(cal(float(pi)), r["cap"])) for r, pi in zip(rows, p, strict=True)])


# ------------------------------------------------------------------ metrics
def _auc(y: np.ndarray, s: np.ndarray) -> float | None:
    from infra.training.loso import roc_auc

    return roc_auc(y.astype(int), s)


def _recall_at_fpr(y: np.ndarray, s: np.ndarray, fpr: float = 0.01) -> float:
    """Attack recall at the score where at most ``fpr`` of benign items reach it."""
    ben = np.sort(s[~y])[::-1]
    k = math.floor(fpr * len(ben))
    cut = ben[k] if k < len(ben) else -np.inf
    return float((s[y] > cut).mean())


def metrics(rows: Sequence[dict[str, Any]], pred: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    y = np.array([r["attack"] for r in rows])
    hard = np.array([bool(r["hard"]) for r in rows])

    def rates(mask: np.ndarray) -> dict[str, Any]:
        a, b, h = mask & y, mask & ~y, mask & ~y & hard
        return {
            "n": int(mask.sum()),
            "recall": float(pred[a].mean()) if a.any() else None,
            "fpr": float(pred[b].mean()) if b.any() else None,
            "hard_fpr": float(pred[h].mean()) if h.any() else None,
        }

    sources = sorted({r["source"] for r in rows})
    src = np.array([r["source"] for r in rows])
    per_source = {s: rates(src == s) for s in sources}
    cats = np.array([r["category"] for r in rows])
    per_category = {c: rates(cats == c) for c in sorted(set(cats.tolist())) if (y & (cats == c)).any()}
    recalls = [v["recall"] for v in per_source.values() if v["recall"] is not None]
    return {
        "overall": rates(np.ones(len(rows), dtype=bool)),
        "mean_source_attack_recall": float(np.mean(recalls)),
        "auc": _auc(y, score),
        "recall_at_1pct_fpr": _recall_at_fpr(y, score, 0.01),
        "per_category": per_category,
        "per_source": per_source,
    }


def compare(
    rows: Sequence[dict[str, Any]], level: str = "medium", log: Callable[[str], None] = print
) -> dict[str, Any]:
    """Noisy-OR vs the cross-fitted combiner on the same records and family folds."""
    p = cross_fit(rows, log)
    thresholds = choose_thresholds(rows, p)
    fused = fused_risk(rows, p, thresholds)
    noisy = np.array([r["noisy_or"] for r in rows])
    block = BLOCK_THRESHOLDS[_level(level)]
    out = {
        "level": level,
        "folds": len({r["family"] for r in rows}),
        "oof_thresholds": thresholds,
        "noisy_or": metrics(rows, noisy >= block, noisy),
        "fusion": metrics(rows, fused >= block - 1e-12, fused),
        "fusion_by_level": {},
        "noisy_or_by_level": {},
    }
    for lvl in LEVELS:
        b = BLOCK_THRESHOLDS[_level(lvl)]
        out["fusion_by_level"][lvl] = metrics(rows, fused >= b - 1e-12, fused)["overall"]
        out["noisy_or_by_level"][lvl] = metrics(rows, noisy >= b, noisy)["overall"]
    _print(out, log)
    return out


def better(cmp: dict[str, Any]) -> bool:
    """The switch rule: better ranking and not worse at the default level."""
    n, f = cmp["noisy_or"], cmp["fusion"]
    return (
        (f["auc"] or 0) > (n["auc"] or 0)
        and f["recall_at_1pct_fpr"] > n["recall_at_1pct_fpr"]
        and f["mean_source_attack_recall"] >= n["mean_source_attack_recall"]
        and f["overall"]["fpr"] <= n["overall"]["fpr"] + 1e-9
    )


def _p(x: float | None) -> str:
    return "    -  " if x is None else f"{100 * x:6.2f}%"


def _print(c: dict[str, Any], log: Callable[[str], None]) -> None:
    n, f = c["noisy_or"], c["fusion"]
    log(f"  fusion vs noisy-OR, same records, same {c['folds']} family folds, level {c['level']}")
    log(f"  {'':34s} {'noisy-OR':>9s} {'fusion':>9s}")
    for label, a, b in (
        ("mean attack recall over sources", n["mean_source_attack_recall"], f["mean_source_attack_recall"]),
        ("overall recall", n["overall"]["recall"], f["overall"]["recall"]),
        ("benign FPR", n["overall"]["fpr"], f["overall"]["fpr"]),
        ("hard-benign FPR", n["overall"]["hard_fpr"], f["overall"]["hard_fpr"]),
        ("recall at 1% FPR", n["recall_at_1pct_fpr"], f["recall_at_1pct_fpr"]),
    ):
        log(f"  {label:34s} {_p(a):>9s} {_p(b):>9s}")
    log(f"  {'AUC':34s} {n['auc']:9.4f} {f['auc']:9.4f}")
    for cat in sorted(n["per_category"]):
        log(f"  recall {cat:27s} {_p(n['per_category'][cat]['recall']):>9s} {_p(f['per_category'][cat]['recall']):>9s}")
    for lvl in LEVELS:
        a, b = c["noisy_or_by_level"][lvl], c["fusion_by_level"][lvl]
        log(
            f"  level {lvl:9s} recall/FPR/hard  noisy-OR {_p(a['recall'])} {_p(a['fpr'])} {_p(a['hard_fpr'])}"
            f"   fusion {_p(b['recall'])} {_p(b['fpr'])} {_p(b['hard_fpr'])}"
        )
    log(
        "  fusion operating points (OOF probability): "
        + ", ".join(f"{k} {v:.4f}" for k, v in c["oof_thresholds"].items())
    )


# --------------------------------------------------------------- ordinary list
def ordinary_blocked(fusion: Any, log: Callable[[str], None] = print) -> dict[str, dict[str, int]]:
    """Blocked ordinary messages per level, shipped classifier, noisy-OR vs ``fusion``."""
    from shared.agents.decision_agent import DecisionAgent
    from shared.config import load_settings
    from shared.findings import Decision
    from shared.pipeline import AnalysisRequest, Pipeline

    path = ROOT / "tests" / "detection" / "data" / "ordinary_messages.txt"
    msgs = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip() and not ln.startswith("#")]
    out: dict[str, dict[str, int]] = {"n": {"all": len(msgs)}, "noisy_or": {}, "fusion": {}}
    for lvl in LEVELS:
        pipe = Pipeline.build(load_settings(severity_level=lvl))
        cal = pipe.orchestrator.decision.calibration
        for name, agent in (
            ("noisy_or", DecisionAgent(cal, use_fusion=False)),
            ("fusion", DecisionAgent(cal, fusion=fusion)),
        ):
            pipe.orchestrator.decision = agent
            blocked = sum(
                pipe.analyze(AnalysisRequest("ordinary", m), record=False).decision == Decision.BLOCK for m in msgs
            )
            out[name][lvl] = blocked
    log(
        f"  ordinary messages ({len(msgs)}) blocked low/medium/high/paranoid: noisy-OR "
        + " / ".join(str(out["noisy_or"][lv]) for lv in LEVELS)
        + "; fusion "
        + " / ".join(str(out["fusion"][lv]) for lv in LEVELS)
    )
    return out


# ----------------------------------------------------------------- artefact
def artefact(rows: Sequence[dict[str, Any]], thresholds: dict[str, float], cmp: dict[str, Any]) -> dict[str, Any]:
    from shared.detection.classifier import get_classifier

    coef, b = fit(rows)
    coef_l = [round(float(c), 8) for c in coef]
    b = round(b, 8)
    thr = {k: round(float(v), 8) for k, v in thresholds.items()}
    data_files = {}
    for path in (
        ROOT.parent / "shared" / "datasets" / "dev.jsonl",
        ROOT.parent / "shared" / "datasets" / "extra.jsonl",
    ):
        if path.exists():
            data_files[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "format": "pss-fusion/1",
        "features": list(FEATURES),
        "coef": coef_l,
        "intercept": b,
        "thresholds": thr,
        "sha256": numbers_digest(FEATURES, coef_l, b, thr),
        "metadata": {
            "model": f"logistic regression (lbfgs, L2, C={C}), classes balanced, "
            f"(source, label) cells weigh n^{SOURCE_POWER}",
            "fitted_on": "layer features of every dev.jsonl + extra.jsonl record through the pipeline, with the "
            "family-wise out-of-fold classifier score (.bench/oof_family.json)",
            "thresholds_from": "out-of-fold combiner probabilities (16 family folds); lowest probability within "
            "each level's benign / hard-benign FPR targets " + json.dumps(TARGETS),
            "classifier_npz_sha256": get_classifier().metadata.get("npz_sha256"),
            "data_files": data_files,
            "records": len(rows),
            "oof_medium": {
                k: cmp["fusion"][k] for k in ("mean_source_attack_recall", "auc", "recall_at_1pct_fpr", "overall")
            },
            "noisy_or_medium": {
                k: cmp["noisy_or"][k] for k in ("mean_source_attack_recall", "auc", "recall_at_1pct_fpr", "overall")
            },
        },
    }


def collect(cache: Path | None, log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    """Per-record layer features (no text) from the leave-out pipeline run, cached."""
    from infra.training.pipeline_loso import OOF_CACHE

    oof_sha = hashlib.sha256(OOF_CACHE.read_bytes()).hexdigest() if OOF_CACHE.exists() else None
    if cache is not None and cache.exists():
        cached = json.loads(cache.read_text())
        if cached.get("oof_sha256") == oof_sha and cached.get("features") == list(FEATURES):
            return cached["rows"]
    from infra.training.pipeline_loso import run_pipeline_loso

    rows: list[dict[str, Any]] = []
    run_pipeline_loso(capture=rows, log=log)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        oof_sha = hashlib.sha256(OOF_CACHE.read_bytes()).hexdigest() if OOF_CACHE.exists() else None
        cache.write_text(json.dumps({"oof_sha256": oof_sha, "features": list(FEATURES), "rows": rows}))
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--features-cache", type=Path, default=FEATURES_CACHE)
    ap.add_argument("--write", action="store_true", help="write model/fusion.json if the combiner is better")
    ap.add_argument("--force", action="store_true", help="write even if not better (for experiments)")
    ap.add_argument("--out", type=Path, default=DEFAULT_PATH)
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    rows = collect(args.features_cache)
    for r in rows:
        r.setdefault("family", family_of(r["source"]))
    cmp = compare(rows)
    data = artefact(rows, cmp["oof_thresholds"], cmp)
    from shared.detection.fusion import Fusion

    cmp["ordinary"] = ordinary_blocked(Fusion.from_dict(data))
    ok = better(cmp) and cmp["ordinary"]["fusion"]["medium"] == 0 and cmp["ordinary"]["fusion"]["low"] == 0
    print(f"  fusion better than noisy-OR: {ok} ({time.perf_counter() - t0:.0f}s)")
    if args.write and (ok or args.force):
        args.out.write_text(json.dumps(data, indent=1) + "\n")
        print(f"  wrote {args.out}")
    if args.json_out:
        args.json_out.write_text(json.dumps(cmp, indent=1))


if __name__ == "__main__":
    main()
