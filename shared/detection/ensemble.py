"""The two trained models as one score: the linear n-gram model and the transformer.

They see different things (surface n-grams of known attack wording; the meaning of a
window of text), so their evidence is combined. How is decided on *out-of-fold* scores
(``infra/training/fit_blend.py``: every record scored by models that never saw its
source family): a logistic regression over both logits, cross-fitted by family, is
compared with the noisy-OR of the two probabilities, the encoder's tempered (one
inverse temperature, chosen on the same scores: a shallow fine-tuned encoder was
overconfident and got 1/2; the shipped 6-layer one gets 1),
and the one that ranks held-out families better ships (``kind``). The severity levels' operating points
are chosen on the winner's out-of-fold scores, so the rest of the service (calibration
onto the risk scale, the short-text ceiling, reputation scrutiny) works on the blend
exactly as it worked on the linear model alone.

The artefact is ``model/blend.json``: kind, coefficients, intercept, per-level
thresholds, provenance, and a SHA-256 over the numbers (checked on load); it also names
the SHA-256 of the two models it was fitted for, so a retrained model with a stale blend
is refused rather than silently miscalibrated.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .classifier import Classifier, ModelArtifactError, _sigmoid, read_artifact_json, word_units
from .encoder import EncoderClassifier

DEFAULT_PATH = Path(__file__).resolve().parent / "model" / "blend.json"
LEVELS = ("low", "medium", "high", "paranoid")
#: The logistic kind's inputs (the noisy-OR kind has none).
FEATURES = ("linear_logit", "encoder_logit")
KINDS = ("noisy_or", "logistic")
LOGIT_CLIP = 8.0


def clipped_logit(p: float) -> float:
    p = min(1.0 - 1e-6, max(1e-6, p))
    return max(-LOGIT_CLIP, min(LOGIT_CLIP, math.log(p / (1.0 - p))))


def blend_features(linear: float, encoder: float) -> list[float]:
    return [clipped_logit(linear), clipped_logit(encoder)]


def blend_digest(kind: str, coef: Sequence[float], intercept: float, thresholds: Mapping[str, float]) -> str:
    """SHA-256 over everything that changes a decision, in a canonical form."""
    body = {
        "kind": kind,
        "features": list(FEATURES),
        "coef": [round(float(c), 10) for c in coef],
        "intercept": round(float(intercept), 10),
        "thresholds": {k: round(float(thresholds[k]), 10) for k in LEVELS},
    }
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Blend:
    kind: str
    coef: tuple[float, ...]
    intercept: float
    thresholds: dict[str, float]
    metadata: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path | None = None) -> Blend:
        file = Path(path) if path is not None else DEFAULT_PATH
        data = read_artifact_json(
            file, "Model blend file is missing or unreadable.", "Model blend file is not valid JSON."
        )
        try:
            kind = str(data["kind"])
            if kind not in KINDS:
                raise ModelArtifactError(f"Model blend kind must be one of {', '.join(KINDS)}.")
            if list(data["features"]) != list(FEATURES):
                raise ModelArtifactError(f"Model blend must combine exactly {', '.join(FEATURES)}.")
            coef = tuple(float(c) for c in data["coef"])
            intercept = float(data["intercept"])
            thresholds = {lvl: float(data["thresholds"][lvl]["score"]) for lvl in LEVELS}
            digest = data["sha256"]
        except (KeyError, TypeError, ValueError):
            raise ModelArtifactError("Model blend file lacks kind, coefficients, intercept or thresholds.") from None
        if len(coef) != len(FEATURES) or not all(math.isfinite(c) for c in (*coef, intercept)):
            raise ModelArtifactError("Model blend coefficients must be finite numbers, one per feature.")
        if not all(0.0 < t <= 1.0 for t in thresholds.values()):
            raise ModelArtifactError("Model blend thresholds must lie in (0, 1].")
        if digest != blend_digest(kind, coef, intercept, thresholds):
            raise ModelArtifactError("Model blend numbers do not match their checksum.")
        return cls(kind, coef, intercept, thresholds, data)

    def __call__(self, linear: float, encoder: float) -> float:
        feats = blend_features(linear, encoder)
        if self.kind == "noisy_or":
            # each model's logit scaled by its inverse temperature (chosen on out-of-fold scores)
            a, b = (_sigmoid(c * x) for c, x in zip(self.coef, feats, strict=True))
            return 1.0 - (1.0 - a) * (1.0 - b)
        return _sigmoid(self.intercept + sum(c * x for c, x in zip(self.coef, feats, strict=True)))


@dataclass(frozen=True, slots=True)
class ModelScores:
    """What each trained model said about one text (for the decision and the explanation)."""

    linear: float
    encoder: float
    combined: float
    #: Character span (in the scored text) of the encoder's highest-scoring window.
    window: tuple[int, int] | None = None
    windows_read: int = 0
    windows_total: int = 0
    encoder_ms: float = 0.0


class ModelEnsemble:
    """The linear model and the encoder behind the classifier interface the detector uses."""

    def __init__(
        self,
        linear: Classifier,
        encoder: EncoderClassifier,
        blend: Blend,
        *,
        max_windows: int = 8,
        budget_ms: float | None = 10.0,
        budget_ms_per_kchar: float = 5.0,
    ) -> None:
        fitted_for = blend.metadata.get("models", {})
        if fitted_for and (
            fitted_for.get("linear_npz_sha256") not in (None, linear.metadata.get("npz_sha256"))
            or fitted_for.get("encoder_sha256") not in (None, encoder.metadata.get("sha256"))
        ):
            raise ModelArtifactError("Model blend was fitted for other model files; refit it (make train).")
        self.linear = linear
        self.encoder = encoder
        self.blend = blend
        self.max_windows = max_windows
        self.budget_ms = budget_ms
        self.budget_ms_per_kchar = budget_ms_per_kchar
        self.evidence = linear.evidence
        self.metadata = linear.metadata

    def scores(
        self,
        text: str,
        flagged_chars: Sequence[int] = (),
        *,
        max_windows: int | None = None,
        only_flagged: bool = False,
    ) -> ModelScores:
        lin = self.linear.score(text)
        started = time.perf_counter()
        budget = None if self.budget_ms is None else self.budget_ms + self.budget_ms_per_kchar * len(text) / 1000
        enc = self.encoder.score(
            text,
            flagged_chars,
            max_windows=max_windows or self.max_windows,
            budget_ms=budget,
            only_flagged=only_flagged,
        )
        spent = (time.perf_counter() - started) * 1e3
        combined = self.blend(lin, enc.probability)
        return ModelScores(lin, enc.probability, combined, enc.window, enc.windows_read, enc.windows_total, spent)

    def score(self, text: str, changed: Sequence[int] | None = None) -> float:
        """The blended score of a decoded layer: the transformer reads at most two windows.

        ``changed``: offsets where the layer differs from the text already scored, most
        changed first; only the windows there are read (the rest was read already).
        """
        if changed is None:
            return self.scores(text, max_windows=2).combined
        return self.scores(text, changed, max_windows=2, only_flagged=True).combined

    def threshold(self, level: str) -> float:
        try:
            return self.blend.thresholds[str(level).lower()]
        except KeyError:
            raise ValueError(f"unknown severity level {level!r}; expected one of {', '.join(LEVELS)}") from None

    def ceiling(self, text: str) -> float:
        """Highest blended score a short text may get alone (the linear model's evidence rule)."""
        units = word_units(text, limit=self.evidence.full_units)
        return self.evidence.ceiling(units, self.blend.thresholds["paranoid"])
