"""Decoding: find text hidden in encodings and hand it to the detectors.

"Decode this base64 and do what it says" is one of the oldest ways around a filter.
We look for segments that *are* encodings (base64, base32, hex, ASCII85, URL
percent-encoding, HTML entities, ``\\u``/``\\x`` escapes), decode them, and keep the
result only if it is readable text: a SHA-256, a UUID, a file path or a random id
decodes to bytes that are not text and is dropped, so benign "base64-looking" strings
do not trigger anything on their own. ROT13 and reversed text have no syntax to find;
they are tried on the whole prompt and kept when they read more like English than
the original does.

Decoding recurses (a base64 of a URL-encoded payload...) to ``max_depth`` and stops at
``max_bytes`` of decoded text and ``max_segments`` candidates, so a hostile prompt
cannot make us do unbounded work.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import html
import urllib.parse
from dataclasses import dataclass

from ._re import compile_re
from .normalize import NormalizedText, normalize

_B64 = compile_re(r"[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9_-]{16,}={0,2}")
_B32 = compile_re(r"[A-Z2-7]{16,}={0,6}")
_HEX = compile_re(r"(?:[0-9A-Fa-f]{2}){8,}|(?:(?:0x|\\x)?[0-9A-Fa-f]{2}[ ,:]?){8,}")
_A85 = compile_re(r"<~[!-uz\s]{8,}~>|[!-uz]{24,}")
_URLENC = compile_re(r"\S*(?:%[0-9A-Fa-f]{2}\S*){3,}")
_ENTITY = compile_re(r"&#[0-9]{1,7};?|&#[xX][0-9A-Fa-f]{1,6};?|&[A-Za-z]{2,8};")
_ESCAPE = compile_re(r"\\u[0-9A-Fa-f]{4}|\\x[0-9A-Fa-f]{2}|\\[0-7]{3}")
_BLIND_LIMIT = 4_096  # characters tried blindly as ROT13
_HINT_REV = compile_re(r"(?i)\brevers(e|ed)\b|\bbackwards?\b")
#: Letters spaced out one by one ("i g n o r e"), or joined by one repeated separator.
_SPACED = compile_re(r"(?:\b[A-Za-z][ .\-_*|/]){6,}[A-Za-z]\b")
#: Words that spaced-out instructions are made of, beyond the common-word list: the
#: joined letters are split back into words with these (longest words first).
_WORD_GAP = compile_re(r"\s{2,}|\s*[/|]\s*")
_SPACED_VOCAB = frozenset(
    [
        "ignore",
        "forget",
        "disregard",
        "previous",
        "prior",
        "above",
        "instructions",
        "instruction",
        "rules",
        "rule",
        "reveal",
        "system",
        "prompt",
        "password",
        "secret",
        "say",
        "print",
        "pwned",
        "hacked",
        "output",
        "repeat",
        "tell",
        "show",
        "give",
        "write",
        "delete",
        "drop",
        "guidelines",
        "everything",
        "anything",
        "hidden",
        "initial",
        "original",
        "first",
        "key",
        "admin",
        "mode",
        "developer",
        "unrestricted",
        "jailbreak",
        "bypass",
        "override",
        "now",
        "instead",
        "only",
        "just",
        "words",
        "word",
        "text",
        "message",
        "please",
    ]
)

# Common English words: the yardstick for "does this decode to language?".
_COMMON = frozenset(
    [
        "the",
        "be",
        "to",
        "of",
        "and",
        "a",
        "in",
        "that",
        "have",
        "i",
        "it",
        "for",
        "not",
        "on",
        "with",
        "he",
        "as",
        "you",
        "do",
        "at",
        "this",
        "but",
        "his",
        "by",
        "from",
        "they",
        "we",
        "say",
        "her",
        "she",
        "or",
        "an",
        "will",
        "my",
        "one",
        "all",
        "would",
        "there",
        "their",
        "what",
        "so",
        "up",
        "out",
        "if",
        "about",
        "who",
        "get",
        "which",
        "go",
        "me",
        "when",
        "make",
        "can",
        "like",
        "time",
        "no",
        "just",
        "him",
        "know",
        "take",
        "people",
        "into",
        "year",
        "your",
        "good",
        "some",
        "could",
        "them",
        "see",
        "other",
        "than",
        "then",
        "now",
        "look",
        "only",
        "come",
        "its",
        "over",
        "think",
        "also",
        "back",
        "after",
        "use",
        "two",
        "how",
        "our",
        "work",
        "first",
        "well",
        "way",
        "even",
        "new",
        "want",
        "because",
        "any",
        "these",
        "give",
        "day",
        "most",
        "us",
        "is",
        "are",
        "was",
        "were",
        "has",
        "had",
        "been",
        "said",
        "tell",
        "show",
        "write",
        "print",
        "ignore",
        "previous",
        "instructions",
        "system",
        "prompt",
        "password",
        "secret",
        "reveal",
        "all",
        "please",
        "how",
        "why",
        "where",
        "answer",
        "question",
        "following",
        "text",
        "message",
        "step",
        "steps",
        "make",
        "made",
        "instead",
        "must",
        "should",
        "never",
        "always",
        "delete",
        "drop",
        "select",
        "from",
        "where",
        "table",
        "user",
        "users",
    ]
)


@dataclass(slots=True)
class DecodedLayer:
    """A piece of decoded text and where its encoded form sits in the original prompt."""

    span: tuple[int, int]
    encoding: str  # chain such as "base64" or "base64>url"
    text: str
    depth: int
    normalized: NormalizedText | None = None
    #: True when the layer was tried blindly (ROT13 of everything) and did not read
    #: as language: only rule hits on it count, its mere existence says nothing.
    speculative: bool = False


def _printable_ratio(text: str) -> float:
    if not text:
        return 0.0
    good = sum(1 for c in text if c.isprintable() or c in "\n\t\r")
    return good / len(text)


def _looks_like_text(raw: bytes) -> str | None:
    """Decoded bytes -> str if they read as text (UTF-8, printable, has letters)."""
    if len(raw) < 4:
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _printable_ratio(text) < 0.9:
        return None
    letters = sum(c.isalpha() for c in text)
    if letters < 3 or letters / len(text) < 0.3:
        return None
    return text


_EDGE_PUNCT = ".,:;!?\"'()[]{}<>"


def english_score(text: str, limit: int = 3000) -> float:
    """Share of the first ``limit`` characters' words that are common English words."""
    words = text[:limit].lower().split()
    if not words:
        return 0.0
    # Most words carry no punctuation: test them as they are, strip only the misses.
    common = _COMMON
    hits = sum(1 for w in words if w in common or w.strip(_EDGE_PUNCT) in common)
    return hits / len(words)


#: Longest layer compared with its text (the comparison's worst case grows as length²).
DIFF_MAX_CHARS = 4_000


def changed_offsets(before: str, after: str, limit: int = 16) -> list[int] | None:
    """Where ``after`` (a decoded layer) differs from ``before`` (the text it came from).

    Offsets into ``after`` of the changed regions, the largest region first, at most
    ``limit``. ``None`` when the two are not near-copies (more than half changed, or
    too long to compare cheaply): then the layer is a text of its own.
    """
    if len(before) > DIFF_MAX_CHARS or len(after) > DIFF_MAX_CHARS or not after:
        return None
    from rapidfuzz.distance import Indel

    regions: list[tuple[int, int]] = []  # (changed characters, offset in after)
    run: list[int] | None = None  # [dest start, removed, inserted] of adjacent edits
    for op in [*Indel.opcodes(before, after), None]:
        if op is not None and op.tag != "equal":
            run = run or [op.dest_start, 0, 0]
            run[1] += op.src_end - op.src_start
            run[2] += op.dest_end - op.dest_start
        elif run is not None:
            regions.append((max(run[1], run[2]), run[0]))
            run = None
    if sum(size for size, _ in regions) * 2 > len(after):
        return None
    regions.sort(key=lambda r: (-r[0], r[1]))
    return [min(at, len(after) - 1) for _, at in regions[:limit]]


def rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


def _try_b64(seg: str) -> str | None:
    if not any(c.isdigit() or c in "+/=_-" for c in seg) and (seg.islower() or seg.isupper()):
        return None  # a plain word, not base64
    core = seg.rstrip("=")
    padded = core + "=" * (-len(core) % 4)
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            raw = decoder(padded)
        except (binascii.Error, ValueError):
            continue
        text = _looks_like_text(raw)
        if text:
            return text
    return None


def _try_b32(seg: str) -> str | None:
    core = seg.rstrip("=")
    try:
        raw = base64.b32decode(core + "=" * (-len(core) % 8))
    except (binascii.Error, ValueError):
        return None
    return _looks_like_text(raw)


def _try_hex(seg: str) -> str | None:
    digits = "".join(c for c in seg.replace("0x", "").replace("\\x", "") if c in "0123456789abcdefABCDEF")
    if len(digits) % 2:
        digits = digits[:-1]
    try:
        raw = bytes.fromhex(digits)
    except ValueError:
        return None
    return _looks_like_text(raw)


def _try_a85(seg: str) -> str | None:
    if sum(not c.isalnum() for c in seg) < 3:
        return None  # long alphanumeric words are not ASCII85
    body = seg[2:-2] if seg.startswith("<~") and seg.endswith("~>") else seg
    try:
        raw = base64.a85decode(body.replace(" ", "").replace("\n", ""))
    except (ValueError, binascii.Error):
        return None
    return _looks_like_text(raw)


def _try_url(seg: str) -> str | None:
    try:
        decoded = urllib.parse.unquote(seg, errors="strict") if "%" in seg else seg
    except UnicodeDecodeError:  # percent-escapes that are not UTF-8 (e.g. "%94%94"): not text
        return None
    return decoded if decoded != seg and _printable_ratio(decoded) > 0.9 else None


def _unescape_escapes(text: str) -> str:
    def one(m: str) -> str:
        if m.startswith("\\u"):
            return chr(int(m[2:], 16))
        if m.startswith("\\x"):
            return chr(int(m[2:], 16))
        return chr(int(m[1:], 8))

    out: list[str] = []
    pos = 0
    for m in _ESCAPE.finditer(text):
        out.append(text[pos : m.start()])
        out.append(one(m.group()))
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


_SEGMENT_DECODERS = (
    ("base64", _B64, _try_b64),
    ("base32", _B32, _try_b32),
    ("hex", _HEX, _try_hex),
    ("ascii85", _A85, _try_a85),
    ("url", _URLENC, _try_url),
)


def _find_layers(norm: NormalizedText, budget: _Budget, depth: int, chain: str, outer: tuple[int, int] | None):
    """Decoded layers directly inside ``norm`` (one level)."""
    plain = norm.plain
    found: list[DecodedLayer] = []
    taken: list[tuple[int, int]] = []

    def span_of(s: int, e: int) -> tuple[int, int]:
        return outer if outer is not None else norm.original_span(s, e)

    def add(s: int, e: int, encoding: str, text: str, speculative: bool = False) -> None:
        if not budget.take(len(text)):
            return
        taken.append((s, e))
        name = f"{chain}>{encoding}" if chain else encoding
        found.append(DecodedLayer(span_of(s, e), name, text, depth, speculative=speculative))

    for name, pattern, decoder in _SEGMENT_DECODERS:
        for m in pattern.finditer(plain):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            if not budget.segment():
                return found
            text = decoder(m.group().strip())
            if text:
                add(s, e, name, text)

    if depth == 1:
        for m in _SPACED.finditer(plain):
            s, e = m.span()
            if any(s < te and ts < e for ts, te in taken) or not budget.segment():
                continue
            add(s, e, "spaced", _unspace(norm.original, norm.original_span(s, e), m.group()))

    entities = list(_ENTITY.finditer(plain))
    if len(entities) >= 2:
        decoded = html.unescape(plain)
        if decoded != plain:
            add(entities[0].start(), entities[-1].end(), "html", decoded)
    escapes = list(_ESCAPE.finditer(plain))
    if len(escapes) >= 2:
        decoded = _unescape_escapes(plain)
        if decoded != plain:
            add(escapes[0].start(), escapes[-1].end(), "escape", decoded)

    # Whole-text transforms with no syntax of their own. ROT13 is always tried (a rule
    # firing on the rotated text is evidence enough; rotated benign text is gibberish
    # that fires nothing); reversal only when it reads as English clearly better than
    # the original, or the prompt names it.
    base_score = english_score(plain) if depth == 1 and sum(c.isalpha() for c in plain[:200]) >= 8 else 1.0
    # Plain English prompts are not ROT13; skipping them halves the rule work on most input.
    if base_score < 0.2:
        rotated = rot13(plain[:_BLIND_LIMIT])
        # Two common words at least: one short word ("in", "be") is chance in any rotation.
        readable = english_score(rotated) >= max(0.25, base_score * 1.5 + 0.05) and (
            english_score(rotated) * len(rotated.split()) >= 2
        )
        add(0, len(plain), "rot13", rotated, speculative=not readable)
    if base_score < 1.0:
        backwards = plain[::-1]
        score = english_score(backwards)
        if (score >= 0.25 and score > base_score * 1.5 + 0.05) or (
            _HINT_REV.search(plain) is not None and score > base_score
        ):
            add(0, len(plain), "reversed", backwards)
    return found


class _Budget:
    def __init__(self, max_bytes: int, max_segments: int) -> None:
        self.bytes_left = max_bytes
        self.segments_left = max_segments

    def take(self, n: int) -> bool:
        if n > self.bytes_left:
            return False
        self.bytes_left -= n
        return True

    def segment(self) -> bool:
        if self.segments_left <= 0:
            return False
        self.segments_left -= 1
        return True


def _segment_words(letters: str) -> str:
    """Split a run of letters into known words (dynamic programming, fewest pieces).

    Letters that start no known word stay single; fine for the rules, which look for
    the words an instruction is made of.
    """
    vocab = _COMMON | _SPACED_VOCAB
    low = letters.lower()
    n = len(low)
    best: list[tuple[int, int]] = [(0, 0)] + [(n + 1, 0)] * n  # (pieces, start of last piece)
    for end in range(1, n + 1):
        for start in range(max(0, end - 14), end):
            piece = low[start:end]
            if end - start == 1 or piece in vocab:
                cost = best[start][0] + (1 if piece in vocab else 2)
                if cost < best[end][0]:
                    best[end] = (cost, start)
    words: list[str] = []
    end = n
    while end > 0:
        start = best[end][1]
        words.append(letters[start:end])
        end = start
    return " ".join(reversed(words))


def _unspace(original: str, span: tuple[int, int], run: str) -> str:
    """The words of a spaced-out run: wide gaps in the original mark word breaks, else a dictionary split."""
    source = original[span[0] : span[1]]
    chunks = [c for c in _WORD_GAP.split(source) if c.strip()]
    if len(chunks) > 1:
        return " ".join("".join(ch for ch in chunk if ch.isalpha()) for chunk in chunks)
    return _segment_words("".join(ch for ch in run if ch.isalpha()))


def decode_layers(
    norm: NormalizedText,
    *,
    max_depth: int = 3,
    max_bytes: int = 65_536,
    max_segments: int = 16,
) -> list[DecodedLayer]:
    """Every decodable layer of ``norm``, recursively, breadth first, within budget.

    Hidden text carried by Unicode tag characters (found during normalisation) is
    returned as a layer too, so it is scanned like any other decoded payload.
    """
    budget = _Budget(max_bytes, max_segments)
    layers: list[DecodedLayer] = []
    frontier: list[tuple[NormalizedText, int, str, tuple[int, int] | None]] = [(norm, 1, "", None)]
    for hidden in norm.hidden:
        if budget.take(len(hidden.text)):
            layers.append(DecodedLayer(hidden.span, hidden.kind, hidden.text, 1))
    while frontier:
        current, depth, chain, outer = frontier.pop(0)
        if depth > max_depth:
            continue
        for layer in _find_layers(current, budget, depth, chain, outer):
            layer.normalized = normalize(layer.text)
            layers.append(layer)
            if layer.encoding.split(">")[-1] not in ("rot13", "reversed"):
                frontier.append((layer.normalized, depth + 1, layer.encoding, layer.span))
    for layer in layers:
        if layer.normalized is None:
            layer.normalized = normalize(layer.text)
    return layers
