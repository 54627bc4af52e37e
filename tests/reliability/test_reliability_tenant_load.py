"""Load with a fresh user id on every request, against a dev host in its own process.

Rotating user ids used to defeat the rate limit (it was keyed on the id the caller
writes). Now the tenant's own limit holds whatever the ids, and when more work is in
flight than ``max_in_flight_units`` the service sheds it (503 ``overloaded`` with
``Retry-After``) instead of letting every request queue: admitted requests keep a
bounded p99. CI runs a short form; ``RELIABILITY_SCALE`` multiplies the request counts.
"""

from __future__ import annotations

import pytest
from reliability_support import scale

from tests.bench.load import LocalHost, format_table, run_load

ROTATING = 10**9  # user ids: one new id per request


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_rotating_user_ids_meet_the_tenant_limit() -> None:
    env = {"PSS_LIMITS__RATE_LIMIT_PER_MINUTE": "3", "PSS_TENANCY__TENANT_RATE_LIMIT_PER_MINUTE": "40"}
    with LocalHost(env) as host:
        result = run_load(host.base_url, host.key, 8, requests=120, users=ROTATING)
    statuses = result["statuses"]
    # At most two one-minute windows fit in the run: at most 80 admitted, at least 40 refused
    # (the host's warm-up request took one unit of the first window).
    assert 39 <= statuses.get("200", 0) <= 80 and statuses.get("429", 0) >= 40, statuses
    assert set(statuses) <= {"200", "429"}, statuses


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_shedding_keeps_p99_bounded_at_8_and_32_clients(capsys: pytest.CaptureFixture[str]) -> None:
    rows = []
    env = {"PSS_TENANCY__TENANT_RATE_LIMIT_PER_MINUTE": "0", "PSS_TENANCY__MAX_IN_FLIGHT_UNITS": "4"}
    with LocalHost(env) as host:
        for clients in (8, 32):
            wanted = max(80, 4 * clients) * scale()
            result = run_load(host.base_url, host.key, clients, requests=wanted, users=ROTATING)
            rows.append(result)
            statuses = result["statuses"]
            assert result["requests"] == wanted and set(statuses) <= {"200", "503"}, result
            assert statuses.get("200", 0) > 0, statuses
            if clients == 32:
                assert statuses.get("503", 0) > 0, statuses  # 32 clients cannot all be in flight
            assert result["latency_ms"]["p99"] < 5_000, result["latency_ms"]
    # For comparison (printed, not asserted): the same 32 clients with the default bound.
    with LocalHost({"PSS_TENANCY__TENANT_RATE_LIMIT_PER_MINUTE": "0"}) as host:
        unshed = run_load(host.base_url, host.key, 32, requests=max(80, 4 * 32) * scale(), users=ROTATING)
    assert unshed["statuses"] == {"200": unshed["requests"]}, unshed["statuses"]
    with capsys.disabled():
        print("\nrotating user ids, max_in_flight_units=4 (8, 32 clients), then the default bound (32):")
        print(format_table([*rows, unshed]))
        for r in [*rows, unshed]:
            print(f"  {r['clients']} clients: statuses {r['statuses']}")
