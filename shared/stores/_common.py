"""Checks and helpers both backends share, so they accept and refuse the same input.

Cosmos enforces some limits server-side (id characters, ``ttl`` values, 2 MB items);
SQLite would accept anything. Checking here, before either backend sees the document,
keeps the two stores interchangeable: a document that works locally works in Azure.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from ..errors import ErrorCode
from .base import PARTITION_KEYS, Doc, Filter, OrderBy, StoreError

#: Cosmos DB's item size limit; enforced for both backends.
MAX_DOC_BYTES = 2 * 1024 * 1024
MAX_ID_CHARS = 255
MAX_PK_CHARS = 1024
#: Largest page a caller may ask for.
MAX_PAGE = 1000
#: How many ``(pk, id)`` pairs sharing the boundary sort value a continuation token may carry.
MAX_TIE_KEYS = 256
_ID_FORBIDDEN = frozenset("/\\?#")
_MAX_TTL = 2_147_483_647


class InvalidDocument(StoreError):
    """The document cannot be stored (bad id, partition key, ttl, size or JSON)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(ErrorCode.VALIDATION_FAILED, message)


class InvalidContinuation(StoreError):
    """The continuation token is malformed or belongs to a different query."""

    status = 400

    def __init__(self) -> None:
        super().__init__(ErrorCode.VALIDATION_FAILED, "invalid continuation token")


def pk_field(container: str) -> str:
    """The partition-key field of ``container``; ``ValueError`` for unknown containers."""
    try:
        return PARTITION_KEYS[container]
    except KeyError:
        raise ValueError(f"unknown container {container!r}") from None


def check_pk(pk: str) -> None:
    if not isinstance(pk, str) or not pk or len(pk) > MAX_PK_CHARS:
        raise InvalidDocument(f"partition key must be a non-empty string of at most {MAX_PK_CHARS} chars")


def check_key(pk: str, doc_id: str) -> None:
    check_pk(pk)
    if not isinstance(doc_id, str) or not doc_id or len(doc_id) > MAX_ID_CHARS:
        raise InvalidDocument(f"id must be a non-empty string of at most {MAX_ID_CHARS} chars")
    if any(ch in _ID_FORBIDDEN or ord(ch) < 0x20 for ch in doc_id):
        raise InvalidDocument("id must not contain '/', '\\\\', '?', '#' or control characters")


def ttl_of(doc: Doc) -> int | None:
    """The document's ``ttl`` in seconds (``None``: never expires). Cosmos rules: -1 or 1..2^31-1."""
    ttl = doc.get("ttl")
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not (ttl == -1 or 1 <= ttl <= _MAX_TTL):
        raise InvalidDocument("ttl must be -1 or a positive integer number of seconds")
    return None if ttl == -1 else ttl


def clean(container: str, doc: Doc) -> tuple[Doc, str, str, str]:
    """Validate ``doc`` for ``container``.

    Returns ``(document without reserved keys, pk, id, JSON text)``.
    """
    if not isinstance(doc, dict):
        raise InvalidDocument("a document must be a JSON object")
    field = pk_field(container)
    out = {k: v for k, v in doc.items() if not (isinstance(k, str) and k.startswith("_"))}
    if field not in out:
        raise InvalidDocument(f"{container} documents need the partition key field {field!r}")
    pk, doc_id = out[field], out.get("id")
    check_key(pk, doc_id)  # type: ignore[arg-type]
    ttl_of(out)
    try:
        text = json.dumps(out, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:  # before ValueError, its base class
        raise InvalidDocument("document contains invalid Unicode (an unpaired surrogate)") from None
    except (TypeError, ValueError) as exc:
        raise InvalidDocument(f"document is not valid JSON ({type(exc).__name__})") from None
    if size > MAX_DOC_BYTES:
        raise InvalidDocument(f"document is {size} bytes; the limit is {MAX_DOC_BYTES}")
    return out, pk, doc_id, text


def check_query(where: tuple[Filter, ...], order_by: OrderBy | None, limit: int) -> None:
    """Refuse what one backend could answer and the other could not."""
    for f in where:
        if not isinstance(f, Filter):
            raise ValueError("where must contain Filter objects")
        if f.field.startswith("_"):
            raise ValueError(f"cannot filter on reserved field {f.field!r}")
        if isinstance(f.value, str) and "\x00" in f.value:
            # SQLite's JSON functions stop at NUL; refuse rather than answer differently.
            raise ValueError("filter strings must not contain NUL")
    if order_by is not None:
        if not isinstance(order_by, OrderBy):
            raise ValueError("order_by must be an OrderBy")
        if order_by.field.startswith("_"):
            raise ValueError(f"cannot order by reserved field {order_by.field!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must be an integer in 1..{MAX_PAGE}")


def type_rank(value: Any) -> int | None:
    """Sort rank of a JSON scalar as Cosmos orders mixed types: bool < number < string."""
    if isinstance(value, bool):
        return 1
    if isinstance(value, int | float):
        return 2
    if isinstance(value, str):
        return 3
    return None


def fingerprint(
    backend: str, container: str, pk: str | None, where: tuple[Filter, ...], order_by: OrderBy | None
) -> str:
    """Identifies a query so a token from another query is refused instead of misused."""
    shape = [
        backend,
        container,
        pk,
        [[f.field, f.op, type_rank(f.value), f.value] for f in where],
        None if order_by is None else [order_by.field, order_by.descending],
    ]
    raw = json.dumps(shape, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
    return hashlib.sha256(raw).hexdigest()[:16]


def encode_token(query_id: str, key: Any) -> str:
    raw = json.dumps({"q": query_id, "k": key}, ensure_ascii=True, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode("ascii")).decode("ascii").rstrip("=")


def decode_token(token: str, query_id: str) -> Any:
    """The key stored in ``token``; :class:`InvalidContinuation` if it is not ours or not this query's."""
    if not isinstance(token, str) or len(token) > 200_000:
        raise InvalidContinuation()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
    except (binascii.Error, ValueError):
        raise InvalidContinuation() from None
    if not isinstance(data, dict) or data.get("q") != query_id or "k" not in data:
        raise InvalidContinuation()
    return data["k"]
