"""The HTTP API without HTTP: every route as a function from request parts to a reply.

``functions/`` turns an ``azure.functions.HttpRequest`` into (method, route params,
query, body bytes), calls one of these, and turns the :class:`Reply` back into an
``HttpResponse`` (and queue messages into the output binding). Keeping the logic here
means it is tested without the Functions runtime and reused by the dev host.

Errors: every refusal is a JSON body ``{"success": false, "error": {"code", "message",
"details"?}}`` with a stable code. Validation errors name the fields but never echo
the submitted values. Anything unexpected becomes ``internal_error`` with the request
id; the details go to the log, not to the caller.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from .config import Settings, get_settings, valid_tenant_name
from .errors import DependencyError, ErrorCode, InputError, RuleError, ServiceError
from .tenancy import Caller, Identity, resolve_caller, tenant_in_view

log = logging.getLogger(__name__)

JSON = "application/json"
ReplyDetail = Literal["operator", "client"]


def _user_id_of(body: bytes) -> str | None:
    """The ``user_id`` of a refused body, when it can be read cheaply and is a valid id."""
    from .api_models import USER_ID_PATTERN
    from .detection._re import compile_re

    if len(body) > 1_000_000:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    user_id = data.get("user_id") if isinstance(data, dict) else None
    if isinstance(user_id, str) and compile_re(USER_ID_PATTERN).search(user_id):
        return user_id
    return None


@dataclass(slots=True)
class Reply:
    status: int
    body: dict[str, Any] | list[Any]
    headers: dict[str, str] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)  # for the graph-updates queue

    def json(self) -> str:
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":"))


def error_reply(exc: ServiceError, request_id: str | None = None) -> Reply:
    body = exc.to_dict()
    if request_id:
        body["request_id"] = request_id
    return Reply(exc.status, body, dict(getattr(exc, "headers", {}) or {}))


def _validation_details(exc: ValidationError) -> list[dict[str, str]]:
    out = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
        out.append({"field": loc, "problem": str(err.get("msg", "invalid"))[:200]})
    return out[:20]


def parse_body(body: bytes, model: type[BaseModel], settings: Settings) -> Any:
    """JSON bytes -> validated model, or an :class:`InputError` with a stable code."""
    if len(body) > settings.limits.max_request_bytes:
        raise InputError(
            ErrorCode.BODY_TOO_LARGE,
            f"request body is {len(body)} bytes; the limit is {settings.limits.max_request_bytes}",
            status=413,
        )
    if not body.strip():
        raise InputError(ErrorCode.BAD_JSON, "request body is empty; expected a JSON object")
    from .jsonbody import loads

    data = loads(body)  # strict: duplicate keys, huge numbers and NaN are refused (bad_json)
    if not isinstance(data, dict):
        raise InputError(ErrorCode.BAD_JSON, "request body must be a JSON object")
    try:
        # No ``strict=`` override here: it would beat the models' own StrictBool/StrictFloat
        # fields and let ``"forward_to_llm": "yes"`` through as true.
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(
            ErrorCode.VALIDATION_FAILED,
            "request body failed validation",
            details={"errors": _validation_details(exc)},
        ) from None


def guarded(fn: Callable[..., Reply]) -> Callable[..., Reply]:
    """Turn every exception into a coded JSON reply."""

    def wrapper(*args: Any, **kwargs: Any) -> Reply:
        request_id = uuid.uuid4().hex
        try:
            return fn(*args, **kwargs)
        except ServiceError as exc:
            if isinstance(exc, DependencyError):
                from . import telemetry

                telemetry.record_dependency_failure(exc.dependency)
            return error_reply(exc, request_id)
        except RecursionError:
            return error_reply(InputError(ErrorCode.BAD_JSON, "input is nested too deeply"), request_id)
        except Exception:
            log.exception("unhandled error in %s (request %s)", fn.__name__, request_id)
            return error_reply(
                ServiceError(ErrorCode.INTERNAL, "An internal error occurred; quote the request id.", status=500),
                request_id,
            )

    wrapper.__name__ = fn.__name__
    wrapper.__doc__ = fn.__doc__
    return wrapper


class Service:
    """The state behind the routes: pipeline, store, quota and rule sync."""

    def __init__(self, settings: Settings | None = None) -> None:
        from .ratelimit import LoadShedder, RateLimiter

        self.settings = settings or get_settings()
        from .secrets import check_hmac_key

        check_hmac_key(self.settings)  # outside the local profile a weak HMAC key stops start-up here
        self.limiter = RateLimiter(self.settings.limits.rate_limit_per_minute)  # per (tenant, user)
        self.tenant_limiter = RateLimiter(self.settings.tenancy.tenant_rate_limit_per_minute)
        self.shedder = LoadShedder(self.settings.tenancy.max_in_flight_units)
        logging.getLogger("shared").setLevel(self.settings.log_level)
        self._rule_sync: Any = None

    # components, created lazily (cold start) ---------------------------------
    @property
    def pipeline(self) -> Any:
        from .pipeline import get_pipeline

        return get_pipeline()

    @property
    def store(self) -> Any:
        from .stores import get_store

        return get_store()

    def _sync_rules(self) -> None:
        if self._rule_sync is None:
            from .custom_rules import RuleSync

            self._rule_sync = RuleSync(self.store, self.pipeline.rules)
        try:
            self._rule_sync.maybe_sync()
        except DependencyError:
            log.warning("custom rule sync skipped: store unavailable")
        except RuleError as exc:
            # A stored rule set this instance refuses (e.g. the upload-time cost probe on a
            # busy machine) must not fail the analysis: keep the rules already installed.
            log.warning("custom rule sync skipped: stored rules refused (%s)", exc.code.value)

    def _quota(self, user_id: str, cost: int = 1) -> dict[str, str]:
        """Per-user quota; ``user_id`` is already tenant-scoped (see :meth:`Caller.scope`)."""
        quota = self.limiter.check(user_id, cost)
        if not quota.allowed:
            raise _RateLimited(quota.headers(), quota.reset_epoch)
        return quota.headers()

    def _enter(self, identity: Identity | None, cost: int = 1) -> Caller:
        """Check who is calling and charge the tenant's quota (every route but health and OpenAPI)."""
        return self._charge_tenant(resolve_caller(identity, self.settings), cost)

    def _charge_tenant(self, caller: Caller, cost: int = 1) -> Caller:
        quota = self.tenant_limiter.check("tenant:" + caller.tenant, cost)
        if not quota.allowed:
            raise _RateLimited(quota.headers(), quota.reset_epoch)
        return caller

    @contextmanager
    def _admitted(self, units: int) -> Iterator[None]:
        """Load shedding: 503 ``overloaded`` with ``Retry-After`` instead of an ever longer queue."""
        charged = self.shedder.try_acquire(units)
        if not charged:
            from . import telemetry

            telemetry.record_dependency_failure("load_shedding")
            raise _Overloaded(self.settings.tenancy.shed_retry_after_seconds)
        try:
            yield
        finally:
            self.shedder.release(charged)

    def _quota_on_error(self, exc: ServiceError, body: bytes, caller: Caller | None) -> None:
        """Give a refused analyze request the ``X-RateLimit-*`` headers too, without
        charging it: the sender's current window when the body names a user, the full
        limit otherwise (the request never reached a user's quota)."""
        if "X-RateLimit-Limit" in (getattr(exc, "headers", None) or {}):
            return
        user_id = _user_id_of(body)
        quota = self.limiter.peek(caller.scope(user_id) if user_id and caller else None)
        exc.headers = {**quota.headers(), **(getattr(exc, "headers", None) or {})}  # type: ignore[attr-defined]

    def detail_for(self, caller: Caller) -> ReplyDetail:
        """Operators see scores, thresholds and ids; every other caller gets the detail
        ``PSS_REPLY_DETAIL`` sets (``client`` by default: the decision and reasons in words)."""
        return "operator" if caller.is_operator else self.settings.reply_detail

    # analyze stage ---------------------------------------------------------
    def analyze(self, body: bytes, identity: Identity | None = None) -> Reply:
        return self._with_quota_headers(self._analyze, body, identity)

    def _with_quota_headers(
        self, route: Callable[[bytes, Caller], Reply], body: bytes, identity: Identity | None
    ) -> Reply:
        """Run an analyze route; a refusal still carries the sender's ``X-RateLimit-*``."""
        caller: Caller | None = None
        try:
            caller = resolve_caller(identity, self.settings)
            return route(body, caller)
        except ServiceError as exc:
            self._quota_on_error(exc, body, caller)
            raise

    def _analyze(self, body: bytes, caller: Caller) -> Reply:
        from .api_models import AnalyzeBody
        from .pipeline import AnalysisRequest

        parsed: AnalyzeBody = parse_body(body, AnalyzeBody, self.settings)
        self._charge_tenant(caller)
        headers = self._quota(caller.scope(parsed.user_id))
        self._sync_rules()
        req = AnalysisRequest(
            user_id=caller.scope(parsed.user_id),
            prompt=parsed.text,
            prompt2=parsed.prompt2,
            similarity_metric=parsed.similarity_metric,
            similarity_threshold=float(parsed.similarity_threshold)
            if parsed.similarity_threshold is not None
            else None,
            forward_to_llm=parsed.forward_to_llm,
            turns=parsed.turns,
        )
        units = work_units([parsed.text, parsed.prompt2 or "", *(parsed.turns or [])])
        try:
            with self._admitted(units):
                result = self.pipeline.analyze(req)
        except ServiceError as exc:
            exc.headers = {**headers, **(getattr(exc, "headers", None) or {})}  # type: ignore[attr-defined]
            raise
        messages = [json.dumps(result.graph_message, separators=(",", ":"))] if result.graph_message else []
        return Reply(200, result.to_api(self.detail_for(caller)), headers, messages)

    def analyze_batch(self, body: bytes, identity: Identity | None = None) -> Reply:
        return self._with_quota_headers(self._analyze_batch, body, identity)

    def _analyze_batch(self, body: bytes, caller: Caller) -> Reply:
        from .api_models import BatchBody
        from .pipeline import AnalysisRequest

        parsed: BatchBody = parse_body(body, BatchBody, self.settings)
        limit = self.settings.limits.max_batch_items
        if len(parsed.items) > limit:
            raise InputError(
                ErrorCode.VALIDATION_FAILED,
                f"a batch holds at most {limit} items",
                details={"field": "items", "limit": limit},
            )
        self._charge_tenant(caller, cost=len(parsed.items))
        user = caller.scope(parsed.user_id)
        headers = self._quota(user, cost=len(parsed.items))
        self._sync_rules()
        results: list[dict[str, Any]] = []
        messages: list[str] = []
        with self._admitted(work_units([item.prompt for item in parsed.items])):
            for n, item in enumerate(parsed.items):
                item_id = item.id or str(n)
                try:
                    res = self.pipeline.analyze(AnalysisRequest(user_id=user, prompt=item.prompt))
                except ServiceError as exc:
                    if isinstance(exc, DependencyError):
                        raise
                    results.append({"id": item_id, **exc.to_dict()})
                    continue
                if res.graph_message:
                    messages.append(json.dumps(res.graph_message, separators=(",", ":")))
                results.append({"id": item_id, **res.to_api(self.detail_for(caller))})
        blocked = sum(1 for r in results if r.get("decision") == "block")
        return Reply(
            200, {"success": True, "count": len(results), "blocked": blocked, "results": results}, headers, messages
        )

    def scan_output(self, body: bytes, identity: Identity | None = None) -> Reply:
        from .api_models import ScanOutputBody

        parsed: ScanOutputBody = parse_body(body, ScanOutputBody, self.settings)
        self._enter(identity)
        with self._admitted(work_units([parsed.output])):
            scan = self.pipeline.scan_output(parsed.output, canary=parsed.canary)
        return Reply(200, {"success": True, **scan.to_dict(), "redacted_output": scan.redacted})

    # read routes -----------------------------------------------------------
    def profile(self, user_id: str, identity: Identity | None = None) -> Reply:
        """A user's profile inside the caller's tenant. An unknown user gets the reply of a
        fresh one (baseline reputation, no history): the route never tells whether a user exists."""
        from .reputation import load_profile

        _check_user_id(user_id)
        caller = self._enter(identity)
        now = time.time()
        profile = load_profile(self.store, caller.scope(user_id), self.settings.reputation, now)
        return Reply(200, {"success": True, "profile": {**profile.to_public(now), "user_id": user_id}})

    def metrics(self, params: dict[str, str], identity: Identity | None = None) -> Reply:
        """Totals over the caller's own tenant; an operator sees every tenant (or ``tenant=``)."""
        from .metrics import compute_metrics
        from .params import int_param

        window = int_param(params, "window_minutes", 60, 1, 10_080)
        caller = self._enter(identity, cost=5)
        tenant = tenant_in_view(params, caller)
        return Reply(200, {"success": True, **compute_metrics(self.store, window, tenant=tenant)})

    def whoami(self, identity: Identity | None = None) -> Reply:
        """``GET /caller``: the tenant and role the service derived for this request."""
        caller = self._enter(identity)
        return Reply(200, {"success": True, "caller": caller.to_public()})

    def health(self) -> Reply:
        from .health import check_health

        report = check_health(self.settings)
        return Reply(200 if report["status"] != "unhealthy" else 503, report)

    def openapi(self) -> Reply:
        from .openapi import build_openapi

        return Reply(200, build_openapi())

    # manage routes -----------------------------------------------------------
    def rules_get(self) -> Reply:
        engine = self.pipeline.rules
        self._sync_rules()
        return Reply(
            200,
            {
                "success": True,
                "version": engine.version,
                "custom": [r.to_dict() for r in engine.custom_rules],
                "builtin": [
                    {
                        "id": r.id,
                        "threat_type": r.threat_type.value,
                        "severity": r.severity.value,
                        "description": r.description,
                    }
                    for r in engine.snapshot.rules
                    if r.source == "builtin"
                ],
            },
        )

    def rules_put(self, body: bytes) -> Reply:
        from .api_models import RulesBody
        from .custom_rules import replace_rules

        parsed: RulesBody = parse_body(body, RulesBody, self.settings)
        version = replace_rules(self.store, self.pipeline.rules, parsed.rules)
        return Reply(200, {"success": True, "version": version, "count": len(parsed.rules)})

    def rules_post(self, body: bytes) -> Reply:
        from .custom_rules import CustomRuleSpec, upsert_rule

        spec: CustomRuleSpec = parse_body(body, CustomRuleSpec, self.settings)
        version = upsert_rule(self.store, self.pipeline.rules, spec)
        return Reply(201, {"success": True, "version": version, "id": spec.id})

    def rules_delete(self, rule_id: str) -> Reply:
        from .custom_rules import delete_rule

        if not delete_rule(self.store, self.pipeline.rules, rule_id):
            raise ServiceError(ErrorCode.NOT_FOUND, "no custom rule with this id", status=404)
        return Reply(200, {"success": True, "deleted": rule_id})

    def allowlist_get(self) -> Reply:
        self._sync_rules()
        return Reply(200, {"success": True, "entries": list(self.pipeline.rules.allowlist)})

    def allowlist_put(self, body: bytes) -> Reply:
        from .api_models import AllowlistBody
        from .custom_rules import replace_allowlist

        parsed: AllowlistBody = parse_body(body, AllowlistBody, self.settings)
        version = replace_allowlist(self.store, self.pipeline.rules, parsed.entries)
        return Reply(200, {"success": True, "version": version, "count": len(parsed.entries)})

    def unblock(self, user_id: str, params: dict[str, str] | None = None, identity: Identity | None = None) -> Reply:
        """Operator route; ``?tenant=`` names the user's tenant (default: the caller's own)."""
        from .reputation import unblock

        _check_user_id(user_id)
        scoped = _operator_scope(resolve_caller(identity, self.settings), user_id, params or {})
        profile = unblock(self.store, scoped, self.settings.reputation, time.time())
        if profile is None:
            raise ServiceError(ErrorCode.NOT_FOUND, "no profile for this user", status=404)
        return Reply(200, {"success": True, "profile": {**profile.to_public(time.time()), "user_id": user_id}})

    # learned known attacks (operator) ---------------------------------------------
    def known_attacks_list(self, params: dict[str, str], identity: Identity | None = None) -> Reply:
        from .graph import learning

        _require_operator(resolve_caller(identity, self.settings))
        return Reply(200, {"success": True, **learning.list_entries(self.store, params)})

    def known_attack_confirm(self, attack_id: str, identity: Identity | None = None) -> Reply:
        from .graph import learning

        _require_operator(resolve_caller(identity, self.settings))
        entry = learning.confirm(self.store, self.settings, attack_id, time.time())
        self._resync_attacks()
        return Reply(200, {"success": True, "entry": entry})

    def known_attack_remove(self, attack_id: str, identity: Identity | None = None) -> Reply:
        from .graph import learning

        _require_operator(resolve_caller(identity, self.settings))
        entry = learning.remove(self.store, self.settings, attack_id, time.time())
        self._resync_attacks()
        return Reply(200, {"success": True, "entry": entry})

    def _resync_attacks(self) -> None:
        sync = getattr(self.pipeline, "attack_sync", None)
        if sync is not None:
            sync.maybe_sync(force=True)

    # graph view ------------------------------------------------------------
    def graph(self, kind: str, ident: str | None, params: dict[str, str], identity: Identity | None = None) -> Reply:
        from .graph import views

        caller = self._enter(identity)
        return Reply(200, {"success": True, **views.view(self.store, kind, ident, params, caller)})

    # queue and timer stages --------------------------------------------------
    def graph_update(self, body: str, message_id: str, dequeue_count: int) -> dict[str, Any]:
        """Process one queue message; raises so the host retries / poisons it."""
        from . import telemetry
        from .graph.update import process_message
        from .jsonbody import loads

        try:
            raw = loads(body, what="graph-update message")
        except InputError:
            telemetry.record_graph_update("rejected")
            raise
        try:
            result = process_message(self.store, self.settings, raw, message_id, first_delivery=dequeue_count <= 1)
        except ValidationError as exc:
            telemetry.record_graph_update("rejected")
            raise InputError(
                ErrorCode.VALIDATION_FAILED,
                "graph-update message failed validation",
                details={"errors": _validation_details(exc)},
            ) from None
        telemetry.record_graph_update(result.outcome)
        return {
            "outcome": result.outcome,
            "campaign_id": result.campaign_id,
            "near_duplicates": len(result.near_duplicates),
            "dequeue_count": dequeue_count,
        }

    def reputation_decay(self) -> dict[str, Any]:
        from .decay import run_decay

        return run_decay(self.store, self.settings).to_dict()


class _RateLimited(ServiceError):
    def __init__(self, headers: dict[str, str], reset_epoch: int) -> None:
        retry = max(1, int(reset_epoch - time.time()))
        super().__init__(ErrorCode.RATE_LIMITED, f"rate limit exceeded; retry in {retry} s", status=429)
        self.headers = {**headers, "Retry-After": str(retry)}


class _Overloaded(ServiceError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(ErrorCode.OVERLOADED, f"the service is at capacity; retry in {retry_after} s", status=503)
        self.headers = {"Retry-After": str(retry_after)}


def work_units(texts: list[str]) -> int:
    """Admission cost of a request: one unit per text plus one per 2,000 characters."""
    return sum(1 + len(t) // 2_000 for t in texts)


def _check_user_id(user_id: str) -> None:
    from .api_models import USER_ID_PATTERN
    from .detection._re import compile_re

    if not compile_re(USER_ID_PATTERN).search(user_id or ""):
        raise InputError(ErrorCode.VALIDATION_FAILED, "user_id is not a valid user id")


def _require_operator(caller: Caller) -> None:
    if not caller.is_operator:
        raise ServiceError(ErrorCode.FORBIDDEN, "this route needs the operator role", status=403)


def _operator_scope(caller: Caller, user_id: str, params: dict[str, str]) -> str:
    _require_operator(caller)
    tenant = params.get("tenant")
    if tenant is None:
        return caller.scope(user_id)
    if not valid_tenant_name(tenant):
        raise InputError(ErrorCode.VALIDATION_FAILED, "tenant is not a valid tenant name")
    return Caller(tenant, "client", "local").scope(user_id)


_service: Service | None = None
_lock = threading.Lock()


def get_service() -> Service:
    global _service
    if _service is None:
        with _lock:
            if _service is None:
                _service = Service()
    return _service


def set_service(service: Service | None) -> None:
    global _service
    with _lock:
        _service = service
