"""Leave-one-source-out (and leave-one-family-out) evaluation of the classifier.

    python -m infra.training.loso [--data ../shared/datasets/dev.jsonl] [--json-out loso.json]

For every source of the dev corpus: train on all other dev sources plus the synthetic
set, score the held-out source with the runtime scoring path, and report n, attack
recall, benign FPR, hard-benign FPR (at the shipped "medium" operating point), and
ROC-AUC where the source has both classes. The grouped variant holds out whole
families together (all ``bipia_*``, all ``garak_*``, all ``patt_*``): a model then
has never seen anything from that collection, which is the honest estimate for data
we do not have.

For the pipeline owner: :func:`oof_scores` returns per-item out-of-fold scores
(``{id: score}``) for a grouping, to combine with the rules engine offline.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from infra.training.train_classifier import (  # noqa: E402
    DEFAULT_DATA,
    Corpus,
    TrainParams,
    build_corpus,
    fit,
    load_dev,
    score_rows,
    sigmoid,
)


def roc_auc(y: np.ndarray, s: np.ndarray) -> float | None:
    """Mann-Whitney AUC with average ranks for ties (None if a class is empty)."""
    pos = int(y.sum())
    neg = len(y) - pos
    if pos == 0 or neg == 0:
        return None
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def evaluate(corpus: Corpus, params: TrainParams, grouping: str = "source", log: bool = True) -> dict[str, Any]:
    """Out-of-fold margins for every dev item (NaN for synthetic rows, which are always trained on)."""
    if grouping not in ("source", "family"):
        raise ValueError("grouping must be 'source' or 'family'")
    key = corpus.source if grouping == "source" else corpus.family
    dev_rows = np.flatnonzero(corpus.origin)
    groups = sorted({key[i] for i in dev_rows})
    oof = np.full(len(corpus), np.nan)
    for g in groups:
        t0 = time.perf_counter()
        held = np.array([i for i in dev_rows if key[i] == g], dtype=np.int64)
        train_rows = np.array([i for i in range(len(corpus)) if not (corpus.origin[i] and key[i] == g)])
        model = fit(corpus, train_rows, params)
        oof[held] = score_rows(corpus, held, model, params)
        if log:
            print(f"  [{grouping}] held out {g:<28} n={len(held):<5} {time.perf_counter() - t0:5.1f}s", file=sys.stderr)
    return {"grouping": grouping, "groups": groups, "oof_margin": oof}


def _metrics(y: np.ndarray, hard: np.ndarray, s: np.ndarray, threshold: float) -> dict[str, Any]:
    flagged = s >= threshold
    att = y == 1
    ben = y == 0
    hb = ben & hard
    return {
        "n": len(y), "attacks": int(att.sum()), "benign": int(ben.sum()), "hard_benign": int(hb.sum()),
        "recall": float(flagged[att].mean()) if att.any() else None,
        "fpr": float(flagged[ben].mean()) if ben.any() else None,
        "hard_fpr": float(flagged[hb].mean()) if hb.any() else None,
        "auc": roc_auc(y.astype(np.int64), s),
    }  # fmt: skip


def summary(corpus: Corpus, report: dict[str, Any], threshold: float) -> dict[str, Any]:
    """Per-source (and, for the family grouping, per-family) metrics at ``threshold``."""
    dev_rows = np.flatnonzero(corpus.origin)
    scores = sigmoid(report["oof_margin"][dev_rows])
    y = corpus.y[dev_rows]
    hard = corpus.hard[dev_rows]
    src = np.array([corpus.source[i] for i in dev_rows])
    fam = np.array([corpus.family[i] for i in dev_rows])
    rows = {}
    for s in sorted(set(src.tolist())):
        m = src == s
        rows[s] = _metrics(y[m], hard[m], scores[m], threshold)
    families = {}
    if report["grouping"] == "family":
        for f in sorted(set(fam.tolist())):
            m = fam == f
            families[f] = _metrics(y[m], hard[m], scores[m], threshold)
    recalls = [r["recall"] for r in rows.values() if r["recall"] is not None]
    fam_recalls = [r["recall"] for r in families.values() if r["recall"] is not None]
    return {
        "grouping": report["grouping"],
        "threshold": threshold,
        "per_source": rows,
        "per_family": families,
        "overall": _metrics(y, hard, scores, threshold),
        "mean_source_attack_recall": float(np.mean(recalls)) if recalls else None,
        "mean_family_attack_recall": float(np.mean(fam_recalls)) if fam_recalls else None,
    }


def _pct(x: float | None) -> str:
    return "     -" if x is None else f"{100 * x:6.2f}"


def print_summary(s: dict[str, Any], title: str) -> None:
    print(f"\n== {title} (grouping={s['grouping']}, medium threshold {s['threshold']:.4f})")
    print(f"   {'source':<28} {'n':>5} {'att':>5} {'recall%':>8} {'ben':>5} {'FPR%':>7} {'hard':>5} {'hardFPR%':>8}"
          f" {'AUC':>6}")  # fmt: skip
    blocks = [("", s["per_source"])]
    if s["per_family"]:
        blocks.append(("family ", s["per_family"]))
    for label, rows in blocks:
        for name, r in rows.items():
            auc = "     -" if r["auc"] is None else f"{r['auc']:.3f}"
            print(f"   {label + name:<28} {r['n']:>5} {r['attacks']:>5} {_pct(r['recall']):>8} {r['benign']:>5} "
                  f"{_pct(r['fpr']):>7} {r['hard_benign']:>5} {_pct(r['hard_fpr']):>8} {auc:>6}")  # fmt: skip
    o = s["overall"]
    print(f"   {'ALL (out-of-fold)':<28} {o['n']:>5} {o['attacks']:>5} {_pct(o['recall']):>8} {o['benign']:>5} "
          f"{_pct(o['fpr']):>7} {o['hard_benign']:>5} {_pct(o['hard_fpr']):>8} "
          f"{'' if o['auc'] is None else format(o['auc'], '.3f'):>6}")  # fmt: skip
    print(f"   mean attack recall over sources with attacks: {_pct(s['mean_source_attack_recall'])}%")
    if s["mean_family_attack_recall"] is not None:
        print(f"   mean attack recall over held-out groups:      {_pct(s['mean_family_attack_recall'])}%")


def oof_scores(
    grouping: str = "source",
    data_path: Path | list[Path] = DEFAULT_DATA,
    params: TrainParams | None = None,
    corpus: Corpus | None = None,
) -> dict[str, float]:
    """``{dev id: out-of-fold classifier score in [0, 1]}`` for ``grouping`` ("source"/"family")."""
    from infra.training.train_classifier import training_synthetic

    params = params or TrainParams()
    if corpus is None:
        dev = load_dev(data_path)
        synth = training_synthetic(params)
        corpus = build_corpus(dev, synth, params.features)
    report = evaluate(corpus, params, grouping, log=False)
    rows = np.flatnonzero(corpus.origin)
    scores = sigmoid(report["oof_margin"][rows])
    return {corpus.ids[i]: float(v) for i, v in zip(rows, scores, strict=True)}


def main(argv: list[str] | None = None) -> None:
    from infra.training import synthetic
    from infra.training.train_classifier import choose_thresholds

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--json-out", type=Path, help="write both summaries (and OOF scores) as JSON")
    ap.add_argument("--threshold", type=float, help="fixed medium threshold (default: chosen as in training)")
    args = ap.parse_args(argv)
    params = TrainParams()
    t0 = time.perf_counter()
    dev = load_dev(args.data)
    synth = synthetic.generate(params.synthetic_seed, params.synthetic_scale)
    corpus = build_corpus(dev, synth, params.features)
    print(f"corpus ready in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    by_source = evaluate(corpus, params, "source")
    by_family = evaluate(corpus, params, "family")
    dev_rows = np.flatnonzero(corpus.origin)
    thr = choose_thresholds(sigmoid(by_family["oof_margin"][dev_rows]), corpus.y[dev_rows], corpus.hard[dev_rows])
    medium = args.threshold if args.threshold is not None else thr["medium"]["score"]
    s1 = summary(corpus, by_source, medium)
    s2 = summary(corpus, by_family, medium)
    print_summary(s1, "leave-one-source-out")
    print_summary(s2, "leave-one-family-out")
    print("\noperating points (family-wise out-of-fold):")
    for level, t in thr.items():
        print(f"   {level:<9} score>={t['score']:.4f}  benign FPR {_pct(t['oof_benign_fpr'])}%  hard FPR "
              f"{_pct(t['oof_hard_benign_fpr'])}%  recall {_pct(t['oof_attack_recall'])}%")  # fmt: skip
    if args.json_out:
        oof = {
            g: {corpus.ids[i]: float(sigmoid(np.array(r["oof_margin"][i]))) for i in dev_rows}
            for g, r in (("source", by_source), ("family", by_family))
        }
        args.json_out.write_text(json.dumps({"per_source": s1, "per_family": s2, "thresholds": thr,
                                             "oof_scores": oof}, indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
