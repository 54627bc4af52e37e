"""Fixtures for the application layer: a real SQLite store and the service on top of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.config import Settings, load_settings
from shared.pipeline import Pipeline, set_pipeline
from shared.service import Service, set_service
from shared.stores import set_store
from shared.stores.sqlite import SqliteStore

MODEL = Path(__file__).resolve().parents[2] / "shared" / "detection" / "model"


def app_settings(tmp_path: Path, **overrides: object) -> Settings:
    base: dict[str, object] = {
        "store": {"backend": "sqlite", "sqlite_path": str(tmp_path / "pss.sqlite3")},
        "classifier": {"enabled": MODEL.exists()},
    }
    base.update(overrides)
    return load_settings(**base)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return app_settings(tmp_path)


@pytest.fixture
def store(settings: Settings) -> Iterator[SqliteStore]:
    s = SqliteStore(settings.store.sqlite_path)
    yield s
    s.close()


@pytest.fixture
def make_service(tmp_path: Path) -> Iterator[Callable[..., Service]]:
    """Build a service with setting overrides (e.g. a low rate limit), installed as the singletons."""
    stores: list[SqliteStore] = []

    def build(**overrides: object) -> Service:
        settings = app_settings(tmp_path, **overrides)
        store = SqliteStore(settings.store.sqlite_path)
        stores.append(store)
        set_store(store)
        set_pipeline(Pipeline.build(settings, store=store))
        svc = Service(settings)
        set_service(svc)
        return svc

    yield build
    set_service(None)
    set_pipeline(None)
    set_store(None)
    for s in stores:
        s.close()


@pytest.fixture
def service(settings: Settings, store: SqliteStore) -> Iterator[Service]:
    """The service wired to a fresh store and pipeline, installed as the process singletons."""
    set_store(store)
    pipeline = Pipeline.build(settings, store=store)
    set_pipeline(pipeline)
    svc = Service(settings)
    set_service(svc)
    yield svc
    set_service(None)
    set_pipeline(None)
    set_store(None)
