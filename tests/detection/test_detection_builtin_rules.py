"""Every built-in rule matches its own examples and none of its counter-examples.

Matching goes through ``normalize()`` and both views exactly as the detector does it
(``text`` view for language rules, ``plain`` view for code-shaped ones), so a rule
whose example only works on raw text, or a counter-example that only slips through
because of a view mismatch, fails here.
"""

from __future__ import annotations

import pytest

from shared.detection.builtin_rules import all_builtin_rules, builtin_rules
from shared.detection.normalize import normalize
from shared.detection.rules import VIEWS, CompiledRules, Rule
from shared.findings import ATTACK_THREATS, Severity

RULES = all_builtin_rules()
_SINGLE: dict[str, CompiledRules] = {}


def _single(rule: Rule) -> CompiledRules:
    if rule.id not in _SINGLE:
        _SINGLE[rule.id] = CompiledRules([rule])
    return _SINGLE[rule.id]


def _hits(rule: Rule, text: str) -> list[str]:
    norm = normalize(text)
    compiled = _single(rule)
    out = []
    for view in VIEWS:
        out.extend(h.rule.id for h in compiled.match(norm.text if view == "text" else norm.plain, view))
    return out


EXAMPLES = [pytest.param(r, ex, id=f"{r.id}[{i}]") for r in RULES for i, ex in enumerate(r.examples)]
COUNTER = [pytest.param(r, ex, id=f"{r.id}[{i}]") for r in RULES for i, ex in enumerate(r.counter_examples)]


@pytest.mark.parametrize(("rule", "example"), EXAMPLES)
def test_rule_matches_its_examples(rule: Rule, example: str) -> None:
    assert _hits(rule, example) == [rule.id]


@pytest.mark.parametrize(("rule", "example"), COUNTER)
def test_rule_ignores_its_counter_examples(rule: Rule, example: str) -> None:
    assert _hits(rule, example) == []


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_is_documented(rule: Rule) -> None:
    """Id, threat type, severity, description, at least one example and one near miss."""
    assert rule.id and rule.id == rule.id.lower()
    assert rule.threat_type in ATTACK_THREATS
    assert isinstance(rule.severity, Severity)
    assert len(rule.description) >= 15
    assert rule.examples, "every rule needs an example it must match"
    assert rule.counter_examples, "every rule needs a near miss it must not match"
    assert rule.view in VIEWS


def test_rule_ids_are_unique() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))


def test_every_attack_threat_has_rules() -> None:
    covered = {r.threat_type for r in RULES}
    assert covered == set(ATTACK_THREATS)


_STRONG = [r for r in RULES if r.severity.rank >= Severity.HIGH.rank and not r.tags]


@pytest.mark.parametrize("rule", _STRONG, ids=[r.id for r in _STRONG])
def test_high_severity_examples_block_at_the_default_level(rule: Rule, analyze) -> None:
    """The severity guide: a high or critical rule is a clear attack on its own."""
    for example in rule.examples:
        result = analyze(example)
        assert result.decision.value == "block", (example, result.explanation)
        assert rule.id in result.evidence["rule_ids"] and rule.id not in result.explanation


def test_disabling_a_set_removes_its_rules() -> None:
    enabled = {"sql_injection": False, "xss": False}
    ids = {r.id for r in builtin_rules(enabled)}
    assert not any(i.startswith(("sqli.", "xss.")) for i in ids)
    assert any(i.startswith("pi.") for i in ids)


def test_presets_add_their_rule_packs() -> None:
    default = {r.id for r in builtin_rules()}
    healthcare = {r.id for r in builtin_rules(preset="healthcare")}
    finance = {r.id for r in builtin_rules(preset="finance")}
    assert "reg.phi_bulk_request" in healthcare - default
    assert "reg.financial_bulk_request" in finance - default
    assert "reg.phi_bulk_request" not in finance
    assert "reg.compliance_bypass" in healthcare & finance


def test_examples_are_flagged_by_the_detector(pipeline) -> None:
    """End to end: each rule example makes the full detector report that rule."""
    missing = []
    for rule in RULES:
        if "healthcare" in rule.tags or "finance" in rule.tags:
            continue
        for example in rule.examples:
            found = {f.rule_id for f in pipeline.detector.detect(example).findings}
            if rule.id not in found:
                missing.append((rule.id, example))
    assert missing == []
