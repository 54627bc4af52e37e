"""The console's HTTP side on the dev host: pages, assets, headers and the master-key views."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from infra.devhost import DevHost

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["embedded", pytest.param("azure-local", marks=pytest.mark.emulator)])
def console_backend(request: pytest.FixtureRequest) -> str:
    """The views' queries on both stores: SQLite, and Cosmos DB's protocol with Azurite queues."""
    return request.param


def _anon(host: DevHost) -> httpx.Client:
    return httpx.Client(base_url=f"{host.base_url}/api", timeout=30)


def test_pages_are_served_with_a_strict_csp_and_no_key(console_host: DevHost) -> None:
    with _anon(console_host) as anon:
        for route in ("/console", "/docs"):
            r = anon.get(route)
            assert r.status_code == 200
            assert r.headers["content-type"] == "text/html; charset=utf-8"
            csp = r.headers["content-security-policy"]
            directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
            assert directives["script-src"] == "'self'"
            assert directives["default-src"] == "'none'"
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert directives["frame-ancestors"] == "'none'"
            assert r.headers["cache-control"] == "no-cache"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert "<script>" not in r.text and " on" + "click=" not in r.text  # no inline script


@pytest.mark.parametrize(
    ("name", "ctype"),
    [
        ("console.js", "text/javascript; charset=utf-8"),
        ("console.css", "text/css; charset=utf-8"),
        ("cytoscape.min.js", "text/javascript; charset=utf-8"),
        ("chart.umd.min.js", "text/javascript; charset=utf-8"),
        ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        ("swagger-ui.css", "text/css; charset=utf-8"),
    ],
)
def test_assets_have_their_content_type_cache_headers_and_etag(console_host: DevHost, name: str, ctype: str) -> None:
    with _anon(console_host) as anon:
        r = anon.get(f"/console/assets/{name}")
        assert r.status_code == 200
        assert r.headers["content-type"] == ctype
        assert r.headers["cache-control"] == "public, max-age=3600"
        etag = r.headers["etag"]
        again = anon.get(f"/console/assets/{name}", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""


@pytest.mark.parametrize(
    "name",
    [
        "..%2Ffunction_app.py",
        "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        ".hidden.js",
        "package.json",
        "console.html",  # the page only at /api/console, with its CSP
        "missing.js",
        "build.mjs",
    ],
)
def test_nothing_outside_web_dist_can_be_named(console_host: DevHost, name: str) -> None:
    with _anon(console_host) as anon:
        r = anon.get(f"/console/assets/{name}")
        assert r.status_code == 404
        assert r.json()["error"]["code"] == "not_found"
        assert "root:" not in r.text and "FunctionApp" not in r.text


def test_views_need_the_master_key(console_host: DevHost) -> None:
    with _anon(console_host) as anon:
        for headers in ({}, {"x-functions-key": console_host.function_key}, {"x-functions-key": "wrong"}):
            r = anon.get("/console/views/users", headers=headers)
            assert r.status_code == 401
            assert r.json()["error"]["code"] == "unauthorized"


def test_views_refuse_bad_parameters_with_codes(api: httpx.Client) -> None:
    r = api.get("/console/views/everything")
    assert r.status_code == 404 and r.json()["error"]["details"]["views"] == ["graph", "decisions", "users"]
    r = api.get("/console/views/decisions", params={"limit": "0"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "validation_failed"
    r = api.get("/console/views/decisions", params={"decision": "maybe"})
    assert r.status_code == 400 and r.json()["error"]["details"] == {"field": "decision"}
    r = api.get("/console/views/graph", params={"campaign": "c-nope"})
    assert r.status_code == 404


def test_graph_view_links_the_campaign_users_prompts_and_patterns(api: httpx.Client, campaign: dict[str, Any]) -> None:
    g = api.get("/console/views/graph").json()
    nodes = {n["id"]: n for n in g["nodes"]}
    cid = f"campaign:{campaign['id']}"
    assert nodes[cid]["kind"] == "campaign"
    members = {e["from"] for e in g["edges"] if e["to"] == cid and e["kind"] == "member_of"}
    assert members == set(campaign["members"]) and len(members) == len(campaign["senders"])
    assert all(nodes[m]["label"] in campaign["senders"] for m in members)  # labelled by user id, not scoped
    prompts = [n for n in g["nodes"] if n["kind"] == "prompt"]
    assert prompts and all(p["decision"] == "block" for p in prompts)
    assert any(e["kind"] == "matched" for e in g["edges"])
    assert any(e["kind"] == "near_duplicate" for e in g["edges"])
    assert all(e["from"] in nodes and e["to"] in nodes for e in g["edges"])  # nothing dangling


def test_decisions_and_users_carry_no_prompt_text(api: httpx.Client, campaign: dict[str, Any]) -> None:
    decisions = api.get("/console/views/decisions").json()["decisions"]
    assert {d["user_id"] for d in decisions} >= set(campaign["senders"]) | {"op-benign"}
    assert all(d["tenant"] and "~" not in d["user_id"] for d in decisions)
    assert [d["at"] for d in decisions] == sorted((d["at"] for d in decisions), reverse=True)
    text = str(decisions)
    assert "Ignore all previous" not in text and "capital of France" not in text
    blocked = api.get("/console/views/decisions", params={"decision": "block"}).json()["decisions"]
    assert blocked and all(d["decision"] == "block" for d in blocked)
    users = {u["user_id"]: u for u in api.get("/console/views/users").json()["users"]}
    assert users["op-benign"]["violations"] == 0
    assert all(users[u]["violations"] >= 1 and users[u]["reputation"] < 1 for u in campaign["senders"])
