"""XSS: markup that can run script or load content, cleaned with nh3 (ammonia).

Running an HTML sanitizer over a whole prompt would escape every ``<`` and ``&`` and
rewrite harmless text, so this strategy works on *islands*: comments, complete
``<script>``/``<style>`` elements, and single tags, found with one RE2 scan. Each island
with something that could be dangerous is cleaned twice by nh3, once with a
"keep everything" configuration and once with the safe one; only when the two differ
was something actually removed, and only then is the island replaced (by the safe
output) and reported. Everything else, including benign tags like ``<b>``, is left
byte-for-byte as written.

What counts as removed: complete script and style elements; event-handler attributes
with a value; ``srcdoc``; ``javascript:``/``vbscript:``/``data:`` (any scheme outside
ammonia's default allowlist) in URL-bearing attributes; ``style`` values with
``expression``/``url(``/``javascript``/bindings; attribute values that contain markup
(mutation-XSS); loader tags (iframe, object, embed, base, meta, link, form, svg, math,
noscript, template...) when written with attributes or as a live element; comments
containing markup or conditional-comment syntax.

Decided on purpose: a dangerous tag written *bare in prose*, e.g. "how do I escape
<script> tags in Django?", is a mention, not markup: when no matching closing tag
follows and (for ``<script>``) no code follows on the same line, the text is left
alone and nothing is reported. ``<script>alert(1)`` without a closing tag is still
removed up to the end of its line.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import Any

from shared.findings import SanitizeIssue, ThreatType

from .base import SanitizerStrategy
from .regex import LazyRegex

_ATTRS = r"(?:[^<>\"'=]|=[ \t\r\n]*\"[^\"]*\"|=[ \t\r\n]*'[^']*'|=|[\"'])*"
# Only openers and single tags: where an element or comment *ends* is looked up in
# precomputed positions, never with a lazy ".*?</script>" that would rescan the rest of
# the text for every unclosed opener (quadratic on hostile input).
ISLAND = LazyRegex(r"(?i)(<!--)|<(/?)([a-z][a-z0-9:\-]*)" + _ATTRS + r">?")
CLOSE_TAG = LazyRegex(r"(?i)</([a-z][a-z0-9:\-]*)[^<>]*(>?)")
COMMENT_RISK = LazyRegex(r"(?i)<[a-z/!?]|\[if|\[endif")
CODE_FOLLOWS = LazyRegex(r"[ \t]*[A-Za-z_$][A-Za-z0-9_$]*[ \t]*[(=.\[]")
TRAILING_CLOSE = LazyRegex(r"(?:</[a-z][a-z0-9:\-]*>)+$")
MARKUP_IN_VALUE = LazyRegex(r"<[A-Za-z/!?]")

#: Elements that load or run content, or re-parse their content (mutation XSS).
# fmt: off
DANGEROUS_TAGS = frozenset({
    "applet", "base", "bgsound", "body", "embed", "form", "frame", "frameset", "head", "html", "iframe",
    "ilayer", "import", "layer", "link", "math", "meta", "noembed", "noframes", "noscript", "object",
    "param", "plaintext", "portal", "script", "style", "svg", "template", "textarea", "title", "xmp",
})
# fmt: on

#: Tags nh3 may keep in the safe output (ammonia's defaults plus common layout/media tags).
# fmt: off
SAFE_TAGS = frozenset({
    "a", "abbr", "acronym", "address", "area", "article", "aside", "audio", "b", "bdi", "bdo", "big",
    "blockquote", "br", "button", "caption", "center", "cite", "code", "col", "colgroup", "data", "dd",
    "del", "details", "dfn", "div", "dl", "dt", "em", "fieldset", "figcaption", "figure", "font",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "i", "img", "input", "ins",
    "kbd", "label", "legend", "li", "main", "map", "mark", "menu", "meter", "nav", "ol", "optgroup",
    "option", "output", "p", "picture", "pre", "progress", "q", "rp", "rt", "rtc", "ruby", "s", "samp",
    "section", "select", "small", "source", "span", "strike", "strong", "sub", "summary", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "time", "tr", "track", "tt", "u", "ul", "var",
    "video", "wbr",
})
# fmt: on

#: Attributes whose value is a URL (checked for the scheme after browser-style cleanup).
# fmt: off
URL_ATTRS = frozenset({
    "action", "archive", "background", "cite", "classid", "codebase", "data", "dynsrc", "formaction",
    "href", "icon", "itemtype", "longdesc", "lowsrc", "manifest", "ping", "poster", "profile", "src",
    "usemap", "xlink:href",
})
# fmt: on
_SRCSET_ATTRS = frozenset({"srcset", "imagesrcset"})
_STYLE_RISK = ("expression", "javascript", "vbscript", "behavior", "binding", "@import", "url(")
# fmt: off
_KEEP_EXTRA_SCHEMES = frozenset({
    "about", "blob", "chrome", "data", "feed", "file", "filesystem", "intent", "jar", "javascript",
    "livescript", "mhtml", "mocha", "ms-its", "ms-msdt", "res", "search-ms", "vbscript", "view-source",
})
# fmt: on


_C0_AND_SPACE = "".join(chr(i) for i in range(0x21))


def _url_scheme(value: str) -> str | None:
    """The scheme a browser would see: C0 controls and spaces trimmed, tabs/newlines dropped."""
    cleaned = "".join(ch for ch in value.strip(_C0_AND_SPACE) if ch not in "\t\n\r")
    colon = cleaned.find(":")
    if colon <= 0:
        return None
    head = cleaned[:colon]
    if any(ch in head for ch in "/?#"):
        return None
    return head.lower()


def _strip_css_comments(value: str) -> str:
    out: list[str] = []
    pos = 0
    while True:
        start = value.find("/*", pos)
        if start < 0:
            out.append(value[pos:])
            return "".join(out)
        out.append(value[pos:start])
        end = value.find("*/", start + 2)
        if end < 0:
            return "".join(out)
        pos = end + 2


class _Cleaners:
    """The two nh3 configurations, built once on first use."""

    def __init__(self) -> None:
        import nh3

        self.safe_schemes = frozenset(nh3.ALLOWED_URL_SCHEMES)
        self.keep = nh3.Cleaner(
            tags={"span"},
            clean_content_tags=set(),
            generic_attribute_prefixes={""},
            url_schemes=set(self.safe_schemes | _KEEP_EXTRA_SCHEMES),
            link_rel=None,
            strip_comments=False,
        )
        self.safe = nh3.Cleaner(
            tags=set(SAFE_TAGS),
            clean_content_tags={"script", "style"},
            generic_attribute_prefixes={""},
            url_schemes=set(self.safe_schemes),
            link_rel=None,
            strip_comments=True,
            attribute_filter=self._filter,
        )

    def _filter(self, tag: str, attr: str, value: str) -> str | None:
        name = attr.lower()
        if name.startswith("on") and value.strip():
            return None
        if name in ("srcdoc", "formaction") or name.startswith("xmlns"):
            return None
        if MARKUP_IN_VALUE.search(value) is not None:
            return None
        if name == "style":
            if "\\" in value or "&#" in value:
                return None  # CSS escapes only serve to hide what the style does
            squashed = "".join(_strip_css_comments(value).lower().split())
            return None if any(marker in squashed for marker in _STYLE_RISK) else value
        if name in URL_ATTRS:
            scheme = _url_scheme(value)
            return None if scheme is not None and scheme not in self.safe_schemes else value
        if name in _SRCSET_ATTRS:
            for candidate in value.split(","):
                scheme = _url_scheme(candidate.strip().split(" ")[0]) if candidate.strip() else None
                if scheme is not None and scheme not in self.safe_schemes:
                    return None
        return value


_CLEANERS: _Cleaners | None = None


def _cleaners() -> _Cleaners:
    global _CLEANERS
    if _CLEANERS is None:
        _CLEANERS = _Cleaners()
    return _CLEANERS


class _CloseIndex:
    """Where comments and elements end, from one scan of the text (lookups are O(log n))."""

    def __init__(self, text: str) -> None:
        self._comment_ends: list[int] = []
        at = text.find("-->")
        while at >= 0:
            self._comment_ends.append(at + 3)
            at = text.find("-->", at + 3)
        self._last: dict[str, int] = {}
        self._starts: dict[str, list[int]] = {}  # complete closing tags only (with ">")
        self._ends: dict[str, list[int]] = {}
        for m in CLOSE_TAG.finditer(text):
            name = m.group(1).lower()
            self._last[name] = m.start()
            if m.group(2):
                self._starts.setdefault(name, []).append(m.start())
                self._ends.setdefault(name, []).append(m.end())

    def comment_end_after(self, pos: int) -> int | None:
        """End of the first ``-->`` that starts at or after ``pos``."""
        i = bisect_left(self._comment_ends, pos + 3)
        return self._comment_ends[i] if i < len(self._comment_ends) else None

    def element_end_after(self, name: str, pos: int) -> int | None:
        """End of the first complete ``</name ...>`` at or after ``pos``."""
        starts = self._starts.get(name, [])
        i = bisect_left(starts, pos)
        return self._ends[name][i] if i < len(starts) else None

    def closed_later(self, name: str, pos: int) -> bool:
        return self._last.get(name, -1) > pos


class HtmlStrategy(SanitizerStrategy):
    """Remove script/handler/dangerous-URL markup; leave harmless text and tags untouched."""

    name = "html"
    threat_type = ThreatType.XSS

    def scan(self, text: str) -> list[SanitizeIssue]:
        if "<" not in text:
            return []
        cleaners = _cleaners()
        closes = _CloseIndex(text)
        verdicts: dict[str, bool] = {}  # per call only: hostile input repeats one tag many times
        issues: list[SanitizeIssue] = []
        pos = 0  # end of the last island: matches inside it are skipped
        for m in ISLAND.finditer(text):
            start, end = m.span()
            if start < pos:
                continue
            if m.group(1) is not None:
                close = closes.comment_end_after(end)
                if close is None:
                    continue  # unterminated: hides text, runs nothing
                if COMMENT_RISK.search(text[end : close - 3]) is not None:
                    issues.append(self.issue("html_comment", start, close, cleaners.safe.clean(text[start:close])))
                pos = close
                continue
            if m.group(2):  # a closing tag: browsers ignore attributes there
                continue
            tag = m.group(3).lower()
            island = m.group()
            rest = island[1 + len(m.group(3)) :]
            has_attrs = bool(rest.strip().strip("/>").strip())
            terminated = island.endswith(">")
            if tag in ("script", "style") and terminated:
                element_end = closes.element_end_after(tag, end)
                if element_end is not None:
                    kind = "script_element" if tag == "script" else "style_element"
                    issues.append(self.issue(kind, start, element_end, cleaners.safe.clean(text[start:element_end])))
                    pos = element_end
                    continue
            if tag in DANGEROUS_TAGS:
                if not has_attrs:
                    if tag == "script" and CODE_FOLLOWS.match(text[end : end + 80]) is not None:
                        line_end = text.find("\n", end)
                        end = len(text) if line_end < 0 else line_end
                        issues.append(self.issue("unclosed_script", start, end, ""))
                        pos = end
                        continue
                    if not closes.closed_later(tag, start):
                        continue  # a mention in prose, not live markup
                cleaned = cleaners.safe.clean(island if terminated else island + ">")
                issues.append(self.issue("dangerous_tag", start, end, self._trim(cleaned)))
                pos = end
                continue
            if not has_attrs:
                continue
            # Compare on a neutral carrier tag so table/body/unknown tags (dropped by an
            # HTML fragment parser) still have their attributes judged.
            carrier = "<span" + rest + ("" if terminated else ">")
            harmless = verdicts.get(carrier)
            if harmless is None:
                harmless = verdicts[carrier] = cleaners.keep.clean(carrier) == cleaners.safe.clean(carrier)
            if harmless:
                continue
            cleaned = cleaners.safe.clean(island if terminated else island + ">")
            issues.append(self.issue("unsafe_attribute", start, end, self._trim(cleaned)))
            pos = end
        return issues

    @staticmethod
    def _trim(cleaned: str) -> str:
        """Drop the closing tags nh3 adds to a lone opening tag (the text has its own)."""
        m: Any = TRAILING_CLOSE.search(cleaned)
        return cleaned[: m.start()] if m is not None else cleaned
