"""Normalisation: turn what the user typed into what the detectors should see.

Attackers hide keywords behind look-alike characters (Cyrillic ``о`` for ``o``,
fullwidth or mathematical letters), invisible characters (zero-width joiners inside
words, bidi overrides, Unicode *tag* characters that carry a whole hidden ASCII
message) and leetspeak (``1gn0r3``). We produce two views of one prompt:

* ``plain``: NFKC, invisible characters removed, homoglyphs and accents folded to
  ASCII look-alikes, whitespace collapsed. Used for decoding and for code-shaped
  rules (SQL, XSS, shell), where digits matter.
* ``text``: ``plain`` with leetspeak folded inside words that mix letters and
  leet digits. Used for language rules and the classifier.

Both views have the same length and share ``index_map``: position ``i`` of either
view came from position ``index_map[i]`` of the original, so every finding can point
at the text the caller sent. Findings about the disguise itself (hidden tag text,
invisible characters inside words, mixed-script words) are reported here.
"""

from __future__ import annotations

import bisect
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import re2

from ..findings import Finding, Severity, ThreatType
from ._re import compile_re

# Zero-width and formatting characters that render as nothing.
_INVISIBLE_CLASS = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e007f\U000e0100-\U000e01ef"
)
_INVISIBLE = compile_re(f"[{_INVISIBLE_CLASS}]+")
_INVISIBLE_CHARS = frozenset(
    chr(c)
    for lo, hi in (
        (0xAD, 0xAD),
        (0x34F, 0x34F),
        (0x61C, 0x61C),
        (0x115F, 0x1160),
        (0x17B4, 0x17B5),
        (0x180B, 0x180F),
        (0x200B, 0x200F),
        (0x202A, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0x3164, 0x3164),
        (0xFE00, 0xFE0F),
        (0xFEFF, 0xFEFF),
        (0xFFA0, 0xFFA0),
        (0xE0000, 0xE007F),
        (0xE0100, 0xE01EF),
    )
    for c in range(lo, hi + 1)
)
_BIDI = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x061C])
_NON_ASCII = compile_re(r"[^\x00-\x7f]+")
_WS_CODES = np.array([9, 10, 11, 12, 13, 32], dtype=np.uint32)
# A letter next to a leet character: the only places leet folding can apply. Matching
# these (rare) seams instead of every word keeps the pass cheap on ordinary text.
_LEET_SEAM = compile_re(r"[A-Za-z][013457@$|+!]|[013457@$|+][A-Za-z]")
_EMAIL = compile_re(r"[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")
_TRAILING_DIGITS = compile_re(r"[A-Za-z]+[0-9]{2,}|[A-Za-z]{4,}[0-9]")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@$!|+")
_LEET_CHARS = frozenset("013457@$!|+")
_LEET_TABLE = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "+": "t",
    }
)

# Look-alikes that NFKC keeps apart from Latin. Written from the Unicode charts for
# the scripts attackers use most (Cyrillic, Greek, Armenian, Cherokee, a few symbols).
_CONFUSABLES = {
    # Cyrillic lower / upper
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "з": "3",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "ԁ": "d",
    "һ": "h",
    "ԛ": "q",
    "ԝ": "w",
    "ү": "y",
    "ӏ": "l",
    "ɡ": "g",
    "А": "A",
    "В": "B",
    "Е": "E",
    "Ё": "E",
    "З": "3",
    "І": "I",
    "Ї": "I",
    "Ј": "J",
    "К": "K",
    "М": "M",
    "Н": "H",
    "О": "O",
    "Р": "P",
    "С": "C",
    "Т": "T",
    "У": "Y",
    "Х": "X",
    "Ѕ": "S",
    "Ү": "Y",
    "Ԁ": "D",
    "Ԛ": "Q",
    "Ԝ": "W",
    "Ӏ": "I",
    # Greek
    "α": "a",
    "β": "b",
    "γ": "y",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ϲ": "c",
    "ϳ": "j",
    "Α": "A",
    "Β": "B",
    "Ε": "E",
    "Ζ": "Z",
    "Η": "H",
    "Ι": "I",
    "Κ": "K",
    "Μ": "M",
    "Ν": "N",
    "Ο": "O",
    "Ρ": "P",
    "Τ": "T",
    "Υ": "Y",
    "Χ": "X",
    "Ϲ": "C",
    # Armenian, Cherokee and others
    "օ": "o",
    "ս": "u",
    "ց": "g",
    "հ": "h",
    "ո": "n",
    "Ꭺ": "A",
    "Ꭼ": "E",
    "Ꮋ": "H",
    "Ꭵ": "i",
    "Ꮯ": "C",
    "Ꮃ": "W",
    "Ꮪ": "S",
    "Ꭲ": "T",
    "ı": "i",
    "ȷ": "j",
    "ł": "l",
    "ø": "o",
    "đ": "d",
    "ɑ": "a",
    "ɒ": "a",
    "ɛ": "e",
    "ɩ": "i",
    "ɪ": "i",
    "ʏ": "y",
    "ᴄ": "c",
    "ᴅ": "d",
    "ᴇ": "e",
    "ᴋ": "k",
    "ᴍ": "m",
    "ᴏ": "o",
    "ᴘ": "p",
    "ᴛ": "t",
    "ᴜ": "u",
    "ᴠ": "v",
    "ᴡ": "w",
    "ᴢ": "z",
    "ʀ": "r",
    "ɢ": "g",
    "ʜ": "h",
    "ʟ": "l",
    "ɴ": "n",
    "ꜱ": "s",
    "ᴀ": "a",
    "ʙ": "b",
    "ꜰ": "f",
    "ᴊ": "j",
    "ß": "ss",
    "æ": "ae",
    "œ": "oe",
    "þ": "th",
    "ð": "d",
    # punctuation look-alikes
    "‘": "'",
    "’": "'",
    "‚": "'",
    "‛": "'",
    "′": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "″": '"',
    "‐": "-",
    "‑": "-",
    "‒": "-",
    "–": "-",
    "—": "-",
    "―": "-",
    "−": "-",
    "⁄": "/",
    "∕": "/",
    "＜": "<",
    "＞": ">",
    "‹": "<",
    "›": ">",
    "«": '"',
    "»": '"',
    "ǀ": "|",
    "∣": "|",
}


@dataclass(slots=True)
class HiddenPayload:
    """Text carried by invisible characters (Unicode tag block = "ASCII smuggling")."""

    span: tuple[int, int]
    text: str
    kind: str


@dataclass(slots=True)
class NormalizedText:
    original: str
    plain: str
    text: str
    index_map: np.ndarray  # int32, len(plain) + 1; last entry == len(original)
    findings: list[Finding] = field(default_factory=list)
    hidden: list[HiddenPayload] = field(default_factory=list)
    removed_invisible: int = 0
    folded_chars: int = 0

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a half-open span of ``plain``/``text`` back onto ``original``."""
        n = len(self.plain)
        start = min(max(start, 0), n)
        end = min(max(end, start), n)
        o_start = int(self.index_map[start])
        o_end = int(self.index_map[end - 1]) + 1 if end > start else o_start
        return o_start, max(o_end, o_start)


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    """NFKC, then look-alike folding, then accent stripping, for one character."""
    out = unicodedata.normalize("NFKC", ch)
    out = "".join(_CONFUSABLES.get(c, c) for c in out)
    if not out.isascii():
        decomposed = unicodedata.normalize("NFKD", out)
        stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
        folded = "".join(_CONFUSABLES.get(c, c) for c in stripped)
        # Accents come off only where that leaves plain Latin ("é" -> "e"): in kana a
        # voicing mark makes another letter ("で" is not "て"), and Hangul syllables
        # decompose into jamo, so those scripts keep their letters.
        if folded and folded.isascii():
            out = folded
    if out.isspace():
        return " " if "\n" not in out else "\n"
    return out


def _apply_edits(text: str, edits: list[tuple[int, int, str]]) -> tuple[str, np.ndarray]:
    """Apply sorted, non-overlapping ``(start, end, replacement)`` edits.

    Returns the new text and, for each of its positions, the position in ``text`` it
    came from (replacement characters map to the start of what they replaced). The
    map is built with vectorised numpy so thousands of edits stay cheap.
    """
    parts: list[str] = []
    src: list[int] = []  # per output segment: source start
    lens: list[int] = []  # per output segment: length
    copy: list[int] = []  # per output segment: 1 = copied (advance), 0 = replacement (constant)
    pos = 0
    for start, end, rep in edits:
        if start > pos:
            parts.append(text[pos:start])
            src.append(pos)
            lens.append(start - pos)
            copy.append(1)
        if rep:
            parts.append(rep)
            src.append(start)
            lens.append(len(rep))
            copy.append(0)
        pos = end
    if pos < len(text):
        parts.append(text[pos:])
        src.append(pos)
        lens.append(len(text) - pos)
        copy.append(1)
    lens_a = np.asarray(lens, dtype=np.int64)
    total = int(lens_a.sum()) if lens else 0
    if total:
        seg_out_start = np.concatenate(([0], np.cumsum(lens_a)[:-1]))
        within = np.arange(total, dtype=np.int64) - np.repeat(seg_out_start, lens_a)
        mapped = np.repeat(np.asarray(src, dtype=np.int64), lens_a) + within * np.repeat(
            np.asarray(copy, dtype=np.int64), lens_a
        )
    else:
        mapped = np.zeros(0, dtype=np.int64)
    index_map = np.concatenate((mapped, [len(text)])).astype(np.int32)
    return "".join(parts), index_map


_BLACK_FLAG = "\U0001f3f4"
_TAG_END = "\U000e007f"


def _is_flag_sequence(original: str, start: int, chunk: str) -> bool:
    """Subdivision flags (England, Scotland, Wales...) are a black flag, 2-7 tag letters or
    digits, and a cancel tag: legitimate emoji, not smuggled text."""
    if start == 0 or original[start - 1] != _BLACK_FLAG or not chunk.endswith(_TAG_END):
        return False
    body = chunk[:-1]
    return 2 <= len(body) <= 7 and all(0xE0030 <= ord(c) <= 0xE0039 or 0xE0061 <= ord(c) <= 0xE007A for c in body)


def _decode_tags(chunk: str) -> str:
    """Tag characters U+E0020..U+E007E mirror printable ASCII."""
    return "".join(chr(ord(c) - 0xE0000) for c in chunk if 0xE0020 <= ord(c) <= 0xE007E)


def normalize(
    original: str,
    *,
    unicode_normalize: bool = True,
    fold_homoglyphs: bool = True,
    fold_leetspeak: bool = True,
) -> NormalizedText:
    """Build the detection views of ``original`` (see module docstring)."""
    findings: list[Finding] = []
    hidden: list[HiddenPayload] = []
    edits: list[tuple[int, int, str]] = []
    removed = 0
    folded = 0

    stage1, map1 = original, None
    if not original.isascii():
        invisible_spans: list[tuple[int, int]] = []
        for m in _INVISIBLE.finditer(original):
            s, e = m.span()
            chunk = original[s:e]
            invisible_spans.append((s, e))
            removed += e - s
            tag_text = "" if _is_flag_sequence(original, s, chunk) else _decode_tags(chunk)
            if tag_text.strip():
                hidden.append(HiddenPayload((s, e), tag_text, "unicode_tags"))
            if any(c in _BIDI for c in chunk):
                findings.append(
                    Finding(
                        ThreatType.OBFUSCATION,
                        "norm.bidi_override",
                        Severity.LOW,
                        "Bidirectional override characters can make text display differently from what the model reads",
                        (s, e),
                    )
                )
        if hidden:
            first = hidden[0].span
            findings.append(
                Finding(
                    ThreatType.ENCODING_BYPASS,
                    "norm.tag_smuggling",
                    Severity.HIGH,
                    "Invisible Unicode tag characters carry hidden text",
                    first,
                )
            )
        # Zero-width characters *inside* words split keywords so filters miss them.
        inside = [
            (s, e)
            for s, e in invisible_spans
            if s > 0 and e < len(original) and original[s - 1].isalnum() and original[e].isalnum()
        ]
        if len(inside) >= 2:
            findings.append(
                Finding(
                    ThreatType.OBFUSCATION,
                    "norm.zero_width_split",
                    Severity.MEDIUM,
                    f"{len(inside)} invisible characters split words apart",
                    inside[0],
                )
            )
        edits.extend((s, e, "") for s, e in invisible_spans)

        table: dict[int, str] = {}
        if unicode_normalize or fold_homoglyphs:
            # Work per *distinct* character: 1:1 folds go through str.translate (fast,
            # length-preserving); the few characters that expand ("ﬁ" -> "fi") become edits.
            expanding: list[str] = []
            for ch in set(original):
                if ch.isascii() or ch in _INVISIBLE_CHARS:
                    continue
                rep = _fold_char(ch) if fold_homoglyphs else unicodedata.normalize("NFKC", ch)
                if rep == ch:
                    continue
                if len(rep) == 1:
                    table[ord(ch)] = rep
                else:
                    expanding.append(ch)
            if expanding:
                cls = compile_re("[" + "".join(re2.escape(c) for c in expanding) + "]")
                for m in cls.finditer(original):
                    edits.append((m.start(), m.end(), _fold_char(m.group())))
            folded = sum(original.count(chr(c)) for c in table) + sum(1 for e in edits if e[2])
            # Words that mix Latin with look-alike letters are a classic filter evasion.
            if any(chr(c) in _CONFUSABLE_LETTERS for c in table):
                mixed, first_word = _mixed_script_words(original)
                if mixed:
                    at = original.find(first_word)
                    findings.append(
                        Finding(
                            ThreatType.OBFUSCATION,
                            "norm.mixed_script",
                            Severity.MEDIUM if mixed > 1 else Severity.LOW,
                            f"{mixed} word(s) mix Latin with look-alike letters",
                            (at, at + len(first_word)),
                        )
                    )
        edits.sort()
        base = original.translate(table) if table else original
        if fold_homoglyphs and any(chr(c) in _CONFUSABLE_LETTERS for c in table):
            base = _keep_native_words(original, base)
        stage1, map1 = _apply_edits(base, edits) if edits else (base, None)

    plain, map2 = _collapse_whitespace(stage1)
    if map2 is None:
        index_map = map1 if map1 is not None else np.arange(len(original) + 1, dtype=np.int32)
    else:
        index_map = map1[map2] if map1 is not None else map2

    text = _fold_leet(plain) if fold_leetspeak else plain
    return NormalizedText(
        original=original,
        plain=plain,
        text=text,
        index_map=index_map,
        findings=findings,
        hidden=hidden,
        removed_invisible=removed,
        folded_chars=folded,
    )


_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CONFUSABLE_LETTERS = frozenset(c for c in _CONFUSABLES if c.isalpha())
#: Look-alikes that are ordinary letters of European orthographies (Latin-1 Supplement
#: and Latin Extended-A: Turkish dotless i, Polish l-stroke): a word using them is
#: written in its own language, not in mixed scripts.
_NATIVE_LATIN = frozenset(c for c in _CONFUSABLE_LETTERS if 0xC0 <= ord(c) <= 0x17F)


@lru_cache(maxsize=4096)
def _is_latin(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith("LATIN")


def _keep_native_words(original: str, folded: str) -> str:
    """Undo look-alike folding inside words genuinely written in another script.

    Folding exists for "іgnоrе" (Cyrillic letters hiding in a Latin word). Applied to a
    Russian or Greek sentence it turns every word into Latin gibberish ("все" into
    "bce"), which blinds the rules and the classifier to text in those languages. A
    word keeps its own letters when it has no ASCII letter and either contains a
    letter of its script that looks like no Latin one, or the text as a whole is
    mostly written in that script (so "все" inside a Russian sentence stays Cyrillic).
    Length-preserving, like the translation it corrects.
    """
    words: list[tuple[int, int, bool, bool]] = []  # (start, end, has ascii, has distinctive letter)
    native = latin = 0
    start = -1
    for i, ch in enumerate(original + " "):
        if ch.isalpha():
            if start < 0:
                start = i
            continue
        if start >= 0:
            word = original[start:i]
            has_ascii = any(c.isascii() for c in word)
            distinctive = any(not _is_latin(c) and c not in _CONFUSABLE_LETTERS for c in word)
            words.append((start, i, has_ascii, distinctive))
            n_native = sum(1 for c in word if not _is_latin(c))
            native += n_native
            latin += len(word) - n_native
            start = -1
    mostly_native = native > latin
    keep = [(a, b) for a, b, has_ascii, distinctive in words if not has_ascii and (distinctive or mostly_native)]
    if not keep:
        return folded
    parts: list[str] = []
    at = 0
    for a, b in keep:
        parts.append(folded[at:a])
        parts.append(original[a:b])
        at = b
    parts.append(folded[at:])
    return "".join(parts)


def _mixed_script_words(original: str) -> tuple[int, str]:
    """Count words mixing ASCII letters with look-alike letters; return the first."""
    count = 0
    first = ""
    for word in original.split():
        if word.isascii():
            continue
        chars = set(word)
        if (chars & _CONFUSABLE_LETTERS) - _NATIVE_LATIN and chars & _ASCII_LETTERS:
            count += 1
            first = first or word
    return count, first


def _collapse_whitespace(text: str) -> tuple[str, np.ndarray | None]:
    """Runs of spaces/tabs become one space; runs containing a newline become one newline.

    Vectorised over code points (a regex pass costs a Python call per run, and padded
    tables have thousands of runs). Returns ``(text, None)`` when nothing changes.
    """
    if not text:
        return text, None
    cps = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    is_ws = np.isin(cps, _WS_CODES)
    if not is_ws.any():
        return text, None
    prev_ws = np.concatenate(([False], is_ws[:-1]))
    run_start = is_ws & ~prev_ws
    # Which run each whitespace char belongs to; does that run contain a newline?
    run_id = np.cumsum(run_start) - 1
    nl = is_ws & (cps == 10)
    run_has_nl = np.zeros(int(run_start.sum()), dtype=bool)
    np.logical_or.at(run_has_nl, run_id[nl], True)
    keep = ~is_ws | run_start
    out = cps.copy()
    starts = np.flatnonzero(run_start)
    out[starts] = np.where(run_has_nl, 10, 32).astype(np.uint32)
    if keep.all() and np.array_equal(out, cps):
        return text, None
    kept_idx = np.flatnonzero(keep).astype(np.int32)
    new_text = out[keep].tobytes().decode("utf-32-le")
    return new_text, np.concatenate((kept_idx, np.array([len(text)], dtype=np.int32)))


def _fold_leet(plain: str) -> str:
    """Fold leet digits/symbols inside words that also contain letters (1:1, same length).

    Left alone: e-mail addresses, names with a counter or version at the end
    ("python3", "node18", "abc123"; but "th3" is folded) and words followed by ".digit".
    """
    seams = [m.start() for m in _LEET_SEAM.finditer(plain)]
    if not seams:
        return plain
    emails = [m.span() for m in _EMAIL.finditer(plain)] if "@" in plain else []
    email_starts = [s for s, _ in emails]
    chars = list(plain)
    done_until = -1
    for seam in seams:
        if seam < done_until:
            continue
        start = seam
        while start > 0 and plain[start - 1] in _WORD_CHARS:
            start -= 1
        end = seam + 2
        while end < len(plain) and plain[end] in _WORD_CHARS:
            end += 1
        done_until = end
        # Trailing "!" and "|" are punctuation, not leet letters.
        core_end = end
        while core_end > start and plain[core_end - 1] in "!|+$@":
            core_end -= 1
        word = plain[start:core_end]
        # The e-mails are sorted and disjoint: only the last one starting at or before
        # ``start`` can contain it (a scan of all of them per seam was quadratic).
        at = bisect.bisect_right(email_starts, start) - 1
        if at >= 0 and start < emails[at][1]:
            continue  # an e-mail address (name@domain.tld), not "p@ssw0rd"
        if _TRAILING_DIGITS.fullmatch(word) or (
            core_end < len(plain) - 1 and plain[core_end] == "." and plain[core_end + 1].isdigit()
        ):
            continue  # a name with a version or counter: "python3", "node18", "gpt4.1"
        letters = sum(c.isalpha() for c in word)
        # "h4ck3r" and "p@ssw0rd" fold; "abc123", "v2", "mp3" and hex ids mostly do not.
        if letters < 2 or letters < len(word) / 3 or not any(c in _LEET_CHARS for c in word):
            continue
        chars[start:core_end] = word.translate(_LEET_TABLE)
    return "".join(chars)
