"""Fixtures for the reliability suite: a real service on SQLite, installed as the singletons."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for folder in (str(ROOT), str(HERE)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

from reliability_support import classifier_enabled, reset_singletons  # noqa: E402

from shared.config import Settings, load_settings, set_settings  # noqa: E402
from shared.pipeline import Pipeline, set_pipeline  # noqa: E402
from shared.service import Service, set_service  # noqa: E402
from shared.stores import set_store  # noqa: E402
from shared.stores.base import Store  # noqa: E402
from shared.stores.sqlite import SqliteStore  # noqa: E402


def service_settings(sqlite_path: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "store": {"backend": "sqlite", "sqlite_path": str(sqlite_path)},
        "classifier": {"enabled": classifier_enabled() == "true"},
        "limits": {"rate_limit_per_minute": 0},
        "tenancy": {"tenant_rate_limit_per_minute": 0},
    }
    base.update(overrides)
    return load_settings(**base)


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """``make_service(store=None, **setting_overrides)``: a Service on a real store, as singletons."""
    owned: list[Store] = []

    def build(store: Store | None = None, **overrides: object) -> Service:
        settings = service_settings(tmp_path / f"svc{len(owned)}.sqlite3", **overrides)
        if store is None:
            store = SqliteStore(settings.store.sqlite_path)
            owned.append(store)
        set_settings(settings)
        set_store(store)
        set_pipeline(Pipeline.build(settings, store=store))
        svc = Service(settings)
        set_service(svc)
        return svc

    reset_singletons()
    yield build
    reset_singletons()
    for s in owned:
        s.close()


@pytest.fixture
def service(make_service: Callable[..., Service]) -> Service:
    return make_service()
