"""The Azure store: Cosmos DB for NoSQL through the official ``azure-cosmos`` SDK (sync).

Design notes (each one a reason, not a preference):

* **One client per process.** :func:`get_client` keeps lazily built ``CosmosClient``
  instances keyed by connection settings; creating one per call exhausts sockets.
  Nothing touches the network until the first operation.
* **Entra ID in Azure.** ``cosmos_key`` is only for the local Cosmos-protocol server;
  otherwise ``DefaultAzureCredential`` (managed identity) is used, imported lazily.
* **Schema on first use.** Database and containers are created if missing (partition
  key ``/<field>`` from :data:`PARTITION_KEYS`, ``default_ttl=-1`` so a document's own
  ``ttl`` applies, a vector policy and index on ``attacks``). With data-plane RBAC the
  identity may not create them; then the Bicep template must have, and the error says so.
* **Paging is ours, not the SDK's.** The Python SDK's continuation tokens are wrong for
  cross-partition ``ORDER BY`` (Azure/azure-sdk-for-python#37230, #41434) and are read
  from client-wide state shared by all threads. So every query is ``SELECT TOP n ...
  ORDER BY <one field>`` with a keyset continuation (last value + the keys already
  returned with that value), which needs no composite index and works across partitions.
* **Errors.** 409 -> :class:`Conflict`, 412 -> :class:`PreconditionFailed`, 404 -> absent,
  429 after the SDK's own retries -> :class:`Throttled`, anything unreachable ->
  :class:`~shared.errors.DependencyError`. Nothing is swallowed.
* **TTL.** Cosmos enforces ``ttl`` natively in Azure. The local server stores the field
  but never expires documents; tests check the field there instead of the expiry.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from ..config import StoreSettings
from ..errors import DependencyError
from . import _common as common
from .base import (
    ATTACKS,
    BatchOp,
    Conflict,
    Doc,
    Filter,
    OrderBy,
    Page,
    PreconditionFailed,
    Store,
    Throttled,
    report_batch_failure,
)
from .indexing import indexing_policy

if TYPE_CHECKING:  # pragma: no cover
    from azure.cosmos import ContainerProxy, CosmosClient, DatabaseProxy

log = logging.getLogger(__name__)

#: Longest the SDK may spend waiting out 429s for one operation before we raise Throttled.
THROTTLE_WAIT_MAX_S = 10
#: Per-request socket timeouts (seconds); a hung gateway must not hold a function hostage.
CONNECT_TIMEOUT_S = 5
READ_TIMEOUT_S = 30
#: Keep-alive connections per client: the Functions worker runs up to ~32 invocations in
#: threads, and requests' default pool of 10 would re-handshake TLS for the rest.
POOL_SIZE = 32
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}

_DEP = "cosmos"
_clients: dict[tuple[Any, ...], CosmosClient] = {}
_clients_lock = threading.Lock()


_pool: Any = None
_pool_lock = threading.Lock()


def _batch_pool() -> Any:
    """Threads for the partition groups of one batch (lazy; sized like the connection pool)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=POOL_SIZE, thread_name_prefix="cosmos-batch")
        return _pool


# ---- the process-wide client ---------------------------------------------------------
def _client_key(settings: StoreSettings, options: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        settings.cosmos_endpoint,
        settings.cosmos_key,
        settings.cosmos_verify_tls,
        settings.cosmos_max_retries,
        tuple(sorted(options.items())),
    )


def _build_client(settings: StoreSettings, options: Mapping[str, Any]) -> CosmosClient:
    from azure.core.exceptions import AzureError
    from azure.cosmos import CosmosClient
    from azure.cosmos.documents import ConnectionPolicy, RetryOptions

    if not settings.cosmos_endpoint:
        raise DependencyError(_DEP, "The cosmos store has no endpoint (PSS_STORE__COSMOS_ENDPOINT).")
    credential: Any
    if settings.cosmos_key:
        credential = settings.cosmos_key
    else:
        from azure.identity import DefaultAzureCredential

        credential = DefaultAzureCredential()
    if not settings.cosmos_verify_tls:
        # Only ever for the local Cosmos-protocol server and its self-signed certificate.
        import urllib3

        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        log.warning("cosmos TLS verification is disabled (local emulator only)")
    retries = settings.cosmos_max_retries
    # The kwargs below are the SDK's documented throttle knobs, but it treats 0 as "unset";
    # the policy object carries the same numbers so that 0 really means "no retries".
    policy = ConnectionPolicy()
    policy.RetryOptions = RetryOptions(max_retry_attempt_count=retries, max_wait_time_in_seconds=THROTTLE_WAIT_MAX_S)
    kwargs: dict[str, Any] = {
        "transport": _transport(),
        "connection_policy": policy,
        "retry_throttle_total": retries,
        "retry_throttle_backoff_max": THROTTLE_WAIT_MAX_S,
        "connection_verify": settings.cosmos_verify_tls,
        "connection_timeout": CONNECT_TIMEOUT_S,
        "read_timeout": READ_TIMEOUT_S,
        "user_agent_suffix": "prompt-security-service",
        **options,
    }
    if _is_loopback(settings.cosmos_endpoint):
        # A local server is one "region" that advertises itself: endpoint discovery buys
        # nothing, and its cross-region retry of 5xx reads would add 0.5 s per retry.
        kwargs.setdefault("enable_endpoint_discovery", False)
    try:
        return CosmosClient(settings.cosmos_endpoint, credential=credential, **kwargs)
    except AzureError as exc:
        raise _map_error(exc, None, None) from None


def _is_loopback(endpoint: str) -> bool:
    from urllib.parse import urlsplit

    return (urlsplit(endpoint).hostname or "") in _LOOPBACK


def _transport() -> Any:
    import requests
    from azure.core.pipeline.transport import RequestsTransport
    from urllib3.util.retry import Retry

    session = requests.Session()
    # Retries belong to the Cosmos SDK's policies, not to urllib3 (as azure-core does).
    adapter = requests.adapters.HTTPAdapter(
        pool_maxsize=POOL_SIZE, max_retries=Retry(total=False, redirect=False, raise_on_status=False)
    )
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return RequestsTransport(session=session, session_owner=True)


def get_client(settings: StoreSettings, **options: Any) -> CosmosClient:
    """The shared client for these settings (built on first use)."""
    key = _client_key(settings, options)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = _clients[key] = _build_client(settings, options)
    return client


def set_client(settings: StoreSettings, client: CosmosClient | None, **options: Any) -> None:
    """Install (or with ``None`` forget) the client used for these settings (tests, dev host)."""
    key = _client_key(settings, options)
    with _clients_lock:
        if client is None:
            _clients.pop(key, None)
        else:
            _clients[key] = client


def close_clients() -> None:
    """Close every shared client (process shutdown, test teardown)."""
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        with contextlib.suppress(Exception):
            client.close()


# ---- error mapping ---------------------------------------------------------------------
def _map_error(exc: Exception, container: str | None, doc_id: str | None) -> Exception:
    """The stable error for an SDK failure (never the SDK's message: it can echo requests)."""
    from azure.cosmos import exceptions as cx

    where = f"{container}/{doc_id}" if container and doc_id else (container or "-")
    if isinstance(exc, cx.CosmosHttpResponseError) and exc.status_code is not None:
        status, sub = exc.status_code, getattr(exc, "sub_status", None)
        if status not in (409, 412):  # lost races are normal control flow, not incidents
            log.warning("cosmos %s failed: status=%s substatus=%s", where, status, sub)
        if status == 409 and container and doc_id:
            return Conflict(container, doc_id)
        if status == 412 and container and doc_id:
            return PreconditionFailed(container, doc_id)
        if status == 429:
            headers = getattr(exc, "headers", None) or {}
            retry_after = headers.get("x-ms-retry-after-ms")
            try:
                retry_ms = int(float(retry_after)) if retry_after is not None else None
            except ValueError:
                retry_ms = None
            return Throttled(_DEP, retry_ms)
        if status == 413:
            return common.InvalidDocument("document is too large for the store")
        if status == 400:
            return common.InvalidDocument("the store refused the request as malformed")
        if status in (401, 403):
            return DependencyError(_DEP, "The cosmos dependency refused our identity; check its roles.")
        return DependencyError(_DEP)
    log.warning("cosmos %s unreachable: %s", where, type(exc).__name__)
    return DependencyError(_DEP)


@contextlib.contextmanager
def _guard(container: str | None = None, doc_id: str | None = None) -> Iterator[None]:
    from azure.core.exceptions import AzureError

    try:
        yield
    except AzureError as exc:
        raise _map_error(exc, container, doc_id) from None


def _public(item: Mapping[str, Any]) -> Doc:
    """The document without Cosmos system fields, except ``_etag``."""
    doc = {k: v for k, v in item.items() if not k.startswith("_")}
    doc["_etag"] = item.get("_etag")
    return doc


# ---- keyset paging ---------------------------------------------------------------------
# Order is (field, then id inside a run of equal values), built from two single-field
# ORDER BY queries so no composite index is needed:
#   "after" state:  rows whose field sorts strictly after value v, ORDER BY field;
#   "group" state:  rows whose field equals v, ORDER BY id, after the last id returned.
# A page ends inside a run of equal values only in the "group" state, so the token is
# O(1): the boundary value, the last id, and the (rare) partitions sharing that id.
_TYPE_FN = {1: "IS_BOOL", 2: "IS_NUMBER", 3: "IS_STRING"}


def _later_types(ref: str, rank: int, descending: bool) -> list[str]:
    ranks = [r for r in (1, 2, 3) if (r < rank if descending else r > rank)]
    return [f"{_TYPE_FN[r]}({ref})" for r in ranks]


def _after_clause(ref: str, rank: int, value: Any, descending: bool) -> tuple[str, Any | None]:
    """``(clause, @kv)`` for rows sorting strictly after ``value`` (bool < number < string)."""
    terms = _later_types(ref, rank, descending)
    param = None
    if rank == 1:
        # Range operators on booleans are avoided: name the one value that can follow.
        if value is descending:  # ascending after false, or descending after true
            terms.insert(0, f"{ref} = {'false' if descending else 'true'}")
    else:
        terms.insert(0, f"({_TYPE_FN[rank]}({ref}) AND {ref} {'<' if descending else '>'} @kv)")
        param = value
    return ("(" + " OR ".join(terms) + ")" if terms else "false"), param


def _equal_clause(ref: str, rank: int, value: Any) -> tuple[str, Any | None]:
    if rank == 1:
        return f"{ref} = {'true' if value else 'false'}", None
    return f"({_TYPE_FN[rank]}({ref}) AND {ref} = @kv)", value


def _decode_state(key: Any) -> dict[str, Any]:
    try:
        state = {"m": key["m"], "r": int(key["r"]), "v": key["v"]}
        if state["m"] == "g":
            state["id"] = key["id"]
            state["pks"] = list(key["pks"])
            if not (state["id"] is None or isinstance(state["id"], str)) or not all(
                isinstance(pk, str) for pk in state["pks"]
            ):
                raise ValueError
        elif state["m"] != "a":
            raise ValueError
        if common.type_rank(state["v"]) != state["r"]:
            raise ValueError
    except (KeyError, TypeError, ValueError):
        raise common.InvalidContinuation() from None
    return state


class CosmosStore(Store):
    """:class:`~shared.stores.base.Store` over Cosmos DB for NoSQL."""

    name = "cosmos"
    fresh_reads = True

    def __init__(
        self,
        settings: StoreSettings,
        *,
        embedding_dimensions: int = 256,
        client: CosmosClient | None = None,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.settings = settings
        self.database_name = settings.cosmos_database
        self.embedding_dimensions = embedding_dimensions
        self._client = client
        self._client_options = dict(client_options or {})
        self._db: DatabaseProxy | None = None
        self._proxies: dict[str, ContainerProxy] = {}
        self._schema_lock = threading.Lock()
        #: The local Cosmos-protocol server runs transactional batches of creates only (its
        #: upsert/replace/delete want a per-operation partition key the SDK does not send),
        #: so against it a group is applied as point writes in order, stopping at the first
        #: failure (not atomic). In Azure every group is one transactional batch.
        self.atomic_batches = not _is_loopback(settings.cosmos_endpoint or "")

    # ---- schema -----------------------------------------------------------------------
    @property
    def client(self) -> CosmosClient:
        if self._client is None:
            self._client = get_client(self.settings, **self._client_options)
        return self._client

    def _database(self) -> DatabaseProxy:
        db = self._db
        if db is None:
            with self._schema_lock:
                if self._db is None:
                    with _guard(self.database_name):
                        self._db = self._create_if_missing(
                            lambda: self.client.create_database_if_not_exists(id=self.database_name),
                            lambda: self.client.get_database_client(self.database_name),
                            f"database {self.database_name!r}",
                        )
                db = self._db
        return db

    def _container_spec(self, container: str) -> dict[str, Any]:
        from azure.cosmos import PartitionKey

        spec: dict[str, Any] = {
            "id": container,
            "partition_key": PartitionKey(path="/" + common.pk_field(container)),
            "default_ttl": -1,  # TTL on, per document
            "indexing_policy": indexing_policy(container),  # only what queries use (indexing.py)
        }
        if container == ATTACKS:
            spec["vector_embedding_policy"] = {
                "vectorEmbeddings": [
                    {
                        "path": "/embedding",
                        "dataType": "float32",
                        "distanceFunction": "cosine",
                        "dimensions": self.embedding_dimensions,
                    }
                ]
            }
            spec["indexing_policy"] = {
                "indexingMode": "consistent",
                "automatic": True,
                "includedPaths": [{"path": "/*"}],
                "excludedPaths": [{"path": '/"_etag"/?'}, {"path": "/embedding/*"}],
                "vectorIndexes": [{"path": "/embedding", "type": "quantizedFlat"}],
            }
        return spec

    def _proxy(self, container: str) -> ContainerProxy:
        proxy = self._proxies.get(container)
        if proxy is not None:
            return proxy
        common.pk_field(container)
        db = self._database()
        with self._schema_lock:
            proxy = self._proxies.get(container)
            if proxy is None:
                spec = self._container_spec(container)
                with _guard(container):
                    proxy = self._create_if_missing(
                        lambda: db.create_container_if_not_exists(**spec),
                        lambda: db.get_container_client(container),
                        f"container {container!r}",
                    )
                self._proxies[container] = proxy
        return proxy

    @staticmethod
    def _create_if_missing(create: Any, existing: Any, what: str) -> Any:
        from azure.cosmos import exceptions as cx

        try:
            return create()
        except cx.CosmosResourceExistsError:  # another instance created it a moment ago
            return existing()
        except cx.CosmosHttpResponseError as exc:
            if exc.status_code == 403:
                raise DependencyError(
                    _DEP, f"The cosmos {what} is missing and this identity may not create it; deploy it."
                ) from None
            raise

    def _forget_schema(self) -> None:
        with self._schema_lock:
            self._db = None
            self._proxies.clear()

    # ---- single documents -------------------------------------------------------------
    def read(self, container: str, pk: str, doc_id: str) -> Doc | None:
        from azure.cosmos import exceptions as cx

        common.check_key(pk, doc_id)
        proxy = self._proxy(container)
        with _guard(container, doc_id):
            try:
                item = proxy.read_item(doc_id, partition_key=pk)
            except cx.CosmosResourceNotFoundError:
                return None
            except cx.CosmosHttpResponseError as exc:
                if exc.status_code != 500:
                    raise
                # The local server answers 500 instead of 404 for a missing document in a
                # partitioned container; a query is an authoritative second opinion.
                return self._read_by_query(proxy, container, pk, doc_id)
        return _public(item)

    def _read_by_query(self, proxy: ContainerProxy, container: str, pk: str, doc_id: str) -> Doc | None:
        field = common.pk_field(container)
        items = list(
            proxy.query_items(
                f'SELECT * FROM c WHERE c["{field}"] = @pk AND c["id"] = @id',  # noqa: S608
                parameters=[{"name": "@pk", "value": pk}, {"name": "@id", "value": doc_id}],
                partition_key=pk,
            )
        )
        return _public(items[0]) if items else None

    def create(self, container: str, doc: Doc) -> Doc:
        body, _pk, doc_id, _text = common.clean(container, doc)
        return _public(self._write(container, doc_id, lambda proxy: proxy.create_item(body)))

    def upsert(self, container: str, doc: Doc) -> Doc:
        body, _pk, doc_id, _text = common.clean(container, doc)
        return _public(self._write(container, doc_id, lambda proxy: proxy.upsert_item(body)))

    def _write(self, container: str, doc_id: str, op: Any) -> Any:
        """Run a create/upsert. For these a 404 can only mean the container or database is
        gone (deleted, or the local server restarted empty): drop the cached schema and
        retry once, so the service recovers by itself instead of failing every write until
        something happens to call :meth:`ping`."""
        from azure.cosmos import exceptions as cx

        for attempt in (0, 1):
            proxy = self._proxy(container)
            with _guard(container, doc_id):
                try:
                    return op(proxy)
                except cx.CosmosResourceNotFoundError:
                    if attempt:
                        raise
            log.warning("cosmos container %r is missing; recreating the schema", container)
            self._forget_schema()
        raise DependencyError(_DEP)  # pragma: no cover - the loop returns or raises

    def replace(self, container: str, doc: Doc, etag: str) -> Doc:
        from azure.core import MatchConditions
        from azure.cosmos import exceptions as cx

        body, _pk, doc_id, _text = common.clean(container, doc)
        if not isinstance(etag, str) or not etag:
            raise PreconditionFailed(container, doc_id)
        proxy = self._proxy(container)
        with _guard(container, doc_id):
            try:
                item = proxy.replace_item(doc_id, body, etag=etag, match_condition=MatchConditions.IfNotModified)
            except cx.CosmosResourceNotFoundError:
                raise PreconditionFailed(container, doc_id) from None  # gone: the etag cannot match
        return _public(item)

    def delete(self, container: str, pk: str, doc_id: str, etag: str | None = None) -> bool:
        from azure.core import MatchConditions
        from azure.cosmos import exceptions as cx

        common.check_key(pk, doc_id)
        proxy = self._proxy(container)
        kwargs: dict[str, Any] = {}
        if etag is not None:
            kwargs = {"etag": etag, "match_condition": MatchConditions.IfNotModified}
        with _guard(container, doc_id):
            try:
                proxy.delete_item(doc_id, partition_key=pk, **kwargs)
            except cx.CosmosResourceNotFoundError:
                return False
        return True

    # ---- many documents ---------------------------------------------------------------
    def query(
        self,
        container: str,
        *,
        pk: str | None = None,
        where: tuple[Filter, ...] = (),
        order_by: OrderBy | None = None,
        limit: int = 100,
        continuation: str | None = None,
    ) -> Page:
        pk_field = common.pk_field(container)
        where = tuple(where)
        common.check_query(where, order_by, limit)
        qid = common.fingerprint(self.name, container, pk, where, order_by)
        field = order_by.field if order_by is not None else "id"
        descending = order_by.descending if order_by is not None else False
        ref = f'c["{field}"]'

        clauses: list[str] = []
        params: list[dict[str, Any]] = []
        if pk is not None:
            common.check_pk(pk)
            clauses.append(f'c["{pk_field}"] = @pk')
            params.append({"name": "@pk", "value": pk})
        for i, f in enumerate(where):
            clauses.append(f'c["{f.field}"] {f.op} @p{i}')
            params.append({"name": f"@p{i}", "value": f.value})
        if order_by is not None:
            clauses.append(f"(IS_BOOL({ref}) OR IS_NUMBER({ref}) OR IS_STRING({ref}))")
        state = _decode_state(common.decode_token(continuation, qid)) if continuation else None

        def sort_key(row: Mapping[str, Any]) -> tuple[int | None, Any]:
            return common.type_rank(row.get(field)), row.get(field)

        def run(extra: str | None, extra_params: dict[str, Any], order: str, top: int) -> list[Doc]:
            where_sql = " AND ".join([*clauses, extra] if extra else clauses)
            sql = f"SELECT TOP {top} * FROM c"  # noqa: S608 - names are validated identifiers
            if where_sql:
                sql += " WHERE " + where_sql
            sql += " ORDER BY " + order
            args = params + [{"name": k, "value": v} for k, v in extra_params.items() if v is not None]
            options: dict[str, Any] = {"max_item_count": min(top, 1000)}
            if pk is not None:
                options["partition_key"] = pk
            else:
                options["enable_cross_partition_query"] = True
            with _guard(container):
                return list(proxy.query_items(sql, parameters=args, **options))

        proxy = self._proxy(container)
        out: list[dict[str, Any]] = []
        done = False
        while len(out) < limit and not done:
            need = limit - len(out)
            if state is not None and state["m"] == "g":
                # Inside a run of equal values: continue it in id order.
                equal, kv = _equal_clause(ref, state["r"], state["v"])
                last_id, pks = state["id"], set(state["pks"])
                if last_id is not None:
                    equal += ' AND c["id"] >= @gid'
                rows = run(equal, {"@kv": kv, "@gid": last_id}, 'c["id"] ASC', need + 1 + len(pks))
                rows = [r for r in rows if not (r.get("id") == last_id and str(r.get(pk_field)) in pks)]
                taken = rows[:need]
                out.extend(taken)
                if len(rows) > need:
                    tail_id = taken[-1]["id"]
                    tail = [str(r.get(pk_field)) for r in taken if r.get("id") == tail_id]
                    if tail_id == last_id:
                        tail = sorted(pks) + tail
                    if len(tail) > common.MAX_TIE_KEYS:  # pragma: no cover - one id in >256 partitions
                        raise common.InvalidDocument("too many documents share one id to page through")
                    state = {"m": "g", "r": state["r"], "v": state["v"], "id": tail_id, "pks": tail}
                else:
                    state = {"m": "a", "r": state["r"], "v": state["v"]}
                continue
            extra, kv = None, None
            if state is not None:
                extra, kv = _after_clause(ref, state["r"], state["v"], descending)
            rows = run(extra, {"@kv": kv}, f"{ref} {'DESC' if descending else 'ASC'}", need + 1)
            if len(rows) <= need:
                out.extend(rows)
                done = True
            elif sort_key(rows[need - 1]) != sort_key(rows[need]):
                out.extend(rows[:need])  # the page ends between two values
                rank, value = sort_key(rows[need - 1])
                state = {"m": "a", "r": rank, "v": value}
            else:
                # The page would end inside a run of equal values: emit what precedes the
                # run (complete), then take the run itself in id order.
                boundary = sort_key(rows[need])
                out.extend(r for r in rows if sort_key(r) != boundary)
                state = {"m": "g", "r": boundary[0], "v": boundary[1], "id": None, "pks": []}
        token = None if done or state is None else common.encode_token(qid, state)
        return Page(items=[_public(r) for r in out], continuation=token)

    def read_many(self, container: str, keys: list[tuple[str, str]]) -> list[Doc]:
        pk_field = common.pk_field(container)
        wanted = list(dict.fromkeys((pk, doc_id) for pk, doc_id in keys))
        for pk, doc_id in wanted:
            common.check_key(pk, doc_id)
        if not wanted:
            return []
        proxy = self._proxy(container)
        with _guard(container):
            items = proxy.read_items(items=[(doc_id, pk) for pk, doc_id in wanted])
        found = {(str(i.get(pk_field)), str(i.get("id"))): _public(i) for i in items}
        return [found[k] for k in wanted if k in found]

    # ---- several writes ---------------------------------------------------------------
    def batch(self, ops: list[BatchOp]) -> list[Doc | None]:
        """A transactional batch per (container, partition key) group with more than one
        operation; single operations as point writes; the groups concurrently (on the
        client's connection pool). Raises the first group failure after all groups ran."""
        groups: dict[tuple[str, str], list[int]] = {}
        for i, op in enumerate(ops):
            container, pk, _id = op.key()
            common.pk_field(container)
            groups.setdefault((container, pk), []).append(i)
        out: list[Doc | None] = [None] * len(ops)
        applied: set[int] = set()  # each index is added by the one thread that runs its group
        failed: set[int] = set()

        def run(key: tuple[str, str], idx: list[int]) -> None:
            if len(idx) == 1 or not self.atomic_batches:
                for i in idx:  # point writes in order; the rest of the group is not attempted
                    try:
                        out[i] = self._apply_one(ops[i])
                    except Exception:
                        failed.add(i)
                        raise
                    applied.add(i)
                return
            try:
                docs = self._transactional(key[0], key[1], [ops[i] for i in idx])
            except Exception as exc:
                failed.add(idx[min(max(getattr(exc, "batch_index", 0), 0), len(idx) - 1)])
                raise  # the group is rolled back: its other operations are not applied
            for i, doc in zip(idx, docs, strict=True):
                out[i] = doc
                applied.add(i)

        items = list(groups.items())
        failures: list[BaseException] = []
        if len(items) == 1:
            try:
                run(*items[0])
            except Exception as exc:
                failures.append(exc)
        else:
            pool = _batch_pool()
            futures = [pool.submit(run, key, idx) for key, idx in items]
            for future in futures:
                exc = future.exception()
                if exc is not None:
                    failures.append(exc)
        if failures:
            raise report_batch_failure(failures[0], len(ops), applied, failed)
        return out

    def _transactional(self, container: str, pk: str, ops: list[BatchOp]) -> list[Doc | None]:
        """One Cosmos transactional batch (all operations share ``pk``; at most 100)."""
        from azure.cosmos import exceptions as cx

        if len(ops) > 100:
            raise ValueError("a transactional batch holds at most 100 operations")
        calls: list[Any] = []
        for op in ops:
            if op.kind == "delete":
                common.check_key(op.pk or "", op.doc_id or "")
                extra = {"if_match_etag": op.etag} if op.etag else {}
                calls.append(("delete", (op.doc_id,), extra))
                continue
            body, _pk, doc_id, _text = common.clean(container, op.doc or {})
            if op.kind == "replace":
                if not isinstance(op.etag, str) or not op.etag:
                    raise PreconditionFailed(container, doc_id)
                calls.append(("replace", (doc_id, body), {"if_match_etag": op.etag}))
            elif op.kind in ("create", "upsert"):
                calls.append((op.kind, (body,)))
            else:
                raise ValueError(f"unknown batch operation {op.kind!r}")
        proxy = self._proxy(container)
        with _guard(container):
            try:
                results = proxy.execute_item_batch(calls, partition_key=pk)
            except cx.CosmosBatchOperationError as exc:
                raise self._batch_error(container, ops, exc) from None
        docs: list[Doc | None] = []
        for op, result in zip(ops, results, strict=True):
            body = result.get("resourceBody") if isinstance(result, Mapping) else None
            docs.append(None if op.kind == "delete" or not body else _public(body))
        return docs

    @staticmethod
    def _batch_error(container: str, ops: list[BatchOp], exc: Any) -> Exception:
        index = exc.error_index if isinstance(exc.error_index, int) else 0
        _c, _pk, doc_id = ops[min(max(index, 0), len(ops) - 1)].key()
        status = None
        responses = exc.operation_responses or []
        if 0 <= index < len(responses) and isinstance(responses[index], Mapping):
            status = responses[index].get("statusCode")
        status = status or exc.status_code
        err: Exception
        if status == 409:
            err = Conflict(container, doc_id)
        elif status in (412, 404):
            err = PreconditionFailed(container, doc_id)
        else:
            err = _map_error(exc, container, doc_id)
        err.batch_index = index  # type: ignore[attr-defined]  # which operation of the group failed
        return err

    # ---- lifecycle --------------------------------------------------------------------
    def ping(self) -> None:
        """Reachable, authorised, and the database exists (recreated if we own the schema)."""
        from azure.cosmos import exceptions as cx

        db = self._database()
        with _guard(self.database_name):
            try:
                db.read()
            except cx.CosmosResourceNotFoundError:
                # Deleted under us (or the local server restarted empty): rebuild lazily.
                self._forget_schema()
                self._database().read()

    def close(self) -> None:
        self._forget_schema()

    def __repr__(self) -> str:
        return f"CosmosStore({self.settings.cosmos_endpoint!r}, database={self.database_name!r})"
