"""Function and master keys, checked the way the Functions host checks them.

* ``anonymous``: no key;
* ``function``: the function key or the master key;
* ``admin``: only the master key.

The key comes from the ``x-functions-key`` header or the ``code`` query parameter.
Keys are set with ``DEVHOST_FUNCTION_KEY`` / ``DEVHOST_MASTER_KEY`` (environment or
local.settings.json) or generated at start. Comparisons are constant time and every
candidate key is compared, so timing does not tell which key was close.
"""

from __future__ import annotations

import hmac
import os
import secrets
from dataclasses import dataclass

from .errors import DevHostError

FUNCTION_KEY_SETTING = "DEVHOST_FUNCTION_KEY"
MASTER_KEY_SETTING = "DEVHOST_MASTER_KEY"
KEY_HEADER = "x-functions-key"
KEY_QUERY = "code"


def mask(key: str) -> str:
    """What a log may show of a key: enough to tell keys apart, not enough to use one."""
    if len(key) < 12:
        return "****"
    return f"{key[:4]}…{key[-2:]} ({len(key)} chars)"


@dataclass(frozen=True)
class KeyRing:
    function_key: str
    master_key: str
    function_key_generated: bool = False
    master_key_generated: bool = False

    @classmethod
    def create(cls, function_key: str | None = None, master_key: str | None = None) -> KeyRing:
        """Explicit arguments win, then the environment, else a fresh random key."""
        fk = function_key or os.environ.get(FUNCTION_KEY_SETTING) or None
        mk = master_key or os.environ.get(MASTER_KEY_SETTING) or None
        ring = cls(
            function_key=fk or secrets.token_urlsafe(32),
            master_key=mk or secrets.token_urlsafe(32),
            function_key_generated=fk is None,
            master_key_generated=mk is None,
        )
        if hmac.compare_digest(ring.function_key.encode(), ring.master_key.encode()):
            raise DevHostError(
                f"{FUNCTION_KEY_SETTING} and {MASTER_KEY_SETTING} must differ "
                "(otherwise a function key would open admin routes)"
            )
        for name, key in ((FUNCTION_KEY_SETTING, ring.function_key), (MASTER_KEY_SETTING, ring.master_key)):
            if key != key.strip() or not key.isprintable():
                raise DevHostError(f"{name} must be printable text without surrounding spaces")
        return ring

    def authorize(self, level: str, presented: str | None) -> bool:
        """Whether ``presented`` opens a route with auth level ``level``."""
        level = level.lower()
        if level == "anonymous":
            return True
        if not presented:
            return False
        given = presented.encode("utf-8", "surrogateescape")
        is_master = hmac.compare_digest(given, self.master_key.encode())
        is_function = hmac.compare_digest(given, self.function_key.encode())
        if level == "admin":
            return is_master
        return is_master or is_function

    def describe(self) -> dict[str, str]:
        """Printable key summary: generated keys in full (the developer needs them), set ones masked."""
        return {
            "function": self.function_key if self.function_key_generated else mask(self.function_key),
            "master": self.master_key if self.master_key_generated else mask(self.master_key),
        }
