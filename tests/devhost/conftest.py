"""Fixtures for the dev host tests: the fixture app, hosts on free ports, Azurite."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from infra.devhost import DevHost

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

from devhost_testutil import (  # noqa: E402 - needs the path above
    APP,
    FAST_HOST_JSON,
    FUNCTION_KEY,
    MASTER_KEY,
    NEVER,
    ROOT,
    unique_queue,
)


@pytest.fixture
def recorder() -> Iterator[ModuleType]:
    module = importlib.import_module("devhost_fixture_app.recorder")
    module.reset()
    yield module
    module.reset()


@pytest.fixture
def make_host() -> Iterator[Callable[..., DevHost]]:
    """Start a DevHost on a free port with the fixture app; stopped after the test."""
    hosts: list[DevHost] = []

    def factory(**overrides: Any) -> DevHost:
        app_module = overrides.pop("app_module", APP)
        env = {"FIXTURE_QUEUE": unique_queue(), "TICK_SCHEDULE": NEVER, **overrides.pop("env", {})}
        options: dict[str, Any] = {
            "app_root": ROOT,
            "port": 0,
            "settings_file": False,
            "host_json": FAST_HOST_JSON,
            "function_key": FUNCTION_KEY,
            "master_key": MASTER_KEY,
            "queue_backend": "inprocess",
            "drain_timeout": 10.0,
            **overrides,
            "env": env,
        }
        host = DevHost(app_module, **options)
        host.start()
        hosts.append(host)
        return host

    yield factory
    for host in hosts:
        host.stop()


@pytest.fixture(scope="session")
def azurite() -> Iterator[Any]:
    from infra.emulators import start_azurite

    emulator = start_azurite()
    try:
        yield emulator
    finally:
        emulator.stop()
