"""Fitting the layer combiner (``infra/training/train_fusion.py``) on generated feature rows.

The rows are made up here (no dataset records): attacks carry a higher classifier score
and more rule evidence, split over a few families so the family-wise cross-fit has folds.
"""

from __future__ import annotations

import random

import numpy as np
import pytest

from infra.training import train_fusion as tf
from shared.detection.fusion import FEATURES, Fusion


def _rows(n: int = 600, seed: int = 7) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        attack = i % 3 == 0
        feats = dict.fromkeys(FEATURES, 0.0)
        feats["classifier"] = min(0.99, max(0.0, rnd.gauss(0.6 if attack else 0.25, 0.2)))
        feats["rules"] = (
            0.8 if attack and rnd.random() < 0.4 else (0.97 if not attack and rnd.random() < 0.002 else 0.0)
        )
        feats["log_chars"] = rnd.uniform(1, 3)
        rows.append(
            {
                "id": str(i),
                "source": f"s{i % 6}",
                "family": f"f{i % 4}",
                "category": "jailbreak" if attack else "benign",
                "attack": attack,
                "hard": not attack and i % 5 == 0,
                "noisy_or": 1 - (1 - feats["classifier"]) * (1 - feats["rules"]),
                "cap": 1.0,
                "features": feats,
            }
        )
    return rows


def test_cross_fit_scores_every_row_out_of_fold_and_ranks_attacks_higher() -> None:
    rows = _rows()
    p = tf.cross_fit(rows, log=lambda _: None)
    y = np.array([r["attack"] for r in rows])
    assert p.shape == (len(rows),) and ((p > 0) & (p < 1)).all()
    assert tf.metrics(rows, p >= 0.5, p)["auc"] > 0.8
    assert p[y].mean() > p[~y].mean()


def test_operating_points_meet_each_level_fpr_target_and_are_ordered() -> None:
    rows = _rows()
    p = tf.cross_fit(rows, log=lambda _: None)
    thresholds = tf.choose_thresholds(rows, p)
    assert thresholds["low"] >= thresholds["medium"] >= thresholds["high"] >= thresholds["paranoid"]
    fused = tf.fused_risk(rows, p, thresholds)
    for level, (fpr_target, _) in tf.TARGETS.items():
        block = tf.BLOCK_THRESHOLDS[tf._level(level)]
        fpr = tf.metrics(rows, fused >= block - 1e-12, fused)["overall"]["fpr"]
        # Where the rules alone already exceed the target, the combiner adds no false positive.
        floor = np.array([r["features"]["rules"] >= block for r in rows])
        floor_fpr = tf.metrics(rows, floor, floor.astype(float))["overall"]["fpr"]
        assert fpr <= max(fpr_target, floor_fpr) + 1e-9, (level, fpr)


def test_the_rules_floor_counts_when_choosing_an_operating_point() -> None:
    rows = _rows()
    floor_fp = sum(1 for r in rows if not r["attack"] and r["features"]["rules"] >= 0.9)
    assert floor_fp >= 1  # a benign row the rules alone block at low
    p = np.zeros(len(rows))
    fused = tf.fused_risk(rows, p, tf.choose_thresholds(rows, p))
    assert sum(1 for r, f in zip(rows, fused, strict=True) if not r["attack"] and f >= 0.9) == floor_fp


def test_the_written_artefact_loads_and_reproduces_the_fit() -> None:
    rows = _rows()
    p = tf.cross_fit(rows, log=lambda _: None)
    cmp = {"fusion": tf.metrics(rows, p >= 0.5, p), "noisy_or": tf.metrics(rows, p >= 0.5, p)}
    data = tf.artefact(rows, tf.choose_thresholds(rows, p), cmp)
    fusion = Fusion.from_dict(data)
    coef, b = tf.fit(rows)
    assert fusion.probability(rows[0]["features"]) == pytest.approx(tf.predict(coef, b, rows[:1])[0], abs=1e-6)
    assert data["metadata"]["records"] == len(rows)


def test_recall_at_one_percent_fpr_counts_only_scores_above_the_benign_cut() -> None:
    y = np.array([True] * 4 + [False] * 100)
    s = np.array([0.9, 0.8, 0.5, 0.1] + [0.0] * 98 + [0.6, 0.7])
    # One benign may pass (1% of 100): the cut is the second-highest benign score, 0.6.
    assert tf._recall_at_fpr(y, s, 0.01) == pytest.approx(0.5)
