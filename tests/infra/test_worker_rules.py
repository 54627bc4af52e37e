"""The app loads on the real Python worker, and the dev host refuses what Azure refuses.

``infra/check_worker.py`` runs the worker's own indexing code (``azure-functions-runtime``,
in ``.venv-worker``) on the app and on small fixture apps; the dev host's indexer must
refuse exactly the same fixtures with the worker's own message, and must also refuse
what the host's name resolution refuses (``%NAME%`` with ``__``, unset names).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.check_worker import index_with_worker
from infra.devhost.errors import DevHostError
from infra.devhost.index import index_app

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "devhost" / "worker_cases"
REFUSED = {
    "wr_out_builtin_list": "binding updates has invalid non-type annotation azure.functions._abc.Out[list[str]]",
    "wr_union": "binding msg has invalid non-type annotation",
    "wr_wrong_type": "do not match the corresponding function parameter's Python type annotation int",
    "wr_out_not_out": 'declared to have the "out" direction, but its annotation in Python is not a subclass',
    "wr_return_type": 'Python return annotation "int" does not match binding type "http"',
    "wr_context": 'the "context" parameter is expected to be of type azure.functions.Context',
}
ACCEPTED = ("wr_out_typing_list", "wr_dunder_setting")


@pytest.fixture(scope="module")
def worker() -> dict[str, dict[str, str]]:
    """One worker run for the app and every fixture (installs the worker on first use)."""
    return {
        **index_with_worker(REPO, ["function_app"]),
        **index_with_worker(CASES, [*REFUSED, *ACCEPTED]),
    }


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in json.loads((REPO / "local.settings.example.json").read_text())["Values"].items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WR_QUEUE__NAME", "wr-queue")  # set, and still unresolvable on the host
    yield


def test_every_function_of_the_app_loads_on_the_worker(worker: dict[str, dict[str, str]]) -> None:
    app = worker["function_app"]
    assert len(app) >= 14  # the dev host's index of the same app is compared below
    assert {name: text for name, text in app.items() if text != "ok"} == {}


@pytest.mark.parametrize("module", sorted(REFUSED))
def test_the_worker_and_the_dev_host_refuse_alike(
    worker: dict[str, dict[str, str]], settings_env: None, module: str
) -> None:
    (worker_text,) = worker[module].values()
    assert worker_text.startswith("cannot load the ") and REFUSED[module] in worker_text
    with pytest.raises(DevHostError) as err:
        index_app(f"{module}:app", CASES)
    assert worker_text in str(err.value)  # the same words, not just some refusal


def test_the_worker_accepts_what_the_dev_host_accepts(worker: dict[str, dict[str, str]], settings_env: None) -> None:
    assert worker["wr_out_typing_list"] == {"out_typing_list": "ok"}
    assert [f.name for f in index_app("wr_out_typing_list:app", CASES).functions] == ["out_typing_list"]


def test_a_setting_name_with_double_underscore_never_resolves(
    worker: dict[str, dict[str, str]], settings_env: None
) -> None:
    # The worker does not look at %NAME%; the host does, after "__" became ":" in its configuration.
    assert worker["wr_dunder_setting"] == {"dunder_setting": "ok"}
    with pytest.raises(DevHostError) as err:
        index_app("wr_dunder_setting:app", CASES)
    assert "'%WR_QUEUE__NAME%' does not resolve to a value" in str(err.value)
    assert "cannot contain '__'" in str(err.value)


def test_the_app_is_hosted_with_the_example_settings(worker: dict[str, dict[str, str]], settings_env: None) -> None:
    index = index_app("function_app:app", REPO)
    assert {f.name for f in index.functions} == set(worker["function_app"])
    assert index.by_name("graph_update").trigger.queue_name == "graph-updates"  # type: ignore[union-attr]


def test_unset_binding_setting_is_refused(settings_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PSS_GRAPH_QUEUE_NAME")
    with pytest.raises(DevHostError) as err:
        index_app("function_app:app", REPO)
    assert "'%PSS_GRAPH_QUEUE_NAME%' does not resolve to a value" in str(err.value)
