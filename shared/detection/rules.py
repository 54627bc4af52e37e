"""The rule engine: linear-time patterns (RE2) matched as sets.

Every rule, built-in or custom, has an id, a threat type, a severity and a
description, and is compiled with RE2, so matching time grows linearly with the
input whatever the pattern (no catastrophic backtracking, even for patterns a
customer uploads). The rules of one view of the text are compiled into ``re2.Set``s
of :data:`SET_CHUNK` rules: a pass per set says which rules match, and only those are
searched again for their position.

A rule may carry ``suppress_if``: a second pattern that, when it matches near the hit
(``window`` characters around it, 80 by default), cancels it; and ``requires``: a
pattern that must match near the hit for it to count. RE2 has no look-around, and
this is how a rule says "delete all records" unless it is "how do I delete all
records", or "a network call" only when "a secret file" is read next to it.

The engine holds an immutable compiled snapshot. Custom rules and the allowlist are
replaced by building a new snapshot and swapping one reference, so updates apply at
run time without a restart and without locking the hot path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import re2

from ..errors import ErrorCode, RuleError
from ..findings import Severity, ThreatType
from ._re import compile_re
from .allowlist import compile_entry, entry_pattern, validate_entry
from .cost_probe import check_cost

View = Literal["text", "plain"]
VIEWS: tuple[View, ...] = ("text", "plain")
SUPPRESS_WINDOW = 80
#: Rules per ``re2.Set``. One set over a whole view builds a huge product DFA: every
#: unseen text pays for new states (measured 0.24 ms per 1,000 characters, p95 0.78).
#: Sets of about ten rules stay small and cut that by half or more, at 100 to 10,000
#: characters alike, for a few extra passes over warm DFAs.
SET_CHUNK = 10
_SET_MAX_MEM = 32 << 20  # per set; only an adversarial input drives a DFA near it
_ZERO_WIDTH_PROBES = ("a", "a b", " ", "ab1", "\n", "word.")
_ID = compile_re(r"^[a-z0-9][a-z0-9_.:-]{1,63}$")


@dataclass(frozen=True, slots=True)
class Rule:
    """One detection rule. ``pattern`` is RE2 syntax, matched case-insensitively."""

    id: str
    threat_type: ThreatType
    severity: Severity
    description: str
    pattern: str
    view: View = "text"
    suppress_if: str | None = None
    requires: str | None = None
    window: int = SUPPRESS_WINDOW
    examples: tuple[str, ...] = ()
    counter_examples: tuple[str, ...] = ()
    tags: frozenset[str] = frozenset()
    source: str = "builtin"

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "threat_type": self.threat_type.value,
            "severity": self.severity.value,
            "description": self.description,
            "pattern": self.pattern,
            "view": self.view,
            "suppress_if": self.suppress_if,
            "requires": self.requires,
            "window": self.window,
            "examples": list(self.examples),
            "tags": sorted(self.tags),
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class RuleHit:
    rule: Rule
    span: tuple[int, int]  # in the coordinates of the view the rule ran on


@dataclass(slots=True)
class _CompiledView:
    rules: list[Rule] = field(default_factory=list)
    regexes: list[object] = field(default_factory=list)
    suppressors: list[object | None] = field(default_factory=list)
    requirements: list[object | None] = field(default_factory=list)
    matchers: list[tuple[re2.Set, int]] = field(default_factory=list)  # (set, index of its first rule)

    def candidates(self, text: str) -> list[int]:
        """Indices (into ``rules``) of every rule whose pattern occurs in ``text``."""
        found: list[int] = []
        for matcher, offset in self.matchers:
            hits = matcher.Match(text)
            if hits:
                found.extend(offset + i for i in hits)
        return found


def _set_options() -> re2.Options:
    opts = re2.Options()
    opts.log_errors = False
    opts.max_mem = _SET_MAX_MEM
    return opts


def _ci(pattern: str) -> str:
    return f"(?i:{pattern})"


def compile_checked(pattern: str, *, what: str = "pattern", max_chars: int = 2_000) -> object:
    """Compile a pattern with RE2 or raise :class:`RuleError` saying exactly why not."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise RuleError(ErrorCode.RULE_INVALID, f"{what} must be a non-empty string")
    if len(pattern) > max_chars:
        raise RuleError(
            ErrorCode.RULE_TOO_LARGE,
            f"{what} is {len(pattern)} characters long; the limit is {max_chars}",
        )
    try:
        regex = compile_re(_ci(pattern))
    except re2.error as exc:
        reason = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if "pattern too large" in reason:
            raise RuleError(ErrorCode.RULE_TOO_LARGE, f"{what} compiles to a program larger than RE2 allows") from None
        raise RuleError(ErrorCode.RULE_INVALID, f"{what} is not valid RE2 syntax: {reason}") from None
    if regex.search("") is not None:
        raise RuleError(ErrorCode.RULE_INVALID, f"{what} matches the empty string, so it would match anything")
    for probe in _ZERO_WIDTH_PROBES:
        m = regex.search(probe)
        if m is not None and m.start() == m.end():
            raise RuleError(
                ErrorCode.RULE_INVALID,
                f"{what} can match the empty string (zero characters, e.g. a bare \\b or ^), "
                "so it would fire on almost any text",
            )
    return regex


class CompiledRules:
    """An immutable, ready-to-match snapshot of rules plus the allowlist."""

    def __init__(self, rules: Sequence[Rule], allowlist: Sequence[str] = ()) -> None:
        self.rules = tuple(rules)
        self.allowlist = tuple(allowlist)
        self._views: dict[View, _CompiledView] = {v: _CompiledView() for v in VIEWS}
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise RuleError(ErrorCode.RULE_INVALID, f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
            cv = self._views[rule.view]
            cv.rules.append(rule)
            cv.regexes.append(compile_checked(rule.pattern, what=f"rule {rule.id}", max_chars=20_000))
            cv.suppressors.append(
                compile_checked(rule.suppress_if, what=f"rule {rule.id} suppress_if", max_chars=20_000)
                if rule.suppress_if
                else None
            )
            cv.requirements.append(
                compile_checked(rule.requires, what=f"rule {rule.id} requires", max_chars=20_000)
                if rule.requires
                else None
            )
        for cv in self._views.values():
            for offset in range(0, len(cv.rules), SET_CHUNK):
                matcher = re2.Set.SearchSet(_set_options())
                for rule in cv.rules[offset : offset + SET_CHUNK]:
                    matcher.Add(_ci(rule.pattern))
                try:
                    matcher.Compile()
                except re2.error:
                    raise RuleError(ErrorCode.RULE_TOO_LARGE, "the rule set is too large to compile") from None
                cv.matchers.append((matcher, offset))
        self._allow = [compile_entry(p, max_chars=20_000) for p in self.allowlist]
        self._allow_set: re2.Set | None = None
        if self._allow:
            # One pass says which entries occur; only those are searched for their spans.
            self._allow_set = re2.Set.SearchSet(_set_options())
            for entry in self.allowlist:
                self._allow_set.Add(_ci(entry_pattern(entry)))
            try:
                self._allow_set.Compile()
            except re2.error:
                raise RuleError(ErrorCode.RULE_TOO_LARGE, "the allowlist is too large to compile") from None

    def __len__(self) -> int:
        return len(self.rules)

    def match(self, text: str, view: View) -> list[RuleHit]:
        """All rules of ``view`` that match ``text`` (first occurrence each).

        A match that touches an allowlisted phrase does not count: known-good text can
        neither trigger a rule nor lend a word to a match that extends past it. (We do
        not blank the phrases out instead: blanks can join text around them into
        matches the original never had.)
        """
        cv = self._views[view]
        if not cv.matchers or not text:
            return []
        indices = cv.candidates(text)
        if not indices:
            return []
        hits: list[RuleHit] = []
        allowed = self._allowed_spans(text) if self._allow else []
        for i in sorted(indices):
            rule = cv.rules[i]
            regex = cv.regexes[i]
            suppressor = cv.suppressors[i]
            requirement = cv.requirements[i]
            for m in regex.finditer(text):  # type: ignore[attr-defined]
                s, e = m.span()
                if suppressor is not None or requirement is not None:
                    window = text[max(0, s - rule.window) : e + rule.window]
                    if suppressor is not None and suppressor.search(window) is not None:  # type: ignore[attr-defined]
                        continue
                    if requirement is not None and requirement.search(window) is None:  # type: ignore[attr-defined]
                        continue
                if any(a_s < e and s < a_e for a_s, a_e in allowed):
                    continue
                hits.append(RuleHit(rule, (s, e)))
                break
        return hits

    def without_allowed(self, text: str) -> str:
        """``text`` with allowlisted phrases cut out, for the scorers that see whole texts.

        The classifier and the similarity index cannot ignore a span, so they are given the
        text minus the known-good phrases (joined by a space; they look at words, not at
        matches across the cut the way rules would).
        """
        if not self._allow:
            return text
        spans = sorted(self._allowed_spans(text))
        if not spans:
            return text
        parts: list[str] = []
        pos = 0
        for s, e in spans:
            if s > pos:
                parts.append(text[pos:s])
            pos = max(pos, e)
        parts.append(text[pos:])
        return " ".join(p.strip() for p in parts if p.strip())

    def _allowed_spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        present = self._allow_set.Match(text) if self._allow_set is not None else None
        for i in present or ():
            regex = self._allow[i]
            spans.extend(m.span() for m in regex.finditer(text))  # type: ignore[attr-defined]
        return spans


class RuleEngine:
    """Built-in rules plus run-time custom rules and allowlist, swapped atomically."""

    def __init__(
        self,
        builtin: Sequence[Rule],
        *,
        custom: Sequence[Rule] = (),
        allowlist: Sequence[str] = (),
        max_custom_rules: int = 500,
        max_pattern_chars: int = 2_000,
    ) -> None:
        self._builtin = tuple(builtin)
        self.max_custom_rules = max_custom_rules
        self.max_pattern_chars = max_pattern_chars
        self._lock = threading.Lock()
        self._custom: tuple[Rule, ...] = ()
        self._allowlist: tuple[str, ...] = ()
        self._snapshot = CompiledRules(self._builtin)
        self.version = 0
        if custom or allowlist:
            self.replace(custom=custom, allowlist=allowlist)

    @property
    def snapshot(self) -> CompiledRules:
        return self._snapshot

    @property
    def custom_rules(self) -> tuple[Rule, ...]:
        return self._custom

    @property
    def allowlist(self) -> tuple[str, ...]:
        return self._allowlist

    def validate_custom(self, rules: Iterable[Rule]) -> list[Rule]:
        """Check custom rules one by one; raise :class:`RuleError` naming the bad one."""
        out: list[Rule] = []
        builtin_ids = {r.id for r in self._builtin}
        installed = set(self._custom)  # already probed: a periodic re-sync does not re-time them
        seen: set[str] = set()
        for rule in rules:
            if not _ID.match(rule.id):
                raise RuleError(
                    ErrorCode.RULE_INVALID,
                    f"rule id {rule.id!r} must be 2-64 characters of a-z, 0-9, '.', '_', ':' or '-'",
                )
            if rule.id in builtin_ids or rule.id in seen:
                raise RuleError(ErrorCode.RULE_INVALID, f"rule id {rule.id!r} is already in use")
            seen.add(rule.id)
            regex = compile_checked(rule.pattern, what=f"rule {rule.id}", max_chars=self.max_pattern_chars)
            probe = rule not in installed
            if probe:
                check_cost(regex, what=f"rule {rule.id}", pattern=rule.pattern)
            for extra, label in ((rule.suppress_if, "suppress_if"), (rule.requires, "requires")):
                if extra:
                    more = compile_checked(extra, what=f"rule {rule.id} {label}", max_chars=self.max_pattern_chars)
                    if probe:
                        check_cost(more, what=f"rule {rule.id} {label}", pattern=extra)
            if not 0 <= rule.window <= 2_000:
                raise RuleError(ErrorCode.RULE_INVALID, f"rule {rule.id}: window must be 0..2000")
            out.append(rule)
        if len(out) > self.max_custom_rules:
            raise RuleError(
                ErrorCode.RULE_LIMIT,
                f"{len(out)} custom rules given; the limit is {self.max_custom_rules}",
            )
        return out

    def replace(self, *, custom: Sequence[Rule] | None = None, allowlist: Sequence[str] | None = None) -> int:
        """Validate and install new custom rules and/or allowlist; return the new version."""
        with self._lock:
            new_custom = tuple(self.validate_custom(custom)) if custom is not None else self._custom
            new_allow = tuple(allowlist) if allowlist is not None else self._allowlist
            installed = set(self._allowlist)  # already checked: a re-sync does not re-time them
            for entry in new_allow:
                if entry not in installed:
                    validate_entry(entry, max_chars=self.max_pattern_chars)
            snapshot = CompiledRules((*self._builtin, *new_custom), new_allow)
            self._custom, self._allowlist, self._snapshot = new_custom, new_allow, snapshot
            self.version += 1
            return self.version

    def usable_allowlist(self, entries: Sequence[str]) -> tuple[list[str], list[tuple[int, RuleError]]]:
        """Split stored entries into those that pass today's checks and those that do not
        (entries stored under older, laxer rules must not stop a sync)."""
        installed = set(self._allowlist)
        kept: list[str] = []
        refused: list[tuple[int, RuleError]] = []
        for i, entry in enumerate(entries):
            try:
                if entry not in installed:
                    validate_entry(entry, max_chars=self.max_pattern_chars)
            except RuleError as exc:
                refused.append((i, exc))
                continue
            kept.append(entry)
        return kept, refused

    def match(self, text: str, view: View) -> list[RuleHit]:
        return self._snapshot.match(text, view)

    def without_allowed(self, text: str) -> str:
        return self._snapshot.without_allowed(text)
