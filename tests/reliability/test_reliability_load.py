"""A bounded load run against the dev host on loopback (``tests/bench/load.py``).

CI runs a reduced form (a fixed number of requests per level); ``make bench`` prints the
full figures (``python -m tests.bench.load``: 10 s per level at 1, 8 and 32 clients).
What is asserted here is what must hold at any size: no error and no non-200 under
concurrency, every request accounted for, and percentiles that make sense.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from reliability_support import scale

from tests.bench.load import LocalHost, format_table, run_load

LEVELS = (1, 8, 32)


@pytest.fixture(scope="module")
def local_host() -> Iterator[LocalHost]:
    with LocalHost() as host:
        yield host


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_load_at_1_8_and_32_clients_has_no_errors(local_host: LocalHost, capsys: pytest.CaptureFixture[str]) -> None:
    results: list[dict[str, Any]] = []
    for clients in LEVELS:
        wanted = max(40, 2 * clients) * scale()
        result = run_load(local_host.base_url, local_host.key, clients, requests=wanted)
        results.append(result)
        assert result["errors"] == 0, result
        assert result["requests"] == wanted and result["statuses"] == {"200": wanted}, result
        lat = result["latency_ms"]
        assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"], lat
        assert sum(result["decisions"].values()) == wanted
        assert {"allow", "block"} <= set(result["decisions"]), result["decisions"]
    with capsys.disabled():
        print("\nload (reduced, CI):\n" + format_table(results))


def test_the_load_generator_only_targets_loopback() -> None:
    for url in ("http://10.0.0.5:7071", "http://192.168.1.2", "http://example.com:80", "https://127.0.0.1:1"):
        with pytest.raises(ValueError):
            run_load(url, "k", 1, requests=1)
