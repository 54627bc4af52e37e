"""The OpenAPI 3.0 document of the HTTP API, generated from the pydantic models.

APIM imports the checked-in copy ``infra/openapi.json``; ``python -m shared.openapi``
rewrites it, and ``tests/functions/test_openapi.py`` fails when the copy, this
generator and the routes registered in ``function_app`` disagree.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from . import __version__
from .api_models import (
    USER_ID_PATTERN,
    AllowlistBody,
    AnalyzeBody,
    AnalyzeResponse,
    BatchBody,
    ErrorResponse,
    RulesBody,
    ScanOutputBody,
)
from .custom_rules import CustomRuleSpec

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "infra" / "openapi.json"
_REF = "#/components/schemas/{model}"

#: (method, path, operationId, summary, auth, request model, response model or None)
ROUTES: list[tuple[str, str, str, str, str, type[BaseModel] | None, type[BaseModel] | None]] = [
    (
        "post",
        "/analyze",
        "analyze",
        "Analyse a prompt: allow, sanitize or block, with explanation",
        "function",
        AnalyzeBody,
        AnalyzeResponse,
    ),
    ("post", "/analyze/batch", "analyzeBatch", "Analyse many prompts from one user", "function", BatchBody, None),
    (
        "post",
        "/scan-output",
        "scanOutput",
        "Scan an LLM answer (PII, secrets, canary leaks, exfiltration)",
        "function",
        ScanOutputBody,
        None,
    ),
    (
        "get",
        "/users/{user_id}/profile",
        "getUserProfile",
        "Reputation, counts, violations and block state",
        "function",
        None,
        None,
    ),
    (
        "get",
        "/metrics",
        "getMetrics",
        "Totals, detection rate, latency percentiles, breakdowns",
        "function",
        None,
        None,
    ),
    ("get", "/health", "getHealth", "Service and dependency health", "anonymous", None, None),
    ("get", "/openapi.json", "getOpenApi", "This document", "anonymous", None, None),
    ("get", "/graph/users/{user_id}", "getGraphUser", "A user's node in the attack graph", "function", None, None),
    ("get", "/graph/campaigns", "listCampaigns", "Recent coordinated campaigns", "function", None, None),
    ("get", "/graph/campaigns/{campaign_id}", "getCampaign", "One campaign", "function", None, None),
    ("get", "/graph/nodes/{node_id}", "getGraphNode", "Any graph node with its adjacency", "function", None, None),
    ("get", "/manage/rules", "listRules", "Built-in and custom rules", "admin", None, None),
    ("put", "/manage/rules", "replaceRules", "Replace all custom rules", "admin", RulesBody, None),
    ("post", "/manage/rules", "upsertRule", "Add or replace one custom rule", "admin", CustomRuleSpec, None),
    ("delete", "/manage/rules/{rule_id}", "deleteRule", "Delete a custom rule", "admin", None, None),
    ("get", "/manage/allowlist", "getAllowlist", "Known-good phrases", "admin", None, None),
    ("put", "/manage/allowlist", "replaceAllowlist", "Replace the allowlist", "admin", AllowlistBody, None),
    ("post", "/manage/users/{user_id}/unblock", "unblockUser", "Lift a temporary block", "admin", None, None),
    ("get", "/caller", "getCaller", "The tenant and role derived for this request", "function", None, None),
    ("get", "/manage/known-attacks", "listKnownAttacks", "Learned known-attack entries", "admin", None, None),
    (
        "post",
        "/manage/known-attacks/{attack_id}/confirm",
        "confirmKnownAttack",
        "Confirm a learned known attack (makes it active)",
        "admin",
        None,
        None,
    ),
    (
        "delete",
        "/manage/known-attacks/{attack_id}",
        "removeKnownAttack",
        "Remove a learned known attack",
        "admin",
        None,
        None,
    ),
]

_ERRORS = {
    "400": "Invalid request (code in body)",
    "401": "Missing or wrong key",
    "404": "Not found",
    "413": "Body or prompt too large",
    "422": "Rule refused",
    "429": "Rate limit exceeded",
    "503": "A dependency is unavailable",
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
    return {k: _openapi30(v) for k, v in node.items()}


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
    analyze["oneOf"] = [
        {**given["prompt1"], "not": given["prompt"]},
        {**given["prompt"], "not": given["prompt1"]},
    ]
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
    "user_id": {"type": "string", "pattern": USER_ID_PATTERN},
    "campaign_id": {"type": "string", "pattern": "^[^/\\\\?#\\u0000-\\u001f]{1,200}$"},
    "node_id": {"type": "string", "pattern": "^[^/\\\\?#\\u0000-\\u001f]{1,255}$"},
    "rule_id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9_.:-]{1,63}$"},
    "attack_id": {"type": "string", "pattern": "^attack:[0-9a-f]{8,128}$"},
}


def build_openapi() -> dict[str, Any]:
    models = [m for r in ROUTES for m in (r[5], r[6]) if m is not None] + [ErrorResponse]
    paths: dict[str, Any] = {}
    for method, path, op_id, summary, auth, req_model, resp_model in ROUTES:
        op: dict[str, Any] = {
            "operationId": op_id,
            "summary": summary,
            "tags": [path.strip("/").split("/")[0]],
        }
        params = [
            {"name": seg[1:-1], "in": "path", "required": True, "schema": dict(_PATH_PARAMS[seg[1:-1]])}
            for seg in path.split("/")
            if seg.startswith("{")
        ]
        if params:
            op["parameters"] = params
        if req_model is not None:
            op["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": _REF.format(model=req_model.__name__)}}},
            }
        ok: dict[str, Any] = {"description": "OK"}
        if resp_model is not None:
            ok["content"] = {"application/json": {"schema": {"$ref": _REF.format(model=resp_model.__name__)}}}
        responses: dict[str, Any] = {"201" if op_id == "upsertRule" else "200": ok}
        for code, text in _ERRORS.items():
            responses[code] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorResponse")}}},
            }
        op["responses"] = responses
        op["security"] = [] if auth == "anonymous" else [{"functionKey": []}]
        if auth == "admin":
            op["description"] = "Requires the host master key (APIM supplies it for callers with the admin role)."
        paths.setdefault(path, {})[method] = op
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Prompt Security Service",
            "version": __version__,
            "description": "Prompt firewall for LLM applications: analyse prompts, scan answers, manage rules.",
        },
        "paths": paths,
        "components": {
            "schemas": _schemas(models),
            "securitySchemes": {"functionKey": {"type": "apiKey", "in": "header", "name": "x-functions-key"}},
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
