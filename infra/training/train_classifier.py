"""Train the prompt-attack classifier and write the shipped artefact.

    python -m infra.training.train_classifier \\
        --data ../shared/datasets/dev.jsonl --out shared/detection/model/

Inputs: the dev corpus (read at run time, never copied into the repository) and the
synthetic set from :mod:`infra.training.synthetic`. Every text goes through the
pipeline's own normaliser (``normalize(text).text``) and the runtime featurizer
(:func:`shared.detection.features.hash_text`), so training sees exactly what inference
sees. Two L2-regularised logistic regressions (scikit-learn, liblinear) are fitted:
the whole-text model and the document-segment model (see ``shared/detection/classifier.py``).

Operating points: the thresholds for the severity levels are chosen on *out-of-fold*
scores (each dev item scored by a model that never saw its source family; see
:mod:`infra.training.loso`), so they reflect data the model has not memorised.

Determinism: fixed seeds, a deterministic solver, sorted inputs, and an NPZ written
with fixed zip timestamps; the same inputs give a byte-identical artefact
(``tests/classifier/test_reproducible.py``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:  # allow `python infra/training/train_classifier.py`
    sys.path.insert(0, str(REPO_ROOT))

from infra.training import everyday, synthetic  # noqa: E402
from shared.detection.classifier import (  # noqa: E402
    ARTIFACT_FORMAT,
    LEVELS,
    META_NAME,
    NPZ_NAME,
    EvidenceConfig,
    SegmentConfig,
    segment_margin,
)
from shared.detection.features import (  # noqa: E402
    FeatureConfig,
    HashedText,
    hash_text,
    linear_margin,
    segment_rows,
    sparse_row,
)
from shared.detection.normalize import normalize  # noqa: E402

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "datasets" / "dev.jsonl"
#: The second corpus (issue 9): more sources, languages and agent tool outputs.
DEFAULT_EXTRA = REPO_ROOT.parent / "shared" / "datasets" / "extra.jsonl"
DEFAULT_OUT = REPO_ROOT / "shared" / "detection" / "model"
#: Family-wise out-of-fold scores of the last training run (read by pipeline_loso.py).
DEFAULT_OOF = REPO_ROOT / ".bench" / "oof_family.json"
SEED = 1729

#: Raw payload categories: the rules engine owns them, and as segment-model positives
#: they would make every line of benign code look like an attack.
PAYLOAD_CATEGORIES = frozenset({"sql_injection", "xss", "code_injection"})

#: Sources that are one family: held out together in the grouped evaluation.
FAMILY_PREFIXES = ("bipia_", "garak_", "patt_", "agentdojo_", "fuzzyai_", "purplellama_", "spikee")


def family_of(source: str) -> str:
    for prefix in FAMILY_PREFIXES:
        if source.startswith(prefix):
            return prefix.rstrip("_") + "*"
    return source


@dataclass(frozen=True)
class TrainParams:
    """Everything about the fit that is not data. Stored in the artefact metadata."""

    features: FeatureConfig = field(default_factory=FeatureConfig)
    style_scale: float = 0.3  # value of a style pseudo-feature (n-grams get 1/sqrt(#distinct))
    segments: SegmentConfig | None = field(default_factory=SegmentConfig)
    C: float = 0.3
    tol: float = 1e-3
    source_power: float = 0.5  # each source/family weighs n**power in total (1 = plain counts)
    synthetic_share: float = 4.0  # synthetic weight relative to the dev weight of the same class
    short_attack_chars: int = 600  # short instruction attacks are also positives for the segment model
    mil_rounds: int = 1  # re-labelling rounds for attack documents whose planted part is unknown
    seed: int = SEED
    synthetic_seed: int = synthetic.DEFAULT_SEED
    synthetic_scale: float = 1.0
    use_synthetic: bool = True  # the hand-written generator of synthetic.py (ablation: off)
    everyday_count: int = 1500  # draws from everyday.py (hard-benign short traffic); 0 = off
    everyday_seed: int = 4242
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)

    def to_dict(self) -> dict[str, Any]:
        return {
            "features": self.features.to_dict(), "style_scale": self.style_scale,
            "segments": None if self.segments is None else self.segments.to_dict(),
            "model": "logistic_regression", "solver": "liblinear", "penalty": "l2", "C": self.C, "tol": self.tol,
            "source_power": self.source_power, "synthetic_share": self.synthetic_share,
            "short_attack_chars": self.short_attack_chars, "mil_rounds": self.mil_rounds, "seed": self.seed,
            "synthetic_seed": self.synthetic_seed, "synthetic_scale": self.synthetic_scale,
            "use_synthetic": self.use_synthetic, "everyday_count": self.everyday_count,
            "everyday_seed": self.everyday_seed, "evidence": self.evidence.to_dict(),
        }  # fmt: skip


@dataclass
class Corpus:
    """Normalised, featurised training material (dev + synthetic), in a fixed order."""

    ids: list[str]
    y: np.ndarray  # 1 = attack
    source: list[str]  # dev source, or "synthetic:<family>"
    family: list[str]  # grouping for the family-wise evaluation
    origin: np.ndarray  # True = dev
    hard: np.ndarray  # hard_benign flag
    category: list[str]
    hashed: list[HashedText]
    planted: list[tuple[int, int] | None]  # span of a known planted instruction (synthetic documents)
    config: FeatureConfig

    def __len__(self) -> int:
        return len(self.ids)


def load_dev(path: Path | Sequence[Path], limit: int | None = None) -> list[dict[str, Any]]:
    """Records of one or more corpus files, sorted by id (ids are unique across the files)."""
    paths = [path] if isinstance(path, Path) else list(path)
    records: list[dict[str, Any]] = []
    for one in paths:
        with open(one, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    records.append(json.loads(line))
    records.sort(key=lambda r: r["id"])
    if limit is not None:
        # a deterministic, source-stratified subset (for fast reproducibility tests)
        by_src: dict[str, list[dict[str, Any]]] = {}
        for r in records:
            by_src.setdefault(r["source"], []).append(r)
        keep = max(1, limit // max(1, len(by_src)))
        records = sorted((r for rs in by_src.values() for r in rs[:keep]), key=lambda r: r["id"])
    return records


def training_synthetic(params: TrainParams) -> list[synthetic.Example]:
    """The generated half: synthetic.py (unless ablated) plus everyday.py's hard-benign traffic."""
    out = synthetic.generate(params.synthetic_seed, params.synthetic_scale) if params.use_synthetic else []
    if params.everyday_count > 0:
        seen = {e.text for e in out}
        count = max(1, round(params.everyday_count * params.synthetic_scale))
        out.extend(e for e in everyday.generate(params.everyday_seed, count) if e.text not in seen)
    return out


def data_files(dev: Path = DEFAULT_DATA, extra: Path | None = DEFAULT_EXTRA) -> list[Path]:
    """The corpus files to train on: dev, plus extra when given and present."""
    return [dev] + ([extra] if extra is not None and extra.exists() else [])


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def build_corpus(dev: Sequence[dict[str, Any]], synth: Sequence[synthetic.Example], config: FeatureConfig) -> Corpus:
    """Normalise (the pipeline's own normaliser) and hash every text once."""
    ids: list[str] = []
    ys: list[int] = []
    sources: list[str] = []
    families: list[str] = []
    origin: list[bool] = []
    hard: list[bool] = []
    cats: list[str] = []
    hashed: list[HashedText] = []
    planted: list[tuple[int, int] | None] = []

    def add(ident: str, text: str, y: int, src: str, fam: str, is_dev: bool, is_hard: bool, cat: str,
            plant: str | None = None) -> None:  # fmt: skip
        norm = normalize(text).text
        span = None
        if plant:
            low = norm.lower()
            p = normalize(plant).text.lower()
            pos = low.find(p)
            span = (pos, pos + len(p)) if pos >= 0 and len(low) == len(norm) else None
        ids.append(ident)
        ys.append(y)
        sources.append(src)
        families.append(fam)
        origin.append(is_dev)
        hard.append(is_hard)
        cats.append(cat)
        hashed.append(hash_text(norm, config))
        planted.append(span)

    for r in dev:
        add(r["id"], r["text"], int(r["label"] == "attack"), r["source"], family_of(r["source"]), True,
            bool(r.get("hard_benign")), r["category"])  # fmt: skip
    for i, ex in enumerate(synth):
        add(f"synthetic-{i:05d}", ex.text, int(ex.label == "attack"), f"synthetic:{ex.family}", "synthetic", False,
            ex.hard_benign, ex.category, ex.planted)  # fmt: skip
    return Corpus(
        ids=ids, y=np.asarray(ys, dtype=np.int8), source=sources, family=families,
        origin=np.asarray(origin, dtype=bool), hard=np.asarray(hard, dtype=bool), category=cats, hashed=hashed,
        planted=planted, config=config,
    )  # fmt: skip


def text_weights(corpus: Corpus, rows: np.ndarray, params: TrainParams) -> np.ndarray:
    """Per-text weights: damp big sources, balance the classes, set the synthetic share.

    Each (source, label) cell gets total weight ``n ** source_power`` so one huge source
    cannot define what "attack" or "benign" looks like; then within each class the
    synthetic part is scaled to ``synthetic_share`` of the dev part; finally both
    classes get the same total weight, normalised to a mean of 1 per text.
    """
    src = [corpus.source[i] for i in rows]
    y = corpus.y[rows]
    cell = Counter(zip(src, y.tolist(), strict=True))
    w = np.array([cell[(s, int(v))] ** (params.source_power - 1.0) for s, v in zip(src, y, strict=True)])
    is_dev = corpus.origin[rows]
    for cls in (0, 1):
        m = y == cls
        dev_total = w[m & is_dev].sum()
        syn_total = w[m & ~is_dev].sum()
        if dev_total > 0 and syn_total > 0:
            w[m & ~is_dev] *= params.synthetic_share * dev_total / syn_total
    for cls in (0, 1):
        m = y == cls
        if w[m].sum() > 0:
            w[m] *= 0.5 * len(rows) / w[m].sum()
    return w


@dataclass
class _Rows:
    """A growing CSR design matrix."""

    data: list[np.ndarray] = field(default_factory=list)
    indices: list[np.ndarray] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    w: list[float] = field(default_factory=list)

    def add(self, cols: np.ndarray, vals: np.ndarray, y: int, w: float) -> None:
        self.indices.append(cols)
        self.data.append(vals)
        self.lengths.append(cols.size)
        self.y.append(y)
        self.w.append(w)

    def matrix(self, n_features: int) -> Any:
        from scipy.sparse import csr_matrix

        indptr = np.concatenate(([0], np.cumsum(self.lengths))).astype(np.int64)
        data = np.concatenate(self.data) if self.data else np.zeros(0)
        ind = np.concatenate(self.indices).astype(np.int32) if self.indices else np.zeros(0, dtype=np.int32)
        return csr_matrix((data, ind, indptr), shape=(len(self.lengths), n_features))


def _presence(cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return cols, np.full(cols.size, 1.0 / np.sqrt(float(max(cols.size, 1))))


@dataclass
class Model:
    """Fitted arrays: the main (whole-text) model and the document-segment model."""

    weights: np.ndarray
    bias: float
    segment_weights: np.ndarray | None = None
    segment_bias: float = 0.0


def _solve(rows: _Rows, n_features: int, params: TrainParams, balance: bool = False) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(rows.y)
    w = np.asarray(rows.w, dtype=np.float64)
    if balance and (y == 1).any() and (y == 0).any():
        w = w.copy()
        w[y == 1] *= w[y == 0].sum() / w[y == 1].sum()
        w *= len(w) / w.sum()
    model = LogisticRegression(C=params.C, solver="liblinear", max_iter=1000, tol=params.tol,
                               random_state=params.seed)  # fmt: skip
    model.fit(rows.matrix(n_features), y, sample_weight=w)
    return np.ascontiguousarray(model.coef_.ravel(), dtype=np.float32), float(model.intercept_[0])


def _merge(a: _Rows, b: _Rows) -> _Rows:
    return _Rows(a.data + b.data, a.indices + b.indices, a.lengths + b.lengths, a.y + b.y, a.w + b.w)


def fit(corpus: Corpus, rows: np.ndarray, params: TrainParams) -> Model:
    """Fit the main model on whole texts ``rows``, then the document-segment model.

    Segment model: the lines/sentences of *documents* (texts that carry data, see
    ``features.is_document``), trained to tell an instruction aimed at the assistant
    from the document's own content. Negatives: every segment of benign documents and
    the untouched segments of synthetic injected documents. Positives: short
    instruction attacks (anything that could be planted) and, by multiple-instance
    learning, one segment per injected document: among the planted lines of a
    synthetic document, or among all lines of a dev attack document whose planted part
    is unknown (BIPIA). Round 0 counts every candidate as a down-weighted positive;
    each further round keeps only the best-scoring one.
    """
    tw = text_weights(corpus, rows, params)
    nf = corpus.config.n_features
    main = _Rows()
    for j, i in enumerate(rows):
        main.add(*sparse_row(corpus.hashed[i], params.style_scale), int(corpus.y[i]), float(tw[j]))
    weights, bias = _solve(main, nf, params)
    model = Model(weights, bias)
    if params.segments is None:
        return model

    seg_base = _Rows()
    unknown: list[tuple[float, list[tuple[np.ndarray, np.ndarray]]]] = []
    for j, i in enumerate(rows):
        h = corpus.hashed[i]
        if not h.document:
            if (corpus.y[i] == 1 and h.length <= params.short_attack_chars and h.index.size
                    and corpus.category[i] not in PAYLOAD_CATEGORIES):  # fmt: skip
                seg_base.add(*_presence(np.unique(h.index)), 1, float(tw[j]))
            continue
        segs = [(a, b, c) for a, b, c in segment_rows(h, nf) if c.size >= params.segments.min_features]
        if not segs:
            continue
        span = corpus.planted[i]
        if corpus.y[i] == 0:
            for _, _, c in segs:
                seg_base.add(*_presence(c), 0, float(tw[j]) / len(segs))
        elif span is not None:
            # The planted text may cover several lines (a code block): which of them carries
            # the attack is unknown, so they join the multiple-instance pool; the document's
            # own lines are negatives.
            planted = [c for a, b, c in segs if a < span[1] and span[0] < b]
            own = [c for a, b, c in segs if b <= span[0] or a >= span[1]]
            for c in own:
                seg_base.add(*_presence(c), 0, float(tw[j]) / len(own))
            if planted:
                unknown.append((float(tw[j]), [_presence(c) for c in planted]))
        else:
            unknown.append((float(tw[j]), [_presence(c) for _, _, c in segs]))

    def positives(seg_w: np.ndarray | None) -> _Rows:
        out = _Rows()
        for weight, parts in unknown:
            chosen = parts
            if seg_w is not None:
                scores = np.array([float(seg_w[c].astype(np.float64) @ v) for c, v in parts])
                chosen = [parts[int(np.argmax(scores))]]
            for c, v in chosen:
                out.add(c, v, 1, weight / len(chosen))
        return out

    sw, sb = _solve(_merge(seg_base, positives(None)), nf, params, balance=True)
    for _ in range(params.mil_rounds):
        sw, sb = _solve(_merge(seg_base, positives(sw)), nf, params, balance=True)
    model.segment_weights, model.segment_bias = sw, sb
    return model


def score_rows(corpus: Corpus, rows: np.ndarray, model: Model, params: TrainParams) -> np.ndarray:
    """Runtime margins (the larger of whole text and best segment) for ``rows``."""
    out = np.empty(len(rows), dtype=np.float64)
    for j, i in enumerate(rows):
        h = corpus.hashed[i]
        m = linear_margin(h, model.weights, model.bias, params.style_scale)
        if model.segment_weights is not None:
            m = max(m, segment_margin(h, model.segment_weights, model.segment_bias, params.segments))
        out[j] = m
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


# ---------------------------------------------------------------------------
# operating points

#: level -> (max benign FPR, max hard-benign FPR) on out-of-fold dev scores.
LEVEL_TARGETS: dict[str, tuple[float, float]] = {
    "low": (0.0025, 0.01),
    "medium": (0.01, 0.03),
    "high": (0.03, 0.08),
    "paranoid": (0.08, 0.20),
}


def choose_thresholds(
    scores: np.ndarray,
    y: np.ndarray,
    hard: np.ndarray,
    weights: np.ndarray | None = None,
    targets: dict[str, tuple[float, float]] | None = None,
) -> dict[str, dict[str, float]]:
    """For each level, the lowest threshold whose benign and hard-benign FPR stay in budget.

    ``weights`` (optional) weighs benign items, e.g. so every benign source counts
    equally and the biggest one cannot hide another's false positives.
    """
    benign = y == 0
    bw = np.ones(len(y)) if weights is None else weights
    out: dict[str, dict[str, float]] = {}
    cands = np.unique(np.concatenate((scores, [1.0])))
    for level in LEVELS:
        max_fpr, max_hard = (targets or LEVEL_TARGETS)[level]
        chosen = 1.0
        for t in cands:  # ascending: the first that fits is the most sensitive
            flagged = scores >= t
            fpr = float((bw * (flagged & benign)).sum() / max(bw[benign].sum(), 1e-12))
            hard_fpr = float((flagged & benign & hard).sum() / max((benign & hard).sum(), 1))
            if fpr <= max_fpr and hard_fpr <= max_hard:
                chosen = float(t)
                break
        flagged = scores >= chosen
        out[level] = {
            "score": round(chosen, 6),
            "oof_benign_fpr": round(float((flagged & benign).sum() / max(benign.sum(), 1)), 5),
            "oof_hard_benign_fpr": round(float((flagged & benign & hard).sum() / max((benign & hard).sum(), 1)), 5),
            "oof_attack_recall": round(float((flagged & (y == 1)).sum() / max((y == 1).sum(), 1)), 5),
            "target_benign_fpr": max_fpr,
            "target_hard_benign_fpr": max_hard,
        }
    return out


# ---------------------------------------------------------------------------
# artefact


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An NPZ (zip of .npy) with fixed timestamps and order, so equal arrays give equal bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for name in sorted(arrays):
            arr_buf = io.BytesIO()
            np.lib.format.write_array(arr_buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, arr_buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED, compresslevel=6)
    return buf.getvalue()


def write_artifact(out_dir: Path, model: Model, meta: dict[str, Any]) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    arrays = {"weights": model.weights.astype(np.float32), "bias": np.array([model.bias], dtype=np.float64)}
    if model.segment_weights is not None:
        arrays["segment_weights"] = model.segment_weights.astype(np.float32)
        arrays["segment_bias"] = np.array([model.segment_bias], dtype=np.float64)
    blob = npz_bytes(arrays)
    meta = dict(meta, format=ARTIFACT_FORMAT, npz_sha256=hashlib.sha256(blob).hexdigest(),
                npz_bytes=len(blob))  # fmt: skip
    npz_path = out_dir / NPZ_NAME
    meta_path = out_dir / META_NAME
    npz_path.write_bytes(blob)
    meta_path.write_text(json.dumps(meta, indent=1, sort_keys=True, ensure_ascii=True) + "\n", encoding="utf-8")
    return npz_path, meta_path


def provenance(data_paths: Sequence[Path], dev: Sequence[dict[str, Any]], synth: Sequence[synthetic.Example],
               limit: int | None) -> dict[str, Any]:  # fmt: skip
    import sklearn

    by_source: dict[str, dict[str, int]] = {}
    for r in dev:
        cell = by_source.setdefault(r["source"], {"attack": 0, "benign": 0})
        cell[r["label"]] += 1
    return {
        "dev_file": data_paths[0].name,
        "dev_sha256": file_sha256(data_paths[0]),
        "data_files": {path.name: file_sha256(path) for path in data_paths},
        "dev_records": len(dev),
        "dev_subset_limit": limit,
        "dev_records_by_source": dict(sorted(by_source.items())),
        "synthetic_generator": "infra/training/synthetic.py",
        "synthetic_generator_version": synthetic.GENERATOR_VERSION,
        "everyday_generator": "infra/training/everyday.py",
        "everyday_generator_version": everyday.GENERATOR_VERSION,
        "synthetic_records": len(synth),
        "synthetic_attack": sum(e.label == "attack" for e in synth),
        "synthetic_benign": sum(e.label == "benign" for e in synth),
        "synthetic_by_family": synthetic.stats(synth),
        "normalizer": "shared.detection.normalize.normalize(text).text",
        "normalizer_source_sha256": file_sha256(REPO_ROOT / "shared" / "detection" / "normalize.py"),
        "features_source_sha256": file_sha256(REPO_ROOT / "shared" / "detection" / "features.py"),
        "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__,
    }


def train(
    data_path: Path | Sequence[Path] = DEFAULT_DATA,
    out_dir: Path = DEFAULT_OUT,
    params: TrainParams | None = None,
    limit: int | None = None,
    with_loso: bool = True,
    log: bool = True,
    source_loso: bool = False,
    oof_out: Path | None = None,
) -> dict[str, Any]:
    """Train on everything, choose operating points on out-of-fold scores, write the artefact."""
    from infra.training import loso

    params = params or TrainParams()
    data_paths = [data_path] if isinstance(data_path, Path) else list(data_path)
    t0 = time.perf_counter()
    dev = load_dev(data_paths, limit)
    synth = training_synthetic(params)
    corpus = build_corpus(dev, synth, params.features)
    if log:
        print(f"corpus: {len(dev)} dev + {len(synth)} synthetic ({time.perf_counter() - t0:.1f}s)", file=sys.stderr)
    all_rows = np.arange(len(corpus))
    model = fit(corpus, all_rows, params)

    meta: dict[str, Any] = {
        "model_type": "hashed n-gram logistic regressions: whole-text model and document-segment model; "
        "score = sigmoid of the larger margin",
        "training": params.to_dict(),
        "provenance": provenance(data_paths, dev, synth, limit),
        "features": params.features.to_dict(),
        "style_scale": params.style_scale,
        "segments": params.to_dict()["segments"],
        "evidence": params.evidence.to_dict(),
    }
    if with_loso:
        source_report = loso.evaluate(corpus, params, grouping="source", log=log) if source_loso else None
        family_report = loso.evaluate(corpus, params, grouping="family", log=log)
        oof = family_report["oof_margin"]
        dev_rows = np.flatnonzero(corpus.origin)
        scores = sigmoid(oof[dev_rows])
        meta["thresholds"] = choose_thresholds(scores, corpus.y[dev_rows], corpus.hard[dev_rows])
        meta["thresholds_method"] = (
            "lowest score whose benign FPR and hard-benign FPR on out-of-fold dev scores (family-wise "
            "leave-out: every dev item scored by a model trained without its source family) stay within "
            "the level's targets"
        )
        medium = meta["thresholds"]["medium"]["score"]
        meta["loso"] = {"per_family": loso.summary(corpus, family_report, medium)}
        if source_report is not None:
            meta["loso"]["per_source"] = loso.summary(corpus, source_report, medium)
    else:
        meta["thresholds"] = {lvl: {"score": s} for lvl, s in zip(LEVELS, (0.9, 0.7, 0.5, 0.3), strict=True)}
        meta["thresholds_method"] = "placeholder (trained with --no-loso; do not ship)"
    npz_path, _ = write_artifact(out_dir, model, meta)
    if with_loso and oof_out is not None:
        rows = np.flatnonzero(corpus.origin)
        scores = sigmoid(family_report["oof_margin"][rows])
        oof_out.parent.mkdir(parents=True, exist_ok=True)
        oof_out.write_text(json.dumps({
            "npz_sha256": hashlib.sha256(npz_path.read_bytes()).hexdigest(), "grouping": "family",
            "scores": {corpus.ids[i]: round(float(v), 6) for i, v in zip(rows, scores, strict=True)},
        }))  # fmt: skip
    if log:
        print(f"wrote {out_dir} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return meta


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="dev.jsonl (default: %(default)s)")
    ap.add_argument("--extra", type=Path, default=DEFAULT_EXTRA, help="extra.jsonl (default: %(default)s)")
    ap.add_argument("--no-extra", action="store_true", help="train on dev.jsonl only")
    ap.add_argument("--no-synthetic", action="store_true", help="leave out synthetic.py (ablation)")
    ap.add_argument("--everyday", type=int, default=TrainParams.everyday_count, help="everyday.py draws (0 = off)")
    ap.add_argument("--source-loso", action="store_true", help="also leave each source out (slow)")
    ap.add_argument("--oof-out", type=Path, default=DEFAULT_OOF, help="family-wise OOF scores (default: %(default)s)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    ap.add_argument("--limit", type=int, default=None, help="train on a stratified subset of N dev records")
    ap.add_argument("--synthetic-scale", type=float, default=1.0, help="scale the synthetic set (tests)")
    ap.add_argument("--no-loso", action="store_true", help="skip out-of-fold evaluation (placeholder thresholds)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if not args.data.exists():
        sys.exit(f"dev corpus not found: {args.data} (pass --data)")
    params = TrainParams(
        synthetic_scale=args.synthetic_scale, use_synthetic=not args.no_synthetic, everyday_count=args.everyday
    )
    files = data_files(args.data, None if args.no_extra else args.extra)
    meta = train(files, args.out, params, limit=args.limit, with_loso=not args.no_loso, log=not args.quiet,
                 source_loso=args.source_loso, oof_out=args.oof_out)  # fmt: skip
    if not args.quiet and "loso" in meta:
        from infra.training.loso import print_summary

        if "per_source" in meta["loso"]:
            print_summary(meta["loso"]["per_source"], "leave-one-source-out")
        print_summary(meta["loso"]["per_family"], "leave-one-family-out")
        print(json.dumps(meta["thresholds"], indent=1))


if __name__ == "__main__":
    main()
