"""Queue and timer faults: redelivery, a crash part-way through a message, poison messages,
and a decay run interrupted half-way.

The dev host delivers messages with the Functions host's rules (retry after
``visibilityTimeout``, ``<queue>-poison`` after ``maxDequeueCount``), in process and through
Azurite. Faults are injected into the *store* the graph stage writes to (``FaultyStore``
wraps the real SQLite store and raises ``DependencyError`` on a chosen write), which is
exactly what an unreachable backend looks like to the code.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from reliability_support import FaultyStore, dev_host, fast_host_json, host_env, wait_until

from shared.config import load_settings
from shared.decay import run_decay
from shared.errors import DependencyError
from shared.graph.lookup import input_id, pattern_node_id, user_node_id
from shared.graph.patterns import read_pattern
from shared.reputation import Outcome, record_outcome
from shared.stores import get_store, set_store
from shared.stores.base import GRAPH, PROCESSED, USERS
from shared.stores.sqlite import SqliteStore

MAX_DEQUEUE = 5
QUEUE_BACKENDS = ["inprocess", pytest.param("azurite", marks=pytest.mark.emulator)]


def message(i: int, user: str = "q-user") -> dict[str, Any]:
    return {
        "version": 1,
        "request_id": f"r{i}",
        "prompt_id": f"qp{i}",
        "user_id": user,
        "input_hash": f"{i:032x}",
        "at": time.time(),
        "attack": True,
        "decision": "block",
        "risk": 0.95,
        "risk_level": "critical",
        "threats": ["prompt_injection"],
        "rule_ids": ["pi.fault.rule"],
        "bands": [f"b{i}-0", f"b{i}-1"],
        "embedding": None,
    }


@pytest.fixture(params=QUEUE_BACKENDS)
def faulty_host(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, FaultyStore]]:
    storage = request.getfixturevalue("azurite_server").connection_string if request.param == "azurite" else None
    with dev_host(
        host_env("embedded", tmp_path),
        queue_backend=request.param,
        storage=storage,
        host_json=fast_host_json(MAX_DEQUEUE),
    ) as host:
        faulty = FaultyStore(get_store())
        set_store(faulty)
        yield host, faulty


def queue_of(host: Any) -> str:
    return host.listeners[0].queue


def stats(host: Any) -> dict[str, Any]:
    return host.listeners[0].stats.snapshot()


def node(store: Any, node_id: str) -> dict[str, Any]:
    doc = store.read(GRAPH, node_id, node_id)
    assert doc is not None, node_id
    return doc


@pytest.mark.timeout(180)
def test_a_crash_part_way_through_a_message_is_completed_once_by_the_redelivery(
    faulty_host: tuple[Any, FaultyStore],
) -> None:
    host, store = faulty_host
    for nth in (1, 2, 3, 5, 7):  # fail at different points of the 7 writes (7: the processed mark)
        store.fail_nth_write(nth)
        host.enqueue(queue_of(host), json.dumps(message(nth)))
        host.wait_for_queues_idle(60)
        assert store.injected >= 1
    s = stats(host)
    assert s["failed"] == 5 and s["poisoned"] == 0 and s["succeeded"] == 5, s
    user = node(store, user_node_id("q-user"))
    assert user["prompts"] == 5 and user["attacks"] == 5
    pattern = read_pattern(store, pattern_node_id("pi.fault.rule"))  # summed over its shards (issue 14)
    assert pattern is not None and pattern["hits"] == 5
    for nth in (1, 2, 3, 5, 7):
        assert node(store, input_id(f"{nth:032x}"))["seen"] == 1
    assert host.poison_messages(queue_of(host)) == []


@pytest.mark.timeout(180)
def test_a_benign_message_crashing_part_way_is_completed_once_without_a_processed_marker(
    faulty_host: tuple[Any, FaultyStore],
) -> None:
    """A message that is not an attack is one batch (prompt node, user node, pattern shard
    here; point writes in order, as on Cosmos DB across partitions) and writes no processed
    marker (issue 14): the guards on its nodes are what make the redelivery count it once."""
    host, store = faulty_host
    for nth in (1, 2, 3):  # fail at each of its 3 writes
        store.fail_nth_write(nth)
        benign = {
            **message(100 + nth, user="calm-user"),
            "attack": False,
            "decision": "allow",
            "risk": 0.3,
            "risk_level": "low",
            "threats": [],
            "rule_ids": ["pii.fault.rule"],
        }
        host.enqueue(queue_of(host), json.dumps(benign))
        host.wait_for_queues_idle(60)
        assert store.injected >= 1
    s = stats(host)
    assert s["failed"] == 3 and s["poisoned"] == 0 and s["succeeded"] == 3, s
    user = node(store, user_node_id("calm-user"))
    assert user["prompts"] == 3 and user["attacks"] == 0
    pattern = read_pattern(store, pattern_node_id("pii.fault.rule"))
    assert pattern is not None and pattern["hits"] == 3
    for nth in (1, 2, 3):
        assert node(store, f"prompt:qp{100 + nth}")["decision"] == "allow"
    assert list(store.query_all(PROCESSED)) == []  # no marker: the node guards are the record
    assert host.poison_messages(queue_of(host)) == []


@pytest.mark.timeout(180)
def test_the_same_message_delivered_twice_is_applied_once(faulty_host: tuple[Any, FaultyStore]) -> None:
    """At-least-once delivery: the graph stage's idempotency key is the message id."""
    _host, store = faulty_host
    svc_body = json.dumps(message(42, user="dup-user"))
    from shared.service import get_service

    first = get_service().graph_update(svc_body, "same-id", 1)
    second = get_service().graph_update(svc_body, "same-id", 2)
    assert (first["outcome"], second["outcome"]) == ("processed", "duplicate")
    assert node(store, user_node_id("dup-user"))["prompts"] == 1
    assert store.read(PROCESSED, "same-id", "same-id") is not None


@pytest.mark.timeout(180)
def test_a_message_failing_fewer_than_max_dequeue_times_still_lands_exactly_once(
    faulty_host: tuple[Any, FaultyStore],
) -> None:
    host, store = faulty_host
    store.fail_next_writes(MAX_DEQUEUE - 1)  # the first 4 attempts each die on their first write
    host.enqueue(queue_of(host), json.dumps(message(7, user="late-user")))
    host.wait_for_queues_idle(60)
    s = stats(host)
    assert s["failed"] == MAX_DEQUEUE - 1 and s["succeeded"] == 1 and s["poisoned"] == 0, s
    assert node(store, user_node_id("late-user"))["prompts"] == 1


@pytest.mark.timeout(180)
def test_a_message_that_always_fails_lands_in_the_poison_queue_after_max_dequeue_count(
    faulty_host: tuple[Any, FaultyStore],
) -> None:
    host, store = faulty_host
    poison_body = json.dumps({**message(9, user="never"), "risk": 7})  # fails validation every time
    host.enqueue(queue_of(host), poison_body)
    store.fail_next_writes(10**6)  # and an outage for this one: it fails on the store
    host.enqueue(queue_of(host), json.dumps(message(10, user="outage-user")))
    assert wait_until(lambda: len(host.poison_messages(queue_of(host))) == 2, 60)
    store.heal()
    host.wait_for_queues_idle(30)
    s = stats(host)
    assert s["poisoned"] == 2 and s["failed"] == 2 * MAX_DEQUEUE and s["succeeded"] == 0, s
    poisoned = sorted(host.poison_messages(queue_of(host)))
    assert sorted([poison_body, json.dumps(message(10, user="outage-user"))]) == poisoned or all(
        json.loads(p)["user_id"] in ("never", "outage-user") for p in poisoned
    )
    assert store.read(GRAPH, user_node_id("never"), user_node_id("never")) is None
    # meanwhile the HTTP side kept answering
    with httpx.Client(base_url=host.base_url, headers={"x-functions-key": host.function_key}, timeout=30) as c:
        r = c.post("/api/analyze", json={"user_id": "still-here", "prompt": "hello there, how are you?"})
        assert r.status_code == 200, r.text
        tenant = c.get("/api/caller").json()["caller"]["tenant"]  # HTTP users are tenant-scoped
    host.wait_for_queues_idle(30)
    assert node(store, user_node_id(f"{tenant}~still-here"))["prompts"] == 1


# ----------------------------------------------------------------------------- the decay timer


def _seed_users(store: SqliteStore, settings: Any, now: float, n: int) -> None:
    for i in range(n):
        user = f"decay-{i:03d}"
        outcome = Outcome(f"r{i}", f"p{i}", attack=True, blocked=i % 3 == 0, risk=0.9, critical=i % 4 == 0)
        record_outcome(store, user, outcome, settings.reputation, now - 3600)
    record_outcome(store, "clean", Outcome("rc", "pc", False, False, 0.0, False), settings.reputation, now - 3600)


def _users(store: SqliteStore) -> dict[str, dict[str, Any]]:
    return {
        d["id"]: {k: v for k, v in d.items() if not k.startswith("_")} for d in store.query_all(USERS, page_size=500)
    }


@pytest.mark.timeout(120)
def test_a_decay_run_interrupted_half_way_ends_where_one_clean_run_ends(tmp_path: Path) -> None:
    settings = load_settings(reputation={"decay_page_size": 5, "half_life_hours": 1.0, "block_after_critical": 2})
    now = time.time()
    clean = SqliteStore(str(tmp_path / "clean.sqlite3"))
    interrupted_inner = SqliteStore(str(tmp_path / "interrupted.sqlite3"))
    for store in (clean, interrupted_inner):
        _seed_users(store, settings, now, 23)
    assert _users(clean).keys() == _users(interrupted_inner).keys()

    reference = run_decay(clean, settings, now=now)
    assert reference.updated > 0 and reference.pages >= 5

    interrupted = FaultyStore(interrupted_inner)
    interrupted.fail_writes_after(7)  # the function dies on its 8th write (mid-page)
    with pytest.raises(DependencyError):
        run_decay(interrupted, settings, now=now)
    half = _users(interrupted_inner)
    assert half != _users(clean), "the interruption must leave work undone for this test to mean anything"
    interrupted.heal()
    resumed = run_decay(interrupted, settings, now=now)  # the next timer tick (same instant)
    assert resumed.updated == reference.updated - 7

    def comparable(users: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        return {k: {f: v for f, v in d.items() if f != "ttl"} for k, d in users.items()}

    assert comparable(_users(interrupted_inner)) == comparable(_users(clean))
    again = run_decay(interrupted, settings, now=now)
    assert again.updated == 0, "a second run for the same instant must change nothing"
    snapshot = copy.deepcopy(_users(interrupted_inner))
    run_decay(interrupted, settings, now=now)
    assert _users(interrupted_inner) == snapshot
    clean.close()
    interrupted_inner.close()
