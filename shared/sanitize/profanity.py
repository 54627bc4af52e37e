"""Profanity: a small, deliberately conservative word list, masked as ``f***``.

Matching is whole-word and case-insensitive, so "Scunthorpe", "assassin", "class",
"Dickens", "cocktail" or "Pissarro" are never touched. Words that are also ordinary
English or names (ass, cock, dick, pussy, prick...) are left out; only their
unambiguous compounds are listed. Simple obfuscations are caught: a ``*`` or a symbol
standing for an inner letter (``f*ck``, ``sh!t``, ``b@stard``) and digits for letters
(``sh1t``, ``5hit``). Drawn-out letters (``fuuuck``) are not folded here; the
normalisation stage does that. The first and last characters must be letters or
digits, so an already masked ``f***`` never matches again.

The list is short on purpose; deployments that need more pass ``extra_words``.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.findings import SanitizeIssue, ThreatType

from .base import SanitizerStrategy
from .regex import LazyRegex

#: Root word -> endings that still make it the same swear word.
WORDS: dict[str, tuple[str, ...]] = {
    "fuck": ("", "s", "ed", "er", "ers", "ing", "in", "face", "head", "heads", "wit", "wits", "off"),
    "motherfuck": ("er", "ers", "ing", "in"),
    "shit": ("", "s", "ty", "tier", "tiest", "head", "heads", "hole", "holes", "ting", "ted", "load"),
    "bullshit": ("", "s", "ting", "ter", "ters"),
    "bitch": ("", "es", "y", "ing", "ed"),
    "bastard": ("", "s"),
    "asshole": ("", "s"),
    "arsehole": ("", "s"),
    "dumbass": ("", "es"),
    "jackass": ("", "es"),
    "smartass": ("", "es"),
    "cunt": ("", "s"),
    "twat": ("", "s"),
    "wank": ("", "s", "er", "ers", "ing", "ed"),
    "bollocks": ("",),
    "dickhead": ("", "s"),
    "piss": ("", "ed", "es", "ing"),
    "slut": ("", "s", "ty"),
    "whore": ("", "s"),
    "douchebag": ("", "s"),
    "goddamn": ("", "ed", "it"),
    "cocksucker": ("", "s"),
}

# Stand-ins a writer uses for a letter: digits may appear anywhere, symbols only inside.
_DIGITS = {"a": "4", "b": "8", "e": "3", "g": "9", "i": "1", "l": "1", "o": "0", "s": "5", "t": "7"}
_SYMBOLS = {"a": "@", "c": "(", "i": "!|", "s": "$", "t": "+", "u": "v"}


def _char_class(letter: str, edge: bool) -> str:
    members = letter + _DIGITS.get(letter, "")
    if not edge:
        members += _SYMBOLS.get(letter, "") + "*"
    escaped = "".join("\\" + ch if not ch.isalnum() else ch for ch in members)
    return f"[{escaped}]" if len(members) > 1 else escaped


def _word_pattern(word: str) -> str:
    last = len(word) - 1
    return "".join(_char_class(ch, i in (0, last)) for i, ch in enumerate(word))


def _build_pattern(words: Iterable[str]) -> str:
    alternatives = sorted({_word_pattern(w) for w in words}, key=len, reverse=True)
    return r"(?i)\b(?:" + "|".join(alternatives) + r")\b"


def _expand(words: dict[str, tuple[str, ...]]) -> list[str]:
    return [root + ending for root, endings in words.items() for ending in endings]


_DEFAULT = LazyRegex(_build_pattern(_expand(WORDS)))


def mask(word: str) -> str:
    """Keep the first character, star the rest: ``Shit`` -> ``S***``."""
    return word[:1] + "*" * (len(word) - 1)


class ProfanityStrategy(SanitizerStrategy):
    """Mask profanity as first letter + asterisks."""

    name = "profanity"
    threat_type = ThreatType.PROFANITY

    def __init__(self, extra_words: Iterable[str] = ()) -> None:
        extra = sorted({w.strip().lower() for w in extra_words if w and w.strip()})
        for word in extra:
            if not (word.isascii() and word.isalpha() and len(word) >= 3):
                raise ValueError(f"profanity words must be ASCII letters, 3+ long: {word!r}")
        self._pattern = _DEFAULT if not extra else LazyRegex(_build_pattern(_expand(WORDS) + extra))

    def scan(self, text: str) -> list[SanitizeIssue]:
        return [self.issue("profanity", m.start(), m.end(), mask(m.group())) for m in self._pattern.finditer(text)]
