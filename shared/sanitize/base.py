"""The one interface every sanitizer strategy implements, plus small shared helpers.

A strategy *finds* issues (spans into the text it was given, never overlapping each
other) and *sanitizes* by replacing each span with the issue's replacement. Keeping
detection and replacement separate lets the same code scan LLM output (find only)
and clean prompts (find + replace) without two code paths drifting apart.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from typing import ClassVar

from shared.errors import ErrorCode, InputError
from shared.findings import SanitizeIssue, SanitizeResult, ThreatType


def ensure_text(text: object) -> str:
    """Return ``text`` as a str that RE2 and nh3 can take, without changing its length.

    Lone surrogates (possible in a Python str decoded from JSON ``"\\ud800"``) cannot be
    encoded as UTF-8; each becomes U+FFFD so every offset stays valid.
    """
    if not isinstance(text, str):
        raise InputError(ErrorCode.VALIDATION_FAILED, "text to sanitize must be a string")
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    return text


def apply_issues(text: str, issues: Iterable[SanitizeIssue]) -> str:
    """Replace every issue span by its replacement.

    Equivalent to applying them right to left, but built in one left-to-right join so
    hundreds of issues in a long text stay linear. Spans must not overlap.
    """
    pieces: list[str] = []
    pos = 0
    for issue in sorted(issues, key=lambda i: i.span):
        start, end = issue.span
        if start < pos:
            raise ValueError("overlapping sanitize issues")
        pieces.append(text[pos:start])
        pieces.append(issue.replacement)
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


class Claims:
    """Non-overlapping half-open intervals; lets higher-priority matches win."""

    __slots__ = ("_ends", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start)
        if i > 0 and self._ends[i - 1] > start:
            return True
        return i < len(self._starts) and self._starts[i] < end

    def claim(self, start: int, end: int) -> bool:
        """Add the interval unless it overlaps one already held; say whether it was added."""
        if end <= start or self.overlaps(start, end):
            return False
        i = bisect_right(self._starts, start)
        self._starts.insert(i, start)
        self._ends.insert(i, end)
        return True


def shannon_entropy(token: str) -> float:
    """Bits per character of ``token`` (0 for an empty string)."""
    if not token:
        return 0.0
    n = len(token)
    return -sum((c / n) * math.log2(c / n) for c in Counter(token).values())


def is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def char_before(text: str, index: int) -> str:
    return text[index - 1] if index > 0 else ""


def char_after(text: str, index: int) -> str:
    return text[index] if index < len(text) else ""


class SanitizerStrategy(ABC):
    """One kind of cleaning. Subclasses set ``name``/``threat_type`` and implement ``scan``."""

    name: ClassVar[str]
    threat_type: ClassVar[ThreatType]

    def find(self, text: str) -> list[SanitizeIssue]:
        """Issues in ``text``: sorted, non-overlapping spans into ``text``."""
        text = ensure_text(text)
        if not text:
            return []
        issues = self.scan(text)
        issues.sort(key=lambda i: i.span)
        return issues

    @abstractmethod
    def scan(self, text: str) -> list[SanitizeIssue]:
        """Find issues in valid, non-empty text (spans must not overlap)."""

    def sanitize(self, text: str) -> SanitizeResult:
        text = ensure_text(text)
        issues = self.find(text)
        if not issues:
            return SanitizeResult(text=text, issues=[])
        return SanitizeResult(text=apply_issues(text, issues), issues=issues)

    def issue(self, kind: str, start: int, end: int, replacement: str) -> SanitizeIssue:
        return SanitizeIssue(threat_type=self.threat_type, kind=kind, span=(start, end), replacement=replacement)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
