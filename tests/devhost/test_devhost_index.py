"""Indexing: everything comes from app.get_functions(); broken apps are refused loudly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from devhost_testutil import APP, ROOT

from infra.devhost.errors import DevHostError
from infra.devhost.index import HttpTriggerInfo, QueueTriggerInfo, TimerTriggerInfo, index_app
from infra.devhost.settings import EnvironmentOverlay


@pytest.fixture
def fixture_env() -> Iterator[None]:
    overlay = EnvironmentOverlay()
    overlay.apply({"FIXTURE_QUEUE": "idx-queue", "TICK_SCHEDULE": "*/2 * * * * *"}, override=True)
    yield
    overlay.restore()


def test_index_reads_triggers_and_bindings(fixture_env: None) -> None:
    index = index_app(APP, ROOT)
    names = {f.name for f in index.functions}
    assert {"enqueue", "ping", "async_ping", "manage_reset", "items", "boom", "consume", "tick"} <= names
    assert {"startup_timer", "monthly_report", "flaky_timer"} <= names  # @function_name wins

    enqueue = index.by_name("enqueue")
    assert enqueue is not None and isinstance(enqueue.trigger, HttpTriggerInfo)
    assert enqueue.trigger.route == "enqueue"
    assert enqueue.trigger.methods == ("POST",)
    assert enqueue.trigger.auth_level == "function"  # the app's default level
    assert [(o.param, o.queue_name, o.connection) for o in enqueue.queue_outputs] == [
        ("out", "idx-queue", "AzureWebJobsStorage")
    ]
    assert enqueue.http_output_param == "$return"

    assert index.by_name("ping").trigger.auth_level == "anonymous"  # type: ignore[union-attr]
    assert index.by_name("manage_reset").trigger.auth_level == "admin"  # type: ignore[union-attr]
    items = index.by_name("items")
    assert items is not None and isinstance(items.trigger, HttpTriggerInfo)
    assert items.trigger.methods == ("GET", "PUT")
    assert items.context_param == "context"
    assert items.trigger.template.match("/api/items/5/x") == {"id": "5", "name": "x"}
    assert index.by_name("async_ping").is_async  # type: ignore[union-attr]

    consume = index.by_name("consume")
    assert consume is not None and isinstance(consume.trigger, QueueTriggerInfo)
    assert (consume.trigger.queue_name, consume.trigger.connection) == ("idx-queue", "AzureWebJobsStorage")

    tick = index.by_name("tick")
    assert tick is not None and isinstance(tick.trigger, TimerTriggerInfo)
    assert tick.trigger.schedule_text == "*/2 * * * * *"  # %TICK_SCHEDULE% resolved
    assert tick.trigger.use_monitor is False and tick.trigger.run_on_startup is False
    startup = index.by_name("startup_timer")
    assert startup is not None and isinstance(startup.trigger, TimerTriggerInfo)
    assert startup.trigger.run_on_startup is True
    assert startup.trigger.use_monitor is True  # default for schedules a minute or more apart
    flaky = index.by_name("flaky_timer")
    assert flaky is not None and flaky.retry is not None
    assert (flaky.retry.strategy, flaky.retry.max_retry_count) == ("fixed_delay", 2)
    assert index.by_name("CONSUME") is consume  # names are case-insensitive, as in the host


def test_route_prefix_comes_from_host_json(fixture_env: None) -> None:
    index = index_app(APP, ROOT, route_prefix="")
    assert index.by_name("ping").trigger.template.match("/ping") == {}  # type: ignore[union-attr]
    index = index_app(APP, ROOT, route_prefix="v2")
    assert index.by_name("ping").trigger.template.match("/v2/ping") == {}  # type: ignore[union-attr]


def test_indexing_twice_leaves_the_app_usable(fixture_env: None) -> None:
    first = index_app(APP, ROOT)
    second = index_app(APP, ROOT)
    assert [f.name for f in first.functions] == [f.name for f in second.functions]
    # azure-functions raises on a second get_functions() unless its memo is reset; we put it back.
    assert len(first.app.get_functions()) == len(first.functions)


@pytest.mark.parametrize(
    ("module", "message"),
    [
        ("devhost_fixture_app.broken.import_error:app", "simulated import failure"),
        ("devhost_fixture_app.broken.missing_setting:app", "%DEVHOST_TEST_UNSET_SETTING%"),
        ("devhost_fixture_app.broken.unbound_param:app", "declared in Python but not in the function definition"),
        ("devhost_fixture_app.broken.unbound_param:app", "'Bad_Queue_Name' is not a valid queue name"),
        ("devhost_fixture_app.broken.bad_schedule:app", "invalid schedule '0 0 0 * * 7'"),
        ("devhost_fixture_app.function_app:nothing", "is not an azure.functions FunctionApp"),
        ("no_such_module_anywhere:app", "importing 'no_such_module_anywhere' failed"),
    ],
)
def test_broken_apps_are_refused_with_a_clear_message(module: str, message: str) -> None:
    with pytest.raises(DevHostError) as err:
        index_app(module, ROOT)
    assert message in str(err.value)
