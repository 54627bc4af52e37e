"""Detectors that are not patterns: shapes of text that attacks leave behind.

``adversarial_suffix``: optimisation attacks (GCG and its successors) append a
machine-found string of tokens to a harmful request. Those suffixes look like
nothing a person types: lone brackets and exclamation marks, words glued with a
case change ("similarlyNow"), words wrapped in punctuation ("oppositeley.]("). We
score the tail of a prose prompt on those three shapes. Code and tables are skipped:
they legitimately contain the same characters.
"""

from __future__ import annotations

from ..findings import Finding, Severity, ThreatType
from ._re import compile_re
from .decode import english_score

_LONE = frozenset("[]{}()!`^")
_PUNCT = frozenset("[](){}\\*/^|`~<>=;")
_GLUED = compile_re(r"[a-z]{3,}[A-Z][a-z]|[A-Z]{3,}[a-z]{3,}|[a-z][A-Z]{2,}[a-z]")
_WRAPPED = compile_re(r"[A-Za-z]{2,}\.?[\[\](){}\\*/^|`~<>=;]{2,}|[\[\](){}\\*/^|`~<>=;!-]{2,}[A-Za-z]{2,}")
_CODE_HINT = compile_re(
    r"(?m)^\s*(def |class |import |from \S+ import|#include|public |private |function |const |let |var |"
    r"SELECT |WITH |\|.*\|\s*$|```)|(?i)\b(select|insert into|update)\b[^;]{0,400}\b(from|set|values)\b"
)
TAIL_TOKENS = 40


def suffix_score(text: str) -> float:
    """How much the last tokens of ``text`` look like an optimised adversarial suffix."""
    tokens = text.split()
    if len(tokens) < 8:
        return 0.0
    tail = tokens[-TAIL_TOKENS:]
    lone = sum(1 for t in tail if len(t) == 1 and t in _LONE)
    # Only purely alphabetic tokens count as glued: "c.sbCustId" is an identifier. Cheap
    # string tests first; the regexes only see the few tokens that could match.
    glued = 0
    wrapped = 0
    for t in tail:
        core = t.strip(".,;:!?\"'")
        if core.isalpha() and not (core.islower() or core.isupper() or core.istitle()) and _GLUED.search(core):
            glued += 1
        elif len(t) > 3 and not t.isalnum() and _PUNCT.intersection(t) and _WRAPPED.search(t):
            wrapped += 1
    repeated_lone = max((tail.count(c) for c in "[!"), default=0)
    return lone + 1.5 * glued + 1.5 * wrapped + (2.0 if repeated_lone >= 4 else 0.0)


def adversarial_suffix(text: str) -> Finding | None:
    """A finding when a prose prompt ends in an optimised-looking token salad."""
    if len(text) < 40 or _CODE_HINT.search(text):
        return None
    score = suffix_score(text)
    if score < 5.0:
        return None
    head = text[: max(40, len(text) // 2)]
    if english_score(head) < 0.12:
        return None  # not a prose request with something appended
    tail_start = len(text) - len(" ".join(text.split()[-TAIL_TOKENS:]))
    # On the dev corpus no benign prose scores 5 or more; optimised suffixes mostly score 7+.
    severity = Severity.HIGH if score >= 7.0 else Severity.MEDIUM
    return Finding(
        ThreatType.JAILBREAK,
        "heur.adversarial_suffix",
        severity,
        f"The prompt ends in an optimiser-style token salad (suffix score {score:.1f})",
        (max(0, tail_start), len(text)),
    )
