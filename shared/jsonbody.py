"""Strict JSON decoding for everything a caller sends.

Python's ``json`` is lenient where a firewall must not be:

* **Duplicate keys**: the last one wins, while other readers (the APIM policy, most JSON
  parsers in other languages) take the first, so two components would judge different
  texts. A duplicate key is refused.
* **Huge numbers**: a 4,400-digit integer raises ``ValueError`` from Python's int-string
  conversion limit (a 500 before this module), and ``1e999`` silently becomes infinity.
  Numbers are refused outside :data:`MAX_ABS` (2**53 - 1, the range every JSON reader
  represents exactly) and longer than :data:`MAX_NUMBER_CHARS` characters.
* ``NaN`` / ``Infinity`` are not JSON at all and are refused.

Every refusal is an :class:`InputError` with code ``bad_json`` (400) and a message that
names the key when it looks like a field name, and never the value.
"""

from __future__ import annotations

import json
from typing import Any

from .detection._re import compile_re
from .errors import ErrorCode, InputError

MAX_ABS = 2**53 - 1
MAX_NUMBER_CHARS = 32
_FIELD_NAME = compile_re(r"[A-Za-z_][A-Za-z0-9_]{0,31}")


class _Refused(ValueError):
    """Raised inside the decoder's hooks; turned into an :class:`InputError` by :func:`loads`."""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            # Named only when it looks like a field name: an error never echoes caller text.
            shown = f"key {key!r}" if _FIELD_NAME.fullmatch(key) else "a key"
            raise _Refused(f"{shown} appears twice in one JSON object; each key may appear only once")
        out[key] = value
    return out


def _check_length(text: str) -> None:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number is {len(text)} characters long; the limit is {MAX_NUMBER_CHARS}")


def _int(text: str) -> int:
    _check_length(text)
    value = int(text)
    if abs(value) > MAX_ABS:
        raise _Refused(f"an integer is outside the range -{MAX_ABS}..{MAX_ABS}")
    return value


def _float(text: str) -> float:
    _check_length(text)
    value = float(text)
    if not abs(value) <= MAX_ABS:  # also catches 1e999 -> inf
        raise _Refused(f"a number is outside the range -{MAX_ABS}..{MAX_ABS}")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(object_pairs_hook=_pairs, parse_int=_int, parse_float=_float, parse_constant=_constant)


def loads(text: str | bytes, *, what: str = "request body") -> Any:
    """Decode ``text`` strictly; raise :class:`InputError` (``bad_json``) saying why not."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                ErrorCode.INPUT_INVALID_TEXT, f"{what} is not valid UTF-8 (first bad byte at offset {exc.start})"
            ) from None
    try:
        return _DECODER.decode(text)
    except _Refused as exc:
        raise InputError(ErrorCode.BAD_JSON, f"{what} refused: {exc}") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            ErrorCode.BAD_JSON, f"{what} is not valid JSON (line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise InputError(ErrorCode.BAD_JSON, f"{what} is nested too deeply") from None
    except ValueError:  # any other conversion limit of the standard library
        raise InputError(ErrorCode.BAD_JSON, f"{what} holds a value that cannot be decoded") from None
