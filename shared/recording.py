"""What one analysis leaves behind in the store.

* ``prompts``: metadata of the prompt (ids, keyed hash, decision, risk, threats);
  the text itself only when ``privacy.store_prompt_text`` is on (which requires the
  consent flag). Expires after ``privacy.retention_days`` (document TTL).
* ``audit``: one event per analysis: input hash, user, risk, threats, action,
  duration. Same retention.
* Both carry the ``tenant`` (``shared/tenancy.py``): ``user_id`` is already tenant-scoped.
* ``users``: the sender's profile, updated with ETag concurrency (``reputation.py``).

Writes are not fire-and-forget: a failure raises (the HTTP layer turns it into a
503 with a stable code) rather than silently dropping the audit trail.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .findings import ATTACK_THREATS, Decision
from .reputation import Outcome, Snapshot, UserProfile, record_outcome
from .stores.base import AUDIT, PROMPTS, Store
from .tenancy import tenant_of

if TYPE_CHECKING:
    from .config import Settings
    from .pipeline import AnalysisResult


def record_analysis(
    store: Store,
    settings: Settings,
    result: AnalysisResult,
    prompt_text: str,
    now: float,
    profile_snapshot: Snapshot | None = None,
) -> UserProfile:
    """Write the prompt, audit and profile documents of one analysis (``profile_snapshot``:
    the profile as the SafetyAgent read it, so a quiet user's profile is read once)."""
    ttl = settings.privacy.retention_days * 86_400
    attack_threats = sorted({f.threat_type.value for f in result.threats if f.threat_type in ATTACK_THREATS})
    rule_ids = sorted({f.rule_id for f in result.threats})
    prompt_doc = {
        "id": result.prompt_id,
        "user_id": result.user_id,
        "tenant": tenant_of(result.user_id),
        "request_id": result.request_id,
        "input_hash": result.input_hash,
        "length": len(prompt_text),
        "decision": result.decision.value,
        "attack": result.attack,
        "risk": round(result.risk, 4),
        "risk_level": result.risk_level.value,
        "threats": attack_threats,
        "rule_ids": rule_ids,
        "at": now,
        "ttl": ttl,
    }
    if settings.privacy.store_prompt_text and settings.privacy.consent:
        prompt_doc["text"] = prompt_text
    store.upsert(PROMPTS, prompt_doc)
    store.upsert(
        AUDIT,
        {
            "id": result.request_id,
            "user_id": result.user_id,
            "tenant": tenant_of(result.user_id),
            "input_hash": result.input_hash,
            "prompt_id": result.prompt_id,
            "decision": result.decision.value,
            "attack": result.attack,
            "risk": round(result.risk, 4),
            "risk_level": result.risk_level.value,
            "threats": attack_threats,
            "rule_ids": rule_ids,
            "duration_ms": round(result.analysis_ms, 3),
            "at": now,
            "ttl": ttl,
        },
    )
    from .pipeline import critical

    outcome = Outcome(
        request_id=result.request_id,
        prompt_id=result.prompt_id,
        attack=result.attack,
        blocked=result.decision == Decision.BLOCK,
        risk=result.risk,
        critical=critical(result),
        threats=tuple(attack_threats),
    )
    profile = record_outcome(store, result.user_id, outcome, settings.reputation, now, profile_snapshot)
    from . import telemetry

    telemetry.record_reputation(profile.reputation)
    # A block starts on the request that completed the series of critical findings.
    just_blocked = profile.is_blocked(now) and outcome.critical and not profile.critical_events
    if just_blocked:
        from .secrets import keyed_hash

        telemetry.record_user_blocked(keyed_hash("user:" + result.user_id))
    return profile
