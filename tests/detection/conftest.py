"""Fixtures for the detection-core suite.

Every pipeline here is built through the one entry point (``Pipeline.build``) from
settings loaded the normal way, so what is tested is what is served. The default
fixture is *rules only* (classifier off): its verdicts come from the rule catalogue,
normalisation and decoding alone, which is what most of these tests are about. The
classifier pipeline is only available once the trained artefact ships in
``shared/detection/model/``.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # runnable from any directory
    sys.path.insert(0, str(ROOT))

from shared.config import load_settings, set_settings  # noqa: E402
from shared.pipeline import AnalysisRequest, AnalysisResult, Pipeline  # noqa: E402

#: A fixed 32-character HMAC key so keyed hashes are deterministic across runs.
HMAC_KEY = "detection-tests-hmac-key-0123456"
assert len(HMAC_KEY) == 32


@contextlib.contextmanager
def clean_environment() -> Iterator[None]:
    """No ``PSS_*`` variables but the local HMAC secret; the previous environment comes back after."""
    mp = pytest.MonkeyPatch()
    for key in list(os.environ):
        if key.upper().startswith("PSS_"):
            mp.delenv(key)
    mp.setenv("PSS_SECRET_PROMPT_HMAC_KEY", HMAC_KEY)
    from shared.secrets import set_secret_provider

    set_settings(None)
    set_secret_provider(None)
    try:
        yield
    finally:
        mp.undo()
        set_settings(None)
        set_secret_provider(None)


@pytest.fixture(scope="module", autouse=True)
def _test_environment() -> Iterator[None]:
    """Every module here runs in the clean environment; suites in other folders see theirs."""
    with clean_environment():
        yield


def rules_only_settings(**overrides: Any):
    """Settings with the classifier off (plus any overrides), validated like production."""
    with clean_environment():
        return load_settings(classifier={"enabled": False}, **overrides)


def build_rules_only(**overrides: Any) -> Pipeline:
    with clean_environment():
        return Pipeline.build(rules_only_settings(**overrides))


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """The rules-only pipeline at the default level and strategy."""
    return build_rules_only()


_BUILT: dict[tuple[tuple[str, Any], ...], Pipeline] = {}


@pytest.fixture(scope="session")
def pipeline_for() -> Callable[..., Pipeline]:
    """Build (once per distinct set of overrides) a rules-only pipeline."""

    def build(**overrides: Any) -> Pipeline:
        key = tuple(sorted((k, repr(v)) for k, v in overrides.items()))
        if key not in _BUILT:
            _BUILT[key] = build_rules_only(**overrides)
        return _BUILT[key]

    return build


@pytest.fixture(scope="session")
def classifier_pipeline() -> Pipeline:
    """The full pipeline with the shipped classifier (needs the trained artefact)."""
    from shared.detection.classifier import META_NAME, MODEL_DIR, NPZ_NAME

    if not (MODEL_DIR / NPZ_NAME).exists() or not (MODEL_DIR / META_NAME).exists():
        pytest.skip("the classifier artefact (shared/detection/model/) has not been trained yet")
    with clean_environment():
        return Pipeline.build(load_settings())


@pytest.fixture(scope="session")
def analyze(pipeline: Pipeline) -> Callable[..., AnalysisResult]:
    """``analyze(text, **request_fields)`` on the rules-only pipeline, never recorded."""

    def run(text: str, *, on: Pipeline | None = None, **fields: Any) -> AnalysisResult:
        req = AnalysisRequest(user_id=fields.pop("user_id", "tester"), prompt=text, **fields)
        return (on or pipeline).analyze(req, record=False)

    return run
