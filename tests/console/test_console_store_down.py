"""The console when the store cannot be opened: the operator reads what is wrong, in words."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e.hosting import start_dev_host

from infra.devhost import DevHost

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def broken_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevHost]:
    data = tmp_path_factory.mktemp("store-down")
    not_a_file = data / "pss.sqlite3"
    not_a_file.mkdir()  # SQLite cannot open a directory: every store call fails
    with start_dev_host("embedded", data, extra_env={"PSS_STORE__SQLITE_PATH": str(not_a_file)}) as dev:
        yield dev


def test_an_unavailable_store_is_reported_in_words(browser: Any, broken_host: DevHost) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{broken_host.base_url}/api/console")
    page.wait_for_selector("body[data-loaded=true]", state="attached")
    page.fill("#key", broken_host.master_key)
    with page.expect_response(lambda r: "/api/console/views/" in r.url) as resp:
        page.press("#key", "Enter")
    assert resp.value.status == 503
    status = page.locator("#status")
    page.wait_for_selector("#status:not(:empty)")
    text = status.inner_text()
    assert "unavailable (503)" in text and "sqlite store cannot be opened" in text, text
    assert "Traceback" not in text and str(broken_host.base_url) not in text
    assert page.locator("#login").is_visible()  # nothing blank: the form stays to try again
    assert errors == []
    context.close()
