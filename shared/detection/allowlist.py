"""Allowlist entries: literal phrases by default, regexes only when written as such.

An allowlisted span cancels every rule match that touches it, so an entry is a hole in the
firewall: ``.+`` would let every attack through, and a slow regex would cost every request.
Hence:

* An entry is a **literal phrase**: matched case-insensitively, on word boundaries, with any
  run of whitespace standing for any other (the text it is matched against is already
  normalised). ``system prompt`` allows "System  Prompt" but not "ecosystem prompts".
* An entry written ``re:<pattern>`` is an **RE2 regex**. It goes through the same
  validation and cost probe as a custom rule (:mod:`.cost_probe`).
* Either kind is refused (``rule_invalid``, 422) when it matches everything (each of a set
  of unrelated short strings) or most of a small benign sample written here: an entry that
  broad is not a known-good phrase.

Entries stored before regexes needed the prefix are now read as literals: that can only make
them narrower and cheaper, never slower.
"""

from __future__ import annotations

from ..errors import ErrorCode, RuleError

REGEX_PREFIX = "re:"
#: Ordinary requests of the kinds the service sees, written for this check (not dataset
#: records). An entry that matches more than :data:`MAX_BENIGN_SHARE` of them is refused.
BENIGN_SAMPLE = (
    "What is the capital of France?",
    "Can you summarise this article about the history of the printing press for me?",
    "Write a short poem about autumn leaves and rain.",
    "How do I reverse a list in Python without changing the original?",
    "Translate 'good morning, how are you' into Spanish.",
    "My order number is 4471 and the parcel has not arrived yet.",
    "Explain the difference between a virus and a bacterium to a ten year old.",
    "Draft a polite email asking my manager for Friday off.",
    "What are some healthy breakfast ideas that take under ten minutes?",
    "Fix the bug in this function: def add(a, b): return a - b",
    "Give me three names for a bakery that sells sourdough.",
    "Is it safe to run a marathon two weeks after a cold?",
    "Compare the prices of the two laptops in the table below.",
    "Tell me a joke about cats.",
    "Why is the sky blue during the day and red at sunset?",
    "Please proofread: their going to the park tomorow.",
    "List the planets in order from the sun.",
    "How much water should I drink each day?",
    "Convert 72 degrees Fahrenheit to Celsius.",
    "Recommend a book similar to The Hobbit.",
)
MAX_BENIGN_SHARE = 0.5
#: Unrelated short strings: an entry that matches every one of them matches anything.
_ANYTHING = ("ok", "7", "?", "Zq", "x y", "ünï", "--", "\t.")


def is_regex(entry: str) -> bool:
    return entry.startswith(REGEX_PREFIX)


def entry_pattern(entry: str) -> str:
    """The RE2 source for one entry (a literal becomes an escaped, word-bounded phrase)."""
    import re2

    if is_regex(entry):
        return entry[len(REGEX_PREFIX) :]
    words = entry.split()
    if not words:
        return ""
    body = r"\s+".join(re2.escape(w) for w in words)
    start = r"\b" if _is_word_char(words[0][0]) else ""
    end = r"\b" if _is_word_char(words[-1][-1]) else ""
    return f"{start}{body}{end}"


def _is_word_char(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")  # RE2's \\b is ASCII-only


def compile_entry(entry: str, *, max_chars: int = 2_000) -> object:
    """Compile one entry (no cost or breadth checks: those run when entries are set)."""
    from .rules import compile_checked

    if not isinstance(entry, str) or not entry.strip():
        raise RuleError(ErrorCode.RULE_INVALID, "allowlist entry must be a non-empty string")
    what = "allowlist regex entry" if is_regex(entry) else "allowlist entry"
    if len(entry) > max_chars:
        raise RuleError(ErrorCode.RULE_TOO_LARGE, f"{what} is {len(entry)} characters long; the limit is {max_chars}")
    # A long literal grows when escaped; the limit above is on what the caller wrote.
    return compile_checked(entry_pattern(entry), what=what, max_chars=max_chars * 3)


def validate_entry(entry: str, *, max_chars: int = 2_000) -> object:
    """Compile ``entry`` and refuse it if it is slow (regexes) or far too broad (both kinds)."""
    from .cost_probe import check_cost

    regex = compile_entry(entry, max_chars=max_chars)
    label = _label(entry)
    if is_regex(entry):
        check_cost(regex, what=f"allowlist entry {label}", pattern=entry_pattern(entry))
    if all(regex.search(s) is not None for s in _ANYTHING):  # type: ignore[attr-defined]
        raise RuleError(
            ErrorCode.RULE_INVALID,
            f"allowlist entry {label} matches any text, so it would switch detection off",
        )
    hits = sum(regex.search(s) is not None for s in BENIGN_SAMPLE)  # type: ignore[attr-defined]
    if hits > MAX_BENIGN_SHARE * len(BENIGN_SAMPLE):
        raise RuleError(
            ErrorCode.RULE_INVALID,
            f"allowlist entry {label} matches {hits} of {len(BENIGN_SAMPLE)} ordinary requests; "
            "an allowlist entry must name a specific known-good phrase",
        )
    return regex


def _label(entry: str) -> str:
    return repr(entry if len(entry) <= 60 else entry[:57] + "...")
