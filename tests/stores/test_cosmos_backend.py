"""Cosmos-only behaviour: schema creation, outages, throttling.

Everything runs the real ``azure-cosmos`` SDK against the local Cosmos-protocol
server. Throttling cannot be produced by that server, so a small proxy in front of it
answers 429 on demand (``_throttle_proxy.py``) and forwards everything else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from _throttle_proxy import ThrottleProxy
from stores_support import cosmos_settings, drop_database

from infra.emulators import CosmosEmulator
from shared.errors import DependencyError, ErrorCode
from shared.stores import ATTACKS, AUDIT, CONTAINERS, GRAPH, PARTITION_KEYS, PROCESSED, PROMPTS, USERS, Throttled
from shared.stores.cosmos import CosmosStore, get_client
from shared.stores.indexing import indexing_policy

pytestmark = pytest.mark.emulator


@pytest.fixture
def emu(cosmos_server: CosmosEmulator) -> CosmosEmulator:
    if not cosmos_server.running:
        cosmos_server.start()
    return cosmos_server


@pytest.fixture
def cosmos(emu: CosmosEmulator) -> Iterator[CosmosStore]:
    store = CosmosStore(cosmos_settings(emu), embedding_dimensions=64)
    yield store
    drop_database(store)


def test_containers_are_created_with_partition_keys_ttl_and_vector_policy(cosmos: CosmosStore) -> None:
    cosmos.ping()
    for name in CONTAINERS:
        props = cosmos._proxy(name).read()
        assert props["partitionKey"]["paths"] == ["/" + PARTITION_KEYS[name]]
        assert props["defaultTtl"] == -1
    attacks = cosmos._proxy(ATTACKS).read()
    (embedding,) = attacks["vectorEmbeddingPolicy"]["vectorEmbeddings"]
    assert embedding == {
        "path": "/embedding",
        "dataType": "float32",
        "distanceFunction": "cosine",
        "dimensions": 64,
    }
    assert attacks["indexingPolicy"]["vectorIndexes"] == [{"path": "/embedding", "type": "quantizedFlat"}]
    assert {"path": "/embedding/*"} in attacks["indexingPolicy"]["excludedPaths"]
    # Containers written on every prompt index only what queries use (shared/stores/indexing.py).
    for name in (GRAPH, PROCESSED, PROMPTS, AUDIT):
        policy = cosmos._proxy(name).read()["indexingPolicy"]
        assert policy["includedPaths"] == indexing_policy(name)["includedPaths"], name
        assert {"path": "/*"} in policy["excludedPaths"], name
    assert cosmos._proxy(GRAPH).read()["indexingPolicy"]["includedPaths"] == []
    assert {"path": "/*"} in cosmos._proxy(ATTACKS).read()["indexingPolicy"]["includedPaths"]


def test_construction_does_no_network_io() -> None:
    settings = cosmos_settings_unreachable()
    started = time.perf_counter()
    store = CosmosStore(settings)
    assert time.perf_counter() - started < 0.05
    with pytest.raises(DependencyError):
        store.ping()


def cosmos_settings_unreachable():  # type: ignore[no-untyped-def]
    from infra.emulators import COSMOS_DEV_KEY, free_port
    from shared.config import StoreSettings

    return StoreSettings(
        backend="cosmos",
        cosmos_endpoint=f"https://localhost:{free_port()}/",
        cosmos_key=COSMOS_DEV_KEY,
        cosmos_verify_tls=False,
        cosmos_max_retries=0,
    )


def test_ping_and_operations_fail_cleanly_while_the_server_is_down(emu: CosmosEmulator) -> None:
    store = CosmosStore(cosmos_settings(emu))
    try:
        store.ping()
        store.create(USERS, {"id": "a", "user_id": "u", "v": 1})
        emu.stop()
        started = time.perf_counter()
        with pytest.raises(DependencyError) as info:
            store.ping()
        assert time.perf_counter() - started < 15
        assert info.value.code == ErrorCode.DEPENDENCY_UNAVAILABLE and info.value.status == 503
        assert info.value.details == {"dependency": "cosmos"}
        with pytest.raises(DependencyError):  # an outage is never reported as "not found"
            store.read(USERS, "u", "a")
        with pytest.raises(DependencyError):
            store.create(USERS, {"id": "b", "user_id": "u"})
        emu.start()  # same port; the local server starts empty
        store.ping()  # reachable again, and the schema is rebuilt
        store.create(USERS, {"id": "c", "user_id": "u", "v": 3})
        assert store.read(USERS, "u", "c")["v"] == 3  # type: ignore[index]
    finally:
        if not emu.running:
            emu.start()
        drop_database(store)


@pytest.fixture
def proxy(emu: CosmosEmulator) -> Iterator[ThrottleProxy]:
    px = ThrottleProxy(emu.port).start()
    yield px
    px.stop()


def throttled_store(emu: CosmosEmulator, proxy: ThrottleProxy, retries: int) -> CosmosStore:
    settings = cosmos_settings(emu, cosmos_endpoint=proxy.endpoint, cosmos_max_retries=retries)
    # The local server advertises its own address; stay on the proxy's.
    return CosmosStore(settings, client_options={"enable_endpoint_discovery": False})


@pytest.mark.parametrize("retries", [0, 2])
def test_throttling_beyond_the_retry_budget_raises_throttled(
    emu: CosmosEmulator, proxy: ThrottleProxy, retries: int
) -> None:
    store = throttled_store(emu, proxy, retries)
    try:
        store.ping()
        proxy.doc_requests, proxy.throttle_docs = 0, 1_000
        with pytest.raises(Throttled) as info:
            store.create(USERS, {"id": "a", "user_id": "u"})
        assert proxy.doc_requests == retries + 1  # the SDK retried exactly as configured
        err = info.value
        assert err.status == 503 and err.code == ErrorCode.OVERLOADED
        assert err.details == {"dependency": "cosmos", "retry_after_ms": 5}
        proxy.throttle_docs = 0
        assert store.read(USERS, "u", "a") is None  # nothing was written
    finally:
        proxy.throttle_docs = 0
        drop_database(store)


def test_throttling_within_the_retry_budget_is_invisible(emu: CosmosEmulator, proxy: ThrottleProxy) -> None:
    store = throttled_store(emu, proxy, retries=3)
    try:
        store.ping()
        proxy.doc_requests, proxy.throttle_docs = 0, 3
        store.create(USERS, {"id": "a", "user_id": "u", "v": 1})
        assert proxy.throttled == 3 and proxy.doc_requests == 4
        assert store.read(USERS, "u", "a")["v"] == 1  # type: ignore[index]
    finally:
        drop_database(store)


def test_one_client_per_connection_settings(emu: CosmosEmulator) -> None:
    a = cosmos_settings(emu)
    b = cosmos_settings(emu)  # another database on the same account
    assert get_client(a) is get_client(b)
    assert CosmosStore(a).client is CosmosStore(b).client
    assert get_client(cosmos_settings(emu, cosmos_max_retries=1)) is not get_client(a)


def test_transactional_batch_path_creates_a_group_and_maps_a_conflict(cosmos: CosmosStore) -> None:
    """The Azure path (a transactional batch per partition group), on what the local server
    runs of it: creates. A conflict inside the batch surfaces as the store's Conflict."""
    from shared.stores.base import BatchOp, Conflict

    cosmos.atomic_batches = True  # as against Azure
    out = cosmos.batch(
        [
            BatchOp("create", USERS, {"id": "a", "user_id": "tb", "n": 1}),
            BatchOp("create", USERS, {"id": "b", "user_id": "tb", "n": 2}),
            BatchOp("create", USERS, {"id": "c", "user_id": "other", "n": 3}),
        ]
    )
    assert [d["n"] for d in out if d] == [1, 2, 3] and all(d and d["_etag"] for d in out)
    assert {d["id"] for d in cosmos.query(USERS, pk="tb").items} == {"a", "b"}
    with pytest.raises(Conflict):
        cosmos.batch(
            [
                BatchOp("create", USERS, {"id": "d", "user_id": "tb"}),
                BatchOp("create", USERS, {"id": "a", "user_id": "tb"}),
            ]
        )
    assert cosmos.read(USERS, "tb", "a")["n"] == 1  # type: ignore[index]
    # The error says which operation of the group failed; the rest of its group is reported
    # not applied (Azure rolls the group back), the other group applied.
    with pytest.raises(Conflict) as err:
        cosmos.batch(
            [
                BatchOp("create", USERS, {"id": "e", "user_id": "tb"}),
                BatchOp("create", USERS, {"id": "f", "user_id": "solo"}),
                BatchOp("create", USERS, {"id": "b", "user_id": "tb"}),
                BatchOp("create", USERS, {"id": "g", "user_id": "tb"}),
            ]
        )
    report = err.value.batch_report  # type: ignore[attr-defined]
    assert (report.applied, report.failed, report.not_applied) == ((1,), (2,), (0, 3))
    assert cosmos.read(USERS, "solo", "f") is not None
    # (The local server does not roll back the create before the conflict, as Azure does;
    # atomicity itself is covered on SQLite by tests/stores/test_batch.py.)
