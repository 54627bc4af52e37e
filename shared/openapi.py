"""The OpenAPI 3.0 document of the HTTP API, generated from the pydantic models.

APIM imports the checked-in copy ``infra/openapi.json``; ``python -m shared.openapi``
rewrites it, and ``tests/functions/test_openapi.py`` fails when the copy, this
generator and the routes registered in ``function_app`` disagree.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel

from . import __version__
from . import api_models as m
from .custom_rules import CustomRuleSpec

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "infra" / "openapi.json"
_REF = "#/components/schemas/{model}"

#: Error replies by status: which codes each can carry (``shared/errors.py``).
_ERRORS = {
    "400": "Invalid request: bad_json, validation_failed, input_empty, input_null_byte, input_control_chars, "
    "input_invalid_text",
    "401": "Missing or wrong key (unauthorized)",
    "404": "Not found (not_found)",
    "413": "Body or prompt too large (body_too_large, input_too_long)",
    "422": "Rule or allowlist refused (rule_invalid, rule_too_large, rule_limit)",
    "429": "Rate limit exceeded (rate_limited, with Retry-After)",
    "500": "Internal error (internal_error, with a request id and nothing else)",
    "503": "A dependency is unavailable or the instance is overloaded (dependency_unavailable, overloaded)",
}
_WITH_BODY = ("400", "401", "413", "500", "503")
_READ = ("401", "500", "503")
_NODE_ID_HELP = (
    "user:<user_id>, prompt:<prompt1_id of an analyze reply>, pattern:<rule_id> or campaign:<campaign_id>; "
    "a plain user id or prompt id is looked up as user:… first, then prompt:…"
)


class Route(NamedTuple):
    """One documented operation. ``auth``: ``function`` key, ``admin`` (master key) or ``anonymous``."""

    method: str
    path: str
    operation_id: str
    summary: str
    auth: Literal["function", "admin", "anonymous"]
    request: type[BaseModel] | None
    response: type[BaseModel]
    errors: tuple[str, ...]
    query: tuple[dict[str, Any], ...] = ()
    ok_status: str = "200"


_LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "description": "How many entries to return",
    "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
}
_STATUS = {
    "name": "status",
    "in": "query",
    "required": False,
    "description": "Only entries in this state",
    "schema": {"type": "string", "enum": ["candidate", "active", "removed"]},
}
_TENANT = {
    "name": "tenant",
    "in": "query",
    "required": False,
    "description": "Operators only: the tenant to look at (default: every tenant, or the caller's own for unblock)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9][A-Za-z0-9_.-]*$"},
}
_WINDOW = {
    "name": "window_minutes",
    "in": "query",
    "required": False,
    "description": "The window the figures cover, in minutes (up to 7 days)",
    "schema": {"type": "integer", "minimum": 1, "maximum": 10080, "default": 60},
}

ROUTES: list[Route] = [
    Route(
        "post",
        "/analyze",
        "analyze",
        "Analyse a prompt: allow, sanitize or block, with explanation",
        "function",
        m.AnalyzeBody,
        m.AnalyzeResponse,
        (*_WITH_BODY, "429"),
    ),
    Route(
        "post",
        "/analyze/batch",
        "analyzeBatch",
        "Analyse many prompts from one user",
        "function",
        m.BatchBody,
        m.BatchResponse,
        (*_WITH_BODY, "429"),
    ),
    Route(
        "post",
        "/scan-output",
        "scanOutput",
        "Scan an LLM answer (PII, secrets, canary leaks, exfiltration)",
        "function",
        m.ScanOutputBody,
        m.ScanOutputResponse,
        _WITH_BODY,
    ),
    Route(
        "get",
        "/users/{user_id}/profile",
        "getUserProfile",
        "Reputation, counts, violations and block state",
        "function",
        None,
        m.ProfileResponse,
        ("400", "404", *_READ),
    ),
    Route(
        "get",
        "/metrics",
        "getMetrics",
        "Totals, detection rate, latency percentiles, breakdowns",
        "function",
        None,
        m.MetricsResponse,
        ("400", *_READ),
        (_WINDOW, _TENANT),
    ),
    Route(
        "get", "/health", "getHealth", "Service and dependency health", "anonymous", None, m.HealthResponse, ("500",)
    ),
    Route("get", "/openapi.json", "getOpenApi", "This document", "anonymous", None, m.OpenApiDocument, ()),
    Route(
        "get",
        "/graph/users/{user_id}",
        "getGraphUser",
        "A user's node in the attack graph",
        "function",
        None,
        m.GraphNodeResponse,
        ("400", "404", *_READ),
    ),
    Route(
        "get",
        "/graph/campaigns",
        "listCampaigns",
        "Recent coordinated campaigns",
        "function",
        None,
        m.CampaignListResponse,
        ("400", *_READ),
        (_LIMIT, _TENANT),
    ),
    Route(
        "get",
        "/graph/campaigns/{campaign_id}",
        "getCampaign",
        "One campaign",
        "function",
        None,
        m.CampaignResponse,
        ("400", "404", *_READ),
        (_LIMIT,),
    ),
    Route(
        "get",
        "/graph/nodes/{node_id}",
        "getGraphNode",
        "Any graph node with its adjacency",
        "function",
        None,
        m.GraphNodeResponse,
        ("400", "404", *_READ),
    ),
    Route("get", "/manage/rules", "listRules", "Built-in and custom rules", "admin", None, m.RulesListResponse, _READ),
    Route(
        "put",
        "/manage/rules",
        "replaceRules",
        "Replace all custom rules",
        "admin",
        m.RulesBody,
        m.VersionResponse,
        (*_WITH_BODY, "422"),
    ),
    Route(
        "post",
        "/manage/rules",
        "upsertRule",
        "Add or replace one custom rule",
        "admin",
        CustomRuleSpec,
        m.VersionResponse,
        (*_WITH_BODY, "422"),
        ok_status="201",
    ),
    Route(
        "delete",
        "/manage/rules/{rule_id}",
        "deleteRule",
        "Delete a custom rule",
        "admin",
        None,
        m.DeletedResponse,
        ("400", "404", *_READ),
    ),
    Route("get", "/manage/allowlist", "getAllowlist", "Known-good phrases", "admin", None, m.AllowlistResponse, _READ),
    Route(
        "put",
        "/manage/allowlist",
        "replaceAllowlist",
        "Replace the allowlist",
        "admin",
        m.AllowlistBody,
        m.VersionResponse,
        (*_WITH_BODY, "422"),
    ),
    Route(
        "post",
        "/manage/users/{user_id}/unblock",
        "unblockUser",
        "Lift a temporary block",
        "admin",
        None,
        m.ProfileResponse,
        ("400", "404", *_READ),
        (_TENANT,),
    ),
    Route(
        "get",
        "/caller",
        "getCaller",
        "The tenant and role derived for this request",
        "function",
        None,
        m.CallerResponse,
        _READ,
    ),
    Route(
        "get",
        "/manage/known-attacks",
        "listKnownAttacks",
        "Learned known-attack entries (candidates, active, removed) with their provenance",
        "admin",
        None,
        m.KnownAttackListResponse,
        ("400", *_READ),
        (_STATUS, {**_LIMIT, "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}}),
    ),
    Route(
        "post",
        "/manage/known-attacks/{attack_id}/confirm",
        "confirmKnownAttack",
        "Confirm a learned known attack (makes it active)",
        "admin",
        None,
        m.KnownAttackResponse,
        ("400", "404", *_READ),
    ),
    Route(
        "delete",
        "/manage/known-attacks/{attack_id}",
        "removeKnownAttack",
        "Remove a learned known attack",
        "admin",
        None,
        m.KnownAttackResponse,
        ("400", "404", *_READ),
    ),
]

#: Headers on every analyze reply, refusals included.
_RATE_HEADERS = {
    name: {"description": text, "schema": {"type": "integer"}}
    for name, text in (
        ("X-RateLimit-Limit", "Requests allowed per minute for this sender"),
        ("X-RateLimit-Remaining", "Requests left in the current minute"),
        ("X-RateLimit-Reset", "When the window resets (Unix seconds)"),
    )
}


def _schemas(models: list[type[BaseModel]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=_REF)
        for name, sub in schema.pop("$defs", {}).items():
            out[name] = sub
        out[model.__name__] = schema
    _document_runtime_checks(out)
    return {name: _openapi30(schema) for name, schema in out.items()}


def _openapi30(node: Any) -> Any:
    """Pydantic writes JSON Schema 2020-12 (``anyOf: [X, {type: null}]``); OpenAPI 3.0,
    which APIM imports, spells an optional value ``nullable: true`` instead."""
    if isinstance(node, list):
        return [_openapi30(n) for n in node]
    if not isinstance(node, dict):
        return node
    options = node.get("anyOf")
    if isinstance(options, list) and {"type": "null"} in options:
        rest = [_openapi30(o) for o in options if o != {"type": "null"}]
        merged = {k: _openapi30(v) for k, v in node.items() if k != "anyOf"}
        if len(rest) == 1 and "$ref" not in rest[0]:
            merged.update(rest[0])
        elif len(rest) == 1:
            merged["allOf"] = rest
        else:
            merged["anyOf"] = rest
        merged["nullable"] = True
        if isinstance(merged.get("enum"), list) and None not in merged["enum"]:
            merged["enum"] = [*merged["enum"], None]  # OAS 3.0.3: enum still applies to null
        return merged
    out = {k: _openapi30(v) for k, v in node.items()}
    if "const" in out:  # JSON Schema's const is not OpenAPI 3.0: a one-value enum says the same
        out["enum"] = [out.pop("const")]
    return out


#: Text the service will analyse: not blank (``input_empty``) and without NUL bytes
#: (``input_null_byte``); see ``shared/detection/validate.py``.
_ANALYSABLE = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
_NO_NUL = "^[^\\u0000]*$"


def _string_branch(prop: dict[str, Any]) -> dict[str, Any]:
    """The ``type: string`` part of a property (itself, or its branch of ``str | None``)."""
    for branch in prop.get("anyOf", []):
        if branch.get("type") == "string":
            return branch  # type: ignore[no-any-return]
    return prop


def _document_runtime_checks(schemas: dict[str, Any]) -> None:
    """Say in the document what the service checks at run time, where JSON Schema can say it.

    Found by running schemathesis against the served document: without these, requests
    the document called valid were refused (400) and the reverse. Limits are the
    defaults of ``PSS_LIMITS__*``; a deployment that changes them changes the answer, not
    the document. Not expressible (and so only in the descriptions): the control-character
    ratio (``input_control_chars``) and RE2 validity of custom rules (``rule_invalid``).
    """
    from .config import LimitSettings

    limits = LimitSettings()
    text = {"minLength": 1, "maxLength": limits.max_input_chars, "pattern": _ANALYSABLE}
    turn = {"maxLength": limits.max_input_chars, "pattern": _NO_NUL}
    analyze = schemas["AnalyzeBody"]
    props = analyze["properties"]
    for name in ("prompt1", "prompt", "prompt2"):
        _string_branch(props[name]).update(text)
    # prompt1 or its alias prompt, as a string (null means absent)
    given = {name: {"required": [name], "properties": {name: {"type": "string"}}} for name in ("prompt1", "prompt")}
    # "Both or neither" is refused. Said with ``not`` alone, so the properties stay on the
    # object itself: a oneOf here makes client generators split the body into two
    # models that each lose user_id and the other fields.
    analyze["not"] = {
        "anyOf": [
            {"allOf": [given["prompt1"], given["prompt"]]},
            {"not": {"anyOf": [given["prompt1"], given["prompt"]]}},
        ]
    }
    analyze["description"] += " Exactly one of them is required (null counts as absent)."
    threshold = props["similarity_threshold"]
    threshold["anyOf"] = [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "null"}]
    props["turns"].update({"maxItems": limits.max_turns})
    props["turns"]["items"].update(turn)
    batch = schemas["BatchBody"]["properties"]["items"]
    batch["maxItems"] = limits.max_batch_items
    # Batch items are validated one by one: a bad item is an error entry in the 200 reply.
    schemas["BatchItem"]["description"] = "Refused items (empty, too long...) get an error entry in the results."
    output = schemas["ScanOutputBody"]["properties"]["output"]
    output.update({"maxLength": limits.max_input_chars * 4, "pattern": _NO_NUL})
    for name in ("AnalyzeBody", "ScanOutputBody"):
        schemas[name]["description"] = (
            schemas[name].get("description", "")
            + " Text that is mostly control characters is refused (input_control_chars)."
        ).strip()


#: Path parameters: what each route accepts (anything else is a 400 or a 404).
_PATH_PARAMS: dict[str, dict[str, Any]] = {
    "user_id": {"type": "string", "pattern": m.USER_ID_PATTERN},
    "campaign_id": {"type": "string", "pattern": "^[^/\\\\?#\\u0000-\\u001f]{1,200}$"},
    "node_id": {
        "type": "string",
        "pattern": "^[^/\\\\?#\\u0000-\\u001f]{1,255}$",
        "description": _NODE_ID_HELP,
    },
    "rule_id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.:-]{1,63}$"},
    "attack_id": {"type": "string", "pattern": "^attack:[0-9a-f]{8,128}$"},
}


def build_openapi(include: Callable[[Route], bool] | None = None) -> dict[str, Any]:
    """The document for every route, or for those ``include`` keeps (e.g. a gateway
    variant without ``/manage``)."""
    routes = [r for r in ROUTES if include is None or include(r)]
    models = [x for r in routes for x in (r.request, r.response) if x is not None] + [m.ErrorResponse]
    paths: dict[str, Any] = {}
    for route in routes:
        op: dict[str, Any] = {
            "operationId": route.operation_id,
            "summary": route.summary,
            "tags": [route.path.strip("/").split("/")[0]],
        }
        params = [
            {"name": seg[1:-1], "in": "path", "required": True, "schema": dict(_PATH_PARAMS[seg[1:-1]])}
            for seg in route.path.split("/")
            if seg.startswith("{")
        ]
        for param in params:
            if "description" in param["schema"]:
                param["description"] = param["schema"].pop("description")
        params += [dict(q) for q in route.query]
        if params:
            op["parameters"] = params
        if route.request is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": _REF.format(model=route.request.__name__)}}},
            }
        rate = route.operation_id in ("analyze", "analyzeBatch")
        ok: dict[str, Any] = {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=route.response.__name__)}}},
        }
        if rate:
            ok["headers"] = _RATE_HEADERS
        responses: dict[str, Any] = {route.ok_status: ok}
        for code in sorted(route.errors):
            if route.operation_id == "getHealth" and code == "500":
                continue
            responses[code] = {
                "description": _ERRORS[code],
                "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorResponse")}}},
            }
            if rate:
                responses[code]["headers"] = _RATE_HEADERS
        if route.operation_id == "getHealth":
            responses["503"] = {
                "description": "Unhealthy: the store or the engine is down",
                "content": {"application/json": {"schema": {"$ref": _REF.format(model="HealthResponse")}}},
            }
        op["responses"] = responses
        op["security"] = {"anonymous": [], "function": [{"functionKey": []}], "admin": [{"masterKey": []}]}[route.auth]
        if route.auth == "admin":
            op["description"] = "Requires the host master key (APIM supplies it for callers with the admin role)."
        paths.setdefault(route.path, {})[route.method] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Prompt Security Service",
            "version": __version__,
            "description": "Prompt firewall for LLM applications: analyse prompts, scan answers, manage rules.",
        },
        "servers": [
            {"url": "/api", "description": "The function app, on the host that serves this document"},
            {"url": "http://127.0.0.1:7071/api", "description": "Local dev host (make run)"},
        ],
        "paths": paths,
        "components": {
            "schemas": _schemas(models),
            "securitySchemes": {
                "functionKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-functions-key",
                    "description": "A function key (or the master key)",
                },
                "masterKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "x-functions-key",
                    "description": "The host master key; a function key is refused",
                },
            },
        },
    }


def render() -> str:
    return json.dumps(build_openapi(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # python -m shared.openapi [--check]
    text = render()
    if "--check" in sys.argv:
        current = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
        sys.exit(0 if current == text else "infra/openapi.json is out of date: run python -m shared.openapi")
    OPENAPI_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {OPENAPI_PATH}")
