"""SQL-injection payload fragments inside natural text.

The principle: a fragment is injection when it *breaks out of a value*, not when it is
SQL. People paste whole statements to ask for help ("SELECT name FROM users WHERE id = 5
ORDER BY name;") and data analysts ask SQL questions; neither is touched. What is
removed (replaced by ``[SQL REMOVED]``):

* tautologies: ``' OR '1'='1``, ``" or ""="``, ``' OR a=a``, and ``OR 1=1`` without a
  quote when both sides are equal numbers or quoted literals; ``AND``/``XOR`` only
  after a breaking quote (``' AND 1=1``), since ``WHERE 1=1 AND ...`` is a common idiom;
* stacked destructive statements after ``;`` (``; DROP TABLE``, ``; DELETE FROM``,
  ``; TRUNCATE TABLE``, ``; ALTER TABLE``, ``; SHUTDOWN``, ``; EXEC xp_...``...) when the
  statement ends in a comment terminator, or when what precedes the ``;`` is not itself
  a SQL statement (``Robert'); DROP TABLE Students;``, ``105; DROP TABLE x``); a script
  of several real statements is left alone;
* ``UNION [ALL] SELECT`` after a breaking quote or a bare value, with probing signs
  (no ``FROM``, ``@@version``, ``information_schema``, ``load_file``...) or a trailing
  comment; a pasted ``SELECT ... UNION SELECT ... FROM ...`` query is left alone;
* a comment terminator straight after a quote that closes a value (``admin'--``,
  ``1'#``, ``x')/*``);
* time-based probes (``SLEEP(``, ``pg_sleep(``, ``BENCHMARK(``, ``WAITFOR DELAY``...)
  attached to a break-out: a quote, ``AND``/``OR``, ``;``, or a comma in a value list.
  ``time.sleep(5)`` in a Python question is not SQL.

Known gap: a SQL *question* that quotes a bare probe with no statement around it
("what does 1 UNION SELECT 2 return?") is treated as a probe.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.findings import SanitizeIssue, ThreatType

from .base import SanitizerStrategy
from .regex import LazyRegex, Prefilter

REPLACEMENT = "[SQL REMOVED]"

_BREAK = r"['\"`][ \t]*\)*[ \t]*"
TAUTOLOGY = LazyRegex(
    r"(?i)(" + _BREAK + r")?(\bor\b|\band\b|\bxor\b|\|\||&&)[ \t]*\(?[ \t]*"
    r"(['\"]?)([a-z0-9_]{0,32})(['\"]?)[ \t]*(==|=|<>|!=|\blike\b)[ \t]*(['\"]?)([a-z0-9_%]{0,32})(['\"]?)"
)
STACKED = LazyRegex(
    r"(?i)(" + _BREAK + r")?;[ \t\r\n]*(?:"
    r"drop[ \t]+(?:table|database|schema|view|index|procedure|function|trigger|user|login)\b"
    r"|delete[ \t]+from\b|truncate[ \t]+table\b"
    r"|alter[ \t]+(?:table|database|user|login|schema|view)\b"
    r"|shutdown\b|exec(?:ute)?[ \t]+(?:master\.|xp_|sp_|\(|@|immediate\b)|xp_cmdshell\b"
    r"|insert[ \t]+into\b|update[ \t]+[A-Za-z0-9_.\[\]`\"]+[ \t]+set\b"
    r"|create[ \t]+(?:table|user|login|database|procedure|function|trigger)\b"
    r"|grant[ \t]+(?:all|select|insert|update|delete|execute|alter)\b"
    r"|declare[ \t]+@|merge[ \t]+into\b"
    r")[^;\n]*"
)
UNION = LazyRegex(
    r"(?i)(" + _BREAK + r"|-?[0-9]+[ \t]+)?\bunion\b[ \t\r\n]+(?:all[ \t]+|distinct[ \t]+)?select\b([^;\n]*)"
)
QUOTE_COMMENT = LazyRegex(r"[A-Za-z0-9_)](['\"`][ \t]*\)*[ \t]*)(--|#|/\*)")
TIME_PROBE = LazyRegex(
    r"(?i)(" + _BREAK + r"(?:(?:and|or|xor|\|\||&&)[ \t]*|;[ \t]*(?:select[ \t]+)?)?"
    r"|\b(?:and|or|xor)[ \t]+\(?[ \t]*(?:select[ \t]*\(?[ \t]*|[0-9]+[ \t]*=[ \t]*)?"
    r"|\|\|[ \t]*|&&[ \t]*|;[ \t]*(?:select[ \t]+)?|,[ \t]*|\bselect[ \t]*\([ \t]*"
    r"|\bif[ \t]*\((?:[^,()\n]{0,60},)?[ \t]*|\border[ \t]+by[ \t]+)"
    r"(?:sleep|pg_sleep|benchmark|dbms_lock\.sleep|dbms_pipe\.receive_message|randomblob)"
    r"[ \t]*\([^()\n]*(?:\([^()\n]*\)[^()\n]*)*\)"
)
WAITFOR = LazyRegex(r"(?i)(?:['\"`)][ \t]*;?[ \t]*|;[ \t]*)waitfor[ \t]+(?:delay|time)[ \t]+'[0-9:.]+'")
SQL_CONTEXT = LazyRegex(
    r"(?is)\bselect\b.*\bfrom\b|\binsert\s+into\b|\bupdate\s+\S+\s+set\b|\bdelete\s+from\b"
    r"|\b(?:create|alter|drop)\s+(?:table|index|view|database|schema)\b|^\s*(?:begin|commit|use|set|declare|with)\b"
)
UNION_PROBE = LazyRegex(
    r"(?i)@@|information_schema|sqlite_master|pg_catalog|mysql\.user|\bsys\.[a-z_]+|load_file"
    r"|\b(?:sleep|benchmark|pg_sleep)[ \t]*\(|\b0x[0-9a-f]{4,}|\bchar[ \t]*\([ \t]*[0-9]"
    r"|\b(?:version|user|database|current_user|system_user)[ \t]*\([ \t]*\)|'[^']*'[ \t]*\|\|"
)
FROM_WORD = LazyRegex(r"(?i)\bfrom\b")

_CONTEXT_WINDOW = 2000


def _comment_end(text: str, pos: int) -> int | None:
    """End of a SQL comment terminator right after ``pos`` (a plain ``;`` is not one)."""
    end = _terminator_end(text, pos)
    return end if end is not None and text[end - 1] != ";" else None


def _terminator_end(text: str, pos: int) -> int | None:
    """End of a SQL comment terminator (or ``;``) right after ``pos`` on the same line.

    Only the terminator itself is covered (``--``, ``#``, ``/* ... */``), never the
    prose that may follow it.
    """
    i = pos
    n = len(text)
    while i < n and text[i] in " \t":
        i += 1
    semicolon = i < n and text[i] == ";"
    if semicolon:
        i += 1
        while i < n and text[i] in " \t":
            i += 1
    if text.startswith("--", i):
        follower = text[i + 2 : i + 3]
        if follower and follower not in " \t\r\n-+":
            return None  # "--x" is prose punctuation (SQL needs a space after --)
        i += 2
        while i < n and text[i] in "-+":
            i += 1
        return i
    if text.startswith("#", i):
        return i + 1
    if text.startswith("/*", i):
        close = text.find("*/", i + 2, i + 400)
        newline = text.find("\n", i + 2, i + 400)
        return close + 2 if close >= 0 and (newline < 0 or close < newline) else i + 2
    return i if semicolon else None


def _closes_literal(text: str, quote_at: int) -> bool:
    """True when an odd number of the same quotes precede ``quote_at`` on its line.

    A break-out quote is unpaired in the prompt (the application supplies its partner);
    a quote that closes a literal opened earlier on the line is ordinary code. Apostrophes
    inside words ("don't") are not counted.
    """
    quote = text[quote_at]
    floor = max(0, quote_at - 500)  # bounded look-back keeps many quotes on one line linear
    line_start = max(text.rfind("\n", floor, quote_at) + 1, floor)
    count = 0
    for i in range(line_start, quote_at):
        if text[i] == quote and not (0 < i < len(text) - 1 and text[i - 1].isalpha() and text[i + 1].isalpha()):
            count += 1
    return count % 2 == 1


def _statement_before(text: str, pos: int) -> str:
    """The text of the statement that ends at ``pos`` (back to the previous ``;``)."""
    lo = max(0, pos - _CONTEXT_WINDOW)
    prev = text.rfind(";", lo, pos)
    return text[(prev + 1 if prev >= 0 else lo) : pos]


def _is_sql_statement(segment: str) -> bool:
    return SQL_CONTEXT.search(segment) is not None


class SqlInjectionStrategy(SanitizerStrategy):
    """Cut SQL-injection break-outs out of text; leave real SQL questions alone."""

    name = "sql"
    threat_type = ThreatType.SQL_INJECTION

    def __init__(self) -> None:
        self._detectors: list[tuple[str, LazyRegex, Callable[[str, Any], tuple[int, int] | None]]] = [
            ("stacked_query", STACKED, self._check_stacked),
            ("union_select", UNION, self._check_union),
            ("time_based", TIME_PROBE, self._check_time),
            ("time_based", WAITFOR, self._with_terminator),
            ("tautology", TAUTOLOGY, self._check_tautology),
            ("quote_comment", QUOTE_COMMENT, self._check_quote_comment),
        ]
        self._prefilter = Prefilter([d[1] for d in self._detectors])

    def scan(self, text: str) -> list[SanitizeIssue]:
        candidates: list[tuple[int, int, str]] = []
        possible = self._prefilter.possible(text)
        for i, (kind, pattern, check) in enumerate(self._detectors):
            if i not in possible:
                continue
            for m in pattern.finditer(text):
                span = check(text, m)
                if span is not None and span[1] > span[0]:
                    candidates.append((span[0], span[1], kind))
        if not candidates:
            return []
        # Fragments of one payload often overlap ("' OR 1=1; DROP TABLE t--"): merge
        # them into one removal so the spans stay disjoint.
        order = {kind: i for i, (kind, _, _) in enumerate(self._detectors)}
        candidates.sort()
        merged: list[list[Any]] = []
        for start, end, kind in candidates:
            if merged and start < merged[-1][1]:
                last = merged[-1]
                last[1] = max(last[1], end)
                if order[kind] < order[last[2]]:
                    last[2] = kind
            else:
                merged.append([start, end, kind])
        return [self.issue(kind, start, end, REPLACEMENT) for start, end, kind in merged]

    # -- validators -----------------------------------------------------------------

    @staticmethod
    def _with_terminator(text: str, m: Any) -> tuple[int, int]:
        end = _terminator_end(text, m.end())
        return m.start(), end if end is not None else m.end()

    @classmethod
    def _check_stacked(cls, text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span()
        semicolon = text.index(";", start)
        if _comment_end(text, end) is None and _is_sql_statement(_statement_before(text, semicolon)):
            return None  # one statement of a script someone pasted
        terminated = _terminator_end(text, end)
        return start, terminated if terminated is not None else end

    @classmethod
    def _check_union(cls, text: str, m: Any) -> tuple[int, int] | None:
        start, end = m.span()
        lead = m.group(1) or ""
        terminated = _terminator_end(text, end)
        union_at = m.start(2) - 1
        quote_break = any(q in lead for q in "'\"`")
        if not quote_break and _comment_end(text, end) is None:
            tail_end = text.find(";", end, end + _CONTEXT_WINDOW)
            tail = text[m.start(2) : tail_end if tail_end >= 0 else min(len(text), end + _CONTEXT_WINDOW)]
            probing = UNION_PROBE.search(m.group(2)) is not None or FROM_WORD.search(tail) is None
            value_context = bool(lead) and not _is_sql_statement(_statement_before(text, union_at))
            if not probing and not value_context:
                return None
        return start, terminated if terminated is not None else end

    @staticmethod
    def _check_time(text: str, m: Any) -> tuple[int, int]:
        end = _terminator_end(text, m.end())
        return m.start(), end if end is not None else m.end()

    @staticmethod
    def _check_tautology(text: str, m: Any) -> tuple[int, int] | None:
        lead, op = m.group(1), m.group(2).lower()
        q1, left, q2, cmp, q3, right, q4 = (m.group(i) or "" for i in range(3, 10))
        cmp = cmp.lower()
        follower = text[m.end() : m.end() + 1]
        if follower and (follower.isalnum() or follower in "_%@.$"):
            return None  # the right-hand literal goes on ("'%@gmail.com'"): not what we parsed
        left_quoted = bool(q1) and bool(q2)
        if lead:
            # After a breaking quote the payload often leaves its last quote for the
            # application to close ("' and 1='1"): compare the values only.
            if not left and not right and not (q1 and q3):
                return None
        else:
            # Without a breaking quote only literal-vs-literal comparisons count, and
            # AND/XOR only with quoted literals ("WHERE 1=1 AND ..." is an idiom).
            numeric = left.isdigit() and right.isdigit() and not q1 and not q3
            quoted = left_quoted and bool(q3) and bool(q4)
            if not (quoted or (numeric and op in ("or", "||"))):
                return None
        if "%" in right:
            if cmp != "like" or right.strip("%"):
                return None
        elif cmp in ("=", "==", "like"):
            if left.lower() != right.lower():
                return None
        elif left.lower() == right.lower():
            return None  # <> / != between equal values is false, not a tautology
        end = _terminator_end(text, m.end())
        return m.start(), end if end is not None else m.end()

    @staticmethod
    def _check_quote_comment(text: str, m: Any) -> tuple[int, int] | None:
        start = m.start(1)
        marker = m.group(2)
        after = text[m.end() : m.end() + 1]
        if after in ("'", '"', "`"):
            return None  # '--' or '#' as a quoted literal
        if marker == "--" and after and after not in " \t\r\n-+;":
            return None
        if marker == "--" and m.group(1) != m.group(1).rstrip(" \t"):
            # "students' -- or rather": spaced dashes inside a sentence are punctuation;
            # a spaced SQL comment must end the line ("admin' -- ").
            line_end = text.find("\n", m.end())
            if text[m.end() : line_end if line_end >= 0 else len(text)].strip(" \t-+"):
                return None
        if marker == "#" and after.isalnum():
            return None  # "'#1" reads as a hashtag/number, not a comment
        if _closes_literal(text, start):
            return None  # list('abc')  # comment: the quote ends a literal opened on the line
        end = _terminator_end(text, m.start(2))
        return start, end if end is not None else m.end()
