"""Contract of ``Store.batch`` on both backends: several writes in one call, all-or-nothing
per partition group, conflicts raised with the same errors as the point operations."""

from __future__ import annotations

from typing import Any

import pytest

from shared.stores.base import GRAPH, USERS, BatchOp, Conflict, PreconditionFailed, Store


def user(uid: str, doc_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": doc_id or uid, "user_id": uid, **fields}


def test_batch_in_one_partition_writes_every_kind(store: Store) -> None:
    store.create(USERS, user("u1", "a", n=1))
    store.create(USERS, user("u1", "gone", n=0))
    etag = store.read(USERS, "u1", "a")["_etag"]  # type: ignore[index]
    out = store.batch(
        [
            BatchOp("replace", USERS, user("u1", "a", n=2), etag=etag),
            BatchOp("create", USERS, user("u1", "b", n=1)),
            BatchOp("upsert", USERS, user("u1", "c", n=3)),
            BatchOp("delete", USERS, pk="u1", doc_id="gone"),
        ]
    )
    assert [d["n"] if d else None for d in out] == [2, 1, 3, None]
    assert all(isinstance(d["_etag"], str) and d["_etag"] for d in out[:3] if d)
    assert store.read(USERS, "u1", "a")["n"] == 2  # type: ignore[index]
    assert store.read(USERS, "u1", "b")["n"] == 1  # type: ignore[index]
    assert store.read(USERS, "u1", "c")["n"] == 3  # type: ignore[index]
    assert store.read(USERS, "u1", "gone") is None
    assert out[0]["_etag"] == store.read(USERS, "u1", "a")["_etag"]  # type: ignore[index]


def test_batch_across_partitions_and_containers(store: Store) -> None:
    out = store.batch(
        [BatchOp("create", GRAPH, {"id": f"node:{i}", "kind": "x", "v": i}) for i in range(5)]
        + [BatchOp("upsert", USERS, user("u9", v=9))]
    )
    assert len(out) == 6
    assert sorted(d["v"] for d in store.read_many(GRAPH, [(f"node:{i}", f"node:{i}") for i in range(5)])) == list(
        range(5)
    )
    assert store.read(USERS, "u9", "u9")["v"] == 9  # type: ignore[index]
    assert store.batch([]) == []


def test_stale_etag_inside_a_batch_fails_the_whole_partition_group(store: Store) -> None:
    store.create(USERS, user("u1", "a", n=1))
    stale = store.read(USERS, "u1", "a")["_etag"]  # type: ignore[index]
    store.upsert(USERS, user("u1", "a", n=5, by="rival"))  # a rival write wins the race
    with pytest.raises(PreconditionFailed):
        store.batch(
            [
                BatchOp("create", USERS, user("u1", "b", n=1)),
                BatchOp("replace", USERS, user("u1", "a", n=2), etag=stale),
            ]
        )
    if store.atomic_batches:
        assert store.read(USERS, "u1", "b") is None  # rolled back with the conflict
    else:  # point writes in order up to the failure (the local Cosmos-protocol server)
        assert store.read(USERS, "u1", "b")["n"] == 1  # type: ignore[index]
    assert store.read(USERS, "u1", "a")["by"] == "rival"  # type: ignore[index]


def test_create_of_existing_inside_a_batch_is_conflict_and_writes_nothing_of_its_group(store: Store) -> None:
    store.create(USERS, user("u1", "a", n=1))
    with pytest.raises(Conflict):
        store.batch(
            [
                BatchOp("upsert", USERS, user("u1", "c", n=1)),
                BatchOp("create", USERS, user("u1", "a", n=2)),
            ]
        )
    if store.atomic_batches:
        assert store.read(USERS, "u1", "c") is None
    else:
        assert store.read(USERS, "u1", "c")["n"] == 1  # type: ignore[index]
    assert store.read(USERS, "u1", "a")["n"] == 1  # type: ignore[index]


def test_sqlite_batch_is_one_transaction_across_partitions(tmp_path: Any) -> None:
    from shared.stores.sqlite import SqliteStore

    s = SqliteStore(str(tmp_path / "b.sqlite3"))
    try:
        s.create(GRAPH, {"id": "n:2", "kind": "x"})
        with pytest.raises(Conflict):
            s.batch([BatchOp("create", GRAPH, {"id": "n:1", "kind": "x"}), BatchOp("create", GRAPH, {"id": "n:2"})])
        assert s.read(GRAPH, "n:1", "n:1") is None  # another partition, same transaction: rolled back
    finally:
        s.close()


def test_replace_of_missing_document_inside_a_batch_is_precondition_failed(store: Store) -> None:
    with pytest.raises(PreconditionFailed):
        store.batch([BatchOp("replace", USERS, user("u1", "nope", n=1), etag="whatever")])
    assert store.read(USERS, "u1", "nope") is None


def test_batch_validates_documents_like_point_writes(store: Store) -> None:
    from shared.stores._common import InvalidDocument

    with pytest.raises(InvalidDocument):
        store.batch([BatchOp("create", USERS, {"id": "bad/id", "user_id": "u1"})])


def test_a_failed_batch_reports_exactly_what_it_applied_and_the_store_agrees(store: Store) -> None:
    """Nothing silently lost or kept: the error says, per operation, applied / failed / not
    applied, and reading the store back shows exactly that. SQLite rolls everything back;
    Cosmos DB's point-operation path (the local server) applies each partition group in
    order up to its failure, and the other groups independently."""
    from shared.stores.base import BatchReport

    store.create(USERS, user("u1", "a", n=1))
    ops = [
        BatchOp("create", GRAPH, {"id": "node:x", "kind": "x", "n": 10}),
        BatchOp("upsert", USERS, user("u1", "c", n=11)),
        BatchOp("create", USERS, user("u1", "a", n=12)),  # exists: the conflict
        BatchOp("create", USERS, user("u1", "d", n=13)),
        BatchOp("create", GRAPH, {"id": "node:y", "kind": "x", "n": 14}),
    ]
    with pytest.raises(Conflict) as err:
        store.batch(ops)
    report = err.value.batch_report  # type: ignore[attr-defined]
    assert isinstance(report, BatchReport)
    assert sorted(report.applied + report.failed + report.not_applied) == list(range(len(ops)))
    assert report.failed == (2,)
    if store.atomic_batches:
        assert report.applied == ()
    else:
        assert report.applied == (0, 1, 4) and report.not_applied == (3,)
    for i, op in enumerate(ops):
        container, pk, doc_id = op.key()
        stored = store.read(container, pk, doc_id)
        if i in report.applied:
            assert stored is not None and stored["n"] == op.doc["n"], i  # type: ignore[index]
        elif i == 2:
            assert stored is not None and stored["n"] == 1  # the conflict left the original
        else:
            assert stored is None, i
