"""Leave-one-out for the *whole* pipeline, not just the classifier.

Over dev.jsonl + extra.jsonl, for every source *family* (all ``bipia_*``, ``garak_*``,
``patt_*``, ``agentdojo_*``, ``fuzzyai_*``, ``purplellama_*``, ``spikee*`` together;
every other source alone) a classifier is trained without it (``loso.oof_scores``,
or the scores cached by ``train_classifier`` for the shipped model); each held-out
item is then analysed by the real pipeline (rules, decoding, heuristics, known-attack
similarity, agents, decision) with that out-of-fold classifier standing in for the
shipped one. What comes out is what the service would have decided on a family it
never trained on. Source-wise grouping (one fit per source, 34 of them) is available
with ``--grouping source`` but slow on two cores.

The same loop gives the ablation (rules and heuristics alone, the out-of-fold linear
model alone at its medium operating point, and the whole pipeline) and, for extra.jsonl,
recall and FPR per writing system (the dominant script of the text: a proxy for
language, since the records carry no language field).

The out-of-fold model scores the item's normalised text; decoded layers (which the
shipped classifier also scores) get no classifier score here, so these figures are, if
anything, slightly pessimistic for encoded attacks.

``python -m infra.training.pipeline_loso [--grouping source|family] [--level medium]``
"""

from __future__ import annotations

import argparse
import json
import os
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT.parent / "shared" / "datasets" / "dev.jsonl"
EXTRA = ROOT.parent / "shared" / "datasets" / "extra.jsonl"
#: Written by ``train_classifier`` next to the shipped model's training (family-wise OOF).
OOF_CACHE = ROOT / ".bench" / "oof_family.json"


def dominant_script(text: str) -> str:
    """The writing system most letters of ``text`` belong to (first word of the Unicode name)."""
    import unicodedata
    from collections import Counter

    counts: Counter[str] = Counter()
    for ch in text[:2000]:
        if ch.isalpha():
            counts[unicodedata.name(ch, "OTHER").split()[0]] += 1
    if not counts:
        return "NONE"
    top = counts.most_common(1)[0][0]
    return "CJK" if top in ("CJK", "HIRAGANA", "KATAKANA") and "HIRAGANA" not in counts else top


class OutOfFoldClassifier:
    """Answers ``score()`` with precomputed out-of-fold scores, keyed by normalised text."""

    def __init__(self, scores: dict[str, float], thresholds: dict[str, float]) -> None:
        from shared.detection.classifier import EvidenceConfig

        self.scores = scores
        self.thresholds = thresholds
        self.evidence = EvidenceConfig()

    def score(self, text: str) -> float:
        return self.scores.get(text, 0.0)

    def ceiling(self, text: str) -> float:
        from shared.detection.classifier import word_units

        return self.evidence.ceiling(word_units(text), self.thresholds["paranoid"])

    def threshold(self, level: str) -> float:
        return self.thresholds[level]


def _keyword_baseline(items: list[dict[str, Any]]) -> dict[str, bool]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("score", ROOT.parent / "shared" / "eval" / "score.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return {it["id"]: bool(mod.keyword_baseline(it["text"])["attack"]) for it in items}


def _rates(rows: list[tuple[bool, bool, bool]]) -> dict[str, float | int | None]:
    """rows: (is_attack, predicted, hard_benign)."""
    att = [p for y, p, _ in rows if y]
    ben = [p for y, p, _ in rows if not y]
    hard = [p for y, p, h in rows if not y and h]
    return {
        "n": len(rows),
        "attacks": len(att),
        "recall": sum(att) / len(att) if att else None,
        "benign": len(ben),
        "fpr": sum(ben) / len(ben) if ben else None,
        "hard_fpr": sum(hard) / len(hard) if hard else None,
    }


def run_pipeline_loso(
    *,
    grouping: str = "family",
    level: str = "medium",
    quick: bool = False,
    oof_cache: Path | None = None,
    misses: Path | None = None,
    capture: list[dict[str, Any]] | None = None,
    fusion: bool = True,
    encoder: bool = True,
    encoder_oof: Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The leave-out run. ``capture`` receives each record's layer features (no text);
    ``fusion`` adds the side-by-side comparison of the noisy-OR and the fitted combiner."""
    os.environ.setdefault("PSS_SECRET_PROMPT_HMAC_KEY", "loso-hmac-key-0123456789abcdef0123456789")
    from infra.training.loso import oof_scores
    from infra.training.train_classifier import family_of
    from shared.config import load_settings
    from shared.detection.classifier import get_classifier
    from shared.detection.normalize import normalize
    from shared.detection.scoring import Calibration
    from shared.pipeline import AnalysisRequest, Pipeline

    files = [DEV] + ([EXTRA] if EXTRA.exists() else [])
    items = [json.loads(line) for path in files for line in path.open(encoding="utf-8") if line.strip()]
    extra_ids: set[str] = set()
    if EXTRA.exists():
        extra_ids = {json.loads(line)["id"] for line in EXTRA.open(encoding="utf-8") if line.strip()}
    if quick:
        items = items[::4]
    shipped = get_classifier()
    if oof_cache is None and grouping == "family":
        oof_cache = OOF_CACHE
    cached = json.loads(oof_cache.read_text()) if oof_cache is not None and oof_cache.exists() else None
    if cached is not None and cached.get("npz_sha256") in (None, shipped.metadata.get("npz_sha256")):
        # Written with the shipped model's training run: the same folds, nothing to refit.
        oof = cached.get("scores", cached)
    else:
        log(f"  training one classifier per held-out {grouping} (this takes a while)...")
        oof = oof_scores(grouping=grouping, data_path=files)
        if oof_cache is not None:
            oof_cache.parent.mkdir(parents=True, exist_ok=True)
            oof_cache.write_text(json.dumps({"npz_sha256": shipped.metadata.get("npz_sha256"), "scores": oof}))
    thresholds = {lvl: shipped.threshold(lvl) for lvl in ("low", "medium", "high", "paranoid")}
    norm_of = {it["id"]: normalize(it["text"]).text for it in items}
    by_text = {norm_of[it["id"]]: oof[it["id"]] for it in items if it["id"] in oof}
    settings = load_settings(severity_level=level, classifier={"enabled": False}, limits={"max_input_chars": 200_000})
    pipeline = Pipeline.build(settings)
    # With the transformer: its out-of-fold scores blended with the linear model's by a
    # blend that is itself cross-fitted by family, at thresholds chosen on those scores.
    blended = _blended_oof(log, encoder_oof) if encoder else None
    with_encoder = None
    if blended is not None:
        with_encoder = Pipeline.build(settings)
        with_encoder.detector.classifier = OutOfFoldClassifier(  # type: ignore[assignment]
            {norm_of[i]: v for i, v in blended["scores"].items() if i in norm_of}, blended["thresholds"]
        )
        with_encoder.orchestrator.decision.calibration = Calibration.from_thresholds(blended["thresholds"])
    # Swap the out-of-fold classifier in, with the shipped model's calibration.
    pipeline.detector.classifier = OutOfFoldClassifier(by_text, thresholds)  # type: ignore[assignment]
    # The noisy-OR decides here (the baseline); the combiner is cross-fitted on the recorded features.
    recorder = _recording_agent(Calibration.from_thresholds(thresholds), use_fusion=False, record_features=True)
    pipeline.orchestrator.decision = recorder
    rows: list[dict[str, Any]] = capture if capture is not None else []
    rules_only = Pipeline.build(settings)
    linear_cut = thresholds[level]
    ablation: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    per_script: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    baseline = _keyword_baseline(items)
    per_source: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    per_category: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    base_source: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    wrong: list[dict[str, Any]] = []
    linear_source: dict[str, list[tuple[bool, bool, bool]]] = defaultdict(list)
    risks: dict[str, list[float]] = defaultdict(list)  # per pipeline, for ranking at matched FPR
    labels: list[int] = []
    for it in items:
        linear_result = pipeline.analyze(AnalysisRequest("loso", it["text"]), record=False)
        y = it["label"] == "attack"
        hard = bool(it.get("hard_benign"))
        rows.append(_row(it, recorder.last, family_of(it["source"])))
        ablation["pipeline_linear_only"].append((y, linear_result.attack, hard))
        labels.append(int(y))
        risks["pipeline_linear_only"].append(linear_result.risk)
        linear_source[it["source"]].append((y, linear_result.attack, hard))
        result = linear_result
        if with_encoder is None or blended is None:
            ablation["pipeline"].append((y, result.attack, hard))
        else:
            result = with_encoder.analyze(AnalysisRequest("loso", it["text"]), record=False)
            ablation["pipeline"].append((y, result.attack, hard))
            risks["pipeline"].append(result.risk)
            enc = blended["encoder"].get(it["id"], 0.0)
            ablation["encoder_only"].append((y, enc >= blended["encoder_thresholds"][level], hard))
            mix = blended["scores"].get(it["id"], 0.0)
            ablation["models_blend_only"].append((y, mix >= blended["thresholds"][level], hard))
        if misses is not None and result.attack != y:
            wrong.append({"id": it["id"], "source": it["source"], "label": it["label"], "risk": round(result.risk, 4)})
        per_source[it["source"]].append((y, result.attack, hard))
        # the other reading of a verdict (score.py --field "decision!=allow"): content
        # repairs (markup, SQL, secrets) count as flagged there even when no attack is seen
        ablation["pipeline_by_decision"].append((y, result.decision.value != "allow", hard))
        plain = rules_only.analyze(AnalysisRequest("loso", it["text"]), record=False)
        ablation["rules_only"].append((y, plain.attack, hard))
        ablation["linear_only"].append((y, oof.get(it["id"], 0.0) >= linear_cut, hard))
        if it["id"] in extra_ids:
            per_script[dominant_script(it["text"])].append((y, result.attack, hard))
        per_category[it["category"]].append((y, result.attack, hard))
        base_source[it["source"]].append((y, baseline[it["id"]], hard))
    if misses is not None:  # ids and scores only: the texts stay in ../shared
        misses.write_text("".join(json.dumps(w) + "\n" for w in wrong))
    sources = {s: _rates(r) for s, r in per_source.items()}
    categories = {c: _rates(r) for c, r in per_category.items()}
    base = {s: _rates(r) for s, r in base_source.items()}
    all_rows = [row for r in per_source.values() for row in r]
    all_base = [row for r in base_source.values() for row in r]
    recalls = [v["recall"] for v in sources.values() if v["recall"] is not None]
    linear_sources = {s: _rates(r) for s, r in linear_source.items()}
    linear_recalls = [v["recall"] for v in linear_sources.values() if v["recall"] is not None]
    base_recalls = [v["recall"] for v in base.values() if v["recall"] is not None]
    summary = {
        "grouping": grouping,
        "level": level,
        "overall": _rates(all_rows),
        "baseline_overall": _rates(all_base),
        "mean_source_attack_recall": sum(recalls) / len(recalls),
        "with_encoder": with_encoder is not None,
        "linear_pipeline_mean_source_attack_recall": sum(linear_recalls) / len(linear_recalls),
        "linear_pipeline_per_source": linear_sources,
        "encoder_held_out": "transformer: 4 folds of source families (infra/training/train_encoder.FOLDS); "
        "blend: cross-fitted by family"
        if with_encoder is not None
        else None,
        "baseline_mean_source_attack_recall": sum(base_recalls) / len(base_recalls),
        "per_source": sources,
        "baseline_per_source": base,
        "per_category": categories,
        "ablation": {name: _rates(rows) for name, rows in ablation.items()},
        "ranking": _ranking(labels, risks),
        "per_script_extra": {name: _rates(rows) for name, rows in sorted(per_script.items())},
        "held_out": "source families: bipia_*, garak_*, patt_*, agentdojo_*, fuzzyai_*, purplellama_*, spikee*; "
        "every other source alone"
        if grouping == "family"
        else "each source alone",
    }
    _print(summary, log)
    if fusion and rows:
        from infra.training.train_fusion import compare

        summary["fusion_vs_noisy_or"] = compare(rows, level=level, log=log)
    return summary


def _ranking(labels: list[int], risks: dict[str, list[float]]) -> dict[str, dict[str, float | None]]:
    """Each pipeline's risk as a ranking: AUC, and recall at 1% / 5% benign FPR (operating points aside)."""
    import numpy as np

    from infra.training.fit_blend import recall_at_fpr
    from infra.training.loso import roc_auc

    y = np.asarray(labels)
    out: dict[str, dict[str, float | None]] = {}
    for name, values in risks.items():
        s = np.asarray(values)
        out[name] = {"auc": roc_auc(y, s), "recall_at_1pct_fpr": recall_at_fpr(y, s, 0.01),
                     "recall_at_5pct_fpr": recall_at_fpr(y, s, 0.05)}  # fmt: skip
    return out


def _blended_oof(log: Callable[[str], None], encoder_oof: Path | None = None) -> dict[str, Any] | None:
    """The transformer's out-of-fold scores blended with the linear model's (cross-fitted)."""
    from infra.training.fit_blend import ENCODER_OOF, LINEAR_OOF, fit_blend, load_table

    encoder_oof = encoder_oof or ENCODER_OOF
    if not (encoder_oof.exists() and LINEAR_OOF.exists()):
        log("  (no out-of-fold transformer scores in .bench/: run make train; the linear pipeline only)")
        return None
    table = load_table(LINEAR_OOF, encoder_oof)
    fit = fit_blend(table, log=log)
    return {
        "scores": dict(zip(table["ids"], fit["oof"].tolist(), strict=True)),
        "encoder": dict(zip(table["ids"], table["encoder"].tolist(), strict=True)),
        "thresholds": {k: v["score"] for k, v in fit["thresholds"].items()},
        "encoder_thresholds": {k: v["score"] for k, v in fit["encoder_thresholds"].items()},
        "comparison": fit["comparison"],
    }


def _recording_agent(*args: Any, **kwargs: Any) -> Any:
    """A DecisionAgent that keeps its last verdict (the leave-out run is sequential)."""
    from shared.agents.decision_agent import DecisionAgent

    class Recording(DecisionAgent):
        last: Any = None

        def decide(self, ctx: Any, others: Any, sanitized: Any = None) -> Any:
            verdict, finding = super().decide(ctx, others, sanitized)
            self.last = verdict
            return verdict, finding

    return Recording(*args, **kwargs)


def _row(it: dict[str, Any], verdict: Any, family: str) -> dict[str, Any]:
    """What the combiner is fitted on: labels, the noisy-OR risk and the layer features (no text)."""
    from shared.detection.fusion import short_text_cap

    feats = dict(verdict.features)
    units = feats.pop("units", 0.0)
    return {
        "id": it["id"],
        "source": it["source"],
        "family": family,
        "category": it.get("category", ""),
        "attack": it["label"] == "attack",
        "hard": bool(it.get("hard_benign")),
        "noisy_or": verdict.risk,
        "cap": short_text_cap(units, feats.get("capped", 0.0) == 0.0),
        "features": feats,
    }


def _p(x: float | None) -> str:
    return "    -  " if x is None else f"{100 * x:6.2f}%"


def _print(s: dict[str, Any], log: Callable[[str], None]) -> None:
    log(f"  {'source':28s} {'n':>5s} {'recall':>8s} {'FPR':>8s} {'hardFPR':>8s}   baseline recall / FPR")
    for name in sorted(s["per_source"]):
        r, b = s["per_source"][name], s["baseline_per_source"][name]
        log(
            f"  {name:28s} {r['n']:5d} {_p(r['recall'])} {_p(r['fpr'])} {_p(r['hard_fpr'])}   "
            f"{_p(b['recall'])} / {_p(b['fpr'])}"
        )
    log(f"  {'category':28s} {'n':>5s} {'recall':>8s} {'FPR':>8s} {'hardFPR':>8s}")
    for name in sorted(s["per_category"]):
        r = s["per_category"][name]
        log(f"  {name:28s} {r['n']:5d} {_p(r['recall'])} {_p(r['fpr'])} {_p(r['hard_fpr'])}")
    log(f"  {'extra.jsonl by script':28s} {'n':>5s} {'recall':>8s} {'FPR':>8s}")
    for name, r in s["per_script_extra"].items():
        log(f"  {name:28s} {r['n']:5d} {_p(r['recall'])} {_p(r['fpr'])}")
    for name, r in s["ablation"].items():
        log(f"  ablation {name:19s} recall {_p(r['recall'])}  FPR {_p(r['fpr'])}  hard-benign FPR {_p(r['hard_fpr'])}")
    for name, r in s.get("ranking", {}).items():
        log(f"  ranking {name:22s} AUC {r['auc'] or 0:.4f}  recall at 1% FPR {_p(r['recall_at_1pct_fpr'])}  "
            f"at 5% FPR {_p(r['recall_at_5pct_fpr'])}")  # fmt: skip
    o, b = s["overall"], s["baseline_overall"]
    log(f"  overall: recall {_p(o['recall'])}  FPR {_p(o['fpr'])}  hard-benign FPR {_p(o['hard_fpr'])}")
    log(f"  keyword baseline: recall {_p(b['recall'])}  FPR {_p(b['fpr'])}  hard-benign FPR {_p(b['hard_fpr'])}")
    if s.get("with_encoder"):
        log(
            "  mean attack recall over sources, pipeline before the transformer (linear model only): "
            f"{_p(s['linear_pipeline_mean_source_attack_recall'])}"
        )
    log(
        f"  mean attack recall over sources (each held out by {s['grouping']}): {_p(s['mean_source_attack_recall'])} "
        f"(baseline {_p(s['baseline_mean_source_attack_recall'])}); targets: >= 92%, FPR <= 1%, hard FPR <= 2%"
    )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grouping", choices=["source", "family"], default="family")
    ap.add_argument("--level", choices=["low", "medium", "high", "paranoid"], default="medium")
    ap.add_argument("--quick", action="store_true", help="every fourth item only")
    ap.add_argument("--json-out", type=Path)
    ap.add_argument("--oof-cache", type=Path, help="reuse (or write) the out-of-fold scores here")
    ap.add_argument("--misses", type=Path, help="write the ids of wrongly decided items (JSONL)")
    ap.add_argument("--encoder-oof", type=Path, help="the transformer's out-of-fold scores (default: .bench/)")
    args = ap.parse_args(argv)
    result = run_pipeline_loso(
        grouping=args.grouping,
        level=args.level,
        quick=args.quick,
        oof_cache=args.oof_cache,
        misses=args.misses,
        encoder_oof=args.encoder_oof,
    )
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
