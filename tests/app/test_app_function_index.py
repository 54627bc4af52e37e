"""The function app as the Functions host indexes it: names, triggers, bindings."""

from __future__ import annotations

import importlib

import azure.functions as func
import pytest

EXPECTED_HTTP = {
    "analyze": ("analyze", {"POST"}, func.AuthLevel.FUNCTION),
    "analyze_batch": ("analyze/batch", {"POST"}, func.AuthLevel.FUNCTION),
    "scan_output": ("scan-output", {"POST"}, func.AuthLevel.FUNCTION),
    "user_profile": ("users/{user_id}/profile", {"GET"}, func.AuthLevel.FUNCTION),
    "metrics": ("metrics", {"GET"}, func.AuthLevel.FUNCTION),
    "health": ("health", {"GET"}, func.AuthLevel.ANONYMOUS),
    "openapi": ("openapi.json", {"GET"}, func.AuthLevel.ANONYMOUS),
    "graph_view": ("graph/{kind}/{ident?}", {"GET"}, func.AuthLevel.FUNCTION),
    "manage_rules": ("manage/rules", {"GET", "PUT", "POST"}, func.AuthLevel.ADMIN),
    "manage_rule_delete": ("manage/rules/{rule_id}", {"DELETE"}, func.AuthLevel.ADMIN),
    "manage_allowlist": ("manage/allowlist", {"GET", "PUT"}, func.AuthLevel.ADMIN),
    "manage_unblock": ("manage/users/{user_id}/unblock", {"POST"}, func.AuthLevel.ADMIN),
    "console_page": ("console", {"GET"}, func.AuthLevel.ANONYMOUS),
    "docs_page": ("docs", {"GET"}, func.AuthLevel.ANONYMOUS),
    "console_asset": ("console/assets/{name}", {"GET"}, func.AuthLevel.ANONYMOUS),
    "console_view": ("console/views/{view}", {"GET"}, func.AuthLevel.ADMIN),
    "caller": ("caller", {"GET"}, func.AuthLevel.FUNCTION),
    "manage_known_attacks": ("manage/known-attacks", {"GET"}, func.AuthLevel.ADMIN),
    "manage_known_attack_confirm": ("manage/known-attacks/{attack_id}/confirm", {"POST"}, func.AuthLevel.ADMIN),
    "manage_known_attack_remove": ("manage/known-attacks/{attack_id}", {"DELETE"}, func.AuthLevel.ADMIN),
}


_INDEX: dict[str, object] = {}


def _functions() -> dict[str, object]:
    """Index once, like the host: ``get_functions()`` refuses to run twice on one app."""
    if not _INDEX:
        module = importlib.import_module("function_app")
        _INDEX.update({f.get_function_name(): f for f in module.app.get_functions()})
    return _INDEX


def test_every_function_is_indexed_once() -> None:
    names = set(_functions())
    assert names == set(EXPECTED_HTTP) | {"graph_update", "reputation_decay"}


def test_http_routes_methods_and_auth_levels() -> None:
    fns = _functions()
    for name, (route, methods, auth) in EXPECTED_HTTP.items():
        trigger = fns[name].get_trigger()
        assert trigger.route == route, name
        assert {m.value if hasattr(m, "value") else str(m) for m in trigger.methods} == methods, name
        assert trigger.auth_level == auth, name


def test_analyze_routes_emit_graph_updates_through_the_queue_output_binding() -> None:
    fns = _functions()
    for name in ("analyze", "analyze_batch"):
        outs = [b.get_dict_repr() for b in fns[name].get_bindings() if b.get_dict_repr()["type"] == "queue"]
        assert len(outs) == 1, name
        assert str(getattr(outs[0]["direction"], "name", outs[0]["direction"])).upper() == "OUT"
        assert outs[0]["queueName"] == "%PSS_GRAPH_QUEUE_NAME%"
        assert outs[0]["connection"] == "AzureWebJobsStorage"
    for name in set(EXPECTED_HTTP) - {"analyze", "analyze_batch"}:
        assert all(b.get_dict_repr()["type"] != "queue" for b in fns[name].get_bindings()), name


def test_queue_trigger_and_timer() -> None:
    fns = _functions()
    queue = fns["graph_update"].get_trigger()
    assert queue.queue_name == "%PSS_GRAPH_QUEUE_NAME%"
    assert queue.connection == "AzureWebJobsStorage"
    timer = fns["reputation_decay"].get_trigger()
    assert timer.schedule == "%PSS_REPUTATION_DECAY_SCHEDULE%"
    assert not timer.run_on_startup
    assert timer.use_monitor


def test_function_json_is_valid_for_every_function() -> None:
    import json

    for name, fn in _functions().items():
        doc = json.loads(fn.get_function_json())
        assert doc["scriptFile"] == "function_app.py", name
        assert sum(1 for b in doc["bindings"] if b["direction"] == "IN") == 1, name


def test_binding_placeholders_are_known_settings() -> None:
    """Every %SETTING% a binding uses must be a setting the config knows (so Bicep sets it)."""
    from shared.config import known_env_names

    known = known_env_names()
    for fn in _functions().values():
        for binding in fn.get_bindings():
            for value in binding.get_dict_repr().values():
                if isinstance(value, str) and value.startswith("%") and value.endswith("%"):
                    assert value.strip("%") in known, value


def test_binding_settings_are_flat_and_feed_the_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The host cannot resolve %A__B%; the flat names feed the nested fields, the old spelling is refused."""
    from shared.config import BINDING_ENV_NAMES, load_settings
    from shared.errors import ConfigError

    assert all("__" not in name for name in BINDING_ENV_NAMES)
    monkeypatch.setenv("PSS_GRAPH_QUEUE_NAME", "other-queue")
    monkeypatch.setenv("PSS_REPUTATION_DECAY_SCHEDULE", "0 0 * * * *")
    settings = load_settings()
    assert (settings.graph.queue_name, settings.reputation.decay_schedule) == ("other-queue", "0 0 * * * *")
    monkeypatch.setenv("PSS_GRAPH__QUEUE_NAME", "other-queue")
    try:
        load_settings()
    except ConfigError as exc:
        assert "PSS_GRAPH__QUEUE_NAME is now PSS_GRAPH_QUEUE_NAME" in exc.message
    else:
        raise AssertionError("the nested spelling of a binding setting was accepted")
