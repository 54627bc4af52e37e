"""Request quotas per (tenant, user) and per tenant: the app's second line behind APIM.

A sliding one-minute window per key (the current minute's count plus the previous
minute's, weighted by how much of it still overlaps), kept in process (bounded LRU). A
fixed window would let a caller send twice the limit across a minute boundary. In Azure,
APIM enforces the real limit per subscription key across instances; this protects each
instance from one noisy caller and returns the ``X-RateLimit-*`` headers.
"""

from __future__ import annotations

import math
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
        self._windows: OrderedDict[str, tuple[int, int, int]] = OrderedDict()

    def check(self, user_id: str, cost: int = 1, now: float | None = None) -> Quota:
        """Spend ``cost`` of ``user_id``'s quota if it fits; the quota after the attempt."""
        return self._quota(user_id, cost, now)

    def peek(self, user_id: str | None, now: float | None = None) -> Quota:
        """The quota ``user_id`` has left, without spending any of it (``None``: a sender
        not yet known, who has the whole limit)."""
        return self._quota(user_id, 0, now)

    def _quota(self, user_id: str | None, cost: int, now: float | None) -> Quota:
        now = time.time() if now is None else now
        window = int(now // WINDOW_SECONDS)
        reset = (window + 1) * WINDOW_SECONDS
        if self.per_minute <= 0:  # 0 = unlimited
            return Quota(True, 0, 0, reset)
        overlap = 1.0 - (now % WINDOW_SECONDS) / WINDOW_SECONDS  # share of the previous minute still inside
        used = previous = 0
        with self._lock:
            if user_id is not None:
                start, used, previous = self._windows.get(user_id, (window, 0, 0))
                if start != window:
                    previous = used if start == window - 1 else 0
                    used = 0
            if cost == 0:  # a peek: nothing spent, nothing stored
                spent = math.ceil(previous * overlap + used)
                return Quota(spent < self.per_minute, self.per_minute, self.per_minute - spent, reset)
            allowed = previous * overlap + used + cost <= self.per_minute
            if allowed:
                used += cost
            assert user_id is not None
            self._windows[user_id] = (window, used, previous)
            self._windows.move_to_end(user_id)
            while len(self._windows) > MAX_TRACKED_USERS:
                self._windows.popitem(last=False)
        return Quota(allowed, self.per_minute, self.per_minute - math.ceil(previous * overlap + used), reset)


class LoadShedder:
    """Admission control: refuse new work while the in-flight bound is reached.

    A unit is roughly one 2,000-character analysis. Queueing past the bound only makes
    every caller wait (16 parallel batches of 100 long prompts once pushed a one-line
    request to 13 s); refusing at once with 503 + ``Retry-After`` keeps the latency of
    admitted work bounded. One request is charged at most a quarter of the bound, and
    large requests (more than :attr:`SMALL_UNITS`) may fill only three quarters of it:
    the last quarter stays free for short requests, so a few huge batches cannot lock
    everyone else out. Anything is admitted when nothing else is running.
    """

    SMALL_UNITS = 4

    def __init__(self, bound: int) -> None:
        self.bound = bound
        self._lock = threading.Lock()
        self.in_flight = 0
        self.shed = 0

    def try_acquire(self, units: int) -> int:
        """The units charged (pass them to :meth:`release`), or 0 when refused."""
        charge = max(1, min(units, self.bound // 4))
        limit = self.bound if units <= self.SMALL_UNITS else self.bound - self.bound // 4
        with self._lock:
            if self.in_flight and self.in_flight + charge > limit:
                self.shed += 1
                return 0
            self.in_flight += charge
            return charge

    def release(self, charged: int) -> None:
        with self._lock:
            self.in_flight = max(0, self.in_flight - charged)
