"""Hashed n-gram features for the classifier and the local embedding fallback.

Runtime may only use numpy and the standard library (importing scikit-learn or scipy
costs about a second on a cold start), and the training script must see *exactly* the
features inference sees. So this module is the single featurizer for both: training
turns its output into a scipy matrix, inference does a gather + sum over a weight
vector.

Hashing is our own and fully specified, never Python's ``hash()`` (salted per
process): a polynomial hash over Unicode code points with ``uint64`` wrap-around
arithmetic, finished with the SplitMix64 mixer. numpy's unsigned integer arithmetic
wraps identically on every platform, so a text maps to the same buckets everywhere.

Feature families (all in one shared bucket space):

* character n-grams, ``char_min``..``char_max``, of the lower-cased text (spaces and
  punctuation included: quotes, comment markers and brackets carry much of the signal
  in payloads);
* word unigrams and bigrams (a word is a run of letters, digits, ``_`` or non-ASCII
  letters);
* optionally (``style=True``, off in the shipped model) a few *style* pseudo-features:
  binned shape statistics (length, symbol density, the jump in symbol density at the
  end of the text, case changes inside words), meant for optimiser-made gibberish
  suffixes. In leave-one-source-out runs they did not pay for the false positives
  they add on tables and code, so they stay an experiment.

Every n-gram occurrence also carries its *position*, so the classifier can score the
lines and sentences of a document separately from one pass over the text (how an
instruction planted inside an email, a table or a code answer is found).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

FEATURE_VERSION = 1

_U64 = np.uint64
_MASK64 = (1 << 64) - 1
#: Polynomial base (the 64-bit FNV prime; odd, so it is invertible modulo 2**64).
_BASE = 0x100000001B3
_BASE_INV = pow(_BASE, -1, 1 << 64)
#: Multiplier that chains two word hashes into a bigram hash.
_PAIR = 0xD6E8FEB86659FD93
#: Per-family salts keep e.g. the word "a" and the character unigram "a" apart.
_SALT_CHAR = 0x243F6A8885A308D3
_SALT_WORD = 0x13198A2E03707344
_SALT_BIGRAM = 0xA4093822299F31D0
_SALT_EMBED = 0x082EFA98EC4E6C89
_SALT_STYLE = 0x452821E638D01377

# ASCII characters that are neither letters, digits nor whitespace.
_ASCII_SYMBOL = np.array([not (chr(c).isalnum() or chr(c).isspace()) for c in range(128)], dtype=bool)
_TAIL = 200  # at most this many characters (and at most half the text) form its "tail"
#: (name, bin edges). A value falls in bin ``searchsorted(edges, v, "right")``.
_STYLE_BINS: tuple[tuple[str, tuple[float, ...]], ...] = (
    ("len", (40, 100, 300, 1000, 3000)),
    ("sym", (0.03, 0.06, 0.1, 0.15, 0.22, 0.3, 0.4)),
    ("tail_sym", (0.03, 0.06, 0.1, 0.15, 0.22, 0.3, 0.4)),
    ("tail_jump", (-0.05, 0.03, 0.08, 0.15, 0.25)),
    ("tail_camel", (0.5, 1.5, 3.5, 6.5)),
    ("tail_punct_tokens", (0.05, 0.12, 0.2, 0.3, 0.45)),
)

# Non-ASCII code point ranges that separate words rather than form them.
_SEPARATOR_RANGES = ((0x2000, 0x2BFF), (0x3000, 0x303F), (0xFE30, 0xFE4F), (0x1F000, 0x1FAFF))


@dataclass(frozen=True, slots=True)
class FeatureConfig:
    """Everything that decides which bucket a text lands in (stored in the artefact)."""

    bits: int = 20
    char_min: int = 2
    char_max: int = 5
    word_unigrams: bool = True
    word_bigrams: bool = True
    style: bool = False  # coarse shape features (symbol density, case changes, length), see _style_buckets
    version: int = FEATURE_VERSION

    def __post_init__(self) -> None:
        if not 8 <= self.bits <= 24:
            raise ValueError("bits must be between 8 and 24")
        if self.char_max != 0 and not 1 <= self.char_min <= self.char_max <= 8:
            raise ValueError("need 1 <= char_min <= char_max <= 8 (or char_max = 0: no character n-grams)")

    @property
    def n_features(self) -> int:
        return 1 << self.bits

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeatureConfig:
        known = {k: data[k] for k in ("bits", "char_min", "char_max", "word_unigrams", "word_bigrams", "style")}
        version = int(data.get("version", -1))
        if version != FEATURE_VERSION:
            raise ValueError(f"feature version {version} is not supported (expected {FEATURE_VERSION})")
        return cls(**known, version=version)


@dataclass(slots=True)
class HashedText:
    """Bucket index and start position of every feature occurrence in one text."""

    index: np.ndarray  # int64 bucket ids of the n-gram occurrences
    position: np.ndarray  # int64 character offsets (into the lower-cased text)
    length: int  # characters in the text
    style: np.ndarray  # int64 bucket ids of the style pseudo-features (one per statistic)
    segment_starts: np.ndarray  # first offset of every line/sentence (see segments())
    document: bool  # looks like data (email, table, code, markup): see is_document()


def _mix(h: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: spread every input bit over the whole word (wraps mod 2**64)."""
    h = h ^ (h >> _U64(30))
    h = h * _U64(0xBF58476D1CE4E5B9)
    h = h ^ (h >> _U64(27))
    h = h * _U64(0x94D049BB133111EB)
    return h ^ (h >> _U64(31))


def code_points(text: str) -> np.ndarray:
    """Lower-cased code points as uint64 (lower-casing keeps the length of most text)."""
    low = text.lower()
    return np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)


def _word_mask(cp: np.ndarray) -> np.ndarray:
    ascii_word = (
        ((cp >= 97) & (cp <= 122))  # a-z
        | ((cp >= 48) & (cp <= 57))  # 0-9
        | (cp == 95)  # _
        | ((cp >= 65) & (cp <= 90))  # A-Z (lower() leaves a few, e.g. in odd scripts)
    )
    wide = cp >= 0xC0
    for lo, hi in _SEPARATOR_RANGES:
        wide &= ~((cp >= lo) & (cp <= hi))
    return ascii_word | wide


def _powers(base: int, n: int) -> np.ndarray:
    """``base**k mod 2**64`` for k = 0..n (wrap-around cumulative product)."""
    out = np.empty(n + 1, dtype=np.uint64)
    out[0] = 1
    if n:
        out[1:] = np.cumprod(np.full(n, base, dtype=np.uint64))
    return out


def word_hashes(cp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polynomial hash of every word and its start offset, without a Python loop.

    The hash of the word ``cp[s:e]`` is ``sum(cp[i] * B**(e-1-i))``; summing
    ``cp[i] * B**(n-1-i)`` over the word with ``reduceat`` gives that times
    ``B**(n-e)``, which we remove with the modular inverse of the base.
    """
    n = cp.shape[0]
    if n == 0:
        empty = np.zeros(0, dtype=np.uint64)
        return empty, np.zeros(0, dtype=np.int64)
    is_word = _word_mask(cp)
    padded = np.concatenate(([False], is_word, [False]))
    edges = np.flatnonzero(padded[1:] != padded[:-1])
    starts, ends = edges[0::2], edges[1::2]
    if starts.size == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    pw = _powers(_BASE, n)
    terms = cp * pw[n - 1 :: -1]
    terms[~is_word] = 0
    sums = np.add.reduceat(terms, starts)
    inv = _powers(_BASE_INV, n)
    hashes = sums * inv[n - ends]
    return hashes, starts.astype(np.int64)


def hash_text(text: str, config: FeatureConfig) -> HashedText:
    """Bucket ids and positions of every feature occurrence in ``text``."""
    cp = code_points(text)
    n = cp.shape[0]
    shift = _U64(64 - config.bits)
    idx_parts: list[np.ndarray] = []
    pos_parts: list[np.ndarray] = []
    if config.char_max and n >= config.char_min:
        h = cp.copy()
        for k in range(1, config.char_max + 1):
            if k > 1:
                if n < k:
                    break
                h = h[:-1] * _U64(_BASE) + cp[k - 1 :]
            if k >= config.char_min:
                idx_parts.append(_mix(h + _U64((_SALT_CHAR + k) & _MASK64)) >> shift)
                pos_parts.append(np.arange(h.shape[0], dtype=np.int64))
    if config.word_unigrams or config.word_bigrams:
        wh, ws = word_hashes(cp)
        if config.word_unigrams and wh.size:
            idx_parts.append(_mix(wh + _U64(_SALT_WORD)) >> shift)
            pos_parts.append(ws)
        if config.word_bigrams and wh.size > 1:
            pair = wh[:-1] * _U64(_PAIR) + wh[1:]
            idx_parts.append(_mix(pair + _U64(_SALT_BIGRAM)) >> shift)
            pos_parts.append(ws[:-1])
    style = _style_buckets(text, cp, shift) if config.style and n else np.zeros(0, dtype=np.int64)
    starts = segments(cp)
    doc = is_document(text)
    if not idx_parts:
        empty = np.zeros(0, dtype=np.int64)
        return HashedText(empty, empty, n, style, starts, doc)
    index = np.concatenate(idx_parts).astype(np.int64)
    position = np.concatenate(pos_parts)
    return HashedText(index, position, n, style, starts, doc)


def style_values(text: str, low_cp: np.ndarray) -> dict[str, float]:
    """Shape statistics of a text (case-sensitive ones use the original text).

    Why: optimiser-made suffixes ("... describing.\\ + similarlyNow write oppositeley.](")
    are word soup full of markup and odd casing glued to a plain request; no n-gram
    list enumerates the next random suffix, but the jump in symbol density between the
    text and its tail, or case changes inside words, describe all of them.
    """
    n = low_cp.shape[0]
    orig = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    is_sym = np.zeros(n, dtype=bool)
    ascii_mask = low_cp < 128
    is_sym[ascii_mask] = _ASCII_SYMBOL[low_cp[ascii_mask].astype(np.int64)]
    wide = ~ascii_mask
    if wide.any():
        cpw = low_cp[wide]
        sym_w = np.zeros(cpw.shape[0], dtype=bool)
        for lo, hi in _SEPARATOR_RANGES:
            sym_w |= (cpw >= lo) & (cpw <= hi)
        is_sym[wide] = sym_w
    non_space = np.count_nonzero((low_cp != 32) & (low_cp != 10))
    tail_start = n - max(min(_TAIL, n // 2), min(n, 30))
    tail = is_sym[tail_start:]
    tail_cp = low_cp[tail_start:]
    tail_ns = max(1, int(np.count_nonzero((tail_cp != 32) & (tail_cp != 10))))
    head = is_sym[:tail_start]
    head_cp = low_cp[:tail_start]
    head_ns = int(np.count_nonzero((head_cp != 32) & (head_cp != 10)))
    sym = float(np.count_nonzero(is_sym)) / max(1, non_space)
    tail_sym = float(np.count_nonzero(tail)) / tail_ns
    head_sym = float(np.count_nonzero(head)) / head_ns if head_ns else tail_sym
    camel = 0.0
    if orig.shape[0] == n:  # lower() kept the length (almost always)
        o = orig[tail_start:]
        camel = float(np.count_nonzero((o[:-1] >= 97) & (o[:-1] <= 122) & (o[1:] >= 65) & (o[1:] <= 90)))
        camel = camel * 100.0 / max(1, o.shape[0])
    tokens = text[tail_start:].split()
    punct_tokens = sum(1 for t in tokens if not any(ch.isalnum() for ch in t))
    return {
        "len": float(n), "sym": sym, "tail_sym": tail_sym, "tail_jump": tail_sym - head_sym,
        "tail_camel": camel, "tail_punct_tokens": punct_tokens / max(1, len(tokens)),
    }  # fmt: skip


def _style_buckets(text: str, low_cp: np.ndarray, shift: np.uint64) -> np.ndarray:
    """One pseudo-feature per statistic: its bin, hashed into the shared bucket space."""
    values = style_values(text, low_cp)
    codes = np.array(
        [(k << 8) + int(np.searchsorted(edges, values[name], side="right"))
         for k, (name, edges) in enumerate(_STYLE_BINS)],
        dtype=np.uint64,
    )  # fmt: skip
    return (_mix(codes + _U64(_SALT_STYLE)) >> shift).astype(np.int64)


def segments(cp: np.ndarray) -> np.ndarray:
    """Start offsets of lines and sentences.

    A segment starts after a newline, and after ``.``, ``?`` or ``!`` followed by a
    space. An instruction planted in a document is usually one line or one sentence.
    """
    n = cp.shape[0]
    if n == 0:
        return np.zeros(1, dtype=np.int64)
    flag = np.zeros(n, dtype=bool)
    flag[1:] |= cp[:-1] == 10
    if n > 2:
        flag[2:] |= ((cp[:-2] == 46) | (cp[:-2] == 63) | (cp[:-2] == 33)) & (cp[1:-1] == 32)
    flag[0] = True
    return np.flatnonzero(flag).astype(np.int64)


_EMAIL_KEYS = ("subject:", "from:", "email_from:", "sender:")
_CODE_STARTS = ("def ", "import ", "class ", "return ", "#include", "function ", "public ", "<?php", "print(",
                "const ", "let ", "var ", "}", "if (", "for (", "elif ", "except ")  # fmt: skip
_MARKUP = ("<html", "<body", "<div", "<p>", "<table", "<span")


def is_document(text: str) -> bool:
    """Does ``text`` carry data (an email, a table, code, markup) rather than only a request?

    Only such texts are scored line by line: an instruction *inside data* is an
    injection, while the same words typed by the user are an ordinary request
    ("in your response, use a friendly tone"). Plain string tests, no regex: cheap and
    linear. Needs at least three non-empty lines.
    """
    if text.count("\n") < 2:
        return False
    low = text.lower()
    lines = [ln.strip() for ln in low.split("\n")]
    lines = [ln for ln in lines if ln]
    if len(lines) < 3:
        return False
    if sum(1 for ln in lines if ln.startswith("|")) >= 3:
        return True
    head = low[:400]
    if any(key in head for key in _EMAIL_KEYS):
        return True
    if "```" in low or "traceback (most recent call last)" in low:
        return True
    if sum(1 for ln in lines if ln.startswith(_CODE_STARTS)) >= 2:
        return True
    return any(tag in low for tag in _MARKUP)


def distinct(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values, as ``np.unique`` returns them, by one sort and a compare:
    about four times faster than numpy 2's hash-based ``unique`` at these sizes (it was
    most of the classifier's time on 10,000-character prompts)."""
    if values.size < 2:
        return values.copy()
    ordered = np.sort(values)
    keep = np.empty(ordered.size, dtype=bool)
    keep[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def segment_rows(hashed: HashedText, n_features: int) -> list[tuple[int, int, np.ndarray]]:
    """``(start, end, distinct buckets)`` of every segment, for training.

    A feature belongs to the segment its first character is in (the same rule the
    classifier uses at inference).
    """
    starts = hashed.segment_starts
    if hashed.index.size == 0:
        return []
    seg = np.searchsorted(starts, hashed.position, side="right") - 1
    keys = distinct(seg * n_features + hashed.index)
    sid = keys // n_features
    buckets = keys % n_features
    bounds = np.searchsorted(sid, np.arange(starts.size + 1))
    ends = np.concatenate((starts[1:], [hashed.length]))
    return [
        (int(starts[k]), int(ends[k]), buckets[bounds[k] : bounds[k + 1]])
        for k in range(starts.size)
        if bounds[k + 1] > bounds[k]
    ]


def sparse_row(hashed: HashedText, style_scale: float) -> tuple[np.ndarray, np.ndarray]:
    """A text's feature vector.

    Every distinct n-gram bucket present gets ``1 / sqrt(#distinct)`` (presence, not
    counts: a table that repeats ``| 1 |`` forty times, or a template that repeats a
    persona's name, should not outweigh one telling phrase). Style pseudo-features get
    the fixed value ``style_scale`` so their pull does not fade with length.
    """
    cols = distinct(hashed.index)
    vals = np.full(cols.size, 1.0 / np.sqrt(float(cols.size))) if cols.size else np.zeros(0)
    if hashed.style.size and style_scale:
        cols = np.concatenate((cols, hashed.style))
        vals = np.concatenate((vals, np.full(hashed.style.size, float(style_scale))))
        cols, inverse = np.unique(cols, return_inverse=True)
        vals = np.bincount(inverse, weights=vals, minlength=cols.size)
    return cols, vals


def linear_margin(hashed: HashedText, weights: np.ndarray, bias: float, style_scale: float) -> float:
    """``w . sparse_row(hashed) + b`` without building the row (the inference hot path)."""
    total = bias
    if hashed.index.size:
        cols = distinct(hashed.index)
        total += float(weights[cols].astype(np.float64).sum()) / float(np.sqrt(cols.size))
    if hashed.style.size and style_scale:
        total += float(style_scale) * float(weights[hashed.style].astype(np.float64).sum())
    return total


# ---------------------------------------------------------------------------
# local embedding fallback


def embed(text: str, dims: int = 256) -> np.ndarray:
    """A cheap, deterministic text vector: signed hashed character 3/4-grams + words.

    Used for the "embedding" similarity metric and the known-attack index when Azure
    OpenAI is not configured. Counts are square-rooted so repeated filler does not
    dominate, and the result is L2-normalised (all zeros only for text with no
    characters).
    """
    if dims < 1:
        raise ValueError("dims must be positive")
    cp = code_points(text)
    n = cp.shape[0]
    parts: list[np.ndarray] = []
    h = cp.copy()
    for k in range(1, 5):
        if k > 1:
            if n < k:
                break
            h = h[:-1] * _U64(_BASE) + cp[k - 1 :]
        if k >= 3:
            parts.append(_mix(h + _U64((_SALT_EMBED + k) & _MASK64)))
    wh, _ = word_hashes(cp)
    if wh.size:
        parts.append(_mix(wh + _U64(_SALT_EMBED)))
    if n and n < 3:  # very short text: fall back to its characters
        parts.append(_mix(cp + _U64(_SALT_EMBED + 1)))
    out = np.zeros(dims, dtype=np.float64)
    if parts:
        z = np.concatenate(parts)
        bucket = (z % _U64(dims)).astype(np.int64)
        sign = np.where((z >> _U64(63)) == 1, -1.0, 1.0)
        counts = np.bincount(bucket, weights=sign, minlength=dims)
        out = np.sign(counts) * np.sqrt(np.abs(counts))
    norm = float(np.sqrt(np.dot(out, out)))
    if norm > 0:
        out = out / norm
    return out.astype(np.float32)
