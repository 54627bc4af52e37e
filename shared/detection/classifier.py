"""The trained prompt-attack classifier: two linear models over hashed n-grams.

The artefact is two files in ``shared/detection/model/`` (written by
``infra/training/train_classifier.py``): ``classifier.npz`` (weight vectors and
biases, read with ``allow_pickle=False``) and ``classifier.json`` (feature settings,
operating points per severity level, training provenance, the leave-one-source-out
summary, and the SHA-256 of the NPZ so a mismatched or damaged pair is refused).

Scoring is a gather + sum, no scikit-learn at run time:

* the *main* model scores the whole text (presence of hashed character/word n-grams
  plus a few style features);
* the *segment* model scores each line/sentence of texts that carry data (emails,
  tables, code, markup; see :func:`~shared.detection.features.is_document`), so one
  instruction planted in a long document is not diluted by the rest of it.

The score is the sigmoid of the larger margin. Input is the *normalised* text the
pipeline already produced (``normalize(text).text``); :meth:`Classifier.score_raw`
normalises for callers that only have raw text.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from .features import FeatureConfig, HashedText, distinct, hash_text, linear_margin

ARTIFACT_FORMAT = 1
MODEL_DIR = Path(__file__).resolve().parent / "model"
NPZ_NAME = "classifier.npz"
META_NAME = "classifier.json"
LEVELS = ("low", "medium", "high", "paranoid")


class ModelArtifactError(ConfigError):
    """The classifier artefact is missing, damaged or from an incompatible version.

    A configuration error (500 at start-up) rather than a per-request error: the
    service must not run with a model it cannot trust. The message names the problem
    but not the file system layout.
    """


def read_artifact_json(path: Path, missing: str, invalid: str) -> Any:
    """A model artefact's JSON file; ``missing`` / ``invalid`` are the refusals' messages."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError:
        raise ModelArtifactError(missing) from None
    except ValueError:
        raise ModelArtifactError(invalid) from None


@dataclass(frozen=True, slots=True)
class SegmentConfig:
    """Per-line/sentence scoring of documents.

    Segments with fewer than ``min_features`` distinct features are skipped. ``offset``
    is subtracted from segment margins: the segment model sees many lines per document,
    so its best line needs a handicap to keep benign documents' false positives level
    with the whole-text model's (chosen on out-of-fold dev scores; see training README).
    """

    min_features: int = 24
    offset: float = 1.5

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SegmentConfig:
        cfg = cls(min_features=int(data["min_features"]), offset=float(data["offset"]))
        if cfg.min_features < 1 or not math.isfinite(cfg.offset):
            raise ValueError("segment min_features must be positive and offset finite")
        return cfg

    def to_dict(self) -> dict[str, float]:
        return {"min_features": self.min_features, "offset": self.offset}


#: Scripts written without spaces between words: each character of these counts as
#: ``1 / chars_per_unit`` words (Thai, Lao, Myanmar, Khmer, kana, Han).
_UNSPACED_RANGES = np.array(
    [(0x0E00, 0x0EFF), (0x1000, 0x109F), (0x1780, 0x17FF), (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF),
     (0xF900, 0xFAFF), (0x20000, 0x2FFFF)], dtype=np.uint32,
)  # fmt: skip


def _unspaced_mask(token: str) -> np.ndarray:
    cp = np.frombuffer(token.encode("utf-32-le"), dtype=np.uint32)
    lo, hi = _UNSPACED_RANGES[:, 0:1], _UNSPACED_RANGES[:, 1:2]
    return ((cp >= lo) & (cp <= hi)).any(axis=0)


def word_units(text: str, chars_per_unit: float = 2.0, limit: float | None = None) -> float:
    """About how many words ``text`` holds, in any script (emoji and punctuation count 0).

    A whitespace-separated token with a letter or digit is one word; characters of
    scripts written without spaces count ``1 / chars_per_unit`` word each (a Chinese
    word is about two characters long). Counting stops once ``limit`` is reached.
    """
    units = 0.0
    for token in text.split():
        mask = None if token.isascii() else _unspaced_mask(token)
        unspaced = 0 if mask is None else int(mask.sum())
        if unspaced:
            units += max(1.0, unspaced / chars_per_unit)
            others = np.flatnonzero(~mask)
            if others.size and any(token[i].isalnum() for i in others[:64].tolist()):
                units += 1.0
        elif any(ch.isalnum() for ch in token):
            units += 1.0
        if limit is not None and units >= limit:
            break
    return units


@dataclass(frozen=True, slots=True)
class EvidenceConfig:
    """How much text the classifier needs before its score may decide alone.

    Hashed n-gram scores of a text of a few words rest on a handful of features and
    swing to either end ("hello" scored 0.83 with the dev-only model), so on short
    texts the score is capped: at ``min_units`` words or fewer the ceiling sits at
    ``short_ceiling`` times the model's paranoid threshold (below every level's
    operating point: it cannot block alone, but still adds to other evidence), and it
    rises linearly to 1 at ``full_units`` words. The detector lifts the cap when a
    rule or heuristic corroborates (an attack finding on the same text).
    """

    min_units: float = 3.0
    full_units: float = 24.0
    short_ceiling: float = 0.9

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvidenceConfig:
        cfg = cls(float(data["min_units"]), float(data["full_units"]), float(data["short_ceiling"]))
        if not (0.0 <= cfg.min_units < cfg.full_units and 0.0 < cfg.short_ceiling <= 1.0):
            raise ValueError("evidence needs 0 <= min_units < full_units and 0 < short_ceiling <= 1")
        return cfg

    def to_dict(self) -> dict[str, float]:
        return {"min_units": self.min_units, "full_units": self.full_units, "short_ceiling": self.short_ceiling}

    def ceiling(self, units: float, paranoid_threshold: float) -> float:
        """The highest score a text of ``units`` words may get without corroboration."""
        low = self.short_ceiling * paranoid_threshold
        if units <= self.min_units:
            return low
        if units >= self.full_units:
            return 1.0
        return low + (1.0 - low) * (units - self.min_units) / (self.full_units - self.min_units)


def _sigmoid(margin: float) -> float:
    if margin >= 0:
        return 1.0 / (1.0 + math.exp(-margin))
    z = math.exp(margin)
    return z / (1.0 + z)


def best_segment(
    hashed: HashedText, weights: np.ndarray, bias: float, config: SegmentConfig | None
) -> tuple[float, int, int]:
    """``(margin, start, end)`` of the most attack-like document segment (margin after ``offset``).

    ``(-inf, 0, 0)`` when the text is not a document. A feature belongs to the segment
    its first character is in; segments are scored like whole texts (presence of
    distinct buckets, ``1/sqrt(#distinct)``), all from one sort of (segment, bucket)
    pairs.
    """
    starts = hashed.segment_starts
    if config is None or not hashed.document or hashed.index.size == 0 or starts.size < 2:
        return -math.inf, 0, 0
    nf = weights.shape[0]
    seg = np.searchsorted(starts, hashed.position, side="right") - 1
    keys = distinct(seg * nf + hashed.index)
    sid = keys // nf
    w = weights[keys % nf].astype(np.float64)
    s = np.bincount(sid, weights=w, minlength=starts.size)
    c = np.bincount(sid, minlength=starts.size).astype(np.float64)
    ok = np.flatnonzero(c >= config.min_features)
    if ok.size == 0:
        return -math.inf, 0, 0
    scores = s[ok] / np.sqrt(c[ok])
    k = int(ok[int(np.argmax(scores))])
    end = int(starts[k + 1]) if k + 1 < starts.size else hashed.length
    return float(scores.max()) + bias - config.offset, int(starts[k]), end


def segment_margin(hashed: HashedText, weights: np.ndarray, bias: float, config: SegmentConfig | None) -> float:
    """Best margin of the segment model over a document's lines/sentences (-inf if not a document)."""
    return best_segment(hashed, weights, bias, config)[0]


def _checked_vector(values: np.ndarray, size: int, what: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.dtype != np.float32 or arr.ndim != 1 or arr.shape[0] != size:
        raise ModelArtifactError(f"Classifier {what} must be float32 of shape ({size},), got {arr.dtype} {arr.shape}.")
    if not np.isfinite(arr).all():
        raise ModelArtifactError(f"Classifier {what} contain non-finite values.")
    arr = arr.copy()  # our own read-only copy: callers keep a writable original
    arr.setflags(write=False)
    return arr


def _checked_scalar(value: np.ndarray | float, what: str) -> float:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if arr.shape != (1,) or not np.isfinite(arr).all():
        raise ModelArtifactError(f"Classifier {what} must be one finite number.")
    return float(arr[0])


@dataclass
class Classifier:
    """A loaded model. Thread-safe: scoring never mutates it."""

    weights: np.ndarray
    bias: float
    features: FeatureConfig
    style_scale: float
    thresholds: dict[str, float]
    metadata: dict[str, Any] = field(default_factory=dict)
    segment_weights: np.ndarray | None = None
    segment_bias: float = 0.0
    segments: SegmentConfig | None = None
    evidence: EvidenceConfig = field(default_factory=EvidenceConfig)

    # -- loading ---------------------------------------------------------------

    @classmethod
    def load(cls, path: str | Path | None = None) -> Classifier:
        """Load from a model directory (or the ``.npz`` inside it); validate everything."""
        base = Path(path) if path is not None else MODEL_DIR
        npz_path = base if base.suffix == ".npz" else base / NPZ_NAME
        meta_path = npz_path.with_name(META_NAME)
        try:
            raw_meta = meta_path.read_bytes()
            raw_npz = npz_path.read_bytes()
        except OSError:
            raise ModelArtifactError("Classifier model files are missing or unreadable.") from None
        try:
            meta = json.loads(raw_meta.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ModelArtifactError("Classifier metadata is not valid JSON.") from None
        if not isinstance(meta, dict) or meta.get("format") != ARTIFACT_FORMAT:
            raise ModelArtifactError(
                f"Classifier artefact format {meta.get('format') if isinstance(meta, dict) else None!r} "
                f"is not supported (expected {ARTIFACT_FORMAT})."
            )
        if hashlib.sha256(raw_npz).hexdigest() != meta.get("npz_sha256"):
            raise ModelArtifactError("Classifier weights do not match their metadata (checksum mismatch).")
        try:
            with np.load(io.BytesIO(raw_npz), allow_pickle=False) as data:
                arrays = {name: np.asarray(data[name]) for name in data.files}
        except (ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile):
            raise ModelArtifactError("Classifier weights file is damaged.") from None
        try:
            features = FeatureConfig.from_dict(meta["features"])
            style_scale = float(meta["style_scale"])
            segments = SegmentConfig.from_dict(meta["segments"]) if meta.get("segments") else None
            evidence = EvidenceConfig.from_dict(meta["evidence"]) if meta.get("evidence") else EvidenceConfig()
            thresholds = {lvl: float(meta["thresholds"][lvl]["score"]) for lvl in LEVELS}
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelArtifactError(f"Classifier metadata is incomplete or invalid: {exc}") from None
        if "weights" not in arrays or "bias" not in arrays:
            raise ModelArtifactError("Classifier weights file lacks the weights or the bias.")
        if segments is not None and ("segment_weights" not in arrays or "segment_bias" not in arrays):
            raise ModelArtifactError("Classifier weights file lacks the segment model.")
        return cls.from_arrays(
            arrays["weights"], arrays["bias"], features, style_scale, thresholds, meta,
            segment_weights=arrays.get("segment_weights") if segments else None,
            segment_bias=arrays.get("segment_bias", 0.0) if segments else 0.0, segments=segments,
            evidence=evidence,
        )  # fmt: skip

    @classmethod
    def from_arrays(
        cls,
        weights: np.ndarray,
        bias: np.ndarray | float,
        features: FeatureConfig,
        style_scale: float,
        thresholds: dict[str, float],
        metadata: dict[str, Any] | None = None,
        *,
        segment_weights: np.ndarray | None = None,
        segment_bias: np.ndarray | float = 0.0,
        segments: SegmentConfig | None = None,
        evidence: EvidenceConfig | None = None,
    ) -> Classifier:
        """Build from arrays (training, tests), with the same checks as :meth:`load`."""
        weights = _checked_vector(weights, features.n_features, "weights")
        bias_f = _checked_scalar(bias, "bias")
        seg_w = None
        seg_b = 0.0
        if segments is not None:
            if segment_weights is None:
                raise ModelArtifactError("Classifier segment model is configured but has no weights.")
            seg_w = _checked_vector(segment_weights, features.n_features, "segment weights")
            seg_b = _checked_scalar(segment_bias, "segment bias")
        missing = [lvl for lvl in LEVELS if lvl not in thresholds]
        if missing or not all(0.0 <= thresholds[lvl] <= 1.0 for lvl in LEVELS):
            raise ModelArtifactError("Classifier thresholds must give a score in [0, 1] for every level.")
        ordered = [thresholds[lvl] for lvl in LEVELS]
        if ordered != sorted(ordered, reverse=True):
            raise ModelArtifactError("Classifier thresholds must not rise from 'low' to 'paranoid'.")
        if not (math.isfinite(style_scale) and 0.0 <= style_scale <= 10.0):
            raise ModelArtifactError("Classifier style scale must be a number between 0 and 10.")
        return cls(
            weights, bias_f, features, float(style_scale), dict(thresholds), dict(metadata or {}),
            seg_w, seg_b, segments, evidence or EvidenceConfig(),
        )  # fmt: skip

    # -- scoring ---------------------------------------------------------------

    def margins(self, text: str) -> tuple[float, float]:
        """``(whole text, best segment)`` margins in log-odds; the segment one is -inf for non-documents."""
        return self.margins_of(hash_text(text, self.features))

    def margins_of(self, hashed: HashedText) -> tuple[float, float]:
        whole = linear_margin(hashed, self.weights, self.bias, self.style_scale)
        seg = -math.inf
        if self.segment_weights is not None:
            seg = segment_margin(hashed, self.segment_weights, self.segment_bias, self.segments)
        return whole, seg

    def margin(self, text: str) -> float:
        """The stronger evidence: the larger of the whole-text and best-segment margins."""
        return max(self.margins(text))

    def score(self, text: str) -> float:
        """Attack probability-like score in [0, 1] for *normalised* text."""
        return _sigmoid(self.margin(text))

    def score_raw(self, text: str) -> float:
        """Score text that has not been through the pipeline's normaliser yet."""
        from .normalize import normalize

        return self.score(normalize(text).text)

    def ceiling(self, text: str) -> float:
        """Highest score ``text`` may get from the classifier alone (see :class:`EvidenceConfig`)."""
        units = word_units(text, limit=self.evidence.full_units)
        return self.evidence.ceiling(units, self.thresholds["paranoid"])

    def threshold(self, level: str) -> float:
        """Score at or above which a text counts as an attack at severity ``level``."""
        try:
            return self.thresholds[str(level).lower()]
        except KeyError:
            raise ValueError(f"unknown severity level {level!r}; expected one of {', '.join(LEVELS)}") from None

    def is_attack(self, text: str, level: str = "medium") -> bool:
        return self.score(text) >= self.threshold(level)

    def top_features(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` n-grams that pushed the score up most (for explanations).

        Uses whichever model produced the score: the whole-text model, or the segment
        model restricted to the winning line/sentence. Returns ``(n-gram, weight)``
        pairs with positive weight, strongest first.
        """
        hashed = hash_text(text, self.features)
        if hashed.index.size == 0 or k <= 0:
            return []
        whole = linear_margin(hashed, self.weights, self.bias, self.style_scale)
        weights = self.weights
        keep = np.ones(hashed.index.size, dtype=bool)
        if self.segment_weights is not None:
            seg, start, end = best_segment(hashed, self.segment_weights, self.segment_bias, self.segments)
            if seg > whole:
                weights = self.segment_weights
                keep = (hashed.position >= start) & (hashed.position < end)
        spans = _feature_spans(text.lower(), self.features)
        contrib = np.where(keep, weights[hashed.index], 0.0)
        best: dict[str, float] = {}
        seen: set[int] = set()
        for i in np.argsort(-contrib, kind="stable")[: 8 * k].tolist():
            bucket = int(hashed.index[i])
            if contrib[i] <= 0 or bucket in seen or i >= len(spans):
                continue
            seen.add(bucket)
            gram = " ".join(spans[i].split())
            if gram and gram not in best:
                best[gram] = float(contrib[i])
        return sorted(best.items(), key=lambda kv: -kv[1])[:k]


def _feature_spans(low: str, cfg: FeatureConfig) -> list[str]:
    """The text of every n-gram occurrence, in :func:`hash_text` order."""
    from .features import _word_mask, code_points

    out: list[str] = []
    n = len(low)
    for size in range(cfg.char_min, cfg.char_max + 1 if cfg.char_max else 0):
        if n >= size:
            out.extend(low[i : i + size] for i in range(n - size + 1))
    if cfg.word_unigrams or cfg.word_bigrams:
        mask = np.concatenate(([False], _word_mask(code_points(low)), [False]))
        edges = np.flatnonzero(mask[1:] != mask[:-1])
        words = [low[a:b] for a, b in zip(edges[0::2].tolist(), edges[1::2].tolist(), strict=True)]
        if cfg.word_unigrams:
            out.extend(words)
        if cfg.word_bigrams and len(words) > 1:
            out.extend(f"{a} {b}" for a, b in itertools.pairwise(words))
    return out


# ---------------------------------------------------------------------------
# process-wide instance

_instance: Classifier | None = None
_lock = threading.Lock()


def get_classifier() -> Classifier:
    """The shared classifier, loaded on first use from settings (or the shipped model)."""
    global _instance
    if _instance is None:
        with _lock:
            if _instance is None:
                from ..config import get_settings

                path = get_settings().classifier.model_path
                _instance = Classifier.load(path)
    return _instance


def set_classifier(classifier: Classifier | None) -> None:
    """Replace the shared classifier (tests); ``None`` reloads lazily."""
    global _instance
    with _lock:
        _instance = classifier
