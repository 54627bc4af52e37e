"""Index a v2-programming-model app: what functions exist and how they are bound.

Everything comes from ``app.get_functions()`` (the same metadata the Python worker
sends to the host); nothing is hard-coded. Any problem (an import error, an unknown
binding, a ``%SETTING%`` that does not resolve, a parameter without a binding) stops
start-up with a message naming the function, instead of the real host's silent
"0 functions loaded". The Python worker's own load rules (``worker_rules.py``) run
first, and ``%NAME%`` resolves as the host resolves it (a name with ``__`` never does).
"""

from __future__ import annotations

import importlib
import inspect
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from .errors import DevHostError
from .ncrontab import Schedule, ScheduleError, parse_schedule
from .routes import RouteTemplate
from .settings import binding_lookup, env_lookup, is_truthy, parse_timespan, resolve_placeholders
from .worker_rules import check_function

log = logging.getLogger("devhost")

DEFAULT_CONNECTION = "AzureWebJobsStorage"
HTTP_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class HttpTriggerInfo:
    param: str
    route: str
    methods: tuple[str, ...] | None  # None: every method
    auth_level: str  # anonymous | function | admin
    template: RouteTemplate = field(compare=False, repr=False)

    def allows(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


@dataclass(frozen=True)
class QueueTriggerInfo:
    param: str
    queue_name: str
    connection: str


@dataclass(frozen=True)
class TimerTriggerInfo:
    param: str
    schedule_text: str
    schedule: Schedule = field(compare=False, repr=False)
    run_on_startup: bool = False
    use_monitor: bool = True


@dataclass(frozen=True)
class QueueOutputInfo:
    param: str  # "$return" when bound to the return value
    queue_name: str
    connection: str


@dataclass(frozen=True)
class RetryInfo:
    strategy: str  # fixed_delay | exponential_backoff
    max_retry_count: int
    delay: float = 0.0
    minimum: float = 0.0
    maximum: float = 0.0

    def delay_for(self, attempt: int) -> float:
        """Wait before retry number ``attempt`` (1-based)."""
        if self.strategy == "fixed_delay":
            return self.delay
        return min(self.maximum, self.minimum * (2 ** (attempt - 1)))


Trigger = HttpTriggerInfo | QueueTriggerInfo | TimerTriggerInfo


@dataclass
class FunctionSpec:
    name: str
    trigger: Trigger
    user_function: Callable[..., Any] = field(repr=False)
    queue_outputs: tuple[QueueOutputInfo, ...] = ()
    http_output_param: str | None = "$return"  # HTTP functions only
    context_param: str | None = None
    is_async: bool = False
    trigger_annotation: Any = None
    retry: RetryInfo | None = None
    disabled: bool = False

    @property
    def kind(self) -> str:
        if isinstance(self.trigger, HttpTriggerInfo):
            return "http"
        if isinstance(self.trigger, QueueTriggerInfo):
            return "queue"
        return "timer"


@dataclass
class AppIndex:
    module: ModuleType
    app: Any
    functions: list[FunctionSpec]

    def by_name(self, name: str) -> FunctionSpec | None:
        lowered = name.lower()
        return next((f for f in self.functions if f.name.lower() == lowered), None)

    @property
    def http(self) -> list[FunctionSpec]:
        return [f for f in self.functions if f.kind == "http"]

    @property
    def queue(self) -> list[FunctionSpec]:
        return [f for f in self.functions if f.kind == "queue"]

    @property
    def timer(self) -> list[FunctionSpec]:
        return [f for f in self.functions if f.kind == "timer"]


def load_app(target: str, app_root: Path) -> tuple[ModuleType, Any]:
    """Import ``module:attribute`` with ``app_root`` on sys.path (the host's script root)."""
    module_name, _, attribute = target.partition(":")
    attribute = attribute or "app"
    if not module_name:
        raise DevHostError(f"app '{target}': expected 'module:attribute', e.g. 'function_app:app'")
    root = str(app_root.resolve())
    if root not in sys.path:
        sys.path.insert(0, root)
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        # The host hides this as "0 functions loaded"; say it out loud instead.
        log.exception("importing %s failed", module_name)
        raise DevHostError(
            f"importing '{module_name}' failed: {exc.__class__.__name__}: {exc} (traceback above)"
        ) from exc
    app = getattr(module, attribute, None)
    if app is None or not hasattr(app, "get_functions"):
        raise DevHostError(f"'{target}': '{attribute}' is not an azure.functions FunctionApp")
    return module, app


def _app_functions(app: Any) -> list[Any]:
    """``get_functions()`` without changing the app object.

    azure-functions 1.26 remembers the names it has seen and raises a duplicate-name
    error on the second call; reset that memo for our call and put it back after, so
    the app can be indexed again (tests, restarts) and other code can still call it."""
    saved = getattr(app, "functions_bindings", None)
    app.functions_bindings = None
    try:
        return list(app.get_functions())
    except ValueError as exc:
        raise DevHostError(f"indexing failed: {exc}") from exc
    finally:
        app.functions_bindings = saved


def _enum_text(value: Any) -> str:
    return str(getattr(value, "value", value))


def _valid_queue_name(name: str) -> bool:
    return (
        3 <= len(name) <= 63
        and name.isascii()
        and all(c.islower() or c.isdigit() or c == "-" for c in name)
        and name[0] != "-"
        and name[-1] != "-"
        and "--" not in name
    )


def _resolve(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise DevHostError(f"{where}: expected a string, got {value!r}")
    return resolve_placeholders(value, binding_lookup, where=where)


def _queue_name(raw: Any, where: str) -> str:
    name = _resolve(raw, where)
    if not _valid_queue_name(name):
        raise DevHostError(
            f"{where}: '{name}' is not a valid queue name (3-63 lowercase letters, digits and single hyphens)"
        )
    return name


def _retry(function: Any, where: str) -> RetryInfo | None:
    setting = function.get_setting("retry_policy")
    if setting is None:
        return None
    strategy = str(getattr(setting, "strategy", "")).lower()
    try:
        count = int(getattr(setting, "max_retry_count", 0))
    except (TypeError, ValueError) as exc:
        raise DevHostError(f"{where}: retry max_retry_count must be a whole number") from exc
    if strategy == "fixed_delay":
        delay = parse_timespan(getattr(setting, "delay_interval", None), name=f"{where} retry delay_interval")
        return RetryInfo(strategy, count, delay=delay)
    if strategy == "exponential_backoff":
        low = parse_timespan(getattr(setting, "minimum_interval", None), name=f"{where} retry minimum_interval")
        high = parse_timespan(getattr(setting, "maximum_interval", None), name=f"{where} retry maximum_interval")
        return RetryInfo(strategy, count, minimum=low, maximum=high)
    raise DevHostError(f"{where}: unknown retry strategy '{strategy}'")


def _build(function: Any, route_prefix: str) -> FunctionSpec:
    name = function.get_function_name()
    where = f"function '{name}'"
    check_function(function)  # the Python worker's rules first: it refuses before the host looks
    user_function = function.get_user_function()
    trigger = function.get_trigger()
    if trigger is None:
        raise DevHostError(f"{where}: no trigger")
    t = trigger.get_dict_repr()
    t_type = t.get("type")
    t_param = t.get("name")

    info: Trigger
    if t_type == "httpTrigger":
        route = _resolve(t.get("route") or name, f"{where} route")
        methods_raw = t.get("methods")
        methods = None if not methods_raw else tuple(sorted({_enum_text(m).upper() for m in methods_raw}))
        if methods and any(m not in HTTP_METHODS for m in methods):
            raise DevHostError(f"{where}: unsupported HTTP method in {methods}")
        auth = _enum_text(t.get("authLevel") or "function").lower()
        if auth not in ("anonymous", "function", "admin"):
            raise DevHostError(f"{where}: unknown auth level '{auth}'")
        if not route_prefix and route.strip("/").lower().split("/")[0] == "admin":
            raise DevHostError(f"{where}: routes under 'admin' are reserved by the host")
        info = HttpTriggerInfo(t_param, route, methods, auth, RouteTemplate(route, route_prefix))
    elif t_type == "queueTrigger":
        info = QueueTriggerInfo(
            t_param,
            _queue_name(t.get("queueName"), f"{where} queue_name"),
            t.get("connection") or DEFAULT_CONNECTION,
        )
    elif t_type == "timerTrigger":
        text = _resolve(t.get("schedule"), f"{where} schedule")
        try:
            schedule = parse_schedule(text)
        except ScheduleError as exc:
            raise DevHostError(f"{where}: invalid schedule '{text}': {exc}") from exc
        use_monitor = t.get("useMonitor")
        if use_monitor is None:
            # Host default: monitor schedules whose occurrences are at least a minute apart.
            use_monitor = schedule.min_interval(datetime.now(UTC)) >= timedelta(minutes=1)
        info = TimerTriggerInfo(t_param, text, schedule, bool(t.get("runOnStartup")), bool(use_monitor))
    else:
        raise DevHostError(f"{where}: trigger type '{t_type}' is not supported by the dev host")

    outputs: list[QueueOutputInfo] = []
    http_output: str | None = None
    for binding in function.get_bindings():
        b = binding.get_dict_repr()
        if b is t or (b.get("type") == t_type and b.get("name") == t_param):
            continue
        b_type, b_name = b.get("type"), b.get("name")
        if b_type == "queue" and _enum_text(b.get("direction")) in ("1", "OUT", "out"):
            outputs.append(
                QueueOutputInfo(
                    b_name,
                    _queue_name(b.get("queueName"), f"{where} queue_output '{b_name}'"),
                    b.get("connection") or DEFAULT_CONNECTION,
                )
            )
        elif b_type == "http" and isinstance(info, HttpTriggerInfo):
            http_output = b_name
        else:
            raise DevHostError(f"{where}: binding '{b_name}' of type '{b_type}' is not supported by the dev host")
    if isinstance(info, HttpTriggerInfo) and http_output is None:
        raise DevHostError(f"{where}: HTTP trigger without an HTTP output binding")

    try:
        # Resolve string annotations (``from __future__ import annotations``) to types.
        signature = inspect.signature(user_function, eval_str=True)
    except Exception:
        signature = inspect.signature(user_function)
    params = list(signature.parameters)
    bound = {t_param} | {o.param for o in outputs} | ({http_output} if http_output else set())
    bound.discard("$return")
    missing = sorted(bound - set(params))
    if missing:
        raise DevHostError(f"{where}: bindings {missing} have no matching Python parameter")
    context_param = "context" if "context" in params and "context" not in bound else None
    extra = sorted(set(params) - bound - {"context"})
    if extra:
        raise DevHostError(f"{where}: parameters {extra} are not bound to anything")
    returns = [o for o in outputs if o.param == "$return"]
    if isinstance(info, HttpTriggerInfo) and returns and http_output == "$return":
        raise DevHostError(f"{where}: both the HTTP response and a queue output are bound to $return")

    disabled = is_truthy(env_lookup(f"AzureWebJobs.{name}.Disabled")) or is_truthy(
        env_lookup(f"AzureWebJobs__{name}__Disabled")
    )
    retry = _retry(function, where)
    if retry is not None and not isinstance(info, TimerTriggerInfo):
        log.warning("%s: retry policies apply to timer triggers only here; ignored", where)
        retry = None
    return FunctionSpec(
        name=name,
        trigger=info,
        user_function=user_function,
        queue_outputs=tuple(outputs),
        http_output_param=http_output,
        context_param=context_param,
        is_async=inspect.iscoroutinefunction(user_function),
        trigger_annotation=signature.parameters[t_param].annotation,
        retry=retry,
        disabled=disabled,
    )


def index_app(target: str, app_root: Path, route_prefix: str = "api") -> AppIndex:
    """Load the app and describe every function; raises DevHostError listing all problems."""
    module, app = load_app(target, app_root)
    specs: list[FunctionSpec] = []
    problems: list[str] = []
    for function in _app_functions(app):
        try:
            specs.append(_build(function, route_prefix))
        except DevHostError as exc:
            problems.append(str(exc))
    if problems:
        raise DevHostError("the app cannot be hosted:\n  - " + "\n  - ".join(problems))
    return AppIndex(module=module, app=app, functions=specs)
