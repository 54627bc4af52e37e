"""Reputation: penalties, recovery, temporary blocks, and the paged, idempotent decay job."""

from __future__ import annotations

import time

from shared.config import load_settings
from shared.decay import run_decay
from shared.reputation import Outcome, decayed, load_profile, record_outcome
from shared.stores.base import USERS, Store


def outcome(n: int, attack: bool = True, risk: float = 0.9, critical: bool = False) -> Outcome:
    return Outcome(f"req-{n}", f"p-{n}", attack, attack, risk, critical, ("prompt_injection",) if attack else ())


def test_violation_penalty_is_proportional_to_risk(store: Store) -> None:
    cfg = load_settings().reputation
    now = time.time()
    a = record_outcome(store, "hi-risk", outcome(1, risk=1.0), cfg, now)
    b = record_outcome(store, "lo-risk", outcome(2, risk=0.5), cfg, now)
    assert a.reputation == cfg.baseline - cfg.violation_penalty
    assert b.reputation == cfg.baseline - cfg.violation_penalty * 0.5
    c = record_outcome(store, "clean", outcome(3, attack=False), cfg, now)
    assert c.reputation == cfg.baseline and not c.away


def test_the_same_request_is_counted_once(store: Store) -> None:
    cfg = load_settings().reputation
    now = time.time()
    record_outcome(store, "u", outcome(1), cfg, now)
    again = record_outcome(store, "u", outcome(1), cfg, now)
    assert again.total_requests == 1 and again.violations == 1


def test_recovery_follows_the_half_life() -> None:
    cfg = load_settings().reputation
    h = cfg.half_life_hours * 3600
    assert abs(decayed(0.4, 0.0, h, cfg) - 0.7) < 1e-9
    assert abs(decayed(0.4, 0.0, 2 * h, cfg) - 0.85) < 1e-9
    # Memoryless: two steps equal one.
    assert abs(decayed(decayed(0.4, 0.0, h / 3, cfg), h / 3, h, cfg) - decayed(0.4, 0.0, h, cfg)) < 1e-9


def test_repeated_critical_findings_block_temporarily_and_the_block_expires(store: Store) -> None:
    cfg = load_settings().reputation
    now = time.time()
    for n in range(cfg.block_after_critical):
        prof = record_outcome(store, "crit", outcome(n, critical=True), cfg, now + n)
    assert prof.is_blocked(now + cfg.block_after_critical) and prof.block_count == 1
    later = now + cfg.block_minutes * 60 + 60
    assert not load_profile(store, "crit", cfg, later).is_blocked(later)


def test_decay_job_pages_idempotently_and_touches_only_users_away_from_baseline(tmp_path) -> None:
    from shared.stores.sqlite import SqliteStore

    settings = load_settings(reputation={"decay_page_size": 7})
    cfg = settings.reputation
    store = SqliteStore(str(tmp_path / "decay.sqlite3"))
    t0 = time.time() - 3600
    for i in range(30):
        record_outcome(store, f"bad-{i:02d}", outcome(i), cfg, t0)
    for i in range(20):
        record_outcome(store, f"good-{i:02d}", outcome(100 + i, attack=False), cfg, t0)
    now = t0 + cfg.half_life_hours * 3600
    report = run_decay(store, settings, now)
    assert report.examined == 30 and report.updated == 30 and report.pages >= 5
    recovered = store.read(USERS, "bad-00", "bad-00")
    expected = cfg.baseline - (cfg.baseline - (cfg.baseline - cfg.violation_penalty * 0.9)) * 0.5
    assert abs(recovered["reputation"] - expected) < 1e-9
    etags = {d["id"]: d["_etag"] for d in store.query_all(USERS)}
    second = run_decay(store, settings, now)
    assert second.updated == 0
    assert {d["id"]: d["_etag"] for d in store.query_all(USERS)} == etags  # nothing written
    store.close()


def test_interrupted_decay_run_finishes_on_the_next_run(tmp_path) -> None:
    from shared.stores.sqlite import SqliteStore

    settings = load_settings(reputation={"decay_page_size": 5})
    cfg = settings.reputation
    store = SqliteStore(str(tmp_path / "decay2.sqlite3"))
    t0 = time.time() - 3600
    for i in range(12):
        record_outcome(store, f"u{i:02d}", outcome(i), cfg, t0)
    now = t0 + 3600
    partial = run_decay(store, settings, now, max_pages=1)  # "killed" after one page
    assert partial.updated == 5
    rest = run_decay(store, settings, now)
    assert rest.updated == 7
    values = {round(d["reputation"], 9) for d in store.query_all(USERS)}
    assert len(values) == 1  # everyone ends at the same value: no user decayed twice
    store.close()


def test_full_recovery_leaves_the_away_set(tmp_path) -> None:
    from shared.stores.sqlite import SqliteStore

    settings = load_settings()
    cfg = settings.reputation
    store = SqliteStore(str(tmp_path / "decay3.sqlite3"))
    t0 = time.time() - 100 * 86400
    record_outcome(store, "old", outcome(1), cfg, t0)
    report = run_decay(store, settings, time.time())
    assert report.back_to_baseline == 1
    assert run_decay(store, settings, time.time()).examined == 0
    store.close()
