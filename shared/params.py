"""Query-string values: one strict parser for every bounded integer a route accepts."""

from __future__ import annotations

from collections.abc import Mapping

from .errors import ErrorCode, InputError

#: Longer digit strings are refused before ``int()`` sees them (Python refuses to convert
#: very long ones, and nothing a route accepts needs more than nine digits).
_MAX_DIGITS = 9


def int_param(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """``params[name]`` as an integer in ``[low, high]`` (``default`` when absent), or a
    coded 400 naming the field. ASCII digits only: ``"²"`` and ``"٣"`` are digits to
    ``str.isdigit`` but not to a caller."""
    raw = params.get(name)
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and len(raw) <= _MAX_DIGITS and low <= int(raw) <= high:
        return int(raw)
    raise InputError(
        ErrorCode.VALIDATION_FAILED,
        f"{name} must be an integer from {low} to {high}",
        details={"field": name},
    )
