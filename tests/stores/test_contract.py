"""The store contract: every test runs against SQLite and against the Cosmos-protocol server.

Only one behaviour differs by backend, and it is marked where it happens: the local
Cosmos server keeps ``ttl`` on documents but never expires them (Azure does), so the
Cosmos side of the TTL test checks what makes expiry happen in Azure instead.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from typing import Any

import pytest

from shared.errors import ErrorCode
from shared.stores import (
    AUDIT,
    GRAPH,
    PATTERNS,
    USERS,
    Conflict,
    Filter,
    OrderBy,
    PreconditionFailed,
    Store,
    StoreError,
    TooManyConflicts,
)
from shared.stores._common import InvalidContinuation, InvalidDocument


def user(uid: str, doc_id: str | None = None, **fields: Any) -> dict[str, Any]:
    return {"id": doc_id or uid, "user_id": uid, **fields}


def public_keys(doc: dict[str, Any]) -> set[str]:
    return {k for k in doc if k.startswith("_")}


# ---- single documents -------------------------------------------------------------------
def test_create_then_read_round_trips_with_etag(store: Store) -> None:
    created = store.create(USERS, user("u1", score=0.5, tags=["a", "b"], nested={"k": [1, 2]}))
    assert isinstance(created["_etag"], str) and created["_etag"]
    got = store.read(USERS, "u1", "u1")
    assert got is not None
    assert got == created
    assert {k: v for k, v in got.items() if k != "_etag"} == {
        "id": "u1",
        "user_id": "u1",
        "score": 0.5,
        "tags": ["a", "b"],
        "nested": {"k": [1, 2]},
    }
    assert public_keys(got) == {"_etag"}  # no _rid/_ts/_self leak out


def test_reserved_keys_are_dropped_on_write(store: Store) -> None:
    store.create(USERS, user("u1", _etag="forged", _secret=1, _ts=5, ok=True))
    got = store.read(USERS, "u1", "u1")
    assert got is not None
    assert public_keys(got) == {"_etag"}
    assert got["_etag"] != "forged"
    assert got["ok"] is True


def test_create_existing_raises_conflict_and_keeps_original(store: Store) -> None:
    store.create(USERS, user("u1", v=1))
    with pytest.raises(Conflict) as info:
        store.create(USERS, user("u1", v=2))
    assert info.value.status == 409 and info.value.code == ErrorCode.CONFLICT
    assert store.read(USERS, "u1", "u1")["v"] == 1  # type: ignore[index]


def test_same_id_in_two_partitions_are_two_documents(store: Store) -> None:
    store.create(USERS, user("u1", "shared", who="one"))
    store.create(USERS, user("u2", "shared", who="two"))
    assert store.read(USERS, "u1", "shared")["who"] == "one"  # type: ignore[index]
    assert store.read(USERS, "u2", "shared")["who"] == "two"  # type: ignore[index]
    assert store.read(USERS, "u3", "shared") is None


def test_read_missing_is_none(store: Store) -> None:
    assert store.read(USERS, "nobody", "nothing") is None
    assert store.read(GRAPH, "n1", "n1") is None


def test_upsert_inserts_then_overwrites_with_new_etag(store: Store) -> None:
    first = store.upsert(USERS, user("u1", v=1, gone="x"))
    second = store.upsert(USERS, user("u1", v=2))
    assert first["_etag"] != second["_etag"]
    got = store.read(USERS, "u1", "u1")
    assert got == second
    assert got["v"] == 2 and "gone" not in got  # type: ignore[index,operator]


def test_replace_is_compare_and_swap(store: Store) -> None:
    original = store.create(USERS, user("u1", v=1))
    updated = store.replace(USERS, user("u1", v=2), original["_etag"])
    assert updated["v"] == 2 and updated["_etag"] != original["_etag"]
    with pytest.raises(PreconditionFailed) as info:
        store.replace(USERS, user("u1", v=3), original["_etag"])  # stale etag
    assert info.value.status == 412
    assert store.read(USERS, "u1", "u1") == updated  # the losing write changed nothing


def test_replace_of_missing_document_is_precondition_failed(store: Store) -> None:
    with pytest.raises(PreconditionFailed):
        store.replace(USERS, user("ghost", v=1), "some-etag")
    assert store.read(USERS, "ghost", "ghost") is None


def test_delete_semantics(store: Store) -> None:
    assert store.delete(USERS, "u1", "u1") is False
    first = store.create(USERS, user("u1", v=1))
    second = store.replace(USERS, user("u1", v=2), first["_etag"])
    with pytest.raises(PreconditionFailed):
        store.delete(USERS, "u1", "u1", etag=first["_etag"])
    assert store.read(USERS, "u1", "u1") is not None
    assert store.delete(USERS, "u1", "u1", etag=second["_etag"]) is True
    assert store.read(USERS, "u1", "u1") is None
    store.create(USERS, user("u1", v=3))
    assert store.delete(USERS, "u1", "u1") is True
    assert store.delete(USERS, "u1", "u1") is False
    assert store.delete(USERS, "u1", "u1", etag="whatever") is False


# ---- update(): read-modify-write --------------------------------------------------------
def test_update_creates_when_absent(store: Store) -> None:
    seen: list[Any] = []

    def mutate(doc: dict[str, Any] | None) -> dict[str, Any]:
        seen.append(doc)
        return {"count": 1, "id": "ignored", "user_id": "ignored", "_etag": "x"}

    out = store.update(USERS, "u1", "u1", mutate)
    assert seen == [None]
    assert out is not None and out["count"] == 1
    assert out["id"] == "u1" and out["user_id"] == "u1"  # identity comes from the call, not the mutator
    assert store.read(USERS, "u1", "u1") == out


def test_update_mutator_returning_none_writes_nothing(store: Store) -> None:
    assert store.update(USERS, "u1", "u1", lambda doc: None) is None
    assert store.read(USERS, "u1", "u1") is None
    created = store.create(USERS, user("u1", v=1))
    assert store.update(USERS, "u1", "u1", lambda doc: None) == created
    assert store.read(USERS, "u1", "u1")["_etag"] == created["_etag"]  # type: ignore[index]


def test_update_changes_existing_and_mutator_gets_a_copy(store: Store) -> None:
    store.create(USERS, user("u1", items=[1]))

    def mutate(doc: dict[str, Any] | None) -> dict[str, Any]:
        assert doc is not None
        doc["items"].append(2)
        return doc

    out = store.update(USERS, "u1", "u1", mutate)
    assert out is not None and out["items"] == [1, 2]
    assert store.read(USERS, "u1", "u1")["items"] == [1, 2]  # type: ignore[index]


def test_a_mutator_that_fails_half_way_changes_nothing_stored(store: Store) -> None:
    # Stores with fresh reads hand the mutator the document they just parsed (no copy):
    # whatever it does to that object, only a returned document is ever written.
    store.create(USERS, user("u1", items=[1]))

    def breaks(doc: dict[str, Any] | None) -> dict[str, Any]:
        assert doc is not None
        doc["items"].append(2)
        raise RuntimeError("mutator failed")

    with pytest.raises(RuntimeError):
        store.update(USERS, "u1", "u1", breaks)
    assert store.read(USERS, "u1", "u1")["items"] == [1]  # type: ignore[index]
    first, second = store.read(USERS, "u1", "u1"), store.read(USERS, "u1", "u1")
    assert first is not None and second is not None and first["items"] is not second["items"]


def test_update_gives_up_after_max_attempts_without_writing(store: Store) -> None:
    store.create(USERS, user("u1", n=0, by="setup"))
    store.max_update_attempts = 3
    attempts = 0

    def always_loses(doc: dict[str, Any] | None) -> dict[str, Any]:
        nonlocal attempts
        attempts += 1
        store.upsert(USERS, user("u1", n=attempts, by="rival"))  # a rival write wins every race
        assert doc is not None
        return {**doc, "by": "update"}

    with pytest.raises(TooManyConflicts) as info:
        store.update(USERS, "u1", "u1", always_loses)
    assert attempts == 3 and info.value.status == 503
    final = store.read(USERS, "u1", "u1")
    assert final is not None and final["by"] == "rival" and final["n"] == 3


def test_fifty_threads_updating_one_document_lose_nothing(store: Store) -> None:
    """50 concurrent read-modify-writes on one document: every increment and id survives."""
    threads = 50
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        vid = f"v-{i:02d}"

        def mutate(doc: dict[str, Any] | None) -> dict[str, Any]:
            doc = doc or {"count": 0, "violations": []}
            doc["count"] += 1
            doc["violations"] = [*doc["violations"], vid]
            return doc

        try:
            barrier.wait(timeout=30)
            store.update(USERS, "hot", "hot", mutate)
        except BaseException as exc:
            errors.append(exc)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(timeout=120)
    elapsed = time.perf_counter() - started
    assert not errors, errors[:3]
    final = store.read(USERS, "hot", "hot")
    assert final is not None
    assert final["count"] == threads
    assert sorted(final["violations"]) == [f"v-{i:02d}" for i in range(threads)]
    print(f"\n[{store.name}] 50-thread update test: {elapsed:.2f}s")


# ---- queries ----------------------------------------------------------------------------
def seed_scores(store: Store, n: int = 30, users: int = 3) -> list[dict[str, Any]]:
    docs = []
    for i in range(n):
        doc = {
            "id": f"e{i:03d}",
            "user_id": f"u{i % users}",
            "score": i % 7,  # ties on purpose
            "kind": "even" if i % 2 == 0 else "odd",
            "flag": i % 3 == 0,
            "ratio": i / 10,
        }
        docs.append(store.create(AUDIT, doc))
    return docs


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["id"] for d in docs]


def all_pages(store: Store, container: str, page_size: int, **kwargs: Any) -> list[list[dict[str, Any]]]:
    pages, token = [], None
    while True:
        page = store.query(container, limit=page_size, continuation=token, **kwargs)
        pages.append(page.items)
        assert len(page.items) <= page_size
        token = page.continuation
        if token is None:
            return pages
        assert isinstance(token, str)
        assert len(pages) < 100, "paging does not terminate"


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Filter("score", "=", 3), lambda d: d["score"] == 3),
        (Filter("score", "!=", 3), lambda d: d["score"] != 3),
        (Filter("score", "<", 2), lambda d: d["score"] < 2),
        (Filter("score", "<=", 2), lambda d: d["score"] <= 2),
        (Filter("score", ">", 5), lambda d: d["score"] > 5),
        (Filter("score", ">=", 5), lambda d: d["score"] >= 5),
        (Filter("ratio", ">", 1.45), lambda d: d["ratio"] > 1.45),
        (Filter("kind", "=", "odd"), lambda d: d["kind"] == "odd"),
        (Filter("kind", ">", "even"), lambda d: d["kind"] > "even"),
        (Filter("flag", "=", True), lambda d: d["flag"] is True),
        (Filter("flag", "!=", True), lambda d: d["flag"] is False),
    ],
    ids=lambda v: f"{v.field}{v.op}{v.value}" if isinstance(v, Filter) else "",
)
def test_query_filters(store: Store, flt: Filter, expected: Any) -> None:
    docs = seed_scores(store)
    got = store.query(AUDIT, where=(flt,), limit=1000)
    assert sorted(ids(got.items)) == sorted(d["id"] for d in docs if expected(d))
    assert got.continuation is None


def test_query_filters_are_conjunctive_and_typed(store: Store) -> None:
    docs = seed_scores(store)
    got = store.query(AUDIT, where=(Filter("kind", "=", "even"), Filter("score", ">=", 4)), limit=1000)
    assert sorted(ids(got.items)) == sorted(d["id"] for d in docs if d["kind"] == "even" and d["score"] >= 4)
    # A string never equals a number, True never equals 1 (typed comparison, as in Cosmos).
    assert store.query(AUDIT, where=(Filter("score", "=", "3"),)).items == []
    assert store.query(AUDIT, where=(Filter("score", "=", True),)).items == []
    assert store.query(AUDIT, where=(Filter("flag", "=", 1),)).items == []
    # A missing field matches nothing, not even "!=".
    assert store.query(AUDIT, where=(Filter("absent", "!=", 1),)).items == []


def test_not_equal_matches_present_fields_of_other_types(store: Store) -> None:
    for i, value in enumerate([1, "1", True, None, [1], {"a": 1}]):
        store.create(PATTERNS, {"id": f"p{i}", "kind": "mixed", "value": value})
    store.create(PATTERNS, {"id": "p-missing", "kind": "mixed"})
    got = store.query(PATTERNS, pk="mixed", where=(Filter("value", "!=", 1),))
    assert sorted(ids(got.items)) == ["p1", "p2", "p3", "p4", "p5"]


def test_unordered_paging_covers_everything_once_in_id_order(store: Store) -> None:
    docs = seed_scores(store, n=23)
    pages = all_pages(store, AUDIT, page_size=5)
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    flat = [d for p in pages for d in p]
    assert ids(flat) == sorted(ids(docs))
    assert flat == sorted(docs, key=lambda d: d["id"])  # full documents, with etags


@pytest.mark.parametrize("descending", [False, True])
def test_ordered_paging_with_ties_has_no_gaps_or_duplicates(store: Store, descending: bool) -> None:
    docs = seed_scores(store, n=40)
    pages = all_pages(store, AUDIT, page_size=6, order_by=OrderBy("score", descending=descending))
    assert len(pages) >= 7
    flat = [d for p in pages for d in p]
    assert Counter(ids(flat)) == Counter(ids(docs))  # every doc exactly once
    scores = [d["score"] for d in flat]
    assert scores == sorted(scores, reverse=descending)


def test_ordered_paging_with_filter_and_partition(store: Store) -> None:
    docs = seed_scores(store, n=60)
    expected = [d for d in docs if d["user_id"] == "u1" and d["kind"] == "odd"]
    pages = all_pages(
        store,
        AUDIT,
        page_size=3,
        pk="u1",
        where=(Filter("kind", "=", "odd"),),
        order_by=OrderBy("ratio", descending=True),
    )
    flat = [d for p in pages for d in p]
    assert ids(flat) == ids(sorted(expected, key=lambda d: d["ratio"], reverse=True))


def test_paging_survives_a_long_run_of_equal_values(store: Store) -> None:
    for i in range(25):
        store.create(AUDIT, {"id": f"t{i:02d}", "user_id": f"u{i % 4}", "bucket": "same"})
    pages = all_pages(store, AUDIT, page_size=4, order_by=OrderBy("bucket"))
    flat = ids([d for p in pages for d in p])
    assert sorted(flat) == [f"t{i:02d}" for i in range(25)] and len(set(flat)) == 25


@pytest.mark.parametrize("descending", [False, True])
def test_paging_is_exact_for_every_page_size(store: Store, descending: bool) -> None:
    """Runs of equal values, one id in several partitions, mixed types; tokens stay small."""
    values = [0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, "a", "a", "a", True, False, False, 2.5]
    expected: list[tuple[str, str]] = []
    for uid in ("u0", "u1", "u2"):
        for i, value in enumerate(values):
            store.create(AUDIT, {"id": f"x{i:02d}", "user_id": uid, "value": value})
            expected.append((uid, f"x{i:02d}"))
    rank = {bool: 0, int: 1, float: 1, str: 2}
    for size in (1, 2, 3, 5, 8, 13, 57):
        token, got, longest = None, [], 0
        while True:
            page = store.query(AUDIT, order_by=OrderBy("value", descending=descending), limit=size, continuation=token)
            assert len(page.items) <= size
            got.extend(page.items)
            token = page.continuation
            if token is None:
                break
            longest = max(longest, len(token))
        keys = [(d["user_id"], d["id"]) for d in got]
        assert sorted(keys) == sorted(expected), f"page size {size}: gaps or duplicates"
        order = [(rank[type(d["value"])], d["value"]) for d in got]
        assert order == sorted(order, reverse=descending), f"page size {size}: out of order"
        assert longest < 400, f"continuation tokens grow with the data ({longest} chars)"


def test_order_by_mixed_types_sorts_bool_number_string_and_skips_the_rest(store: Store) -> None:
    values: dict[str, Any] = {
        "s-b": "b",
        "s-a": "a",
        "n-2": 2,
        "n-1.5": 1.5,
        "b-t": True,
        "b-f": False,
        "x-null": None,
        "x-list": [1],
        "x-obj": {"a": 1},
    }
    for key, value in values.items():
        store.create(PATTERNS, {"id": key, "kind": "k", "value": value})
    store.create(PATTERNS, {"id": "x-missing", "kind": "k"})
    asc = [d for p in all_pages(store, PATTERNS, page_size=2, order_by=OrderBy("value")) for d in p]
    assert ids(asc) == ["b-f", "b-t", "n-1.5", "n-2", "s-a", "s-b"]
    pages = all_pages(store, PATTERNS, page_size=2, order_by=OrderBy("value", descending=True))
    desc = [d for p in pages for d in p]
    assert ids(desc) == ["s-b", "s-a", "n-2", "n-1.5", "b-t", "b-f"]


def test_cross_partition_and_single_partition_queries(store: Store) -> None:
    seed_scores(store, n=12, users=4)
    everyone = store.query(AUDIT, limit=100)
    assert {d["user_id"] for d in everyone.items} == {"u0", "u1", "u2", "u3"}
    assert len(everyone.items) == 12
    only = store.query(AUDIT, pk="u2", limit=100)
    assert ids(only.items) == ["e002", "e006", "e010"]
    assert store.query(AUDIT, pk="nobody").items == []


def test_query_all_iterates_every_page(store: Store) -> None:
    docs = seed_scores(store, n=17)
    got = list(store.query_all(AUDIT, page_size=4, order_by=OrderBy("ratio")))
    assert ids(got) == ids(sorted(docs, key=lambda d: d["ratio"]))
    assert len(list(store.query_all(AUDIT, page_size=4, max_items=6))) == 6


def test_continuation_tokens_are_checked(store: Store) -> None:
    seed_scores(store, n=10)
    page = store.query(AUDIT, limit=3, order_by=OrderBy("score"))
    assert page.continuation
    with pytest.raises(InvalidContinuation) as info:  # a token from another query
        store.query(AUDIT, limit=3, order_by=OrderBy("ratio"), continuation=page.continuation)
    assert isinstance(info.value, StoreError) and info.value.status == 400
    for garbage in ("not-a-token", "eyJ4IjoxfQ", "%%%"):
        with pytest.raises(InvalidContinuation):
            store.query(AUDIT, limit=3, order_by=OrderBy("score"), continuation=garbage)


def test_read_many(store: Store) -> None:
    seed_scores(store, n=9)
    keys = [("u1", "e004"), ("u0", "e000"), ("u0", "missing"), ("u2", "e000"), ("u1", "e004"), ("u2", "e008")]
    got = store.read_many(AUDIT, keys)
    assert [(d["user_id"], d["id"]) for d in got] == [("u1", "e004"), ("u0", "e000"), ("u2", "e008")]
    assert all(public_keys(d) == {"_etag"} for d in got)
    assert store.read_many(AUDIT, []) == []


# ---- ttl --------------------------------------------------------------------------------
def test_ttl(store: Store) -> None:
    """A document with ``ttl`` expires that many seconds after its last write.

    Backend-aware in one respect only: the local Cosmos-protocol server stores ``ttl``
    but never deletes anything, while Azure Cosmos DB expires documents natively once
    the container has TTL switched on (``defaultTtl = -1``). So on Cosmos the test
    checks the two things Azure's expiry depends on: the document carries its ``ttl``
    and the container has TTL enabled. SQLite is checked for the expiry itself.
    """
    store.create(AUDIT, {"id": "short", "user_id": "u1", "ttl": 1})
    store.create(AUDIT, {"id": "forever", "user_id": "u1", "ttl": -1})
    store.create(AUDIT, {"id": "plain", "user_id": "u1"})
    short = store.read(AUDIT, "u1", "short")
    assert short is not None and short["ttl"] == 1
    for bad in (0, -2, "10", 1.5, True):
        with pytest.raises(InvalidDocument):
            store.create(AUDIT, {"id": f"bad-{bad!s}", "user_id": "u1", "ttl": bad})

    if store.name == "cosmos":
        props = store._proxy(AUDIT).read()  # type: ignore[attr-defined]
        assert props["defaultTtl"] == -1
        return

    time.sleep(1.15)
    assert store.read(AUDIT, "u1", "short") is None
    assert ids(store.query(AUDIT, pk="u1").items) == ["forever", "plain"]
    assert ids(store.read_many(AUDIT, [("u1", "short"), ("u1", "plain")])) == ["plain"]
    with pytest.raises(PreconditionFailed):  # an expired document cannot be replaced...
        store.replace(AUDIT, {"id": "short", "user_id": "u1"}, short["_etag"])
    assert store.delete(AUDIT, "u1", "short") is False  # ...or deleted: it is gone
    store.create(AUDIT, {"id": "short", "user_id": "u1", "v": 2})  # and its id is free again
    assert store.read(AUDIT, "u1", "short")["v"] == 2  # type: ignore[index]


# ---- validation -------------------------------------------------------------------------
def test_field_names_are_validated() -> None:
    for bad in ("a;drop", "a b", "c.x", "1abc", "", 'x"]', "a" * 65):
        with pytest.raises(ValueError):
            Filter(bad, "=", 1)
        with pytest.raises(ValueError):
            OrderBy(bad)
    with pytest.raises(ValueError):
        Filter("a", "LIKE", 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Filter("a", "=", None)  # type: ignore[arg-type]


def test_query_arguments_are_validated(store: Store) -> None:
    with pytest.raises(ValueError):
        store.query(AUDIT, where=(Filter("_ts", ">", 1),))
    with pytest.raises(ValueError):
        store.query(AUDIT, order_by=OrderBy("_etag"))
    for limit in (0, -1, 1001):
        with pytest.raises(ValueError):
            store.query(AUDIT, limit=limit)
    with pytest.raises(ValueError):
        store.query("no_such_container")


@pytest.mark.parametrize(
    "doc",
    [
        {"id": "a/b", "user_id": "u"},
        {"id": "a#b", "user_id": "u"},
        {"id": "", "user_id": "u"},
        {"id": 5, "user_id": "u"},
        {"id": "x" * 256, "user_id": "u"},
        {"id": "ok"},
        {"id": "ok", "user_id": 7},
        {"id": "ok", "user_id": ""},
        {"id": "ok", "user_id": "u", "bad": float("nan")},
        {"id": "ok", "user_id": "u", "bad": {1, 2}},
        {"id": "ok", "user_id": "u", "bad": "\ud800"},
        {"id": "ok", "user_id": "u", "big": "x" * (2 * 1024 * 1024)},
    ],
    ids=lambda d: ",".join(f"{k}={str(v)[:12]!r}" for k, v in d.items()),
)
def test_invalid_documents_are_refused_with_a_stable_code(store: Store, doc: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument) as info:
        store.create(USERS, doc)
    assert info.value.status == 400 and info.value.code == ErrorCode.VALIDATION_FAILED
    assert "\ud800" not in info.value.message


def test_unknown_container_is_a_programming_error(store: Store) -> None:
    with pytest.raises(ValueError):
        store.create("nope", {"id": "a", "user_id": "u"})
    with pytest.raises(ValueError):
        store.read("nope", "u", "a")


def test_unicode_round_trip(store: Store) -> None:
    text = "Zażółć gęślą jaźń — 日本語 — مرحبا — e\u0301 — 🧨👩🏽‍💻 — \x00 end"
    uid = "użytkownik-日本-🙂"
    doc_id = "ид-" + uuid.uuid4().hex[:6]
    created = store.create(USERS, {"id": doc_id, "user_id": uid, "text": text, "list": [text]})
    got = store.read(USERS, uid, doc_id)
    assert got == created and got["text"] == text and got["list"] == [text]  # type: ignore[index]
    searchable = text.replace("\x00", "")
    store.create(USERS, {"id": doc_id + "-2", "user_id": uid, "text": searchable})
    found = store.query(USERS, pk=uid, where=(Filter("text", "=", searchable),))
    assert ids(found.items) == [doc_id + "-2"]
    with pytest.raises(ValueError):  # NUL is storable but not searchable (SQLite JSON stops at NUL)
        store.query(USERS, where=(Filter("text", "=", text),))
    assert ids(store.read_many(USERS, [(uid, doc_id)])) == [doc_id]


# ---- lifecycle --------------------------------------------------------------------------
def test_ping(store: Store) -> None:
    store.ping()
