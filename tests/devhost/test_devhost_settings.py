"""local.settings.json, host.json, %SETTING% placeholders and the environment overlay."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
from devhost_testutil import APP, FAST_HOST_JSON, MASTER_KEY, ROOT

from infra.devhost import DevHost
from infra.devhost.errors import DevHostError
from infra.devhost.keys import KeyRing, mask
from infra.devhost.queues import storage_connection_string
from infra.devhost.settings import (
    EnvironmentOverlay,
    load_host_options,
    load_local_settings,
    parse_timespan,
    resolve_placeholders,
)


def test_parse_timespan() -> None:
    assert parse_timespan("00:00:30", name="x") == 30
    assert parse_timespan("01:02:03", name="x") == 3723
    assert parse_timespan("1.00:00:01", name="x") == 86401
    assert parse_timespan("00:00:00.250", name="x") == pytest.approx(0.25)
    for bad in ("30", "00:60:00", "aa:00:00", 30, "00:00"):
        with pytest.raises(DevHostError):
            parse_timespan(bad, name="x")


def test_host_json_defaults_and_overrides(tmp_path: Path) -> None:
    defaults = load_host_options(tmp_path / "missing.json")
    assert defaults.route_prefix == "api"
    q = defaults.queues
    assert (q.max_dequeue_count, q.visibility_timeout, q.batch_size, q.max_polling_interval) == (
        5,
        0.0,
        16,
        60.0,
    )
    assert q.fetch_threshold == 8 and q.max_concurrency == 24
    path = tmp_path / "host.json"
    # Keys are case-insensitive, as in the host's configuration binder.
    path.write_text(
        json.dumps(
            {
                "version": "2.0",
                "extensions": {
                    "http": {"routePrefix": "/v1/"},
                    "Queues": {
                        "MaxDequeueCount": 2,
                        "visibilityTimeout": "00:00:05",
                        "batchSize": 3,
                        "newBatchThreshold": 1,
                        "maxPollingInterval": "00:00:02",
                        "messageEncoding": "none",
                    },
                },
            }
        )
    )
    opts = load_host_options(path)
    assert opts.route_prefix == "v1"
    assert opts.queues.max_dequeue_count == 2
    assert opts.queues.visibility_timeout == 5
    assert opts.queues.max_concurrency == 4
    assert opts.queues.max_polling_interval == 2
    assert opts.queues.message_encoding == "none"
    assert load_host_options({"extensions": {"http": {"routePrefix": ""}}}).route_prefix == ""


@pytest.mark.parametrize(
    "queues",
    [
        {"batchSize": 33},
        {"batchSize": 0},
        {"maxDequeueCount": "5"},
        {"visibilityTimeout": 30},
        {"messageEncoding": "x"},
    ],
)
def test_host_json_bad_values_name_the_setting(queues: dict[str, object]) -> None:
    with pytest.raises(DevHostError, match=r"extensions\.queues"):
        load_host_options({"extensions": {"queues": queues}})


def test_local_settings_file(tmp_path: Path) -> None:
    assert load_local_settings(tmp_path / "none.json") is None
    path = tmp_path / "local.settings.json"
    path.write_text(
        json.dumps(
            {
                "IsEncrypted": False,
                "Values": {"A": "1", "FLAG": True, "N": 5, "SKIP": None},
                "Host": {"LocalHttpPort": 7199},
            }
        )
    )
    local = load_local_settings(path)
    assert local is not None
    assert local.values == {"A": "1", "FLAG": "true", "N": "5"}
    assert local.local_http_port == 7199
    path.write_text(json.dumps({"IsEncrypted": True, "Values": {}}))
    with pytest.raises(DevHostError, match="IsEncrypted"):
        load_local_settings(path)
    path.write_text(json.dumps({"Values": {"OBJ": {"x": 1}}}))
    with pytest.raises(DevHostError, match=r"Values\.OBJ"):
        load_local_settings(path)
    path.write_text("{not json")
    with pytest.raises(DevHostError, match="not valid JSON"):
        load_local_settings(path)


def test_environment_overlay_never_overrides_and_restores() -> None:
    env = {"KEEP": "mine"}
    overlay = EnvironmentOverlay(env)
    overlay.apply({"KEEP": "theirs", "NEW": "x"})
    assert env == {"KEEP": "mine", "NEW": "x"}
    overlay.apply({"KEEP": "forced"}, override=True)
    assert env["KEEP"] == "forced"
    overlay.restore()
    assert env == {"KEEP": "mine"}


def test_placeholders() -> None:
    lookup = {"Q": "graph-updates", "S": "0 0 * * * *"}.get
    assert resolve_placeholders("%Q%", lookup, where="w") == "graph-updates"
    assert resolve_placeholders("pre-%Q%-post", lookup, where="w") == "pre-graph-updates-post"
    assert resolve_placeholders("no placeholders", lookup, where="w") == "no placeholders"
    with pytest.raises(DevHostError, match="%MISSING%"):
        resolve_placeholders("%MISSING%", lookup, where="w")
    with pytest.raises(DevHostError, match="unbalanced"):
        resolve_placeholders("%Q", lookup, where="w")


def test_storage_connection_selection() -> None:
    assert storage_connection_string(None) is None
    assert storage_connection_string("") is None
    assert storage_connection_string("UseDevelopmentStorage=false") is None
    dev = storage_connection_string("UseDevelopmentStorage=true")
    assert dev is not None and "QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1" in dev
    conn = "DefaultEndpointsProtocol=http;AccountName=a;AccountKey=b;QueueEndpoint=http://h:1/a;"
    assert storage_connection_string(conn) == conn
    with pytest.raises(DevHostError):
        storage_connection_string("garbage")


def test_keys_from_environment_generated_and_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEVHOST_FUNCTION_KEY", raising=False)
    monkeypatch.delenv("DEVHOST_MASTER_KEY", raising=False)
    generated = KeyRing.create()
    assert generated.function_key_generated and generated.master_key_generated
    assert len(generated.function_key) >= 40 and generated.function_key != generated.master_key
    assert generated.describe()["function"] == generated.function_key  # generated keys print in full
    monkeypatch.setenv("DEVHOST_FUNCTION_KEY", "explicit-function-key-123456")
    monkeypatch.setenv("DEVHOST_MASTER_KEY", "explicit-master-key-654321")
    explicit = KeyRing.create()
    assert explicit.function_key == "explicit-function-key-123456"
    assert "explicit-function-key-123456" not in explicit.describe()["function"]
    assert explicit.describe()["function"] == mask("explicit-function-key-123456")
    assert explicit.authorize("function", "explicit-function-key-123456")
    assert explicit.authorize("function", "explicit-master-key-654321")
    assert not explicit.authorize("admin", "explicit-function-key-123456")
    assert explicit.authorize("anonymous", None)
    assert not explicit.authorize("function", "")
    with pytest.raises(DevHostError, match="must differ"):
        KeyRing.create("same-key-for-both-0000", "same-key-for-both-0000")


def test_local_settings_json_feeds_the_app_and_is_removed_on_stop(tmp_path: Path) -> None:
    for name in ("FIXTURE_QUEUE", "TICK_SCHEDULE", "DEVHOST_FUNCTION_KEY"):
        assert name not in os.environ
    settings = tmp_path / "local.settings.json"
    settings.write_text(
        json.dumps(
            {
                "IsEncrypted": False,
                "Values": {
                    "FIXTURE_QUEUE": "from-settings-file",
                    "TICK_SCHEDULE": "0 0 6 * * MON",
                    "DEVHOST_FUNCTION_KEY": "key-from-local-settings-42",
                },
            }
        )
    )
    host = DevHost(APP, app_root=ROOT, port=0, settings_file=settings, host_json=FAST_HOST_JSON, master_key=MASTER_KEY)
    with host:
        described = {f["name"]: f for f in host.describe_functions()}
        assert described["consume"]["queue"] == "from-settings-file"
        assert described["enqueue"]["queue_outputs"][0]["queue"] == "from-settings-file"
        assert described["tick"]["schedule"] == "0 0 6 * * MON"
        assert host.function_key == "key-from-local-settings-42"
        assert os.environ["FIXTURE_QUEUE"] == "from-settings-file"
        r = httpx.post(f"{host.base_url}/api/enqueue", content=b"x", headers={"x-functions-key": host.function_key})
        assert r.status_code == 202
    for name in ("FIXTURE_QUEUE", "TICK_SCHEDULE", "DEVHOST_FUNCTION_KEY"):
        assert name not in os.environ


def test_exported_variable_wins_over_local_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FIXTURE_QUEUE", "from-environment")
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"Values": {"FIXTURE_QUEUE": "from-file", "TICK_SCHEDULE": "0 0 0 1 1 *"}}))
    with DevHost(APP, app_root=ROOT, port=0, settings_file=settings, host_json=FAST_HOST_JSON) as host:
        assert host.index.by_name("consume").trigger.queue_name == "from-environment"  # type: ignore[union-attr]
    assert os.environ["FIXTURE_QUEUE"] == "from-environment"
    assert "TICK_SCHEDULE" not in os.environ


def test_missing_setting_stops_start_up_and_leaves_the_environment_clean() -> None:
    host = DevHost(APP, app_root=ROOT, port=0, settings_file=False, env={"TICK_SCHEDULE": "0 0 0 1 1 *"})
    with pytest.raises(DevHostError, match="%FIXTURE_QUEUE%"):
        host.start()
    assert "TICK_SCHEDULE" not in os.environ
