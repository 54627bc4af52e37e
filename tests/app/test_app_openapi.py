"""The OpenAPI document, the checked-in copy APIM imports, and the registered routes agree."""

from __future__ import annotations

import json

from shared.openapi import OPENAPI_PATH, ROUTES, build_openapi, render

CONSOLE_ROUTES = {"console", "docs", "console/assets/{name}", "console/views/{view}"}


def test_checked_in_copy_is_current() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render(), "run: python -m shared.openapi"


def test_document_lists_exactly_the_registered_http_routes() -> None:
    from test_app_function_index import _functions

    registered: set[tuple[str, str]] = set()
    for fn in _functions().values():
        trigger = fn.get_trigger()
        route = getattr(trigger, "route", None)
        if route is None:
            continue
        for method in trigger.methods:
            m = (method.value if hasattr(method, "value") else str(method)).lower()
            if route == "graph/{kind}/{ident?}":
                continue  # one function serves the four documented graph paths below
            if route in CONSOLE_ROUTES:
                continue  # the operator console's pages and views: served by the app, not an API product
            registered.add((m, "/" + route))
    documented = {(m, p) for m, p, *_ in ROUTES if not p.startswith("/graph/")}
    assert documented == registered
    graph_paths = {p for _m, p, *_ in ROUTES if p.startswith("/graph/")}
    assert graph_paths == {
        "/graph/users/{user_id}",
        "/graph/campaigns",
        "/graph/campaigns/{campaign_id}",
        "/graph/nodes/{node_id}",
    }


def test_every_reference_resolves_and_operation_ids_are_unique() -> None:
    doc = build_openapi()
    text = json.dumps(doc)
    schemas = doc["components"]["schemas"]
    for ref in {part.split('"')[0] for part in text.split('"$ref": "')[1:]}:
        assert ref.startswith("#/components/schemas/")
        assert ref.rsplit("/", 1)[1] in schemas, ref
    ops = [op["operationId"] for path in doc["paths"].values() for op in path.values()]
    assert len(ops) == len(set(ops))
    assert doc["paths"]["/health"]["get"]["security"] == []
    assert doc["paths"]["/analyze"]["post"]["security"] == [{"functionKey": []}]
