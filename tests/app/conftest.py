"""Fixtures for the application layer: a real SQLite store and the service on top of it."""

from __future__ import annotations

from collections.abc import Iterator
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
