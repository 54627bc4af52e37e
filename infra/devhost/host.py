"""``DevHost``: the whole local host behind one object (used by the CLI, tests and benchmarks).

    with DevHost("function_app:app", port=0) as host:
        httpx.post(f"{host.base_url}/api/analyze", headers={"x-functions-key": host.function_key}, ...)
        host.wait_for_queues_idle(10)
        host.fire_timer("reputation_decay")

Start order: settings (local.settings.json → environment) → host.json → keys → import
and index the app → queue listeners → HTTP → timers. Stop: stop accepting HTTP and
finish in-flight requests, stop timers (a running one completes), finish in-flight
queue deliveries, then put the environment back as it was.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from azure.functions.queue import QueueMessage

from .delivery import QueueListener, QueueRouter
from .errors import DevHostError
from .http_server import DevHostHTTPServer, Frontend
from .index import DEFAULT_CONNECTION, AppIndex, FunctionSpec, HttpTriggerInfo, QueueTriggerInfo, index_app
from .invoker import Invoker, queue_output_messages
from .keys import KeyRing
from .queues import QueueBackend, poison_queue_name
from .settings import EnvironmentOverlay, HostOptions, load_host_options, load_local_settings
from .timers import TimerRunner

log = logging.getLogger("devhost")

DEFAULT_MAX_BODY = 1024 * 1024


class DevHost:
    """Runs a Functions v2 Python app locally: HTTP routes, queue triggers, timers."""

    def __init__(
        self,
        app_module: str = "function_app:app",
        *,
        app_root: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 7071,
        queue_backend: str = "auto",
        storage_connection: str | None = None,
        settings_file: str | Path | bool | None = None,
        host_json: str | Path | Mapping[str, Any] | None = None,
        env: Mapping[str, str] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        function_key: str | None = None,
        master_key: str | None = None,
        timers: bool = True,
        state_dir: str | Path | None = None,
        max_workers: int | None = None,
        drain_timeout: float = 30.0,
    ) -> None:
        """
        ``settings_file``: None → ``<app_root>/local.settings.json`` if present; False → none.
        ``host_json``: None → ``<app_root>/host.json`` if present; or a path or a mapping.
        ``env``: settings applied over everything (tests), removed again on stop.
        ``queue_backend``: auto (from the connection setting), inprocess, or azurite
        (``storage_connection`` or the setting's connection string).
        ``timers``: False leaves schedules off (``fire_timer`` and the admin API still work).
        """
        if max_body < 0:
            raise DevHostError("max_body must be zero or more bytes")
        self.app_module = app_module
        self.app_root = Path(app_root or Path.cwd()).resolve()
        self.bind_host = host
        self.requested_port = port
        self.queue_backend = queue_backend
        self.storage_connection = storage_connection
        self.settings_file = settings_file
        self.host_json = host_json
        self.env = dict(env or {})
        self.max_body = max_body
        self._function_key = function_key
        self._master_key = master_key
        self.timers_enabled = timers
        self.state_dir = Path(state_dir) if state_dir is not None else None
        self.max_workers = max_workers
        self.drain_timeout = drain_timeout
        self.instance_id = uuid.uuid4().hex

        self._overlay = EnvironmentOverlay()
        self._started = False
        self.options: HostOptions = HostOptions()
        self.settings_source: str | None = None
        self.keys: KeyRing | None = None
        self.index: AppIndex = None  # type: ignore[assignment]
        self.router: QueueRouter | None = None
        self.invoker: Invoker = None  # type: ignore[assignment]
        self.listeners: list[QueueListener] = []
        self.timers: TimerRunner = None  # type: ignore[assignment]
        self._server: DevHostHTTPServer | None = None
        self._server_thread: threading.Thread | None = None
        self._background: list[threading.Thread] = []
        self._stopped = threading.Event()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> DevHost:
        if self._started:
            return self
        self._stopped.clear()
        try:
            self._start()
        except BaseException:
            self._teardown()
            raise
        self._started = True
        return self

    def _start(self) -> None:
        if self.settings_file is not False:
            path = (
                self.app_root / "local.settings.json"
                if self.settings_file in (None, True)
                else Path(str(self.settings_file))
            )
            local = load_local_settings(path)
            if local is not None:
                self._overlay.apply(local.values)
                self.settings_source = local.source
                if self.requested_port == 7071 and local.local_http_port:
                    self.requested_port = local.local_http_port
        self._overlay.apply(self.env, override=True)

        host_json = self.host_json if self.host_json is not None else self.app_root / "host.json"
        self.options = load_host_options(host_json)
        self.keys = KeyRing.create(self._function_key, self._master_key)
        self.index = index_app(self.app_module, self.app_root, self.options.route_prefix)

        self.router = QueueRouter(self.queue_backend, self.storage_connection, self.options.queues.message_encoding)
        self.invoker = Invoker(self.router.send, str(self.app_root), self.max_workers)
        for spec in self.index.queue:
            if spec.disabled:
                continue
            trigger = spec.trigger
            assert isinstance(trigger, QueueTriggerInfo)
            backend = self.router.backend_for(trigger.connection)
            listener = QueueListener(spec, backend, self.router, self.options.queues, self.invoker)
            self.listeners.append(listener)  # before start(): a failed start is still cleaned up
            listener.start()
        # Resolve output connections now: a bad connection setting should stop start-up, not a request.
        for spec in self.index.functions:
            for output in spec.queue_outputs:
                self.router.backend_for(output.connection)

        frontend = Frontend(self, self.index, self.keys, self.max_body)
        self._server = DevHostHTTPServer((self.bind_host, self.requested_port), frontend)
        self._server_thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, name="devhost-http", daemon=True
        )
        self._server_thread.start()

        self.timers = TimerRunner(self.index.timer, self.invoker, self.state_dir)
        if self.timers_enabled:
            self.timers.start()

    def stop(self) -> None:
        """Graceful: stop accepting, finish in-flight requests, stop timers, finish deliveries."""
        if not self._started:
            return
        self._teardown()
        self._started = False

    def _teardown(self) -> None:
        if self._server is not None:
            self._server.drain(self.drain_timeout)
            self._server.shutdown()
            self._server.server_close()
            if self._server_thread is not None:
                self._server_thread.join(5)
            self._server = None
        # Timers and manual runs before queues: a run that is finishing may still enqueue work.
        if self.timers is not None:
            self.timers.stop(self.drain_timeout)
        for thread in self._background:
            thread.join(self.drain_timeout)
        self._background = []
        for listener in self.listeners:
            if not listener.stop(self.drain_timeout):
                log.warning("queue '%s': deliveries still running after %ss", listener.queue, self.drain_timeout)
        self.listeners = []
        if self.invoker is not None:
            self.invoker.close()
        if self.router is not None:
            self.router.close()
        self._overlay.restore()
        self._stopped.set()

    def __enter__(self) -> DevHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait(self) -> None:
        """Block until ``stop()`` (the CLI's foreground loop)."""
        while not self._stopped.wait(0.5):
            pass

    # ------------------------------------------------------------------ facts
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the dev host is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.bind_host in ("0.0.0.0", "") else self.bind_host
        return f"http://{host}:{self.port}"

    @property
    def function_key(self) -> str:
        assert self.keys is not None, "start() first"
        return self.keys.function_key

    @property
    def master_key(self) -> str:
        assert self.keys is not None, "start() first"
        return self.keys.master_key

    @property
    def module(self) -> ModuleType:
        """The imported app module (tests read state the fixture app records there)."""
        return self.index.module

    @property
    def functions(self) -> list[FunctionSpec]:
        return list(self.index.functions)

    def url_for(self, function_name: str, **route_values: str) -> str:
        """Full URL of an HTTP function, filling ``{param}`` pieces from ``route_values``."""
        spec = self.index.by_name(function_name)
        if spec is None or not isinstance(spec.trigger, HttpTriggerInfo):
            raise KeyError(f"no HTTP function named '{function_name}'")
        path = spec.trigger.template.url_path
        for name, value in route_values.items():
            for piece in (f"{{{name}}}", f"{{{name}?}}"):
                path = path.replace(piece, value)
        return self.base_url + path

    def describe_functions(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for spec in self.index.functions:
            item: dict[str, Any] = {"name": spec.name, "trigger": spec.kind, "disabled": spec.disabled}
            t = spec.trigger
            if isinstance(t, HttpTriggerInfo):
                item.update(
                    route=t.route,
                    url_path=t.template.url_path,
                    methods=list(t.methods or []),
                    auth_level=t.auth_level,
                )
            elif isinstance(t, QueueTriggerInfo):
                item.update(queue=t.queue_name, connection=t.connection)
            else:
                item.update(schedule=t.schedule_text, run_on_startup=t.run_on_startup, use_monitor=t.use_monitor)
            item["queue_outputs"] = [
                {"param": o.param, "queue": o.queue_name, "connection": o.connection} for o in spec.queue_outputs
            ]
            out.append(item)
        return out

    def route_lines(self) -> list[str]:
        """The listing ``func start`` prints, one line per function."""
        lines = []
        for spec in self.index.functions:
            t = spec.trigger
            suffix = " (disabled)" if spec.disabled else ""
            if isinstance(t, HttpTriggerInfo):
                methods = ",".join(t.methods) if t.methods else "ALL"
                url = self.base_url + t.template.url_path
                lines.append(f"{spec.name}: [{methods}] {url} (auth: {t.auth_level}){suffix}")
            elif isinstance(t, QueueTriggerInfo):
                lines.append(f"{spec.name}: queueTrigger (queue: {t.queue_name}){suffix}")
            else:
                lines.append(f"{spec.name}: timerTrigger (schedule: {t.schedule_text}){suffix}")
        return lines

    # ------------------------------------------------------------------ queues
    def backend(self, connection: str = DEFAULT_CONNECTION) -> QueueBackend:
        assert self.router is not None, "start() first"
        return self.router.backend_for(connection)

    def enqueue(self, queue: str, body: str | bytes | list[Any], connection: str = DEFAULT_CONNECTION) -> list[str]:
        """Send messages the way an output binding would (same encoding); returns their ids."""
        assert self.router is not None, "start() first"
        messages = queue_output_messages(body, f"enqueue to '{queue}'")
        return self.router.send_to(self.backend(connection), queue, messages)

    def queue_messages(self, queue: str, connection: str = DEFAULT_CONNECTION) -> list[str]:
        """Visible messages of a queue (peeked, at most 32), decoded to text."""
        return [b.decode("utf-8", "replace") for b in self.backend(connection).peek(queue)]

    def poison_messages(self, queue: str, connection: str = DEFAULT_CONNECTION) -> list[str]:
        """What ``<queue>-poison`` holds (peeked, at most 32), decoded to text."""
        return self.queue_messages(poison_queue_name(queue), connection)

    def queue_count(self, queue: str, connection: str = DEFAULT_CONNECTION) -> int:
        return self.backend(connection).count(queue)

    def wait_for_queues_idle(self, timeout: float = 10.0) -> None:
        """Wait until every triggered queue is empty and no delivery is running.

        Messages waiting out a retry delay count as not idle. Raises TimeoutError."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while True:
            busy = [lst.queue for lst in self.listeners if not lst.idle or lst.backend.count(lst.queue) > 0]
            now = time.monotonic()
            if not busy:
                # Two idle looks 20 ms apart, so a message between send and wake-up is not missed.
                if quiet_since is not None and now - quiet_since >= 0.02:
                    return
                quiet_since = quiet_since or now
            else:
                quiet_since = None
            if now >= deadline:
                detail = ", ".join(
                    f"{lst.queue}: {lst.backend.count(lst.queue)} queued, idle={lst.idle}" for lst in self.listeners
                )
                raise TimeoutError(f"queues not idle after {timeout}s ({detail})")
            time.sleep(0.005)

    def invoke_queue_function_in_background(self, spec: FunctionSpec, text: str) -> None:
        """Admin API run of a queue function: the input is the message body (as Core Tools does)."""
        message = QueueMessage(id=str(uuid.uuid4()), body=text, dequeue_count=1, pop_receipt="")

        def run() -> None:
            try:
                self.invoker.invoke(spec, message, reason=" (admin)")
            except Exception:
                log.error("function '%s' failed (manual run)", spec.name, exc_info=True)

        thread = threading.Thread(target=run, name=f"devhost-manual-{spec.name}", daemon=True)
        self._background = [t for t in self._background if t.is_alive()]
        self._background.append(thread)
        thread.start()

    # ------------------------------------------------------------------ timers
    def fire_timer(self, name: str, *, past_due: bool = False) -> None:
        """Run a timer function now and wait for it; raises what it raised."""
        self.timers.fire(name, past_due=past_due)

    def queue_summary(self) -> list[str]:
        """Which back end serves which trigger queue (endpoints only, never keys)."""
        lines = []
        for lst in self.listeners:
            where = "in-process" if lst.backend.kind == "inprocess" else f"storage at {lst.backend.endpoint}"  # type: ignore[attr-defined]
            lines.append(f"{lst.queue}: {where}")
        return lines

    # ------------------------------------------------------------------ stats
    def stats(self) -> dict[str, Any]:
        return {
            "queues": {lst.queue: lst.stats.snapshot() for lst in self.listeners},
            "timers": {
                name: {"runs": s.runs, "failures": s.failures, "next": s.next.isoformat() if s.next else None}
                for name, s in (self.timers.state.items() if self.timers else ())
            },
        }
