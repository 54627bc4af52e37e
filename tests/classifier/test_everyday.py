"""The hand-written everyday generators: deterministic, benign, and never the held-out list."""

from __future__ import annotations

from infra.training.everyday import _key, generate, held_out_keys, multilingual
from infra.training.pipeline_loso import dominant_script


def test_multilingual_requests_are_deterministic_benign_and_not_held_out() -> None:
    first, again = multilingual(7, 400), multilingual(7, 400)
    assert [e.text for e in first] == [e.text for e in again]
    assert len({e.text for e in first}) == len(first) > 150
    assert all(e.label == "benign" and e.family == "multilingual" for e in first)
    banned = held_out_keys()
    assert banned and not any(_key(e.text) in banned for e in first)


def test_multilingual_requests_span_many_writing_systems() -> None:
    scripts = {dominant_script(e.text) for e in multilingual(3, 1000)}
    assert {"LATIN", "CYRILLIC", "CJK", "HANGUL", "DEVANAGARI", "ARABIC", "THAI"} <= scripts


def test_everyday_draws_are_unchanged_by_the_multilingual_set() -> None:
    # the linear model's training data (everyday.generate) must not move with the transformer's extra set
    assert not any(e.family == "multilingual" for e in generate(11, 300))
