"""Queue back ends for the dev host: in-process, or Azure Storage queues (Azurite).

Which one a binding uses follows its connection setting (``AzureWebJobsStorage`` by
default), as in the host:

* unset, empty or ``UseDevelopmentStorage=false`` → :class:`InProcessQueues`, a
  thread-safe queue per name with visibility timeouts, dequeue counts, expiry and
  ``<name>-poison`` queues (lives and dies with the process);
* a storage connection string, or ``UseDevelopmentStorage=true`` (the well-known
  Azurite endpoints) → :class:`StorageQueues`, the real ``azure-storage-queue`` SDK.

Message text in storage is base64 of the UTF-8 body by default: byte-for-byte what
``TextBase64EncodePolicy`` writes and what the Functions host reads and writes
(``extensions.queues.messageEncoding``; ``none`` stores plain text). Encoding and
decoding are done per message here rather than with the SDK policies, so one
malformed message fails on its own (and ends in the poison queue) instead of
failing the whole receive call.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import heapq
import itertools
import math
import threading
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import DevHostError

#: Default time-to-live of a queue message (the service default).
MESSAGE_TTL = timedelta(days=7)
#: Well-known Azurite queue endpoint for ``UseDevelopmentStorage=true``.
AZURITE_DEFAULT_QUEUE_ENDPOINT = "http://127.0.0.1:10001/devstoreaccount1"


def poison_queue_name(queue: str) -> str:
    return f"{queue}-poison"


@dataclass
class ReceivedMessage:
    """One dequeued message, with what the trigger binding exposes."""

    id: str
    body: bytes | None  # None when the stored text could not be decoded
    dequeue_count: int
    pop_receipt: str
    insertion_time: datetime | None = None
    expiration_time: datetime | None = None
    next_visible_time: datetime | None = None
    decode_error: str | None = None
    stored_text: str | None = None  # storage back end: the text as stored (copied to poison as is)


class QueueBackend(ABC):
    kind: str = ""

    @abstractmethod
    def create_queue(self, queue: str) -> None: ...

    @abstractmethod
    def send(self, queue: str, body: bytes) -> str:
        """Enqueue one message; returns its id."""

    @abstractmethod
    def receive(self, queue: str, max_messages: int, visibility_timeout: float) -> list[ReceivedMessage]: ...

    @abstractmethod
    def delete(self, queue: str, message: ReceivedMessage) -> None: ...

    @abstractmethod
    def release(self, queue: str, message: ReceivedMessage, delay: float) -> None:
        """Make a failed message visible again after ``delay`` seconds."""

    @abstractmethod
    def move_to_poison(self, queue: str, message: ReceivedMessage) -> str:
        """Copy to ``<queue>-poison`` and delete the original; returns the poison queue name."""

    @abstractmethod
    def count(self, queue: str) -> int:
        """Messages in the queue, visible or not."""

    @abstractmethod
    def peek(self, queue: str, max_messages: int = 32) -> list[bytes]:
        """Bodies of visible messages, without dequeuing them."""

    def next_visible_in(self, queue: str) -> float | None:
        """Seconds until a hidden message becomes visible, if the back end knows."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


# --------------------------------------------------------------------------- in-process


@dataclass
class _Message:
    id: str
    body: bytes
    inserted: datetime
    expires: datetime
    seq: int
    visible_at: float = 0.0  # time.monotonic()
    dequeue_count: int = 0
    pop_receipt: str = ""
    lease: int = 0  # bumps on every visibility change; stale heap entries are skipped


@dataclass
class _Queue:
    messages: dict[str, _Message] = field(default_factory=dict)
    heap: list[tuple[float, int, str, int]] = field(default_factory=list)


class InProcessQueues(QueueBackend):
    """Storage-queue semantics in memory: visibility, dequeue counts, expiry, poison queues."""

    kind = "inprocess"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, _Queue] = {}
        self._seq = itertools.count()

    def _q(self, queue: str) -> _Queue:
        q = self._queues.get(queue)
        if q is None:
            q = self._queues[queue] = _Queue()
        return q

    def _push(self, q: _Queue, msg: _Message) -> None:
        heapq.heappush(q.heap, (msg.visible_at, msg.seq, msg.id, msg.lease))

    def create_queue(self, queue: str) -> None:
        with self._lock:
            self._q(queue)

    def send(self, queue: str, body: bytes) -> str:
        now = datetime.now(UTC)
        msg = _Message(
            id=str(uuid.uuid4()),
            body=bytes(body),
            inserted=now,
            expires=now + MESSAGE_TTL,
            seq=next(self._seq),
            visible_at=time.monotonic(),
        )
        with self._lock:
            q = self._q(queue)
            q.messages[msg.id] = msg
            self._push(q, msg)
        return msg.id

    def _pop_visible(self, q: _Queue, now: float) -> _Message | None:
        while q.heap and q.heap[0][0] <= now:
            _, _, msg_id, lease = heapq.heappop(q.heap)
            msg = q.messages.get(msg_id)
            if msg is None or msg.lease != lease:
                continue  # deleted or re-leased since this entry was pushed
            if msg.expires <= datetime.now(UTC):
                del q.messages[msg_id]
                continue
            return msg
        return None

    def receive(self, queue: str, max_messages: int, visibility_timeout: float) -> list[ReceivedMessage]:
        out: list[ReceivedMessage] = []
        now = time.monotonic()
        with self._lock:
            q = self._q(queue)
            while len(out) < max_messages:
                msg = self._pop_visible(q, now)
                if msg is None:
                    break
                msg.dequeue_count += 1
                msg.pop_receipt = uuid.uuid4().hex
                msg.lease += 1
                msg.visible_at = now + visibility_timeout
                self._push(q, msg)
                out.append(
                    ReceivedMessage(
                        id=msg.id,
                        body=msg.body,
                        dequeue_count=msg.dequeue_count,
                        pop_receipt=msg.pop_receipt,
                        insertion_time=msg.inserted,
                        expiration_time=msg.expires,
                        next_visible_time=datetime.now(UTC) + timedelta(seconds=visibility_timeout),
                    )
                )
        return out

    def _leased(self, queue: str, message: ReceivedMessage) -> tuple[_Queue, _Message] | None:
        q = self._q(queue)
        msg = q.messages.get(message.id)
        if msg is None or msg.pop_receipt != message.pop_receipt:
            return None  # lease lost (visibility expired and someone else took it)
        return q, msg

    def delete(self, queue: str, message: ReceivedMessage) -> None:
        with self._lock:
            found = self._leased(queue, message)
            if found is None:
                raise LookupError(f"message {message.id} is no longer leased (pop receipt mismatch)")
            q, msg = found
            del q.messages[msg.id]

    def release(self, queue: str, message: ReceivedMessage, delay: float) -> None:
        with self._lock:
            found = self._leased(queue, message)
            if found is None:
                return
            q, msg = found
            msg.lease += 1
            msg.pop_receipt = ""
            msg.visible_at = time.monotonic() + max(0.0, delay)
            self._push(q, msg)

    def move_to_poison(self, queue: str, message: ReceivedMessage) -> str:
        poison = poison_queue_name(queue)
        with self._lock:
            found = self._leased(queue, message)
            if found is None:
                raise LookupError(f"message {message.id} is no longer leased (pop receipt mismatch)")
            q, msg = found
            now = datetime.now(UTC)
            copy = _Message(
                id=str(uuid.uuid4()),
                body=msg.body,
                inserted=now,
                expires=now + MESSAGE_TTL,
                seq=next(self._seq),
                visible_at=time.monotonic(),
            )
            pq = self._q(poison)
            pq.messages[copy.id] = copy
            self._push(pq, copy)
            del q.messages[msg.id]
        return poison

    def count(self, queue: str) -> int:
        with self._lock:
            q = self._queues.get(queue)
            return 0 if q is None else len(q.messages)

    def peek(self, queue: str, max_messages: int = 32) -> list[bytes]:
        now = time.monotonic()
        with self._lock:
            q = self._queues.get(queue)
            if q is None:
                return []
            visible = sorted((m for m in q.messages.values() if m.visible_at <= now), key=lambda m: m.seq)
            return [m.body for m in visible[:max_messages]]

    def next_visible_in(self, queue: str) -> float | None:
        with self._lock:
            q = self._queues.get(queue)
            if q is None:
                return None
            while q.heap:
                visible_at, _, msg_id, lease = q.heap[0]
                msg = q.messages.get(msg_id)
                if msg is None or msg.lease != lease:
                    heapq.heappop(q.heap)
                    continue
                return max(0.0, visible_at - time.monotonic())
            return None


# --------------------------------------------------------------------------- storage (Azurite)


def encode_text(body: bytes, encoding: str) -> str:
    """Message text as stored: base64 (host default, = TextBase64EncodePolicy) or plain UTF-8."""
    if encoding == "base64":
        return base64.b64encode(body).decode("ascii")
    return body.decode("utf-8")


def decode_text(text: str, encoding: str) -> bytes:
    if encoding == "base64":
        return base64.b64decode(text.encode("ascii"), validate=True)
    return text.encode("utf-8")


class StorageQueues(QueueBackend):
    """Azure Storage queues through ``azure-storage-queue`` (Azurite locally)."""

    kind = "storage"

    def __init__(self, connection_string: str, encoding: str = "base64") -> None:
        # Lazy: only when storage is configured.
        from azure.storage.queue import LinearRetry, QueueServiceClient

        self.connection_string = connection_string
        self.encoding = encoding
        # The SDK's default retry waits 15 s and more between attempts; locally a dead
        # Azurite should be reported within seconds, and the listener retries anyway.
        self._service = QueueServiceClient.from_connection_string(
            connection_string,
            retry_policy=LinearRetry(backoff=1, retry_total=2, random_jitter_range=0),
            connection_timeout=5,
            read_timeout=30,
        )
        self._clients: dict[str, Any] = {}
        self._created: set[str] = set()
        self._lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        """Service URL without any query string (a SAS token must not reach the console)."""
        return str(self._service.url).split("?", 1)[0]

    def _client(self, queue: str) -> Any:
        with self._lock:
            client = self._clients.get(queue)
            if client is None:
                client = self._clients[queue] = self._service.get_queue_client(queue)
            return client

    def create_queue(self, queue: str) -> None:
        from azure.core.exceptions import AzureError, ResourceExistsError

        if queue in self._created:
            return
        try:
            self._client(queue).create_queue()
        except ResourceExistsError:
            pass
        except AzureError as exc:
            raise DevHostError(
                f"cannot create queue '{queue}' at {self.endpoint} ({exc.__class__.__name__}); "
                "is Azurite running? (infra.emulators.start_azurite() or `npx azurite-queue`)"
            ) from exc
        self._created.add(queue)

    def _recreate_on_missing(self, queue: str, call: Any) -> Any:
        """Run ``call``; if the queue has gone (an in-memory Azurite restarted), create it and retry once."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return call()
        except ResourceNotFoundError:
            self._created.discard(queue)
            self.create_queue(queue)
            return call()

    def send(self, queue: str, body: bytes) -> str:
        self.create_queue(queue)
        text = encode_text(body, self.encoding)
        sent = self._recreate_on_missing(queue, lambda: self._client(queue).send_message(text))
        return str(sent.id)

    def receive(self, queue: str, max_messages: int, visibility_timeout: float) -> list[ReceivedMessage]:
        def first_page() -> list[Any]:
            pages = (
                self._client(queue)
                .receive_messages(
                    messages_per_page=max(1, min(32, max_messages)),
                    visibility_timeout=max(1, math.ceil(visibility_timeout)),
                )
                .by_page()
            )
            return list(next(pages, []))

        out: list[ReceivedMessage] = []
        for m in self._recreate_on_missing(queue, first_page):
            text = m.content if isinstance(m.content, str) else ""
            body: bytes | None = None
            error = None
            try:
                body = decode_text(text, self.encoding)
            except (binascii.Error, ValueError, UnicodeError):
                error = f"message text is not valid {self.encoding}"
            out.append(
                ReceivedMessage(
                    id=str(m.id),
                    body=body,
                    dequeue_count=int(m.dequeue_count or 0),
                    pop_receipt=str(m.pop_receipt),
                    insertion_time=m.inserted_on,
                    expiration_time=m.expires_on,
                    next_visible_time=m.next_visible_on,
                    decode_error=error,
                    stored_text=text,
                )
            )
        return out

    def delete(self, queue: str, message: ReceivedMessage) -> None:
        self._client(queue).delete_message(message.id, message.pop_receipt)

    def release(self, queue: str, message: ReceivedMessage, delay: float) -> None:
        self._client(queue).update_message(
            message.id, pop_receipt=message.pop_receipt, visibility_timeout=max(0, math.ceil(delay))
        )

    def move_to_poison(self, queue: str, message: ReceivedMessage) -> str:
        poison = poison_queue_name(queue)
        self.create_queue(poison)
        text = message.stored_text
        if text is None:
            text = encode_text(message.body or b"", self.encoding)
        self._client(poison).send_message(text)  # same stored text: same encoding as the original
        self.delete(queue, message)
        return poison

    def count(self, queue: str) -> int:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            return int(self._client(queue).get_queue_properties().approximate_message_count or 0)
        except ResourceNotFoundError:
            return 0

    def peek(self, queue: str, max_messages: int = 32) -> list[bytes]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            messages = self._client(queue).peek_messages(max_messages=max(1, min(32, max_messages)))
        except ResourceNotFoundError:
            return []
        out = []
        for m in messages:
            try:
                out.append(decode_text(m.content or "", self.encoding))
            except (binascii.Error, ValueError, UnicodeError):
                out.append((m.content or "").encode("utf-8"))
        return out

    def close(self) -> None:
        with self._lock:
            for client in self._clients.values():
                with contextlib.suppress(Exception):
                    client.close()
            self._clients.clear()
        with contextlib.suppress(Exception):
            self._service.close()


# --------------------------------------------------------------------------- selection


def storage_connection_string(value: str | None) -> str | None:
    """The storage connection string a setting value means, or None for in-process queues."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    pairs = {}
    for part in text.split(";"):
        if "=" in part:
            k, _, v = part.partition("=")
            pairs[k.strip().lower()] = v.strip()
    dev = pairs.get("usedevelopmentstorage")
    if dev is not None:
        if dev.lower() == "false":
            return None
        if dev.lower() == "true":
            from infra.emulators import AZURITE_ACCOUNT, AZURITE_KEY

            return (
                f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
                f"QueueEndpoint={AZURITE_DEFAULT_QUEUE_ENDPOINT};"
            )
    if "accountname" in pairs or "queueendpoint" in pairs:
        return text
    raise DevHostError(
        "the storage connection setting is neither empty, 'UseDevelopmentStorage=true|false' "
        "nor a storage connection string"
    )
