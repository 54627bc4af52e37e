"""Fit the blend of the linear model and the transformer on out-of-fold scores.

    python -m infra.training.fit_blend [--write]

Inputs (both written by ``make train``, both out-of-family):

* ``.bench/oof_family.json``: the linear model's score of every dev + extra record,
  by a model trained without that record's source family (16 folds);
* ``.bench/oof_encoder.json``: the transformer's score of every record, by a model
  trained without that record's fold of source families (4 folds,
  ``train_encoder.FOLDS``).

Two kinds are compared: a logistic regression over the two clipped logits
(scikit-learn, class-balanced, each source weighing ``n ** 0.5``), whose out-of-fold
scores are cross-fitted by family (fit on the other families, score the held-out one),
and the noisy-OR of the two probabilities with the encoder's logit tempered (one parameter,
chosen by out-of-fold AUC: the fine-tuned encoder is overconfident). The higher AUC ships, and
the severity levels' thresholds are chosen on its out-of-fold scores with
``BLEND_TARGETS``. ``--write`` stores ``shared/detection/model/blend.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from infra.training.loso import roc_auc  # noqa: E402
from infra.training.train_classifier import (  # noqa: E402
    choose_thresholds,
    data_files,
    family_of,
    file_sha256,
    load_dev,
)
from shared.detection.ensemble import FEATURES, blend_digest, blend_features  # noqa: E402

#: level -> (max benign FPR, max hard-benign FPR) of the blend alone on out-of-fold data.
#: Stricter than the linear model's LEVEL_TARGETS: the rules add their own false positives
#: on top in the noisy-OR, and the pipeline's targets (issue 9) are FPR <= 1% and
#: hard-benign FPR <= 2% at medium.
BLEND_TARGETS: dict[str, tuple[float, float]] = {
    "low": (0.001, 0.005),
    "medium": (0.005, 0.015),
    "high": (0.02, 0.05),
    "paranoid": (0.06, 0.15),
}
#: Candidate inverse temperatures for the encoder's logit in the noisy-OR kind.
INVERSE_TEMPERATURES = (1.0, 2 / 3, 1 / 2, 1 / 3, 1 / 4, 1 / 6)
LINEAR_OOF = REPO_ROOT / ".bench" / "oof_family.json"
ENCODER_OOF = REPO_ROOT / ".bench" / "oof_encoder.json"
MODEL_DIR = REPO_ROOT / "shared" / "detection" / "model"


def _weights(sources: list[str], y: np.ndarray) -> np.ndarray:
    cell = Counter(zip(sources, y.tolist(), strict=True))
    w = np.array([cell[(s, int(v))] ** -0.5 for s, v in zip(sources, y, strict=True)])
    for cls in (0, 1):
        m = y == cls
        w[m] *= 0.5 * len(y) / w[m].sum()
    return w


def _fit(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0, solver="lbfgs", max_iter=1000)
    model.fit(x, y, sample_weight=w)
    return model.coef_[0].astype(float), float(model.intercept_[0])


def _sig(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def recall_at_fpr(y: np.ndarray, s: np.ndarray, fpr: float) -> float:
    benign = np.sort(s[y == 0])[::-1]
    k = int(np.floor(fpr * len(benign)))
    cut = benign[k] if k < len(benign) else -np.inf
    return float((s[y == 1] > cut).mean())


def load_table(linear_oof: Path, encoder_oof: Path) -> dict[str, Any]:
    records = load_dev(data_files())
    lin = json.loads(linear_oof.read_text())["scores"]
    enc = json.loads(encoder_oof.read_text())["scores"]
    rows = [r for r in records if r["id"] in lin and r["id"] in enc]
    return {
        "ids": [r["id"] for r in rows],
        "y": np.array([int(r["label"] == "attack") for r in rows]),
        "hard": np.array([bool(r.get("hard_benign")) for r in rows]),
        "source": [r["source"] for r in rows],
        "family": [family_of(r["source"]) for r in rows],
        "category": [r["category"] for r in rows],
        "linear": np.array([lin[r["id"]] for r in rows]),
        "encoder": np.array([enc[r["id"]] for r in rows]),
        "missing": len(records) - len(rows),
    }


def fit_blend(t: dict[str, Any], log: Any = print) -> dict[str, Any]:
    """Both kinds of blend on out-of-fold data; the one that ranks held-out families better wins.

    The logistic blend is cross-fitted by family (fit on the others, score the held-out
    family); the noisy-OR has no parameters, so its scores are out-of-fold as they are.
    The winner is the kind with the higher AUC, unless it loses on recall at 1% FPR.
    """
    x = np.array([blend_features(a, b) for a, b in zip(t["linear"], t["encoder"], strict=True)])
    y, w = t["y"], _weights(t["source"], t["y"])
    fam = np.array(t["family"])
    logistic = np.zeros(len(y))
    for f in sorted(set(t["family"])):
        test = fam == f
        train = ~test
        if len(set(y[train].tolist())) < 2:
            continue
        coef, icpt = _fit(x[train], y[train], w[train])
        logistic[test] = _sig(x[test] @ coef + icpt)
    coef, icpt = _fit(x, y, w)
    # noisy-OR with the encoder's logit tempered: one parameter, chosen by out-of-fold AUC
    best_k, noisy_or, best_auc = 1.0, np.zeros(len(y)), -1.0
    for k in INVERSE_TEMPERATURES:
        s = 1.0 - (1.0 - _sig(x[:, 0])) * (1.0 - _sig(k * x[:, 1]))
        auc = roc_auc(y, s) or 0.0
        if auc > best_auc:
            best_k, noisy_or, best_auc = k, s, auc
    table = {}
    for name, s in (("linear", t["linear"]), ("encoder", t["encoder"]), ("logistic blend", logistic),
                    ("noisy-OR blend", noisy_or)):  # fmt: skip
        table[name] = {
            "auc": round(roc_auc(y, s) or 0.0, 4),
            "recall_at_1pct_fpr": round(recall_at_fpr(y, s, 0.01), 4),
            "recall_at_5pct_fpr": round(recall_at_fpr(y, s, 0.05), 4),
        }
    lg, no = table["logistic blend"], table["noisy-OR blend"]
    kind = "logistic" if lg["auc"] > no["auc"] and lg["recall_at_1pct_fpr"] >= no["recall_at_1pct_fpr"] else "noisy_or"
    oof = logistic if kind == "logistic" else noisy_or
    thresholds = choose_thresholds(oof, y, t["hard"], targets=BLEND_TARGETS)
    encoder_thresholds = choose_thresholds(t["encoder"], y, t["hard"])
    log(f"  {'model (out-of-fold)':22s} {'AUC':>7s} {'rec@1%':>7s} {'rec@5%':>7s}")
    for name, r in table.items():
        log(f"  {name:22s} {r['auc']:7.4f} {r['recall_at_1pct_fpr']:7.2%} {r['recall_at_5pct_fpr']:7.2%}")
    log(f"  logistic coefficients {coef.round(3).tolist()} intercept {icpt:.3f}; noisy-OR encoder inverse "
        f"temperature {best_k:.3f}; chosen: {kind}")  # fmt: skip
    for lvl, th in thresholds.items():
        log(f"  {lvl:9s} threshold {th['score']:.4f}: recall {th['oof_attack_recall']:.2%} "
            f"FPR {th['oof_benign_fpr']:.2%} hard {th['oof_hard_benign_fpr']:.2%}")  # fmt: skip
    if kind == "noisy_or":
        coef, icpt = np.array([1.0, best_k]), 0.0
    return {
        "kind": kind, "coef": coef.tolist(), "intercept": icpt, "thresholds": thresholds,
        "encoder_thresholds": encoder_thresholds, "comparison": table, "oof": oof,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--linear-oof", type=Path, default=LINEAR_OOF)
    ap.add_argument("--encoder-oof", type=Path, default=ENCODER_OOF)
    ap.add_argument("--out", type=Path, default=MODEL_DIR / "blend.json")
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args(argv)
    t = load_table(args.linear_oof, args.encoder_oof)
    print(f"{len(t['ids'])} records with both out-of-fold scores ({t['missing']} without)")
    fit = fit_blend(t)
    if not args.write:
        return
    linear_meta = json.loads((MODEL_DIR / "classifier.json").read_text())
    encoder_meta = json.loads((MODEL_DIR / "encoder.json").read_text())
    thresholds_only = {k: v["score"] for k, v in fit["thresholds"].items()}
    body = {
        "format": 1,
        "kind": fit["kind"],
        "features": list(FEATURES),
        "coef": [round(c, 8) for c in fit["coef"]],
        "intercept": round(fit["intercept"], 8),
        "thresholds": fit["thresholds"],
        "encoder_alone_thresholds": fit["encoder_thresholds"],
        "level_targets": {k: list(v) for k, v in BLEND_TARGETS.items()},
        "comparison_out_of_fold": fit["comparison"],
        "models": {"linear_npz_sha256": linear_meta["npz_sha256"], "encoder_sha256": encoder_meta["sha256"]},
        "method": "on both models' out-of-family scores: a logistic regression over their clipped logits "
        "(cross-fitted by family) against the noisy-OR of their probabilities; the higher AUC ships; thresholds "
        "chosen on the winner's out-of-fold scores",
        "inputs": {"linear_oof": file_sha256(args.linear_oof), "encoder_oof": file_sha256(args.encoder_oof)},
    }
    body["coef"] = [float(c) for c in body["coef"]]
    body["sha256"] = blend_digest(body["kind"], body["coef"], body["intercept"], thresholds_only)
    args.out.write_text(json.dumps(body, indent=2, sort_keys=True) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
