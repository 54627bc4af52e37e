"""Composable sanitizers (SPEC section 3, item 8) and the detect-only scan used on LLM output (item 9).

A :class:`Sanitizer` runs its strategies one after another, always in this order:

1. ``html``      - markup first: a ``<script>`` element is removed whole, so later
                   strategies neither waste work on its code nor half-replace it, and a
                   ``javascript:`` URL inside an attribute is reported as XSS.
2. ``sql``       - injection break-outs next, so the quotes and comment markers they
                   rely on are gone before content strategies look at the text.
3. ``secrets``   - credentials before PII and URLs, so a key is replaced as one unit (a
                   40-character token is not half-eaten as a phone number or card, and
                   ``?api_key=...`` in a URL becomes ``?api_key=[SECRET]``).
4. ``urls``      - before PII, so an IP host or ``user:pass@`` inside a URL is judged as a
                   URL signal (and defanged) rather than redacted piecemeal.
5. ``pii``       - emails, phones, cards, IBANs, national ids, IPs in what remains.
6. ``profanity`` - last: a swear word inside an email or URL has already gone with it.

Issue spans always point into the *original* text. Each strategy sees the output of
the previous one; an offset map (two int arrays, one entry per current character)
translates its spans back. A replacement that a later strategy cuts into maps to the
whole original span it replaced, so spans of different strategies may nest or overlap
(an email inside a removed ``<script>``); within one strategy they never do. Issues
are returned sorted by span.

The pass over all strategies repeats until nothing changes (at most
``MAX_PASSES`` times), because removing a fragment can join the text around it into a
new one (``<scr<script></script>ipt>``). That makes ``sanitize`` idempotent:
sanitizing its own output finds nothing. If markup is still being removed on the last
pass, every remaining tag opener ``<`` is escaped as ``&lt;`` (fail closed).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

from shared.errors import ConfigError
from shared.findings import SanitizeIssue, SanitizeResult, ThreatType

from .base import SanitizerStrategy, apply_issues, ensure_text
from .html import HtmlStrategy
from .pii import PiiStrategy
from .profanity import ProfanityStrategy
from .regex import LazyRegex
from .secrets import SecretsStrategy
from .sql import SqlInjectionStrategy
from .urls import UrlStrategy

__all__ = [
    "KINDS",
    "HtmlStrategy",
    "PiiStrategy",
    "ProfanityStrategy",
    "Sanitizer",
    "SanitizerStrategy",
    "SecretsStrategy",
    "SqlInjectionStrategy",
    "UrlStrategy",
    "build_sanitizer",
    "get_sanitizer",
    "set_sanitizer",
]

#: Strategy names in the fixed order they run (see the module docstring for why).
KINDS: tuple[str, ...] = ("html", "sql", "secrets", "urls", "pii", "profanity")

_ALIASES = {
    "xss": "html",
    "sql_injection": "sql",
    "secret": "secrets",
    "url": "urls",
    "suspicious_url": "urls",
}

MAX_PASSES = 4
TAG_OPENER = LazyRegex(r"<[A-Za-z/!?]")


class _OffsetMap:
    """Where each position of the current text came from in the original.

    ``starts[i]`` is the original offset for a span starting at current position ``i``
    and ``ends[j]`` the original offset for a span ending at ``j``; characters of a
    replacement map to the whole original span they replaced.
    """

    __slots__ = ("ends", "starts")

    def __init__(self, length: int) -> None:
        self.starts = list(range(length + 1))
        self.ends = list(range(length + 1))

    def original(self, start: int, end: int) -> tuple[int, int]:
        if end <= start:
            return self.starts[start], self.starts[start]
        return self.starts[start], self.ends[end]

    def apply(self, issues: Sequence[SanitizeIssue]) -> None:
        """Update the map for ``issues`` (sorted, disjoint, in current coordinates)."""
        starts, ends = self.starts, self.ends
        new_starts: list[int] = []
        new_ends: list[int] = [ends[0]]
        prev = 0
        for issue in issues:
            s, e = issue.span
            new_starts.extend(starts[prev:s])
            new_ends.extend(ends[prev + 1 : s + 1])
            o_start, o_end = self.original(s, e)
            n = len(issue.replacement)
            new_starts.extend([o_start] * n)
            new_ends.extend([o_end] * n)
            prev = e
        new_starts.extend(starts[prev:])
        new_ends.extend(ends[prev + 1 :])
        self.starts, self.ends = new_starts, new_ends


class _EscapeTags(SanitizerStrategy):
    """Fail-closed last resort: escape every tag opener left after ``MAX_PASSES``."""

    name = "html_escape"
    threat_type = ThreatType.XSS

    def scan(self, text: str) -> list[SanitizeIssue]:
        return [self.issue("markup_escaped", m.start(), m.start() + 1, "&lt;") for m in TAG_OPENER.finditer(text)]


class Sanitizer:
    """Runs strategies in the fixed order; spans of every issue refer to the original text."""

    def __init__(self, strategies: Iterable[SanitizerStrategy] | None = None) -> None:
        chosen = list(strategies) if strategies is not None else _default_strategies()
        rank = {name: i for i, name in enumerate(KINDS)}
        # Known strategies run in the documented order; custom ones keep their position after them.
        self.strategies: tuple[SanitizerStrategy, ...] = tuple(
            sorted(chosen, key=lambda s: rank.get(getattr(s, "name", ""), len(KINDS)))
        )

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.strategies)

    def __repr__(self) -> str:
        return f"Sanitizer({list(self.strategies)!r})"

    def sanitize(self, text: str) -> SanitizeResult:
        """Clean ``text``; every issue's span is into ``text`` as given."""
        text = ensure_text(text)
        if not text or not self.strategies:
            return SanitizeResult(text=text, issues=[])
        current = text
        offsets: _OffsetMap | None = None
        issues: list[SanitizeIssue] = []
        html_active = False
        for _ in range(MAX_PASSES):
            changed, html_active = False, False
            for strategy in self.strategies:
                found = strategy.find(current)
                if not found:
                    continue
                changed = True
                html_active = html_active or strategy.threat_type is ThreatType.XSS
                current, offsets = self._apply(current, offsets, found, issues)
            if not changed:
                break
        else:
            if html_active:  # markup was still being peeled on the last pass: fail closed
                found = _EscapeTags().find(current)
                if found:
                    current, offsets = self._apply(current, offsets, found, issues)
        issues.sort(key=lambda i: (i.span, i.threat_type.value, i.kind))
        return SanitizeResult(text=current, issues=issues)

    def find(self, text: str) -> list[SanitizeIssue]:
        """Detect only (e.g. PII and secrets in an LLM answer).

        Identical to ``sanitize(text).issues``: the same composition decides what is an
        issue, so a scan never reports something sanitizing would not have changed.
        """
        return self.sanitize(text).issues

    @staticmethod
    def _apply(
        current: str,
        offsets: _OffsetMap | None,
        found: list[SanitizeIssue],
        issues: list[SanitizeIssue],
    ) -> tuple[str, _OffsetMap]:
        if offsets is None:
            offsets = _OffsetMap(len(current))
        for issue in found:
            issues.append(
                SanitizeIssue(
                    threat_type=issue.threat_type,
                    kind=issue.kind,
                    span=offsets.original(*issue.span),
                    replacement=issue.replacement,
                )
            )
        new_text = apply_issues(current, found)
        offsets.apply(found)
        return new_text, offsets


def _default_strategies(url_allowlist: Iterable[str] = ()) -> list[SanitizerStrategy]:
    return [
        HtmlStrategy(),
        SqlInjectionStrategy(),
        SecretsStrategy(),
        UrlStrategy(url_allowlist),
        PiiStrategy(),
        ProfanityStrategy(),
    ]


def build_sanitizer(
    kinds: Iterable[str] | None = None,
    url_allowlist: Iterable[str] = (),
    profanity_words: Iterable[str] = (),
) -> Sanitizer:
    """A sanitizer with the chosen strategies (all when ``kinds`` is None), in the fixed order.

    ``kinds`` takes the names in :data:`KINDS` or the matching threat-type values
    (``xss``, ``sql_injection``, ``secret``, ``suspicious_url``...). An unknown name is a
    configuration error, not something to ignore silently.
    """
    if isinstance(kinds, str):
        kinds = [kinds]
    wanted: set[str] = set(KINDS)
    if kinds is not None:
        wanted = set()
        for raw in kinds:
            name = _ALIASES.get(str(raw).strip().lower(), str(raw).strip().lower())
            if name not in KINDS:
                raise ConfigError(
                    f"unknown sanitizer kind {str(raw)[:40]!r}; expected one of: {', '.join(KINDS)}",
                )
            wanted.add(name)
    try:
        profanity = ProfanityStrategy(profanity_words)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    factories = {
        "html": HtmlStrategy,
        "sql": SqlInjectionStrategy,
        "secrets": SecretsStrategy,
        "urls": lambda: UrlStrategy(url_allowlist),
        "pii": PiiStrategy,
        "profanity": lambda: profanity,
    }
    return Sanitizer([factories[name]() for name in KINDS if name in wanted])


_DEFAULT: Sanitizer | None = None
_DEFAULT_LOCK = threading.Lock()


def get_sanitizer() -> Sanitizer:
    """The process-wide default (all strategies), built on first use."""
    global _DEFAULT
    if _DEFAULT is None:
        with _DEFAULT_LOCK:
            if _DEFAULT is None:
                _DEFAULT = build_sanitizer()
    return _DEFAULT


def set_sanitizer(sanitizer: Sanitizer | None) -> None:
    """Replace the default (tests, or wiring from settings); None resets to lazy default."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        _DEFAULT = sanitizer
