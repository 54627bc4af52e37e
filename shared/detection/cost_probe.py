"""Upload-time cost probe for patterns written by callers (custom rules, regex allowlist entries).

RE2 is linear in the input, but not cheap for every pattern: nested counted repeats such as
``(((aa)+|\\w{1,32})+){1,30}$`` blow up its DFA, RE2 falls back to the NFA and pays 15-40 us
per character (0.4-0.8 s on one 10,000-character prompt). Such a pattern only shows its cost
when the input lets it run to its anchor, so the probes are long runs of the characters the
pattern can consume, each tried so that they *end the input* (``$``, ``\\z``), end before a
newline (multi-line ``$``), stop at a foreign character, and start the input (``^``).

Refusal is by measured cost per character: a pattern that needs more than
:data:`MAX_US_PER_CHAR` on any probe (best of :data:`TRIES`, plus :data:`PER_MATCH_US` for
each match found) is refused. The built-in rules run
at 0.01-0.05 us per character on these probes and the catastrophic shapes at 6-40, so the
bound leaves a factor of about 100 for a loaded machine on one side and 1.2 or more on the
other. The probe itself is bounded: :data:`PROBE_CHARS` characters a string, at most
:data:`MAX_PROBES` strings, and a cap on the probing thread's CPU time
(:data:`TOTAL_BUDGET_S`) after which the pattern is refused rather than timed further.

Every time here is the probing thread's own CPU time (``time.thread_time``), not wall time:
what is measured is what the pattern costs, so a busy server (other requests holding the GIL,
other processes on the core) neither refuses an ordinary pattern nor hides a costly one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from ..errors import ErrorCode, RuleError

PROBE_CHARS = 4096
MAX_US_PER_CHAR = 5.0
#: Seconds one probe string may take (:data:`MAX_US_PER_CHAR` times its length).
PROBE_BUDGET_S = MAX_US_PER_CHAR * PROBE_CHARS / 1e6
#: Allowance per match found: yielding a match object costs the Python binding about
#: 1-5 us (a pattern that matches every character of a 4,096-character run is not slow for
#: the engine, which stops at its first unsuppressed match).
PER_MATCH_US = 20.0
TRIES = 2
MAX_PROBES = 64
TOTAL_BUDGET_S = 1.5
#: Character runs every pattern is probed with: letters, pairs, word characters, digits,
#: spaces and punctuation, mixed case (patterns are compiled case-insensitively).
_BASE_UNITS = ("a", "ab", "aab", "a1_", "a1 ", "aA_-.", "1", " \t", "a\n", "é")
#: What a run is followed or preceded by: nothing (end of input), a newline, a foreign
#: character.
_ENDINGS = ("", "\n", "!")
_META = set("()[]{}|*+?^$.\\")
_MAX_LITERALS = 8


def _literals(pattern: str) -> list[str]:
    """Literal characters of ``pattern`` (escaped punctuation included), so a probe can be
    built from what the pattern actually consumes; class escapes (``\\w``, ``\\d``) are
    covered by the base units."""
    out: list[str] = []
    i = 0
    while i < len(pattern) and len(out) < _MAX_LITERALS:
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            nxt = pattern[i + 1]
            if not nxt.isalnum() and nxt not in out:
                out.append(nxt)
            i += 2
            continue
        if ch not in _META and not ch.isspace() and ch not in out:
            out.append(ch)
        i += 1
    return out


def _fill(unit: str) -> str:
    return (unit * (PROBE_CHARS // len(unit) + 1))[:PROBE_CHARS]


def probes(pattern: str) -> Iterator[str]:
    """The probe strings for ``pattern``, at most :data:`MAX_PROBES` of them."""
    lits = _literals(pattern)
    units = list(dict.fromkeys([*_BASE_UNITS, *lits, *(["".join(lits)] if len(lits) > 1 else [])]))
    count = 0
    for unit in units:
        run = _fill(unit)
        for variant in (*(run + end for end in _ENDINGS), "!" + run):
            if count >= MAX_PROBES:
                return
            count += 1
            yield variant


def _time(regex: object, text: str) -> tuple[float, int]:
    """Seconds to find every match in ``text``, and how many there were."""
    count = 0
    started = time.thread_time()
    for _match in regex.finditer(text):  # type: ignore[attr-defined]
        count += 1
    return time.thread_time() - started, count


def check_cost(regex: object, *, what: str, pattern: str = "") -> None:
    """Refuse a compiled pattern that needs more than :data:`MAX_US_PER_CHAR` on a probe.

    ``pattern`` (the source) adds probes made of its own literal characters.
    """
    deadline = time.thread_time() + TOTAL_BUDGET_S
    for probe in probes(pattern):
        best = float("inf")
        budget = 0.0
        for _ in range(TRIES):
            took, matches = _time(regex, probe)
            budget = (MAX_US_PER_CHAR * len(probe) + PER_MATCH_US * matches) / 1e6
            best = min(best, took)
            if best <= budget or best > 4 * budget:
                break  # a second try only where noise could change the verdict
        if best > budget:
            raise RuleError(
                ErrorCode.RULE_TOO_LARGE,
                f"{what} is too expensive to match ({best * 1e6 / len(probe):.1f} us per character on a "
                f"test string; the limit is {MAX_US_PER_CHAR:.0f}); simplify nested or counted repeats",
            )
        if time.thread_time() > deadline:
            raise RuleError(
                ErrorCode.RULE_TOO_LARGE,
                f"{what} took longer than {TOTAL_BUDGET_S:.1f} s to test; simplify nested or counted repeats",
            )
