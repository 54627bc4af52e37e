"""Delivering queue messages to queue-triggered functions, with the host's retry rules.

Per queue-triggered function one listener thread polls its queue and hands messages to
worker threads, like the WebJobs queue listener:

* it fetches ``batchSize`` messages and fetches again once the number in flight drops
  to ``newBatchThreshold`` (so at most ``batchSize + newBatchThreshold`` run at once);
* an empty poll backs off from 100 ms up to ``maxPollingInterval``; a message the dev
  host itself enqueues wakes the listener at once (the host's shared queue watcher);
* success deletes the message; failure makes it visible again after
  ``visibilityTimeout``; a message whose dequeue count has reached
  ``maxDequeueCount`` goes to ``<queue>-poison`` instead (and one already past it,
  after a crash mid-message, is moved there without running).
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from azure.functions.queue import QueueMessage

from .errors import DevHostError
from .index import FunctionSpec, QueueOutputInfo, QueueTriggerInfo
from .invoker import Invoker
from .queues import InProcessQueues, QueueBackend, ReceivedMessage, StorageQueues, storage_connection_string
from .settings import QueueOptions, env_lookup

log = logging.getLogger("devhost")

#: How long a message being processed stays invisible (the host's default lease).
PROCESSING_VISIBILITY = 600.0
MIN_POLLING_INTERVAL = 0.1


class QueueRouter:
    """Picks the back end for each connection setting and sends output-binding messages."""

    def __init__(self, mode: str = "auto", storage_connection: str | None = None, encoding: str = "base64") -> None:
        if mode not in ("auto", "inprocess", "azurite"):
            raise DevHostError(f"queue backend must be auto, inprocess or azurite, not '{mode}'")
        self.mode = mode
        self.storage_connection = storage_connection
        self.encoding = encoding
        self._inprocess: InProcessQueues | None = None
        self._storage: dict[str, StorageQueues] = {}
        self._lock = threading.Lock()
        self._wakers: dict[tuple[int, str], list[Any]] = collections.defaultdict(list)
        self._sent_at: collections.OrderedDict[tuple[int, str], float] = collections.OrderedDict()

    def _resolve(self, connection: str) -> str | None:
        if self.mode == "inprocess":
            return None
        value = env_lookup(connection)
        if self.mode == "azurite":
            conn = self.storage_connection or storage_connection_string(value)
            if conn is None:
                raise DevHostError(
                    f"queue backend 'azurite' needs a connection string ({connection} is not set and none was passed)"
                )
            return conn
        if self.storage_connection is not None:
            return self.storage_connection
        if value is None and (env_lookup(f"{connection}__queueServiceUri") or env_lookup(f"{connection}__serviceUri")):
            raise DevHostError(
                f"{connection} is an identity-based connection; the dev host needs a connection "
                "string (or leave it unset for in-process queues)"
            )
        return storage_connection_string(value)

    def backend_for(self, connection: str) -> QueueBackend:
        conn = self._resolve(connection)
        with self._lock:
            if conn is None:
                if self._inprocess is None:
                    self._inprocess = InProcessQueues()
                return self._inprocess
            backend = self._storage.get(conn)
            if backend is None:
                backend = self._storage[conn] = StorageQueues(conn, self.encoding)
            return backend

    def backends(self) -> list[QueueBackend]:
        with self._lock:
            found: list[QueueBackend] = list(self._storage.values())
            if self._inprocess is not None:
                found.append(self._inprocess)
            return found

    def add_waker(self, backend: QueueBackend, queue: str, waker: Any) -> None:
        with self._lock:
            self._wakers[(id(backend), queue)].append(waker)

    def send_to(self, backend: QueueBackend, queue: str, bodies: list[bytes]) -> list[str]:
        ids = []
        backend.create_queue(queue)
        for body in bodies:
            started = time.perf_counter()
            message_id = backend.send(queue, body)
            ids.append(message_id)
            with self._lock:
                self._sent_at[(id(backend), message_id)] = started
                while len(self._sent_at) > 100_000:
                    self._sent_at.popitem(last=False)
        with self._lock:
            wakers = list(self._wakers.get((id(backend), queue), ()))
        for wake in wakers:
            wake()
        return ids

    def send(self, output: QueueOutputInfo, bodies: list[bytes]) -> list[str]:
        """The invoker's hook for queue output bindings."""
        return self.send_to(self.backend_for(output.connection), output.queue_name, bodies)

    def sent_at(self, backend: QueueBackend, message_id: str) -> float | None:
        with self._lock:
            return self._sent_at.pop((id(backend), message_id), None)

    def close(self) -> None:
        for backend in self.backends():
            backend.close()


@dataclass
class DeliveryStats:
    received: int = 0
    succeeded: int = 0
    failed: int = 0
    poisoned: int = 0
    #: seconds from the dev host's send to the start of the invocation (messages it sent itself)
    latencies: collections.deque[float] = field(default_factory=lambda: collections.deque(maxlen=100_000))
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def bump(self, counter: str, latency: float | None = None) -> None:
        with self._lock:
            setattr(self, counter, getattr(self, counter) + 1)
            if latency is not None:
                self.latencies.append(latency)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            lat = sorted(self.latencies)

        def pct(p: float) -> float | None:
            return None if not lat else lat[min(len(lat) - 1, int(p * len(lat)))]

        return {
            "received": self.received,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "poisoned": self.poisoned,
            "latency_p50_s": pct(0.50),
            "latency_p95_s": pct(0.95),
            "latency_max_s": lat[-1] if lat else None,
        }


class QueueListener:
    """Polls one queue and runs one queue-triggered function on its messages."""

    def __init__(
        self,
        spec: FunctionSpec,
        backend: QueueBackend,
        router: QueueRouter,
        options: QueueOptions,
        invoker: Invoker,
    ) -> None:
        assert isinstance(spec.trigger, QueueTriggerInfo)
        self.spec = spec
        self.queue = spec.trigger.queue_name
        self.backend = backend
        self.router = router
        self.options = options
        self.invoker = invoker
        self.stats = DeliveryStats()
        self._cond = threading.Condition()
        self._inflight = 0
        self._fetching = False
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pool = ThreadPoolExecutor(max_workers=options.max_concurrency, thread_name_prefix=f"devhost-{self.queue}")
        self._annotation = spec.trigger_annotation
        self._last_error_logged = 0.0

    # -- lifecycle
    def start(self) -> None:
        self.backend.create_queue(self.queue)
        self.router.add_waker(self.backend, self.queue, self.wake)
        self._thread = threading.Thread(target=self._run, name=f"devhost-listen-{self.queue}", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop fetching, let in-flight deliveries finish (up to ``timeout``); True if all finished."""
        self._stop.set()
        self._wake.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._inflight and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            finished = self._inflight == 0
        self._pool.shutdown(wait=finished, cancel_futures=not finished)
        return finished

    @property
    def idle(self) -> bool:
        with self._cond:
            return not self._fetching and self._inflight == 0

    # -- polling
    def _run(self) -> None:
        backoff = MIN_POLLING_INTERVAL
        batch = self.options.batch_size
        threshold = self.options.fetch_threshold
        while not self._stop.is_set():
            with self._cond:
                while self._inflight > threshold and not self._stop.is_set():
                    self._cond.wait()
                if self._stop.is_set():
                    break
                self._fetching = True
            self._wake.clear()
            try:
                messages = self.backend.receive(self.queue, batch, PROCESSING_VISIBILITY)
            except Exception as exc:  # storage unreachable: keep polling, log at most every 30 s
                messages = []
                now = time.monotonic()
                if now - self._last_error_logged > 30:
                    self._last_error_logged = now
                    log.warning("queue '%s': receive failed (%s); retrying", self.queue, exc.__class__.__name__)
            if messages:
                with self._cond:
                    self._inflight += len(messages)
                    self._fetching = False
                for message in messages:
                    self._pool.submit(self._deliver, message)
                backoff = MIN_POLLING_INTERVAL
                continue
            with self._cond:
                self._fetching = False
            delay = backoff
            upcoming = self.backend.next_visible_in(self.queue)
            if upcoming is not None:
                delay = min(delay, max(upcoming, 0.002))
            if self._wake.wait(delay):
                backoff = MIN_POLLING_INTERVAL
            else:
                backoff = min(backoff * 2, self.options.max_polling_interval)

    # -- one message
    def _trigger_value(self, message: ReceivedMessage) -> Any:
        body = message.body or b""
        if self._annotation in (str, "str"):
            return body.decode("utf-8")
        if self._annotation in (bytes, "bytes"):
            return body
        return QueueMessage(
            id=message.id,
            body=body,
            dequeue_count=message.dequeue_count,
            insertion_time=message.insertion_time,
            expiration_time=message.expiration_time,
            time_next_visible=message.next_visible_time,
            pop_receipt=message.pop_receipt,
        )

    def _deliver(self, message: ReceivedMessage) -> None:
        maximum = self.options.max_dequeue_count
        name = self.spec.name
        try:
            sent = self.router.sent_at(self.backend, message.id)
            latency = time.perf_counter() - sent if sent is not None and message.dequeue_count == 1 else None
            self.stats.bump("received", latency)
            if message.dequeue_count > maximum:
                # Already past the limit: an earlier attempt died mid-message (crash, kill).
                self._poison(message)
                return
            try:
                if message.decode_error:
                    raise ValueError(message.decode_error)
                self.invoker.invoke(
                    self.spec,
                    self._trigger_value(message),
                    reason=f" (queue '{self.queue}', message {message.id}, dequeue {message.dequeue_count})",
                )
            except Exception:
                self.stats.bump("failed")
                log.error(
                    "function '%s' failed on message %s from '%s' (attempt %d of %d)",
                    name,
                    message.id,
                    self.queue,
                    message.dequeue_count,
                    maximum,
                    exc_info=True,
                )
                if message.dequeue_count >= maximum:
                    self._poison(message)
                else:
                    self.backend.release(self.queue, message, self.options.visibility_timeout)
                return
            self.backend.delete(self.queue, message)
            self.stats.bump("succeeded")
        except Exception as exc:  # back end trouble while settling: the lease expires and it comes back
            log.warning(
                "queue '%s': could not settle message %s (%s); it will be redelivered",
                self.queue,
                message.id,
                exc.__class__.__name__,
            )
        finally:
            with self._cond:
                self._inflight -= 1
                self._cond.notify_all()
            self._wake.set()  # poll again soon: a released message may be visible already

    def _poison(self, message: ReceivedMessage) -> None:
        poison = self.backend.move_to_poison(self.queue, message)
        self.stats.bump("poisoned")
        log.warning(
            "message %s from '%s' reached MaxDequeueCount %d; moved to '%s'",
            message.id,
            self.queue,
            self.options.max_dequeue_count,
            poison,
        )
