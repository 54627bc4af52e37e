"""``GET /api/metrics``: what the service has been doing, from the audit trail.

Totals, detection rate, latency percentiles and breakdowns by decision, risk level
and threat type over a recent window, computed from audit events (the same data the
workbook charts, so the numbers agree). Bounded: at most ``max_events`` events are
read; ``truncated`` says when the window held more.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from typing import Any

from .stores.base import AUDIT, Filter, Store


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return round(ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo), 3)


def compute_metrics(
    store: Store, window_minutes: int = 60, max_events: int = 20_000, *, tenant: str | None = None
) -> dict[str, Any]:
    """``tenant`` limits the events to one tenant's (``None``: every tenant, for operators)."""
    now = time.time()
    since = now - window_minutes * 60
    decisions: Counter[str] = Counter()
    levels: Counter[str] = Counter()
    threats: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    durations: list[float] = []
    total = attacks = 0
    truncated = False
    where = (Filter("at", ">=", since),) + ((Filter("tenant", "=", tenant),) if tenant is not None else ())
    for event in store.query_all(AUDIT, where=where, page_size=500, max_items=max_events + 1):
        if total >= max_events:
            truncated = True
            break
        total += 1
        decisions[event.get("decision", "unknown")] += 1
        levels[event.get("risk_level", "unknown")] += 1
        if event.get("attack"):
            attacks += 1
        threats.update(event.get("threats", []))
        rules.update(event.get("rule_ids", []))
        if isinstance(event.get("duration_ms"), int | float):
            durations.append(float(event["duration_ms"]))
    return {
        "window_minutes": window_minutes,
        "total_analyses": total,
        "attacks": attacks,
        "detection_rate": round(attacks / total, 4) if total else 0.0,
        "by_decision": dict(decisions),
        "by_risk_level": dict(levels),
        "by_threat": dict(threats.most_common()),
        "top_rules": dict(rules.most_common(10)),
        "latency_ms": {
            "p50": _percentile(durations, 0.5),
            "p95": _percentile(durations, 0.95),
            "p99": _percentile(durations, 0.99),
        },
        "truncated": truncated,
        "generated_at": now,
    }
