"""Custom rules and the allowlist: stored, validated, and applied at run time.

Threat-intelligence feeds and operators add rules through the manage routes. They
are validated (RE2 compiles them, size and count limits, unique ids, must not match
the empty string, the cost probe of ``detection/cost_probe.py``) before anything is
stored, kept in the ``patterns`` container (``kind`` = ``rule`` / ``allowlist``), and
picked up by every instance within ``SYNC_SECONDS`` without a restart: the engine
swaps in a new compiled snapshot.

Allowlist entries are literal phrases unless written ``re:<pattern>``; see
``detection/allowlist.py`` for the checks they pass.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt

from .detection.rules import Rule, RuleEngine
from .findings import Severity, ThreatType
from .stores.base import PATTERNS, Filter, Store

log = logging.getLogger(__name__)

SYNC_SECONDS = 30.0
ALLOWLIST_ID = "allowlist"


class CustomRuleSpec(BaseModel):
    """A custom rule as the API accepts it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=2, max_length=64, description="a-z, 0-9, '.', '_', ':' or '-'")
    threat_type: ThreatType
    severity: Severity
    description: str = Field(min_length=1, max_length=500)
    pattern: str = Field(min_length=1, max_length=20_000, description="RE2 syntax, case-insensitive")
    view: Literal["text", "plain"] = "text"
    suppress_if: str | None = Field(default=None, max_length=20_000)
    requires: str | None = Field(default=None, max_length=20_000)
    window: StrictInt = Field(default=80, ge=0, le=2_000)  # strict: JSON false is not 0
    examples: list[str] = Field(default_factory=list, max_length=20)

    def to_rule(self) -> Rule:
        return Rule(
            id=self.id,
            threat_type=self.threat_type,
            severity=self.severity,
            description=self.description,
            pattern=self.pattern,
            view=self.view,
            suppress_if=self.suppress_if,
            requires=self.requires,
            window=self.window,
            examples=tuple(self.examples),
            source="custom",
        )


def _doc(spec: CustomRuleSpec) -> dict[str, Any]:
    return {"id": spec.id, "kind": "rule", **spec.model_dump(mode="json"), "updated_at": time.time()}


def load_specs(store: Store) -> list[CustomRuleSpec]:
    docs = store.query_all(PATTERNS, pk="rule", where=(Filter("kind", "=", "rule"),))
    fields = set(CustomRuleSpec.model_fields)
    return sorted(
        (CustomRuleSpec.model_validate({k: v for k, v in d.items() if k in fields}) for d in docs),
        key=lambda s: s.id,
    )


def load_allowlist(store: Store) -> list[str]:
    doc = store.read(PATTERNS, "allowlist", ALLOWLIST_ID)
    return list(doc.get("entries", [])) if doc else []


def replace_rules(store: Store, engine: RuleEngine, specs: list[CustomRuleSpec]) -> int:
    """Validate the whole set, install it locally, then persist it. Returns the version."""
    version = engine.replace(custom=[s.to_rule() for s in specs])
    keep = {s.id for s in specs}
    for spec in specs:
        store.upsert(PATTERNS, _doc(spec))
    for old in load_specs(store):
        if old.id not in keep:
            store.delete(PATTERNS, "rule", old.id)
    return version


def upsert_rule(store: Store, engine: RuleEngine, spec: CustomRuleSpec) -> int:
    current = {r.id: r for r in engine.custom_rules}
    current[spec.id] = spec.to_rule()
    version = engine.replace(custom=list(current.values()))
    store.upsert(PATTERNS, _doc(spec))
    return version


def delete_rule(store: Store, engine: RuleEngine, rule_id: str) -> bool:
    remaining = [r for r in engine.custom_rules if r.id != rule_id]
    existed = store.delete(PATTERNS, "rule", rule_id)
    if existed or len(remaining) != len(engine.custom_rules):
        engine.replace(custom=remaining)
        return True
    return False


def replace_allowlist(store: Store, engine: RuleEngine, entries: list[str]) -> int:
    version = engine.replace(allowlist=entries)
    store.upsert(PATTERNS, {"id": ALLOWLIST_ID, "kind": "allowlist", "entries": entries, "updated_at": time.time()})
    return version


class RuleSync:
    """Pulls stored custom rules into the engine at most every ``SYNC_SECONDS``."""

    def __init__(self, store: Store, engine: RuleEngine, interval: float = SYNC_SECONDS) -> None:
        self.store = store
        self.engine = engine
        self.interval = interval
        self._last = 0.0
        self._lock = threading.Lock()

    def maybe_sync(self, force: bool = False) -> bool:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # another thread is syncing
        try:
            self._last = now
            specs = load_specs(self.store)
            allow, refused = self.engine.usable_allowlist(load_allowlist(self.store))
            for index, exc in refused:
                # Stored under older, laxer checks: skipped, and said so (entries are operator
                # configuration, not prompt text).
                log.warning("stored allowlist entry %d is not applied: %s", index, exc.message)
            rules = [s.to_rule() for s in specs]
            if [r.to_dict() for r in rules] != [r.to_dict() for r in self.engine.custom_rules] or tuple(
                allow
            ) != self.engine.allowlist:
                self.engine.replace(custom=rules, allowlist=allow)
                return True
            return False
        finally:
            self._lock.release()
