"""``GET /api/health``: is the service able to do its job, and if not, why.

Each dependency reports ``ok``, ``degraded`` (working without it, e.g. Azure OpenAI
off or failing: detection still runs locally) or ``down``. The service is
``unhealthy`` (HTTP 503) only when something it cannot work without is down: the
store (no profiles, no audit trail) or the detection engine. Messages are codes and
short phrases, never exception text.
"""

from __future__ import annotations

import time
from typing import Any

from .config import Settings
from .errors import ServiceError


def _store(settings: Settings) -> dict[str, Any]:
    from .stores import get_store

    started = time.perf_counter()
    try:
        get_store().ping()
    except ServiceError as exc:
        return {"status": "down", "backend": settings.store.backend, "code": exc.code.value}
    except Exception as exc:  # the probe must answer even for unexpected failures
        return {"status": "down", "backend": settings.store.backend, "code": type(exc).__name__}
    return {
        "status": "ok",
        "backend": settings.store.backend,
        "latency_ms": round((time.perf_counter() - started) * 1e3, 2),
    }


def _engine() -> dict[str, Any]:
    try:
        from .detection.ensemble import ModelEnsemble
        from .pipeline import get_pipeline

        pipeline = get_pipeline()
        clf = pipeline.detector.classifier
        return {
            "status": "ok",
            "rules": len(pipeline.rules.snapshot),
            "custom_rules": len(pipeline.rules.custom_rules),
            "classifier": "loaded" if clf is not None else "disabled",
            "encoder": "loaded" if isinstance(clf, ModelEnsemble) else "disabled",
            "known_attacks": len(pipeline.detector.index) if pipeline.detector.index is not None else 0,
        }
    except ServiceError as exc:
        return {"status": "down", "code": exc.code.value}
    except Exception as exc:
        return {"status": "down", "code": type(exc).__name__}


def check_health(settings: Settings) -> dict[str, Any]:
    from . import secrets, telemetry
    from .llm import client as llm_client

    deps: dict[str, Any] = {"store": _store(settings), "engine": _engine()}
    kv = secrets.health()
    deps["secrets"] = {**kv, "status": "ok" if kv.get("status") in ("ok", "unknown", None) else "degraded"}
    sem = settings.semantic
    if sem.azure_openai_endpoint:
        llm = llm_client.health()
        deps["azure_openai"] = {
            **llm,
            "status": "ok" if llm.get("status") in ("ok", "unknown", "disabled") else "degraded",
        }
    else:
        deps["azure_openai"] = {"status": "disabled"}
    deps["telemetry"] = {"status": "ok", "mode": telemetry.telemetry_mode()}
    critical_down = [name for name in ("store", "engine") if deps[name]["status"] == "down"]
    degraded = [name for name, d in deps.items() if d["status"] in ("degraded", "down")]
    status = "unhealthy" if critical_down else "degraded" if degraded else "healthy"
    return {
        "status": status,
        "dependencies": deps,
        "down": critical_down,
        "degraded": degraded,
        "environment": settings.environment,
        "checked_at": time.time(),
    }
