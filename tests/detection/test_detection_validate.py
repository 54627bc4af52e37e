"""validate_text: every refusal has its stable code, the right status, and never echoes the input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.detection.validate import validate_text
from shared.errors import ErrorCode, InputError

#: A distinctive marker placed in every refused text: it must never appear in the error.
MARK = "ZQXJ-canary-7731"


def _refusal(text: object, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        validate_text(text, **kwargs)  # type: ignore[arg-type]
    return info.value


def _assert_no_echo(err: InputError) -> None:
    body = json.dumps(err.to_dict(), ensure_ascii=False)
    assert MARK not in body
    assert MARK not in str(err)
    assert "Traceback" not in body


@pytest.mark.parametrize("text", ["", " ", "\n\t  \r\n"])
def test_empty_is_refused(text: str) -> None:
    err = _refusal(text)
    assert err.code == ErrorCode.INPUT_EMPTY
    assert err.status == 400
    assert "prompt" in err.message


def test_empty_is_accepted_when_allowed() -> None:
    assert validate_text("", allow_empty=True) == ""


def test_too_long_is_413_and_names_the_limit() -> None:
    text = MARK + "a" * 200
    err = _refusal(text, max_chars=100)
    assert err.code == ErrorCode.INPUT_TOO_LONG
    assert err.status == 413
    assert "100" in err.message and str(len(text)) in err.message
    assert err.details["limit"] == 100 and err.details["length"] == len(text)
    _assert_no_echo(err)


def test_exactly_at_the_limit_is_accepted() -> None:
    assert validate_text("b" * 100, max_chars=100) == "b" * 100


def test_default_limit_is_ten_thousand() -> None:
    assert validate_text("c" * 10_000) == "c" * 10_000
    assert _refusal("c" * 10_001).code == ErrorCode.INPUT_TOO_LONG


def test_null_byte() -> None:
    text = MARK + " before\x00after"
    err = _refusal(text)
    assert err.code == ErrorCode.INPUT_NULL_BYTE
    assert err.details["offset"] == text.index("\x00")
    _assert_no_echo(err)


def test_control_character_flood() -> None:
    text = MARK + "\x01\x02\x03\x04\x05\x06\x07\x08" * 4
    err = _refusal(text)
    assert err.code == ErrorCode.INPUT_CONTROL_CHARS
    assert err.details["control_chars"] == 32
    _assert_no_echo(err)


def test_few_control_characters_and_normal_whitespace_pass() -> None:
    # Tabs/newlines are ordinary; a couple of stray controls in long text is not a flood.
    text = "line one\tcol\r\nline two\x07 " + "words " * 50
    assert validate_text(text) == text


def test_control_ratio_is_configurable() -> None:
    text = "x" * 80 + "\x01" * 10  # 11 % control characters
    assert validate_text(text, control_char_ratio=0.5) == text
    assert _refusal(text, control_char_ratio=0.1).code == ErrorCode.INPUT_CONTROL_CHARS


def test_lone_surrogate_is_invalid_text() -> None:
    text = MARK + " broken \ud800 pair"
    err = _refusal(text)
    assert err.code == ErrorCode.INPUT_INVALID_TEXT
    assert err.details["offset"] == text.index("\ud800")
    _assert_no_echo(err)


def test_bad_utf8_bytes_are_invalid_text() -> None:
    raw = MARK.encode() + b" ok \xff\xfe tail"
    err = _refusal(raw)
    assert err.code == ErrorCode.INPUT_INVALID_TEXT
    assert err.details["offset"] == raw.index(b"\xff")
    _assert_no_echo(err)


def test_good_utf8_bytes_are_decoded() -> None:
    assert validate_text("héllo wörld".encode()) == "héllo wörld"


@pytest.mark.parametrize("value", [None, 42, 3.5, ["a"], {"text": "a"}, object()])
def test_non_strings_fail_validation(value: object) -> None:
    err = _refusal(value)
    assert err.code == ErrorCode.VALIDATION_FAILED
    assert "string" in err.message


def test_field_name_is_reported() -> None:
    err = _refusal("", field="prompt2")
    assert err.details["field"] == "prompt2"
    assert "prompt2" in err.message


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=()), max_size=60))
def test_arbitrary_text_is_accepted_or_refused_with_a_code(text: str) -> None:
    """Whatever arrives, the answer is the text itself or an InputError with a known code."""
    try:
        out = validate_text(MARK + text)
    except InputError as err:
        assert err.code in {
            ErrorCode.INPUT_EMPTY,
            ErrorCode.INPUT_NULL_BYTE,
            ErrorCode.INPUT_CONTROL_CHARS,
            ErrorCode.INPUT_INVALID_TEXT,
        }
        _assert_no_echo(err)
    else:
        assert out == MARK + text
