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
    # On the dev corpus no benign prose passes these gates at 5 or more; optimised suffixes mostly score 6+.
    severity = Severity.HIGH if score >= 6.0 else Severity.MEDIUM
    return Finding(
        ThreatType.JAILBREAK,
        "heur.adversarial_suffix",
        severity,
        f"The prompt ends in an optimiser-style token salad (suffix score {score:.1f})",
        (max(0, tail_start), len(text)),
    )


# --------------------------------------------------------------------------- planted instructions


def _is_row(line: str) -> bool:
    """A markdown table row (``line`` is stripped): a plain string test, not a regex call."""
    return len(line) >= 2 and line[0] == "|" and line[-1] == "|"


_EMAIL_MARK = compile_re(
    r"(?im)^(subject|from|to|cc|date|received date|email_from)\s*:|\|email_from:|^(hi|hello|dear) \w+"
)
_CODE_MARK = compile_re(r"(?m)^(traceback|\s*(def|class|import|from \S+ import|return|for|if|while)\b|\s*file \")")
_INSTRUCTION_LINE = compile_re(
    r"(?i)^\W*(how|what|what's|why|where|who|which|when|can you|could you|would you|will you|tell|give|show|list|"
    r"write|explain|describe|provide|create|generate|make|help|print|say|output|send|find|teach|outline|draft|"
    r"compose|suggest|share|reveal|translate|analy[sz]e|classify|determine|summari[sz]e|add|append|include|insert|"
    r"integrate|incorporate|modify|change|alter|rewrite|replace|remove|render|encrypt|encode|use|apply|reply|respond|"
    r"answer|enhance|augment|combine|scramble|rearrange|convert|ignore|disregard|forget|please)\b|\?\s*$"
)
_ADDRESSES_REPLY = compile_re(r"(?i)\byour (reply|replies|response|responses|answer|answers|message|output|summary)\b")
_QUESTION_PREFIX = compile_re(r"(?i)^\s*(q|question)\s*[:.]")


def _document_kind(lines: list[str], text: str) -> str | None:
    rows = sum(1 for line in lines if _is_row(line))
    if rows >= 3:
        return "table"
    if _EMAIL_MARK.search(text):
        return "email"
    if len(_CODE_MARK.findall(text)) >= 3:
        return "code"
    return None


# Lines that only frame the pasted document ("summarise this e-mail") and the stock
# closing lines of e-mails are the user's or the sender's own: never planted.
_FRAMING = compile_re(
    r"(?i)\b(this|the|that|these|following|below|above|attached|my)\s+(e-?mails?|messages?|tables?|code|snippet|"
    r"text|documents?|data|letter|thread|script|function|program|rows?|columns?)\b|"
    r"\b(here's|here is|here are|below is|below are)\b"
)
_BOILERPLATE = compile_re(
    r"(?i)\b(let (us|me) know|feel free|do not hesitate|don't hesitate|contact us|reply to this|questions or concerns|"
    r"unsubscribe|privacy policy|terms of (use|service)|view (it )?in (your|a) browser|find out more|learn more)\b"
)
# The sender's own asides speak in the first person ("are we still on for Friday?").
_FIRST_PERSON = compile_re(r"(?i)\b(i|i'm|i've|me|my|we|we're|us|our)\b")
# fmt: off
_COMMON = frozenset((
    "this", "that", "with", "from", "your", "have", "will", "would", "could", "should", "there", "their", "they",
    "them", "what", "when", "where", "which", "while", "about", "into", "than", "then", "these", "those", "been",
    "being", "were", "does", "just", "also", "only", "more", "most", "some", "such", "very", "here", "please",
    "thank", "thanks", "know", "like", "make", "sure", "need", "want", "find", "information", "question",
    "questions",
))
# fmt: on


# Everything but ASCII letters becomes a space: one C-level pass instead of a regex scan.
_LETTERS_ONLY = bytes(c if 97 <= c <= 122 else 32 for c in range(256))


def _stems(text: str) -> set[str]:
    """Content-word stems (first five letters) of ``text``: crude, language-light, cheap."""
    words = text.lower().encode("ascii", "replace").translate(_LETTERS_ONLY).decode("ascii").split()
    return {w[:5] for w in words if len(w) >= 4 and w not in _COMMON}


class _Vocabulary:
    """Which content stems each line has, and in how many lines: "does any *other* line
    share a stem with line n" in time proportional to line n, not to the document."""

    def __init__(self, lines: list[str]) -> None:
        self.per_line = [_stems(line) for line in lines]
        self.lines_with: dict[str, int] = {}
        for stems in self.per_line:
            for stem in stems:
                self.lines_with[stem] = self.lines_with.get(stem, 0) + 1

    def unrelated(self, n: int) -> bool:
        own = self.per_line[n]
        return bool(own) and all(self.lines_with[stem] == 1 for stem in own)


def planted_instruction(text: str) -> Finding | None:
    """An instruction planted inside a document the user pasted (indirect injection).

    Documents (tables, e-mails, code) carry data plus, usually in their last line, the
    user's question. A line in the *middle* of the data that is itself an instruction or
    a question is out of place; one that tells the reader how to shape "your reply" is
    the classic indirect injection. Tables are strict about shape, so any stray
    instruction line counts there. In e-mails a request counts when it is aimed at the
    reply or shares no content word with the rest of the message (a task slipped in
    from elsewhere: "describe the life cycle of a butterfly" inside a payment notice).
    Code is left to the reply-aimed test: questions about the code are its normal prose.
    """
    if "\n" not in text:
        return None
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) < 3:
        return None
    kind = _document_kind(lines, text)
    if kind is None:
        return None
    body = lines[:-1]  # the last line is where users put their question
    asks_at_end = bool(_INSTRUCTION_LINE.search(lines[-1]) or _QUESTION_PREFIX.match(lines[-1]))
    candidates: list[tuple[int, str, bool, bool]] = []
    vocabulary: _Vocabulary | None = None  # built on first need: most documents have no candidate
    for n, line in enumerate(body):
        if kind == "table" and _is_row(line):
            continue
        words = line.split()
        if not 3 <= len(words) <= 45:
            continue
        # A line about "your answer" is an order whatever its verb ("misspell every ...").
        aimed = _ADDRESSES_REPLY.search(line) is not None
        if not aimed and not _INSTRUCTION_LINE.search(line):
            continue
        if _QUESTION_PREFIX.match(line) or _FRAMING.search(line):
            continue  # the user's own question, or a line that frames the document
        unrelated = False
        if kind != "code" and len(words) >= 4 and not _BOILERPLATE.search(line) and not _FIRST_PERSON.search(line):
            vocabulary = vocabulary or _Vocabulary(lines)
            unrelated = vocabulary.unrelated(n)
        if aimed or kind == "table" or unrelated:
            candidates.append((n, line, aimed, unrelated))
    if candidates and candidates[0][0] == 0 and not asks_at_end:
        candidates = candidates[1:]  # the user asked first and pasted the document after
    if not candidates:
        return None
    n, line, _, _ = candidates[0]
    aimed = any(c[2] for c in candidates)
    unrelated = any(c[3] for c in candidates)
    # An unrelated *order* is the strong sign; an unrelated question can be the sender's aside.
    foreign_order = any(c[3] and not c[1].endswith("?") for c in candidates)
    start = text.find(line)
    # Between two table rows nothing but rows belongs: a sentence there was put there.
    inside_table = kind == "table" and 0 < n < len(body) - 1 and _is_row(body[n - 1]) and _is_row(body[n + 1])
    # Two requests, one of them planted: a foreign order next to the user's own question
    # at the end, or any order in a table (whose only prose should be that question).
    foreign = asks_at_end and (foreign_order or kind == "table")
    severity = Severity.HIGH if aimed or inside_table or foreign or len(candidates) > 1 else Severity.MEDIUM
    if aimed:
        why = " and tells the model how to shape its reply"
    elif unrelated:
        why = " and has nothing to do with the rest of it"
    else:
        why = " where only data belongs"
    return Finding(
        ThreatType.PROMPT_INJECTION,
        "heur.planted_instruction",
        severity,
        f"An instruction sits inside pasted {kind} data{why}",
        (start, start + len(line)) if start >= 0 else None,
    )
