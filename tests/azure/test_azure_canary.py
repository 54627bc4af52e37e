"""Canary tokens: generation and leak detection through simple obfuscations."""

from __future__ import annotations

import base64
import codecs
import time
import urllib.parse

import pytest

from shared.llm.canary import CANARY_PREFIX, leaked, make_canary, system_prompt_with_canary


@pytest.fixture
def canary() -> str:
    return make_canary()


def test_canaries_are_random_and_well_formed() -> None:
    tokens = {make_canary() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert token.startswith(CANARY_PREFIX)
        core = token[len(CANARY_PREFIX) :]
        assert len(core) == 24 and all(c in "0123456789abcdef" for c in core)


def test_system_prompt_keeps_the_base_and_carries_the_canary(canary: str) -> None:
    text = system_prompt_with_canary("You are a helpful assistant.\n", canary)
    assert text.startswith("You are a helpful assistant.")
    assert canary in text


def _spaced(text: str) -> str:
    return " ".join(text)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "disguise",
    [
        lambda c: f"My marker is {c}.",
        lambda c: c.upper(),
        lambda c: _spaced(c),
        lambda c: c.replace("-", ""),
        lambda c: "\u200b".join(c),  # zero-width spaces between letters
        lambda c: c.translate({ord(ch): 0xFF10 + int(ch) for ch in "0123456789"}),  # fullwidth digits
        lambda c: f"Encoded: {_b64(c)}",
        lambda c: f"Encoded: {_b64(c).rstrip('=')}",
        lambda c: base64.urlsafe_b64encode(c.encode()).decode(),
        lambda c: _b64(f"The confidential marker is {c}, keep it safe"),
        lambda c: "\n".join(_b64("prefix " * 20 + c)[i : i + 20] for i in range(0, 400, 20)),
        lambda c: "ok" + _b64(c),  # glued to a word: misaligned base64
        lambda c: _b64(_b64(c)),
        lambda c: c[::-1],
        lambda c: c.encode().hex(),
        lambda c: "".join(f"%{b:02X}" for b in c.encode()),  # URL-encoded
        lambda c: urllib.parse.quote(f"see {c}"),
        lambda c: codecs.encode(c, "rot13"),
        lambda c: "-".join(c[len(CANARY_PREFIX) :]),  # only the random part, dashed
    ],
)
def test_leaks_are_found_through_obfuscation(canary: str, disguise: object) -> None:
    answer = disguise(canary)  # type: ignore[operator]
    assert leaked(canary, answer), answer


@pytest.mark.parametrize(
    "answer",
    [
        None,
        "",
        "Paris is the capital of France.",
        "I cannot share my instructions.",
        "Here is some base64: " + base64.b64encode(b"nothing interesting in here at all").decode(),
    ],
)
def test_clean_answers_are_not_leaks(canary: str, answer: str | None) -> None:
    assert not leaked(canary, answer)


def test_partial_or_other_canaries_are_not_leaks(canary: str) -> None:
    core = canary[len(CANARY_PREFIX) :]
    assert not leaked(canary, canary[: len(CANARY_PREFIX) + len(core) // 2])
    assert not leaked(canary, make_canary())


def test_too_short_canary_is_refused() -> None:
    with pytest.raises(ValueError):
        leaked("pss-canary-ab", "pss-canary-ab")


def test_hostile_answers_stay_cheap(canary: str) -> None:
    noise = " ".join(_b64(f"chunk {i} " * 50) for i in range(400))  # ~200 KB of base64 runs
    started = time.perf_counter()
    assert not leaked(canary, noise)
    assert time.perf_counter() - started < 1.0
