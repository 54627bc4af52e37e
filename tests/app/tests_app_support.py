"""Helpers shared by the application tests."""

from __future__ import annotations

from pathlib import Path

from conftest import app_settings  # type: ignore[import-not-found]

from shared.pipeline import Pipeline, set_pipeline
from shared.service import Service, set_service
from shared.stores import set_store
from shared.stores.sqlite import SqliteStore


def build_service(tmp_path: Path, **overrides: object) -> Service:
    settings = app_settings(tmp_path, **overrides)
    store = SqliteStore(settings.store.sqlite_path)
    set_store(store)
    set_pipeline(Pipeline.build(settings, store=store))
    svc = Service(settings)
    set_service(svc)
    return svc
