"""Names of every metric, event and attribute the service emits.

The Application Insights workbook (``infra/workbook.json``) queries exactly these
names; ``tests/infra/test_workbook.py`` checks that the two agree. Rename here, not there.

OpenTelemetry metrics land in the ``customMetrics`` table under their instrument name;
audit events are log records carrying ``microsoft.custom_event.name`` and land in
``customEvents``. No attribute ever carries prompt text.
"""

from __future__ import annotations

# metrics (customMetrics.name)
METRIC_ANALYSES = "pss_analyses"  # counter; attrs: decision, risk_level
METRIC_BLOCKED = "pss_blocked_prompts"  # counter; attrs: threat_type
METRIC_DETECTIONS = "pss_detections"  # counter; attrs: threat_type, rule_id
METRIC_DURATION = "pss_analysis_duration_ms"  # histogram; attrs: stage
METRIC_REPUTATION = "pss_reputation"  # histogram of reputation values after an update
METRIC_CAMPAIGNS = "pss_campaigns_detected"  # counter
METRIC_GRAPH_UPDATES = "pss_graph_updates"  # counter; attrs: outcome
METRIC_DEPENDENCY_FAILURES = "pss_dependency_failures"  # counter; attrs: dependency

# custom events (customEvents.name)
EVENT_ANALYSIS = "PromptAnalyzed"  # attrs below
EVENT_CAMPAIGN = "CampaignDetected"
EVENT_USER_BLOCKED = "UserTemporarilyBlocked"

# attribute keys (customDimensions)
ATTR_DECISION = "decision"
ATTR_RISK_LEVEL = "risk_level"
ATTR_THREAT_TYPE = "threat_type"
ATTR_RULE_ID = "rule_id"
ATTR_STAGE = "stage"
ATTR_USER_HASH = "user_hash"  # keyed HMAC of the user id, never the id itself
ATTR_INPUT_HASH = "input_hash"  # keyed HMAC of the prompt
ATTR_DURATION_MS = "duration_ms"
ATTR_THREATS = "threats"  # comma-separated threat types
ATTR_CAMPAIGN_ID = "campaign_id"
ATTR_DEPENDENCY = "dependency"
ATTR_OUTCOME = "outcome"
ATTR_REPUTATION = "reputation"
ATTR_USERS = "users"  # campaign size in distinct users
ATTR_PROMPTS = "prompts"  # campaign size in prompts
