"""LSH band/row curve: near-duplicate recall and precision at the campaign threshold
against bucket documents per text (= bands). Run: ``python tests/bench/lsh_curve.py``.

Pairs are prompts of ../shared/datasets/dev.jsonl (read at run time) and copies of them
with random character edits, spread over Jaccard similarity 0.4-1.0 of the 5-gram sets.
A pair is *near* in the graph stage when (share of agreeing bands) ** (1 / rows) reaches
``near_duplicate_threshold`` (0.8); the truth is the exact Jaccard similarity >= 0.8.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from shared.graph.lsh import _shingles, band_keys, minhash  # noqa: E402

DEV = ROOT.parent / "shared" / "datasets" / "dev.jsonl"
CONFIGS = [(16, 4), (12, 4), (10, 4), (8, 4), (8, 3), (6, 4), (6, 3), (5, 3), (4, 4), (4, 3), (4, 2), (3, 3), (2, 4)]
THRESHOLD = 0.8


def jaccard(a: str, b: str) -> float:
    sa, sb = set(_shingles(a).tolist()), set(_shingles(b).tolist())
    return len(sa & sb) / max(1, len(sa | sb))


def mutate(text: str, rng: random.Random, edits: int) -> str:
    chars = list(text)
    for _ in range(edits):
        i = rng.randrange(len(chars))
        chars[i] = rng.choice("abcdefghijklmnopqrstuvwxyz ")
    return "".join(chars)


def pairs(n: int = 1500, seed: int = 14) -> list[tuple[str, str, float]]:
    rng = random.Random(seed)
    texts = [json.loads(line)["text"] for line in DEV.open(encoding="utf-8")]
    texts = [t for t in texts if 60 <= len(t) <= 2000]
    rng.shuffle(texts)
    out = []
    for text in texts[:n]:
        edits = max(1, int(len(text) * rng.uniform(0.0, 0.08)))
        other = mutate(text, rng, edits)
        out.append((text, other, jaccard(text, other)))
    return out


def main() -> list[dict[str, float]]:
    data = pairs()
    print(f"{len(data)} pairs; {sum(j >= THRESHOLD for *_, j in data)} at J >= {THRESHOLD}")
    print(f"{'bands x rows':>12} {'docs/text':>9} {'recall':>7} {'precision':>9} {'J<0.6 flagged':>14}")
    out: list[dict[str, float]] = []
    for bands, rows in CONFIGS:
        tp = fp = fn = low = 0
        for a, b, j in data:
            ka = band_keys(minhash(a, bands * rows), bands, rows)
            kb = band_keys(minhash(b, bands * rows), bands, rows)
            agree = sum(x == y for x, y in zip(ka, kb, strict=True))
            near = agree > 0 and (agree / bands) ** (1 / rows) >= THRESHOLD
            truth = j >= THRESHOLD
            tp += near and truth
            fp += near and not truth
            fn += truth and not near
            low += near and j < 0.6
        recall = tp / max(1, tp + fn)
        precision = tp / max(1, tp + fp)
        print(f"{bands:>5} x {rows:<4} {bands:>9} {recall:>7.3f} {precision:>9.3f} {low:>14}")
        out.append({"bands": bands, "rows": rows, "recall": round(recall, 3), "precision": round(precision, 3)})
    return out


if __name__ == "__main__":
    main()
