"""MinHash signatures and LSH band keys: near-duplicates without scanning history.

Two prompts with Jaccard similarity J over their character 5-gram sets agree on each
MinHash value with probability J. We keep ``bands * rows`` values, hash each band of
``rows`` values into one key, and call two prompts *candidates* when they share any
band key. With 8 bands of 4 rows (chosen by measurement: tests/bench/lsh_curve.py) a
pair at J = 0.8 is a candidate with probability 1 - (1 - 0.8**4)**8 = 0.985, a pair at
J = 0.3 with about 0.06; half the bucket documents of the former 16 bands.

Finding the candidates of a new prompt is a point read of its ``bands`` bucket
documents: the cost does not grow with the number of stored prompts.

Band keys are keyed hashes (BLAKE2b keyed with an HMAC of the service key and the
tenant): without the key nobody who reads the store can compute the bucket of a given
text, and two tenants never share a bucket (so never a campaign).
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache

import numpy as np

from ..config import GraphSettings

SHINGLE = 5
_PRIME = np.uint64((1 << 61) - 1)


@lru_cache(maxsize=8)
def _coefficients(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Fixed, seeded hash-function coefficients (identical in every process)."""
    rng = np.random.Generator(np.random.PCG64(20261124))
    a = rng.integers(1, (1 << 61) - 1, size=n, dtype=np.uint64) | np.uint64(1)
    b = rng.integers(0, (1 << 61) - 1, size=n, dtype=np.uint64)
    return a, b


def _shingles(text: str) -> np.ndarray:
    low = " ".join(text.lower().split())
    if not low:
        return np.zeros(1, dtype=np.uint64)
    cps = np.frombuffer(low.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if cps.size < SHINGLE:
        return np.array([int(np.sum(cps * np.uint64(1315423911)))], dtype=np.uint64)
    h = np.zeros(cps.size - SHINGLE + 1, dtype=np.uint64)
    for i in range(SHINGLE):
        h = h * np.uint64(1_000_003) + cps[i : i + h.size]
    return np.unique(h)


def minhash(text: str, n: int) -> np.ndarray:
    """``n`` MinHash values of ``text``'s character 5-gram set."""
    a, b = _coefficients(n)
    shingles = _shingles(text)
    with np.errstate(over="ignore"):
        mixed = shingles[None, :] * a[:, None] + b[:, None]
        mixed ^= mixed >> np.uint64(29)
    return mixed.min(axis=1)


@lru_cache(maxsize=1024)
def _band_key(secret: bytes, scope: str) -> bytes:
    """The per-tenant key of the band hash, derived from the service's HMAC key."""
    return hmac.new(secret, b"lsh-bands:" + scope.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()


def band_keys(signature: np.ndarray, bands: int, rows: int, *, key: bytes = b"") -> list[str]:
    keys = []
    for band in range(bands):
        chunk = signature[band * rows : (band + 1) * rows].tobytes()
        keys.append(f"{band}:{hashlib.blake2b(chunk, digest_size=8, key=key).hexdigest()}")
    return keys


def signature_bands(text: str, settings: GraphSettings, scope: str = "") -> list[str]:
    """The keyed LSH band keys of ``text`` for tenant ``scope`` under the configured banding."""
    from ..secrets import hmac_key

    sig = minhash(text, settings.lsh_bands * settings.lsh_rows)
    return band_keys(sig, settings.lsh_bands, settings.lsh_rows, key=_band_key(hmac_key(), scope))


def estimated_jaccard(bands_a: list[str], bands_b: list[str]) -> float:
    """Share of bands two signatures agree on (a coarse similarity estimate)."""
    if not bands_a or len(bands_a) != len(bands_b):
        return 0.0
    return sum(x == y for x, y in zip(bands_a, bands_b, strict=True)) / len(bands_a)
