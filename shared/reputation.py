"""User reputation: how much benefit of the doubt a sender gets.

Reputation lives in [0, 1] and starts at the baseline (1.0 by default).

* A violation (an analysis judged an attack) lowers it in proportion to the risk:
  ``r -= violation_penalty * risk``.
* Time heals: between events reputation recovers toward the baseline exponentially,
  with a configurable half-life: ``r(t) = b - (b - r0) * 0.5 ** (dt / half_life)``.
  The formula is memoryless, so applying it in one step or many gives the same value,
  and applying it twice for the same instant changes nothing (the decay timer relies
  on that to be idempotent).
* Repeated critical findings (``block_after_critical`` within
  ``critical_window_minutes``) put the user on a temporary block for
  ``block_minutes``; it expires by itself (checked on every request) and the timer
  clears the flag.
* Low reputation raises scrutiny: the block threshold drops by
  ``0.3 * (baseline - reputation)`` (see :mod:`shared.detection.scoring`).

Profiles are documents in the ``users`` container, updated only through
``Store.update`` (ETag read-modify-write), so concurrent analyses for one user never
lose a count or a violation.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from .config import ReputationSettings
from .stores.base import PARTITION_KEYS, USERS, Conflict, PreconditionFailed, Store

MAX_RECENT_VIOLATIONS = 20
MAX_APPLIED_IDS = 64
EPSILON = 1e-6


def request_token(request_id: str) -> str:
    """A short stand-in for a request id (48 bits: no collision among a profile's last 64)."""
    digest = hashlib.blake2b(request_id.encode("utf-8"), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


@dataclass(slots=True)
class UserProfile:
    user_id: str
    reputation: float = 1.0
    total_requests: int = 0
    flagged: int = 0
    blocked_requests: int = 0
    violations: int = 0
    critical_events: list[float] = field(default_factory=list)
    recent_violations: list[dict[str, Any]] = field(default_factory=list)
    blocked_until: float | None = None
    block_count: int = 0
    last_seen: float | None = None
    last_decay_at: float | None = None
    applied: list[str] = field(default_factory=list)  # tokens of the request ids already counted
    away: bool = False  # reputation below baseline or blocked: the decay timer pages on this

    @classmethod
    def new(cls, user_id: str, settings: ReputationSettings) -> UserProfile:
        return cls(user_id=user_id, reputation=settings.baseline)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> UserProfile:
        known = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
        applied = known.get("applied")
        if isinstance(applied, str):
            known["applied"] = applied.split()
        elif isinstance(applied, list):  # written before issue 14: raw request ids
            known["applied"] = [request_token(r) for r in applied]
        return cls(**known)

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["id"] = self.user_id
        # One string of short tokens: replaced on every request, the profile should not
        # carry 64 request ids as 64 indexed paths.
        doc["applied"] = " ".join(self.applied)
        return doc

    def is_blocked(self, now: float) -> bool:
        return self.blocked_until is not None and now < self.blocked_until

    def to_public(self, now: float) -> dict[str, Any]:
        """What the profile route shows (no request ids, no internals)."""
        return {
            "user_id": self.user_id,
            "reputation": round(self.reputation, 4),
            "total_requests": self.total_requests,
            "flagged": self.flagged,
            "blocked_requests": self.blocked_requests,
            "violations": self.violations,
            "recent_violations": self.recent_violations,
            "blocked": self.is_blocked(now),
            "blocked_until": self.blocked_until if self.is_blocked(now) else None,
            "block_count": self.block_count,
            "last_seen": self.last_seen,
        }


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one analysis means for its sender."""

    request_id: str
    prompt_id: str
    attack: bool
    blocked: bool
    risk: float
    critical: bool
    threats: tuple[str, ...] = ()


def decayed(reputation: float, since: float | None, now: float, settings: ReputationSettings) -> float:
    """Reputation at ``now`` after recovering toward the baseline since ``since``."""
    if since is None or now <= since:
        return reputation
    half_life_s = settings.half_life_hours * 3600.0
    gap = settings.baseline - reputation
    value = settings.baseline - gap * 0.5 ** ((now - since) / half_life_s)
    return settings.baseline if abs(settings.baseline - value) < EPSILON else value


def apply_decay(profile: UserProfile, now: float, settings: ReputationSettings) -> UserProfile:
    profile.reputation = decayed(profile.reputation, profile.last_decay_at, now, settings)
    profile.last_decay_at = now
    if profile.blocked_until is not None and now >= profile.blocked_until:
        profile.blocked_until = None
    cutoff = now - settings.critical_window_minutes * 60.0
    profile.critical_events = [t for t in profile.critical_events if t >= cutoff]
    profile.away = profile.reputation < settings.baseline - EPSILON or profile.blocked_until is not None
    return profile


def apply_outcome(profile: UserProfile, outcome: Outcome, now: float, settings: ReputationSettings) -> UserProfile:
    """Count one analysis (idempotent per ``request_id``)."""
    token = request_token(outcome.request_id)
    if token in profile.applied:
        return profile
    apply_decay(profile, now, settings)
    profile.total_requests += 1
    profile.last_seen = now
    if outcome.blocked:
        profile.blocked_requests += 1
    if outcome.attack:
        profile.flagged += 1
        profile.violations += 1
        profile.reputation = max(0.0, profile.reputation - settings.violation_penalty * outcome.risk)
        profile.recent_violations = [
            *profile.recent_violations,
            {
                "prompt_id": outcome.prompt_id,
                "at": now,
                "risk": round(outcome.risk, 4),
                "threats": list(outcome.threats),
            },
        ][-MAX_RECENT_VIOLATIONS:]
        if outcome.critical:
            profile.critical_events.append(now)
            if len(profile.critical_events) >= settings.block_after_critical and not profile.is_blocked(now):
                profile.blocked_until = now + settings.block_minutes * 60.0
                profile.block_count += 1
                profile.critical_events = []
    profile.applied = [*profile.applied, token][-MAX_APPLIED_IDS:]
    profile.away = profile.reputation < settings.baseline - EPSILON or profile.blocked_until is not None
    return profile


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A profile document as read earlier (``None``: there was none), with its ETag."""

    doc: dict[str, Any] | None


def load_profile(store: Store, user_id: str, settings: ReputationSettings, now: float) -> UserProfile:
    """The profile as of ``now`` (decay applied in memory, nothing written)."""
    return read_profile(store, user_id, settings, now)[0]


def read_profile(store: Store, user_id: str, settings: ReputationSettings, now: float) -> tuple[UserProfile, Snapshot]:
    """The profile as of ``now`` and the document it came from, so that recording the
    analysis (``record_outcome``) can update it without reading it a second time."""
    doc = store.read(USERS, user_id, user_id)
    profile = UserProfile.from_doc(doc) if doc else UserProfile.new(user_id, settings)
    return apply_decay(profile, now, settings), Snapshot(doc)


def record_outcome(
    store: Store,
    user_id: str,
    outcome: Outcome,
    settings: ReputationSettings,
    now: float,
    snapshot: Snapshot | None = None,
) -> UserProfile:
    """Apply one analysis to the stored profile with optimistic concurrency (``snapshot``:
    the profile document as the SafetyAgent read it, saving a read when still current)."""

    def mutate(doc: dict[str, Any] | None) -> dict[str, Any]:
        profile = UserProfile.from_doc(doc) if doc else UserProfile.new(user_id, settings)
        return apply_outcome(profile, outcome, now, settings).to_doc()

    if snapshot is not None:
        # First try: write over the document as the SafetyAgent read it (one read saved);
        # if it changed since, the ETag says so and the ordinary read-modify-write follows.
        new = {k: v for k, v in mutate(copy.deepcopy(snapshot.doc)).items() if not k.startswith("_")}
        new["id"] = user_id
        new[PARTITION_KEYS[USERS]] = user_id
        try:
            if snapshot.doc is None:
                return UserProfile.from_doc(store.create(USERS, new))
            return UserProfile.from_doc(store.replace(USERS, new, snapshot.doc["_etag"]))
        except (PreconditionFailed, Conflict):
            pass
    stored = store.update(USERS, user_id, user_id, mutate)
    assert stored is not None
    return UserProfile.from_doc(stored)


def decay_profile(store: Store, user_id: str, settings: ReputationSettings, now: float) -> UserProfile | None:
    """Move one stored profile to ``now`` (the timer's unit of work); None if absent."""

    def mutate(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None:
            return None
        profile = UserProfile.from_doc(doc)
        before = (profile.reputation, profile.blocked_until, profile.away, len(profile.critical_events))
        apply_decay(profile, now, settings)
        after = (profile.reputation, profile.blocked_until, profile.away, len(profile.critical_events))
        return profile.to_doc() if after != before else None

    stored = store.update(USERS, user_id, user_id, mutate)
    return UserProfile.from_doc(stored) if stored else None


def unblock(store: Store, user_id: str, settings: ReputationSettings, now: float) -> UserProfile | None:
    """Lift a temporary block early (admin route)."""

    def mutate(doc: dict[str, Any] | None) -> dict[str, Any] | None:
        if doc is None:
            return None
        profile = UserProfile.from_doc(doc)
        profile.blocked_until = None
        profile.critical_events = []
        apply_decay(profile, now, settings)
        return profile.to_doc()

    stored = store.update(USERS, user_id, user_id, mutate)
    return UserProfile.from_doc(stored) if stored else None
