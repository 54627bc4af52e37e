"""Per-user request quota: the app's second line behind APIM's rate limit.

A fixed one-minute window per user, kept in process (bounded LRU). In Azure, APIM
enforces the real limit per subscription key across instances; this protects each
instance from a single noisy user and returns the ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

WINDOW_SECONDS = 60
MAX_TRACKED_USERS = 100_000


@dataclass(frozen=True, slots=True)
class Quota:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(max(0, self.remaining)),
            "X-RateLimit-Reset": str(self.reset_epoch),
        }


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._lock = threading.Lock()
        self._windows: OrderedDict[str, tuple[int, int]] = OrderedDict()

    def check(self, user_id: str, cost: int = 1, now: float | None = None) -> Quota:
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        reset = (window + 1) * WINDOW_SECONDS
        if self.per_minute <= 0:  # 0 = unlimited
            return Quota(True, 0, 0, reset)
        with self._lock:
            start, used = self._windows.get(user_id, (window, 0))
            if start != window:
                used = 0
            allowed = used + cost <= self.per_minute
            if allowed:
                used += cost
            self._windows[user_id] = (window, used)
            self._windows.move_to_end(user_id)
            while len(self._windows) > MAX_TRACKED_USERS:
                self._windows.popitem(last=False)
        return Quota(allowed, self.per_minute, self.per_minute - used, reset)

    def peek(self, user_id: str | None, now: float | None = None) -> Quota:
        """The quota ``user_id`` has left in this window, without spending any of it
        (``None``: a sender not yet known, who has the whole limit)."""
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        reset = (window + 1) * WINDOW_SECONDS
        if self.per_minute <= 0:
            return Quota(True, 0, 0, reset)
        used = 0
        if user_id is not None:
            with self._lock:
                start, seen = self._windows.get(user_id, (window, 0))
            used = seen if start == window else 0
        return Quota(used < self.per_minute, self.per_minute, self.per_minute - used, reset)
