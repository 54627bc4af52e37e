"""Calling a function the way the Python worker does.

* sync functions run on the calling thread, limited like the worker's thread pool
  (``PYTHON_THREADPOOL_THREAD_COUNT``, default ``min(32, cpu + 4)``);
* ``async def`` functions run on one shared event loop thread, as in the worker;
* output bindings are ``func.Out`` objects; queue outputs are flushed after the
  function returns successfully (nothing is sent if it raises, as in the host);
* a parameter named ``context`` receives a ``func.Context``.
"""

from __future__ import annotations

import asyncio
import base64
import inspect
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from typing import Any

import azure.functions as func
from azure.functions import _abc as func_abc

from .index import FunctionSpec, QueueOutputInfo

log = logging.getLogger("devhost")

#: The queue service refuses messages above 64 KiB (the base64 text counts).
MAX_QUEUE_MESSAGE_BYTES = 64 * 1024


class OutBinding(func.Out):  # type: ignore[type-arg]
    """What the worker passes for an output binding parameter."""

    def __init__(self) -> None:
        self._value: Any = None
        self.was_set = False

    def set(self, val: Any) -> None:
        self._value = val
        self.was_set = True

    def get(self) -> Any:
        return self._value


class _TraceContext(func_abc.TraceContext):
    def __init__(self) -> None:
        self._parent = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"

    @property
    def trace_state(self) -> str:
        return ""

    @property
    def trace_parent(self) -> str:
        return self._parent

    @property
    def attributes(self) -> dict[str, str]:
        return {}


class _RetryContext(func_abc.RetryContext):
    def __init__(self, retry_count: int, max_retry_count: int) -> None:
        self._count = retry_count
        self._max = max_retry_count

    @property
    def retry_count(self) -> int:
        return self._count

    @property
    def max_retry_count(self) -> int:
        return self._max

    @property
    def exception(self) -> Any:
        return None


class InvocationContext(func_abc.Context):
    def __init__(self, function_name: str, directory: str, retry_count: int = 0, max_retry: int = 0) -> None:
        self._id = str(uuid.uuid4())
        self._name = function_name
        self._directory = directory
        self._local = threading.local()
        self._local.invocation_id = self._id
        self._trace = _TraceContext()
        self._retry = _RetryContext(retry_count, max_retry)

    @property
    def invocation_id(self) -> str:
        return self._id

    @property
    def thread_local_storage(self) -> Any:
        return self._local

    @property
    def function_name(self) -> str:
        return self._name

    @property
    def function_directory(self) -> str:
        return self._directory

    @property
    def trace_context(self) -> Any:
        return self._trace

    @property
    def retry_context(self) -> Any:
        return self._retry


class QueueOutputError(TypeError):
    """A function set a queue output to something the binding cannot send."""


def queue_output_messages(value: Any, where: str) -> list[bytes]:
    """Normalise an output value (str, bytes, QueueMessage or a list of them) to message bodies."""
    if value is None:
        return []
    if isinstance(value, (str, bytes, bytearray, func_abc.QueueMessage)):
        items: Iterable[Any] = [value]
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise QueueOutputError(f"{where}: cannot send a {type(value).__name__} (use str, bytes or a list of them)")
    out: list[bytes] = []
    for item in items:
        if isinstance(item, str):
            body = item.encode("utf-8")
        elif isinstance(item, (bytes, bytearray)):
            body = bytes(item)
        elif isinstance(item, func_abc.QueueMessage):
            body = item.get_body()
        else:
            raise QueueOutputError(f"{where}: cannot send a {type(item).__name__} inside a list")
        if len(base64.b64encode(body)) > MAX_QUEUE_MESSAGE_BYTES:
            raise QueueOutputError(f"{where}: message of {len(body)} bytes exceeds the 64 KiB queue limit")
        out.append(body)
    return out


class _LoopThread:
    """One event loop for every ``async def`` function (the worker has one too)."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run(self, coro: Any) -> Any:
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, name="devhost-async", daemon=True)
                self._thread.start()
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result()

    def stop(self) -> None:
        with self._lock:
            if self._loop is None:
                return
            self._loop.call_soon_threadsafe(self._loop.stop)
            if self._thread is not None:
                self._thread.join(timeout=5)
            self._loop.close()
            self._loop = None
            self._thread = None


def default_thread_count() -> int:
    configured = os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT")
    if configured and configured.isdigit() and int(configured) > 0:
        return int(configured)
    return min(32, (os.cpu_count() or 1) + 4)


class Invoker:
    """Runs functions; ``send`` delivers flushed queue outputs (set by the host)."""

    def __init__(
        self,
        send: Callable[[QueueOutputInfo, list[bytes]], None],
        directory: str,
        max_workers: int | None = None,
    ) -> None:
        self._send = send
        self._directory = directory
        self._slots = threading.BoundedSemaphore(max_workers or default_thread_count())
        self._loop = _LoopThread()

    def invoke(
        self,
        spec: FunctionSpec,
        trigger_value: Any,
        *,
        retry_count: int = 0,
        reason: str = "",
    ) -> Any:
        """Run ``spec`` with its trigger value; returns the (HTTP) result or raises the function's error."""
        outs = {o.param: OutBinding() for o in spec.queue_outputs if o.param != "$return"}
        http_out = None
        kwargs: dict[str, Any] = {spec.trigger.param: trigger_value, **outs}
        if spec.http_output_param and spec.http_output_param != "$return":
            http_out = OutBinding()
            kwargs[spec.http_output_param] = http_out
        context = InvocationContext(
            spec.name, self._directory, retry_count, spec.retry.max_retry_count if spec.retry else 0
        )
        if spec.context_param:
            kwargs[spec.context_param] = context
        started = time.perf_counter()
        try:
            if spec.is_async:
                # Async functions run on the loop and take no thread-pool slot (as in the worker).
                result = self._loop.run(spec.user_function(**kwargs))
            else:
                with self._slots:
                    result = spec.user_function(**kwargs)
                if inspect.iscoroutine(result):
                    result = self._loop.run(result)
            for output in spec.queue_outputs:
                value = result if output.param == "$return" else outs[output.param].get()
                messages = queue_output_messages(value, f"function '{spec.name}' output '{output.param}'")
                if messages:
                    self._send(output, messages)
        except BaseException:
            log.debug(
                "Executed 'Functions.%s' (Failed, Id=%s, Duration=%.0fms)%s",
                spec.name,
                context.invocation_id,
                (time.perf_counter() - started) * 1000,
                reason,
            )
            raise
        # Queue and timer runs are rare enough to show (as func start does); HTTP would flood the log.
        log.log(
            logging.DEBUG if spec.kind == "http" else logging.INFO,
            "Executed 'Functions.%s' (Succeeded, Id=%s, Duration=%.0fms)%s",
            spec.name,
            context.invocation_id,
            (time.perf_counter() - started) * 1000,
            reason,
        )
        if http_out is not None:
            return http_out.get()
        return None if any(o.param == "$return" for o in spec.queue_outputs) else result

    def close(self) -> None:
        self._loop.stop()
