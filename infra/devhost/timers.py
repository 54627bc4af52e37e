"""Timer triggers: fire on their NCRONTAB schedule, on start-up, or on demand.

Like the host, each timer runs one invocation at a time: the next occurrence is
computed after a run finishes, so occurrences missed while a long run was going are
skipped rather than queued. Times are UTC (the host's default time zone).

Schedule monitoring (``useMonitor``): with a ``state_dir`` the last/next occurrence of
each monitored timer is kept in ``<state_dir>/timers/<name>.json``; a start-up that
finds the recorded next occurrence already in the past fires once with
``past_due=True``, which is how the host reports a run missed while it was down.
Without a state dir the status lives in memory only.

A ``@app.retry`` policy on a timer function is honoured (fixed delay or exponential
back-off; ``context.retry_context.retry_count`` counts the attempts).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from azure.functions.timer import TimerRequest

from .index import FunctionSpec, TimerTriggerInfo
from .invoker import Invoker

log = logging.getLogger("devhost")


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


@dataclass
class TimerState:
    last: datetime | None = None
    next: datetime | None = None
    last_updated: datetime | None = None
    runs: int = 0
    failures: int = 0

    def schedule_status(self) -> dict[str, Any]:
        return {"Last": _iso(self.last), "Next": _iso(self.next), "LastUpdated": _iso(self.last_updated)}


class TimerRunner:
    def __init__(
        self,
        specs: list[FunctionSpec],
        invoker: Invoker,
        state_dir: Path | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.specs = {s.name.lower(): s for s in specs if isinstance(s.trigger, TimerTriggerInfo)}
        self.invoker = invoker
        self.state_dir = state_dir
        self.clock = clock
        self.state = {name: TimerState() for name in self.specs}
        self._locks = {name: threading.Lock() for name in self.specs}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._background: list[threading.Thread] = []

    # -- persistence (useMonitor)
    def _state_path(self, spec: FunctionSpec) -> Path | None:
        if self.state_dir is None:
            return None
        return self.state_dir / "timers" / f"{spec.name}.json"

    def _load(self, spec: FunctionSpec) -> None:
        path = self._state_path(spec)
        if path is None or not path.exists():
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            state = self.state[spec.name.lower()]
            state.last = datetime.fromisoformat(data["Last"]) if data.get("Last") else None
            state.next = datetime.fromisoformat(data["Next"]) if data.get("Next") else None
            state.last_updated = datetime.fromisoformat(data["LastUpdated"]) if data.get("LastUpdated") else None
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("timer '%s': ignoring unreadable schedule status %s", spec.name, path)

    def _save(self, spec: FunctionSpec) -> None:
        path = self._state_path(spec)
        trigger = spec.trigger
        if path is None or not (isinstance(trigger, TimerTriggerInfo) and trigger.use_monitor):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state[spec.name.lower()].schedule_status()), encoding="utf-8")
        tmp.replace(path)

    # -- running
    def _spec(self, name: str) -> FunctionSpec:
        spec = self.specs.get(name.lower())
        if spec is None:
            raise KeyError(f"no timer function named '{name}'")
        return spec

    def fire(self, name: str, *, past_due: bool = False) -> None:
        """Run a timer function now, synchronously; raises what the function raised (after retries)."""
        spec = self._spec(name)
        key = spec.name.lower()
        state = self.state[key]
        trigger = spec.trigger
        assert isinstance(trigger, TimerTriggerInfo)
        with self._locks[key]:
            request = TimerRequest(
                past_due=past_due,
                schedule_status=state.schedule_status(),
                schedule={"AdjustForDST": True},
            )
            attempts = 1 + (spec.retry.max_retry_count if spec.retry else 0)
            try:
                for attempt in range(attempts):
                    try:
                        self.invoker.invoke(spec, request, retry_count=attempt, reason=" (timer)")
                        break
                    except Exception:
                        if attempt + 1 >= attempts or spec.retry is None:
                            raise
                        delay = spec.retry.delay_for(attempt + 1)
                        log.warning("timer '%s' failed; retry %d in %.1fs", spec.name, attempt + 1, delay)
                        if self._stop.wait(delay):
                            raise
            except Exception:
                state.failures += 1
                raise
            finally:
                now = self.clock()
                state.runs += 1
                state.last = now
                state.last_updated = now
                state.next = trigger.schedule.next_after(now)
                self._save(spec)

    def fire_in_background(self, name: str, *, past_due: bool = False) -> None:
        """For the admin API: start a run and return (the host answers 202 at once)."""
        self._spec(name)  # raise KeyError now, not in the thread

        def run() -> None:
            try:
                self.fire(name, past_due=past_due)
            except Exception:
                log.error("timer '%s' failed (manual run)", name, exc_info=True)

        thread = threading.Thread(target=run, name=f"devhost-timer-manual-{name}", daemon=True)
        self._background = [t for t in self._background if t.is_alive()]
        self._background.append(thread)
        thread.start()

    def _scheduled(self, spec: FunctionSpec) -> None:
        trigger = spec.trigger
        assert isinstance(trigger, TimerTriggerInfo)
        state = self.state[spec.name.lower()]
        if trigger.use_monitor:
            self._load(spec)
        missed = state.next is not None and state.next < self.clock()
        if trigger.run_on_startup or missed:
            self._run_logged(spec, past_due=missed and not trigger.run_on_startup)
        while not self._stop.is_set():
            due = trigger.schedule.next_after(self.clock())
            state.next = due
            self._save(spec)
            while True:
                remaining = (due - self.clock()).total_seconds()
                if remaining <= 0:
                    break
                if self._stop.wait(min(remaining, 1.0)):
                    return
            self._run_logged(spec, past_due=False)

    def _run_logged(self, spec: FunctionSpec, *, past_due: bool) -> None:
        try:
            self.fire(spec.name, past_due=past_due)
        except Exception:
            log.error("timer '%s' failed", spec.name, exc_info=True)

    def start(self) -> None:
        for spec in self.specs.values():
            if spec.disabled:
                continue
            thread = threading.Thread(target=self._scheduled, args=(spec,), name=f"devhost-timer-{spec.name}")
            thread.daemon = True
            self._threads.append(thread)
            thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for thread in [*self._threads, *self._background]:
            thread.join(timeout)
