"""Profanity strategy: whole words, simple obfuscations, Scunthorpe-safe."""

from __future__ import annotations

import pytest

from shared.errors import ConfigError
from shared.findings import ThreatType
from shared.sanitize import build_sanitizer
from shared.sanitize.profanity import ProfanityStrategy, mask

PROFANITY = ProfanityStrategy()


def test_mask() -> None:
    assert mask("fuck") == "f***"
    assert mask("Shit") == "S***"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what the fuck", "what the f***"),
        ("WHAT THE FUCK", "WHAT THE F***"),
        ("this is bullshit!", "this is b*******!"),
        ("you motherfucker", "you m***********"),
        ("f*ck this", "f*** this"),
        ("sh1t happens", "s*** happens"),
        ("5hit happens", "5*** happens"),
        ("sh!t happens", "s*** happens"),
        ("what a b@stard", "what a b******"),
        ("f**k it", "f*** it"),
        ("fucking hell, shitty day", "f****** hell, s***** day"),
    ],
)
def test_masks_profanity(text: str, expected: str) -> None:
    result = PROFANITY.sanitize(text)
    assert result.text == expected
    assert all(i.threat_type is ThreatType.PROFANITY for i in result.issues)


@pytest.mark.parametrize(
    "text",
    [
        "Scunthorpe United won",
        "the assassin passed the class in Essex",
        "Charles Dickens and Moby Dick",
        "a cocktail in the cockpit",
        "Camille Pissarro painted",
        "shiitake mushrooms and Matsushita",
        "twatch? no: Twatt is a village; wankel engines",
    ],
)
def test_scunthorpe_and_friends(text: str) -> None:
    assert PROFANITY.find(text) == []


def test_already_masked_is_stable() -> None:
    once = PROFANITY.sanitize("fuck this shit").text
    assert once == "f*** this s***"
    assert PROFANITY.find(once) == []


def test_spans() -> None:
    text = "ok fuck ok shit"
    assert [i.span for i in PROFANITY.find(text)] == [(3, 7), (11, 15)]


def test_extra_words() -> None:
    strategy = ProfanityStrategy(extra_words=["frak"])
    assert strategy.sanitize("frak that").text == "f*** that"
    with pytest.raises(ValueError):
        ProfanityStrategy(extra_words=["a b"])
    with pytest.raises(ConfigError):
        build_sanitizer(profanity_words=["x!"])
