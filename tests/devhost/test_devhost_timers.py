"""Timers: on-demand runs, schedule firing, run-on-startup, schedule monitor, retries."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import pytest
from devhost_testutil import wait_until

from infra.devhost import DevHost


def test_fire_timer_runs_synchronously(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = make_host()
    host.fire_timer("tick")
    ticks = recorder.get("tick")  # no waiting: the run has finished when fire_timer returns
    assert len(ticks) == 1 and ticks[0]["past_due"] is False
    host.fire_timer("TICK", past_due=True)  # names are case-insensitive
    assert recorder.get("tick")[1]["past_due"] is True
    assert recorder.get("tick")[1]["status"]["Last"] is not None  # schedule status after a run
    with pytest.raises(KeyError):
        host.fire_timer("consume")  # not a timer


def test_schedule_from_app_setting_fires_every_second(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = make_host(env={"TICK_SCHEDULE": "* * * * * *"})
    ticks = wait_until(lambda: (t := recorder.get("tick")) and len(t) >= 3 and t, timeout=5)
    nexts = [datetime.fromisoformat(t["status"]["Next"]) for t in ticks[:3]]
    # Each run was scheduled for a whole second, one second after the previous one.
    assert all(n.microsecond == 0 for n in nexts)
    assert nexts[1] - nexts[0] == timedelta(seconds=1) and nexts[2] - nexts[1] == timedelta(seconds=1)
    assert all(t["past_due"] is False for t in ticks)
    assert host.stats()["timers"]["tick"]["runs"] >= 3


def test_run_on_startup_and_timers_off(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    make_host()
    wait_until(lambda: recorder.get("startup"))
    assert recorder.get("startup") == [{"past_due": False}]
    recorder.reset()
    host = make_host(timers=False, env={"TICK_SCHEDULE": "* * * * * *"})
    time.sleep(1.2)
    assert recorder.get("tick") == [] and recorder.get("startup") == []
    host.fire_timer("tick")  # on-demand still works
    assert len(recorder.get("tick")) == 1


def test_schedule_monitor_fires_a_missed_occurrence_as_past_due(
    make_host: Callable[..., DevHost], recorder: ModuleType, tmp_path: Path
) -> None:
    status = tmp_path / "timers" / "monthly_report.json"
    status.parent.mkdir(parents=True)
    missed = datetime.now(UTC) - timedelta(days=2)
    status.write_text(json.dumps({"Last": None, "Next": missed.isoformat(), "LastUpdated": None}))
    make_host(state_dir=tmp_path)
    runs = wait_until(lambda: recorder.get("monthly"))
    assert runs == [{"past_due": True}]
    saved = wait_until(lambda: json.loads(status.read_text()).get("Last") and json.loads(status.read_text()))
    assert datetime.fromisoformat(saved["Next"]) > datetime.now(UTC)


def test_retry_policy_on_a_timer(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = make_host()
    host.fire_timer("flaky_timer")  # fails twice, succeeds on the second retry
    assert [(r["attempt"], r["max_retry"]) for r in recorder.get("flaky")] == [(0, 2), (1, 2), (2, 2)]
    assert host.stats()["timers"]["flaky_timer"]["failures"] == 0


def test_failing_timer_raises_from_fire_timer(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = make_host()
    with pytest.raises(RuntimeError, match="always fails"):
        host.fire_timer("failing_timer")
    assert len(recorder.get("failing")) == 1
    assert host.stats()["timers"]["failing_timer"]["failures"] == 1


def test_disabled_timer_is_not_scheduled_but_can_run_by_hand(
    make_host: Callable[..., DevHost], recorder: ModuleType
) -> None:
    host = make_host(env={"AzureWebJobs.tick.Disabled": "true", "TICK_SCHEDULE": "* * * * * *"})
    assert host.index.by_name("tick").disabled  # type: ignore[union-attr]
    time.sleep(1.2)
    assert recorder.get("tick") == []
    host.fire_timer("tick")
    assert len(recorder.get("tick")) == 1
