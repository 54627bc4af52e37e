"""The Application Insights workbook (infra/workbook.json) against shared/telemetry_names.py.

The workbook's KQL queries name metrics, events and custom dimensions as strings; a
rename in the code would silently empty a panel. These tests tie every name a query
uses to a constant in ``shared/telemetry_names.py`` and check that the panels the
service promises (decisions, detections, latency, users, reputation, campaigns) exist.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared import telemetry_names as tn

WORKBOOK = Path(__file__).resolve().parents[2] / "infra" / "workbook.json"

METRICS = {value for key, value in vars(tn).items() if key.startswith("METRIC_")}
EVENTS = {value for key, value in vars(tn).items() if key.startswith("EVENT_")}
ATTRIBUTES = {value for key, value in vars(tn).items() if key.startswith("ATTR_")}

# Panel name -> (table it must query, names it must use).
REQUIRED_PANELS: dict[str, tuple[str, set[str]]] = {
    "decisions-over-time": ("customMetrics", {tn.METRIC_ANALYSES, tn.ATTR_DECISION}),
    "detections-by-threat-type": ("customMetrics", {tn.METRIC_DETECTIONS, tn.ATTR_THREAT_TYPE}),
    "detections-by-rule": ("customMetrics", {tn.METRIC_DETECTIONS, tn.ATTR_RULE_ID}),
    "latency-percentiles": ("customEvents", {tn.EVENT_ANALYSIS, tn.ATTR_DURATION_MS}),
    "top-blocked-users": ("customEvents", {tn.EVENT_ANALYSIS, tn.ATTR_USER_HASH, tn.ATTR_DECISION}),
    "reputation-distribution": ("customMetrics", {tn.METRIC_REPUTATION}),
    "campaigns": ("customMetrics", {tn.METRIC_CAMPAIGNS}),
    "campaign-events": ("customEvents", {tn.EVENT_CAMPAIGN, tn.ATTR_CAMPAIGN_ID}),
}

_NAME_EQ = re.compile(r'\bname\s*==\s*"([^"]+)"')
_NAME_IN = re.compile(r"\bname\s+in\s*\(([^)]*)\)")
_DIMENSION = re.compile(r"customDimensions(?:\[\s*\"([^\"]+)\"\s*\]|\.([A-Za-z_][A-Za-z0-9_]*))")
_TABLE = re.compile(r"^\s*([A-Za-z_]+)\s*(?:\||$)")
_PARAM_REF = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}")
# Dimensions that would carry raw text; no panel may read them.
_FORBIDDEN_DIMENSIONS = {"prompt", "prompt1", "prompt2", "text", "input", "llm_response", "user_id"}


def load() -> dict[str, Any]:
    return json.loads(WORKBOOK.read_text(encoding="utf-8"))


def query_items(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [item for item in doc["items"] if item["type"] == 3]


def names_in(query: str) -> set[str]:
    names = set(_NAME_EQ.findall(query))
    for group in _NAME_IN.findall(query):
        names |= {part.strip().strip('"') for part in group.split(",") if part.strip()}
    return names


def dimensions_in(query: str) -> set[str]:
    return {a or b for a, b in _DIMENSION.findall(query)}


def table_of(query: str) -> str:
    match = _TABLE.match(query)
    assert match, f"query does not start with a table: {query[:60]!r}"
    return match.group(1)


def test_workbook_is_valid_notebook_json() -> None:
    text = WORKBOOK.read_text(encoding="utf-8")
    assert len(text) < 131_072, "Bicep loadTextContent() reads at most 131,072 characters"
    doc = load()
    assert doc["version"] == "Notebook/1.0"
    assert isinstance(doc["items"], list) and doc["items"]
    names = [item["name"] for item in doc["items"]]
    assert len(names) == len(set(names)), "item names must be unique"
    for item in doc["items"]:
        assert item["type"] in {1, 3, 9, 12}, f"unexpected item type in {item['name']}"
        if item["type"] == 1:
            assert item["content"]["json"].strip()
    for item in query_items(doc):
        content = item["content"]
        assert content["version"] == "KqlItem/1.0"
        assert content["queryType"] == 0, "queries run against Application Insights"
        assert content["resourceType"] == "microsoft.insights/components"
        assert content["title"].strip()
        assert content["visualization"] in {
            "table",
            "timechart",
            "barchart",
            "piechart",
            "areachart",
            "tiles",
        }


def test_time_range_parameter_is_defined_and_used() -> None:
    doc = load()
    params = [p for item in doc["items"] if item["type"] == 9 for p in item["content"]["parameters"]]
    defined = {p["name"] for p in params}
    assert "TimeRange" in defined
    for item in query_items(doc):
        query = item["content"]["query"]
        assert set(_PARAM_REF.findall(query)) <= defined, f"{item['name']} uses an undefined parameter"
        assert item["content"].get("timeContextFromParameter") == "TimeRange", item["name"]


@pytest.mark.parametrize("panel", sorted(REQUIRED_PANELS))
def test_required_panel_exists(panel: str) -> None:
    items = {item["name"]: item for item in query_items(load())}
    assert panel in items, f"workbook lacks the {panel} panel"
    table, needed = REQUIRED_PANELS[panel]
    query = items[panel]["content"]["query"]
    assert table_of(query) == table
    used = names_in(query) | dimensions_in(query)
    assert needed <= used, f"{panel} should use {sorted(needed - used)}"


def test_latency_panel_reports_percentiles() -> None:
    items = {item["name"]: item for item in query_items(load())}
    query = items["latency-percentiles"]["content"]["query"]
    for pct in ("50", "95", "99"):
        assert re.search(rf"percentiles?\([^)]*\b{pct}\b", query), f"p{pct} missing"


def test_every_name_in_a_query_is_defined_in_telemetry_names() -> None:
    for item in query_items(load()):
        query = item["content"]["query"]
        table = table_of(query)
        assert table in {"customMetrics", "customEvents"}, f"{item['name']} queries {table}"
        names = names_in(query)
        assert names, f"{item['name']} does not filter by name"
        defined = METRICS if table == "customMetrics" else EVENTS
        assert names <= defined, f"{item['name']}: {sorted(names - defined)} not in telemetry_names"
        dims = dimensions_in(query)
        assert dims <= ATTRIBUTES, f"{item['name']}: dimensions {sorted(dims - ATTRIBUTES)} not in telemetry_names"
        assert not dims & _FORBIDDEN_DIMENSIONS


def test_every_metric_and_event_has_a_panel() -> None:
    """A new metric or event without a dashboard is flagged here."""
    used: set[str] = set()
    for item in query_items(load()):
        used |= names_in(item["content"]["query"])
    assert METRICS - used == set(), f"metrics without a panel: {sorted(METRICS - used)}"
    assert EVENTS - used == set(), f"events without a panel: {sorted(EVENTS - used)}"


def test_name_extraction_catches_an_unknown_metric() -> None:
    """The checks above are only as good as the extraction: prove it sees a typo."""
    bad = 'customMetrics\n| where name == "pss_analysis"\n| extend d = tostring(customDimensions["decison"])'
    assert names_in(bad) == {"pss_analysis"} and not names_in(bad) <= METRICS
    assert dimensions_in(bad) == {"decison"} and not dimensions_in(bad) <= ATTRIBUTES
    assert names_in('customEvents | where name in ("PromptAnalyzed", "X")') == {"PromptAnalyzed", "X"}
