"""Telemetry to Application Insights through OpenTelemetry, and nothing when it is off.

Modes (decided once, by :func:`configure_telemetry`; the helpers call it on first use):

* ``APPLICATIONINSIGHTS_CONNECTION_STRING`` set: ``configure_azure_monitor()`` from
  ``azure-monitor-opentelemetry`` sets up traces, metrics and logs. With
  ``APPLICATIONINSIGHTS_AUTHENTICATION_STRING=Authorization=AAD[;ClientId=<id>]``
  ingestion is authenticated with the (user-assigned) managed identity.
* ``PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY=true`` as well: the Functions Python
  worker already called ``configure_azure_monitor()`` before loading the app; calling it
  again would duplicate every exporter, so this module only uses the global providers.
* neither: every helper is a flag check and a return; ``azure.monitor`` and the
  OpenTelemetry SDK are never imported (cold start).

Names come from :mod:`shared.telemetry_names` only. Metrics are OpenTelemetry
instruments (``customMetrics``); audit events are OpenTelemetry log records carrying
``microsoft.custom_event.name``, which the Azure Monitor exporter turns into
``customEvents`` rows (``azure-monitor-opentelemetry-exporter`` 1.0.0b58,
``_convert_log_to_envelope``).

Privacy: no helper takes free text. Labels must be short identifiers (at most 64
characters from ``[A-Za-z0-9_.:/-]``, enums where one exists), user and input
references must be keyed hashes (hex), and anything else is replaced by
``"redacted"`` before it reaches OpenTelemetry. Spans do not record exception
messages (they can quote input), only the exception type.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from enum import Enum
from typing import Any

from . import telemetry_names as names
from .findings import Decision, RiskLevel, ThreatType

log = logging.getLogger(__name__)

CONNECTION_STRING_ENV = "APPLICATIONINSIGHTS_CONNECTION_STRING"
AUTHENTICATION_STRING_ENV = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING"
WORKER_TELEMETRY_ENV = "PYTHON_APPLICATIONINSIGHTS_ENABLE_TELEMETRY"
CUSTOM_EVENT_ATTRIBUTE = "microsoft.custom_event.name"
INSTRUMENTATION_SCOPE = "prompt_security_service"
REDACTED = "redacted"
STAGE_TOTAL = "total"
#: Span attribute naming the exception type of a failed span ("error.type" is dropped by the
#: exporter, so a plain key is used).
SPAN_ERROR_ATTRIBUTE = "error_type"
#: Campaign size attributes. Not in telemetry_names.py yet: the lead is asked to add
#: ``ATTR_USERS``/``ATTR_PROMPTS`` there; these fall back to the same strings.
ATTR_USERS: str = getattr(names, "ATTR_USERS", "users")
ATTR_PROMPTS: str = getattr(names, "ATTR_PROMPTS", "prompts")

MODE_OFF = "off"
MODE_AZURE_MONITOR = "azure_monitor"
MODE_WORKER = "functions_worker"

_MAX_LABEL = 64
_MAX_THREAT_PAIRS = 64
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:/-")
_HEX_CHARS = frozenset("0123456789abcdef")
_CANARY_MARK = "canary"
_CANARY_MIN_HEX_RUN = 12


class _Instruments:
    """The meter instruments, event logger and tracer; built once telemetry is on."""

    def __init__(self) -> None:
        from opentelemetry import metrics, trace
        from opentelemetry._logs import SeverityNumber, get_logger

        from . import __version__

        meter = metrics.get_meter(INSTRUMENTATION_SCOPE, __version__)
        self.analyses = meter.create_counter(names.METRIC_ANALYSES, unit="1", description="Analyses")
        self.blocked = meter.create_counter(names.METRIC_BLOCKED, unit="1", description="Blocked prompts")
        self.detections = meter.create_counter(names.METRIC_DETECTIONS, unit="1", description="Findings")
        self.duration = meter.create_histogram(names.METRIC_DURATION, unit="ms", description="Latency")
        self.reputation = meter.create_histogram(names.METRIC_REPUTATION, unit="1", description="Reputation")
        self.campaigns = meter.create_counter(names.METRIC_CAMPAIGNS, unit="1", description="Campaigns")
        self.graph_updates = meter.create_counter(names.METRIC_GRAPH_UPDATES, unit="1", description="Graph")
        self.dependency_failures = meter.create_counter(
            names.METRIC_DEPENDENCY_FAILURES, unit="1", description="Dependency failures"
        )
        self.tracer = trace.get_tracer(INSTRUMENTATION_SCOPE, __version__)
        self._events = get_logger(INSTRUMENTATION_SCOPE, __version__)
        self._info = SeverityNumber.INFO

    def event(self, name: str, attributes: dict[str, Any]) -> None:
        attributes[CUSTOM_EVENT_ATTRIBUTE] = name
        self._events.emit(body=name, severity_number=self._info, severity_text="INFO", attributes=attributes)


_lock = threading.Lock()
_configured = False
_mode = MODE_OFF
_instruments: _Instruments | None = None


def configure_telemetry(**azure_monitor_options: Any) -> bool:
    """Decide the mode once and set up exporters if needed; returns whether telemetry is on.

    Idempotent and thread-safe. Call it at start-up (``function_app.py``) so automatic
    HTTP instrumentation is in place before clients are built; the helpers call it
    themselves otherwise. ``azure_monitor_options`` go to ``configure_azure_monitor``
    (tests and the dev host use them; production passes none). A failure here is logged
    and leaves telemetry off: it never stops the app.
    """
    global _configured, _mode, _instruments
    if _configured:
        return _instruments is not None
    with _lock:
        if _configured:
            return _instruments is not None
        connection_string = os.environ.get(CONNECTION_STRING_ENV, "").strip()
        worker_managed = os.environ.get(WORKER_TELEMETRY_ENV, "").strip().lower() == "true"
        mode = MODE_OFF
        try:
            if connection_string and worker_managed:
                mode = MODE_WORKER
            elif connection_string:
                _configure_azure_monitor(connection_string, azure_monitor_options)
                mode = MODE_AZURE_MONITOR
            _instruments = _Instruments() if mode != MODE_OFF else None
        except Exception as exc:  # telemetry must never take the service down
            log.warning("Telemetry disabled: configuration failed (%s)", type(exc).__name__)
            mode, _instruments = MODE_OFF, None
        _mode = mode
        _configured = True
        if mode != MODE_OFF:
            log.info("Telemetry on (%s)", mode)
        return _instruments is not None


def _configure_azure_monitor(connection_string: str, options: Mapping[str, Any]) -> None:
    from azure.monitor.opentelemetry import configure_azure_monitor

    kwargs: dict[str, Any] = {"connection_string": connection_string}
    credential = _credential_from_authentication_string(os.environ.get(AUTHENTICATION_STRING_ENV))
    if credential is not None:
        kwargs["credential"] = credential
    kwargs.update(options)
    configure_azure_monitor(**kwargs)
    _quiet_export_loggers()


#: Loggers that log every export request. The exporter ships log records too, so at INFO or
#: DEBUG each export would produce records that are exported in turn: a self-feeding loop
#: (measured: 200 MB of log in ten minutes with the root logger at DEBUG). The HTTP policy
#: also logs request URLs and headers of every Azure SDK call.
_EXPORT_LOOP_LOGGERS = (
    "azure.core.pipeline.policies.http_logging_policy",
    "azure.monitor.opentelemetry.exporter",
    "urllib3.connectionpool",
)


def _quiet_export_loggers() -> None:
    for name in _EXPORT_LOOP_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.WARNING:
            logger.setLevel(logging.WARNING)


def _credential_from_authentication_string(raw: str | None) -> Any:
    """``Authorization=AAD;ClientId=<id>`` -> a managed identity credential, else ``None``."""
    if not raw or not raw.strip():
        return None
    pairs: dict[str, str] = {}
    for part in raw.split(";"):
        key, sep, value = part.partition("=")
        if sep:
            pairs[key.strip().lower()] = value.strip()
    if pairs.get("authorization", "").lower() != "aad":
        log.warning("%s is set but does not say Authorization=AAD; ignoring it", AUTHENTICATION_STRING_ENV)
        return None
    from azure.identity import ManagedIdentityCredential

    client_id = pairs.get("clientid") or None
    return ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()


def telemetry_mode() -> str:
    """``off``, ``azure_monitor`` or ``functions_worker`` (for the health route)."""
    configure_telemetry()
    return _mode


def flush_telemetry(timeout_ms: int = 10_000) -> bool:
    """Push buffered spans, metrics and events now (CLI runs, tests, before a clean exit)."""
    if _instruments is None:
        return True
    from opentelemetry import metrics, trace
    from opentelemetry._logs import get_logger_provider

    ok = True
    for provider in (trace.get_tracer_provider(), metrics.get_meter_provider(), get_logger_provider()):
        flush = getattr(provider, "force_flush", None)
        if flush is not None:
            result = flush(timeout_millis=timeout_ms)
            ok = ok and result is not False
    return ok


# --------------------------------------------------------------------------- sanitising


def _label(value: object) -> str:
    """A short identifier or ``redacted``: the only way a string reaches telemetry."""
    if isinstance(value, Enum):
        value = value.value
    if (
        not isinstance(value, str)
        or not value
        or len(value) > _MAX_LABEL
        or not set(value) <= _LABEL_CHARS
        or _looks_like_canary(value)
    ):
        return REDACTED
    return value


def _looks_like_canary(value: str) -> bool:
    """Canary tokens (``pss-canary-<hex>``) must never become a label; ``canary_leak`` may."""
    lowered = value.lower()
    if _CANARY_MARK not in lowered:
        return False
    run = longest = 0
    for ch in lowered:
        run = run + 1 if ch in _HEX_CHARS else 0
        longest = max(longest, run)
    return longest >= _CANARY_MIN_HEX_RUN


def _enum_label(value: object, enum: type[Enum]) -> str:
    raw = value.value if isinstance(value, Enum) else value
    try:
        return str(enum(raw).value)
    except ValueError:
        return REDACTED


def _hash_ref(value: object) -> str:
    """Keyed-HMAC hex (16-64 lowercase hex characters) or ``redacted``."""
    if isinstance(value, str) and 16 <= len(value) <= 64 and set(value) <= _HEX_CHARS:
        return value
    return REDACTED


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _count(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _active() -> _Instruments | None:
    if not _configured:
        configure_telemetry()
    return _instruments


# --------------------------------------------------------------------------- helpers


def record_analysis(
    decision: Decision | str,
    risk_level: RiskLevel | str,
    threats: Sequence[tuple[ThreatType | str, str]],
    duration_ms: float,
    stage_durations: Mapping[str, float],
    user_hash: str,
    input_hash: str,
) -> None:
    """One analysis: counters, latency per stage, and a ``PromptAnalyzed`` event.

    ``threats`` are (threat type, rule id) pairs; duplicates count once. Blocked
    prompts are counted once per distinct threat type (``none`` when a block had no
    finding, e.g. fail-closed); the number of blocked prompts is
    ``pss_analyses{decision="block"}``.
    """
    inst = _active()
    if inst is None:
        return
    decision_label = _enum_label(decision, Decision)
    risk_label = _enum_label(risk_level, RiskLevel)
    pairs: set[tuple[str, str]] = set()
    for item in list(threats)[: _MAX_THREAT_PAIRS * 4]:
        try:
            threat, rule = item
        except (TypeError, ValueError):
            continue
        pairs.add((_enum_label(threat, ThreatType), _label(rule)))
        if len(pairs) >= _MAX_THREAT_PAIRS:
            break
    threat_types = sorted({threat for threat, _ in pairs})

    inst.analyses.add(1, {names.ATTR_DECISION: decision_label, names.ATTR_RISK_LEVEL: risk_label})
    for threat, rule in sorted(pairs):
        inst.detections.add(1, {names.ATTR_THREAT_TYPE: threat, names.ATTR_RULE_ID: rule})
    if decision_label == Decision.BLOCK.value:
        for threat in threat_types or ["none"]:
            inst.blocked.add(1, {names.ATTR_THREAT_TYPE: threat})
    total = _number(duration_ms)
    if total is not None and total >= 0:
        inst.duration.record(total, {names.ATTR_STAGE: STAGE_TOTAL})
    for stage, value in list(stage_durations.items())[:32]:
        ms = _number(value)
        if ms is not None and ms >= 0:
            inst.duration.record(ms, {names.ATTR_STAGE: _label(stage)})
    inst.event(
        names.EVENT_ANALYSIS,
        {
            names.ATTR_DECISION: decision_label,
            names.ATTR_RISK_LEVEL: risk_label,
            names.ATTR_THREATS: ",".join(threat_types),
            names.ATTR_USER_HASH: _hash_ref(user_hash),
            names.ATTR_INPUT_HASH: _hash_ref(input_hash),
            names.ATTR_DURATION_MS: round(total, 3) if total is not None else -1.0,
        },
    )


def record_reputation(value: float) -> None:
    """A user's reputation after an update (0..1)."""
    inst = _active()
    if inst is None:
        return
    number = _number(value)
    if number is not None:
        inst.reputation.record(min(max(number, 0.0), 1.0))


def record_campaign(campaign_id: str, users: int, prompts: int, threat_types: Sequence[ThreatType | str] = ()) -> None:
    """A coordinated campaign was detected: a counter and a ``CampaignDetected`` event
    (``threats`` is the comma-separated threat types, as the workbook reads it)."""
    inst = _active()
    if inst is None:
        return
    inst.campaigns.add(1)
    threats = sorted({_enum_label(t, ThreatType) for t in list(threat_types)[:_MAX_THREAT_PAIRS]})
    inst.event(
        names.EVENT_CAMPAIGN,
        {
            names.ATTR_CAMPAIGN_ID: _label(campaign_id),
            names.ATTR_THREATS: ",".join(threats),
            ATTR_USERS: _count(users),
            ATTR_PROMPTS: _count(prompts),
        },
    )


def record_dependency_failure(dependency: str) -> None:
    """A dependency call failed (``keyvault``, ``azure_openai``, ``cosmos``, ``queue``...)."""
    inst = _active()
    if inst is None:
        return
    inst.dependency_failures.add(1, {names.ATTR_DEPENDENCY: _label(dependency)})


def record_graph_update(outcome: str) -> None:
    """One graph-update message handled (``applied``, ``duplicate``, ``failed``...)."""
    inst = _active()
    if inst is None:
        return
    inst.graph_updates.add(1, {names.ATTR_OUTCOME: _label(outcome)})


def record_user_blocked(user_hash: str) -> None:
    """A user was temporarily blocked: a ``UserTemporarilyBlocked`` event."""
    inst = _active()
    if inst is None:
        return
    inst.event(names.EVENT_USER_BLOCKED, {names.ATTR_USER_HASH: _hash_ref(user_hash)})


@contextlib.contextmanager
def span(name: str) -> Iterator[Any]:
    """A trace span around a unit of work; yields the span, or ``None`` when telemetry is off.

    An exception escaping the block marks the span as failed with the exception *type*
    only; the message (which may quote input) is not recorded.
    """
    inst = _active()
    if inst is None:
        yield None
        return
    with inst.tracer.start_as_current_span(
        _label(name), record_exception=False, set_status_on_exception=False
    ) as current:
        try:
            yield current
        except BaseException as exc:
            from opentelemetry.trace import Status, StatusCode

            current.set_attribute(SPAN_ERROR_ATTRIBUTE, type(exc).__name__)
            current.set_status(Status(StatusCode.ERROR))
            raise
