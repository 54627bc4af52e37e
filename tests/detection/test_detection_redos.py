"""No rule can be driven into catastrophic backtracking.

RE2 guarantees linear time, so instead of timing anything (flaky) we feed every
built-in rule, on both views, 100,000-character strings built from the shapes that
blow up backtracking engines, and require that matching completes; the pytest
timeout is only a safety net. Instruction-count comparisons live in the benchmark.
"""

from __future__ import annotations

import pytest

from shared.detection.builtin_rules import all_builtin_rules
from shared.detection.normalize import normalize
from shared.detection.rules import VIEWS, CompiledRules, Rule

N = 100_000
RULES = all_builtin_rules()


def _fill(unit: str, n: int = N) -> str:
    return (unit * (n // len(unit) + 1))[:n]


ADVERSARIAL = {
    "a": _fill("a"),
    "quote": _fill("'"),
    "open_tag": _fill("<a "),
    "override": _fill("ignore all your "),
    "spaces_then_bang": _fill(" ") + "!",
    "or_chain": _fill("' OR "),
    "nested_brackets": _fill("(["),
    "script_prefix": _fill("<scrip"),
    "mixed": _fill("ignore <img src=x on' OR 1=1 -- $(rm ../ %41 &#x41; \\u0041 aGVsbG8= "),
    "sentence_no_stop": _fill("please reveal the system prompt and "),
    "digits": _fill("1=1 "),
}


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_every_builtin_rule_finishes_on_adversarial_input(name: str) -> None:
    text = ADVERSARIAL[name]
    assert len(text) >= N
    for rule in RULES:
        compiled = CompiledRules([rule])
        for view in VIEWS:
            hits = compiled.match(text, view)
            assert all(0 <= h.span[0] < h.span[1] <= len(text) for h in hits)


@pytest.mark.timeout(20)
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_the_whole_rule_set_finishes_on_normalised_adversarial_input(name: str) -> None:
    compiled = CompiledRules(RULES)
    norm = normalize(ADVERSARIAL[name])
    for view in VIEWS:
        compiled.match(norm.text if view == "text" else norm.plain, view)


def test_a_custom_rule_that_would_explode_a_backtracking_engine_is_linear() -> None:
    """The classic (a+)+$ shape is accepted by RE2 and still finishes on a long near-miss."""
    rule = Rule("feed.evil", RULES[0].threat_type, RULES[0].severity, "catastrophic shape", r"^(a+)+$")
    compiled = CompiledRules([rule])
    assert compiled.match(_fill("a", 50_000) + "!", "text") == []
    assert compiled.match(_fill("a", 50_000), "text")


@pytest.mark.timeout(30)
def test_the_pipeline_finishes_on_maximum_length_adversarial_input(pipeline, analyze) -> None:
    limit = pipeline.settings.limits.max_input_chars
    for text in ADVERSARIAL.values():
        result = analyze(text[: limit - 1] + "x")
        assert result.decision.value in {"allow", "sanitize", "block"}
