"""Input validation: refuse what we will not analyse, with a code that says why.

Refusing is itself a security decision: an over-long prompt could be an attempt to
push a payload past the analysis budget; NUL bytes and floods of control characters
confuse downstream parsers and log pipelines. Each refusal names the problem (code
and message) and never echoes the offending text back.
"""

from __future__ import annotations

from ..errors import ErrorCode, InputError

_ALLOWED_CONTROLS = frozenset("\t\n\r")
_DROP_ALLOWED = str.maketrans("", "", "\t\n\r")


def validate_text(
    text: object,
    *,
    field: str = "prompt",
    max_chars: int = 10_000,
    control_char_ratio: float = 0.1,
    allow_empty: bool = False,
) -> str:
    """Return ``text`` if it may be analysed, else raise :class:`InputError`."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                ErrorCode.INPUT_INVALID_TEXT,
                f"{field} is not valid UTF-8 (first bad byte at offset {exc.start})",
                details={"field": field, "offset": exc.start},
            ) from None
    if not isinstance(text, str):
        raise InputError(
            ErrorCode.VALIDATION_FAILED,
            f"{field} must be a string",
            details={"field": field},
        )
    if not allow_empty and not text.strip():
        raise InputError(ErrorCode.INPUT_EMPTY, f"{field} is empty", details={"field": field})
    if len(text) > max_chars:
        raise InputError(
            ErrorCode.INPUT_TOO_LONG,
            f"{field} is {len(text)} characters long; the limit is {max_chars}",
            status=413,
            details={"field": field, "length": len(text), "limit": max_chars},
        )
    if "\x00" in text:
        raise InputError(
            ErrorCode.INPUT_NULL_BYTE,
            f"{field} contains a NUL byte at offset {text.index(chr(0))}",
            details={"field": field, "offset": text.index("\x00")},
        )
    # Lone surrogates cannot be encoded: they come from broken clients or crafted JSON.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(
            ErrorCode.INPUT_INVALID_TEXT,
            f"{field} contains an unpaired surrogate at offset {exc.start}",
            details={"field": field, "offset": exc.start},
        ) from None
    # Fast path in C: most text is printable once tabs and newlines are set aside.
    if text and not text.isprintable() and not text.translate(_DROP_ALLOWED).isprintable():
        controls = sum(1 for c in text if (ord(c) < 32 or 0x7F <= ord(c) < 0xA0) and c not in _ALLOWED_CONTROLS)
        if controls >= 8 and controls / len(text) > control_char_ratio:
            raise InputError(
                ErrorCode.INPUT_CONTROL_CHARS,
                f"{field} is {100 * controls / len(text):.0f}% control characters "
                f"(limit {100 * control_char_ratio:.0f}%)",
                details={"field": field, "control_chars": controls},
            )
    return text
