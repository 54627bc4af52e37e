"""The four similarity metrics of the seed API, between two prompts.

* ``cosine``: cosine of TF-IDF vectors fitted on the pair, with the same conventions
  as scikit-learn's ``TfidfVectorizer`` defaults (lower-case, tokens of two or more
  word characters, smoothed idf, l2 norm); ``tests/detection/test_detection_similarity.py``
  checks we agree with scikit-learn to 1e-9. We do not import scikit-learn at run
  time: it costs about a second of cold start for a dozen lines of arithmetic.
* ``jaccard``: |A ∩ B| / |A ∪ B| over the sets of lower-cased words.
* ``levenshtein``: normalised Levenshtein similarity (rapidfuzz), 1 - distance/max_len.
* ``embedding``: cosine of embedding vectors (Azure OpenAI when configured, else the
  local hashed n-gram embedding from :mod:`shared.detection.features`).

All four are in [0, 1].
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np

from ._re import compile_re

Metric = Literal["cosine", "jaccard", "levenshtein", "embedding"]
METRICS: tuple[Metric, ...] = ("cosine", "jaccard", "levenshtein", "embedding")

# Unicode letters and digits: RE2's \w is ASCII-only, scikit-learn's (Python's) is not.
_TOKEN = compile_re(r"[\p{L}\p{N}_]{2,}")

Embedder = Callable[[Sequence[str]], list[np.ndarray]]


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def tfidf_cosine(a: str, b: str) -> float:
    """Cosine similarity of TF-IDF vectors fitted on the two documents."""
    ta, tb = Counter(tokens(a)), Counter(tokens(b))
    if not ta or not tb:
        return 1.0 if not ta and not tb and a.strip().lower() == b.strip().lower() else 0.0
    vocab = set(ta) | set(tb)
    n_docs = 2
    idf = {t: math.log((1 + n_docs) / (1 + (t in ta) + (t in tb))) + 1.0 for t in vocab}
    va = {t: c * idf[t] for t, c in ta.items()}
    vb = {t: c * idf[t] for t, c in tb.items()}
    dot = sum(v * vb.get(t, 0.0) for t, v in va.items())
    na = math.sqrt(sum(v * v for v in va.values()))
    nb = math.sqrt(sum(v * v for v in vb.values()))
    return _clip(dot / (na * nb)) if na and nb else 0.0


def jaccard(a: str, b: str) -> float:
    sa, sb = set(tokens(a)), set(tokens(b))
    if not sa and not sb:
        return 1.0 if a.strip().lower() == b.strip().lower() else 0.0
    return len(sa & sb) / len(sa | sb)


def levenshtein(a: str, b: str) -> float:
    from rapidfuzz.distance import Levenshtein

    return _clip(float(Levenshtein.normalized_similarity(a, b)))


def embedding_cosine(a: str, b: str, embedder: Embedder | None = None) -> float:
    if a == b:
        return 1.0  # identical text, even text too short to have an embedding
    va, vb = (embedder or local_embedder)([a, b])
    na, nb = float(np.linalg.norm(va)), float(np.linalg.norm(vb))
    if not na or not nb:
        return 0.0
    return _clip(float(np.dot(va, vb) / (na * nb)))


def local_embedder(texts: Sequence[str], dims: int = 256) -> list[np.ndarray]:
    from .features import embed

    return [embed(t, dims) for t in texts]


def all_scores(a: str, b: str, embedder: Embedder | None = None) -> dict[str, float]:
    return {
        "cosine": round(tfidf_cosine(a, b), 6),
        "jaccard": round(jaccard(a, b), 6),
        "levenshtein": round(levenshtein(a, b), 6),
        "embedding": round(embedding_cosine(a, b, embedder), 6),
    }


def _clip(x: float) -> float:
    return 0.0 if x < 0.0 else 1.0 if x > 1.0 else x
