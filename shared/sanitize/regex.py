"""RE2 patterns compiled once, on first use.

Every sanitizer pattern goes through :class:`LazyRegex` so that importing the package
costs nothing (cold start) and untrusted text is only ever matched by RE2, whose
matching time is linear in the input whatever the pattern.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import re2

_LOCK = threading.Lock()


def _options() -> Any:
    opts = re2.Options()
    opts.log_errors = False  # a bad pattern raises re2.error; nothing goes to stderr
    opts.max_mem = 32 << 20  # room for the larger alternations without DFA thrash
    return opts


class LazyRegex:
    """A pattern that is compiled the first time it is used (thread-safe)."""

    __slots__ = ("_compiled", "pattern")

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._compiled: Any = None

    @property
    def compiled(self) -> Any:
        compiled = self._compiled
        if compiled is None:
            with _LOCK:
                if self._compiled is None:
                    self._compiled = re2.compile(self.pattern, options=_options())
                compiled = self._compiled
        return compiled

    def finditer(self, text: str) -> Iterator[Any]:
        return self.compiled.finditer(text)

    def search(self, text: str) -> Any:
        return self.compiled.search(text)

    def match(self, text: str) -> Any:
        return self.compiled.match(text)

    def fullmatch(self, text: str) -> Any:
        return self.compiled.fullmatch(text)

    def matches(self, text: str) -> bool:
        return self.compiled.search(text) is not None


class Prefilter:
    """One ``re2.Set`` pass over the text that says which of several patterns can match.

    A strategy with a dozen detectors otherwise runs a dozen ``finditer`` scans per
    prompt, nearly all of them finding nothing; with the prefilter only the patterns
    that occur are scanned again. Built on first use; if the set cannot be compiled
    every pattern is reported as possible (same results, no speed-up).
    """

    __slots__ = ("_all", "_patterns", "_set")

    def __init__(self, patterns: list[LazyRegex]) -> None:
        self._patterns = [p.pattern for p in patterns]
        self._all = frozenset(range(len(patterns)))
        self._set: Any = None

    def _build(self) -> Any:
        with _LOCK:
            if self._set is None:
                matcher = re2.Set.SearchSet(_options())
                try:
                    for pattern in self._patterns:
                        matcher.Add(pattern)
                    matcher.Compile()
                except re2.error:
                    matcher = False
                self._set = matcher
        return self._set

    def possible(self, text: str) -> frozenset[int]:
        """Indices of the patterns that match somewhere in ``text``."""
        matcher = self._set if self._set is not None else self._build()
        if matcher is False:
            return self._all
        return frozenset(matcher.Match(text) or ())
