"""What the dev host reads before it starts: ``local.settings.json`` and ``host.json``.

* ``local.settings.json`` ``Values`` become environment variables, but never override a
  variable that is already set (an exported variable wins, as with Core Tools). The dev
  host remembers what it added and removes it again on stop, so tests stay isolated.
* ``host.json`` supplies the HTTP route prefix and the queue options the Functions host
  honours (``extensions.queues``). Keys are matched case-insensitively, as the host's
  configuration binder does.
* ``%NAME%`` placeholders in binding values resolve from the environment, as the host
  resolves them from app settings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DevHostError

#: Hard limits of Azure Storage queues / the queue extension.
MAX_BATCH_SIZE = 32
MIN_POLLING_INTERVAL = 0.1


def parse_timespan(value: Any, *, name: str) -> float:
    """``[d.]hh:mm:ss[.fffffff]`` → seconds (the .NET TimeSpan text host.json uses)."""
    if not isinstance(value, str):
        raise DevHostError(f"host.json {name}: expected a TimeSpan string like '00:00:30', got {value!r}")
    text = value.strip()
    parts = text.split(":")
    if len(parts) != 3:
        raise DevHostError(f"host.json {name}: '{value}' is not a TimeSpan (expected hh:mm:ss)")
    days = 0
    head = parts[0]
    if "." in head:
        day_text, _, head = head.partition(".")
        if not day_text.isdigit():
            raise DevHostError(f"host.json {name}: '{value}' has an invalid day part")
        days = int(day_text)
    sec_text, dot, frac_text = parts[2].partition(".")
    pieces = (head, parts[1], sec_text) + ((frac_text,) if dot else ())
    if not all(p.isascii() and p.isdigit() for p in pieces):
        raise DevHostError(f"host.json {name}: '{value}' is not a TimeSpan (expected hh:mm:ss)")
    hours, minutes, seconds = int(head), int(parts[1]), int(sec_text)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise DevHostError(f"host.json {name}: '{value}' has a component out of range")
    fraction = float(f"0.{frac_text}") if dot else 0.0
    return days * 86400 + hours * 3600 + minutes * 60 + seconds + fraction


def _ci_get(mapping: Mapping[str, Any] | None, key: str) -> Any:
    if not isinstance(mapping, Mapping):
        return None
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == key.lower():
            return v
    return None


@dataclass(frozen=True)
class QueueOptions:
    """host.json ``extensions.queues`` with the host's defaults."""

    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0  # delay before a failed message is retried
    batch_size: int = 16
    new_batch_threshold: int | None = None  # None → batch_size // 2, like the host
    max_polling_interval: float = 60.0
    message_encoding: str = "base64"

    @property
    def fetch_threshold(self) -> int:
        return self.batch_size // 2 if self.new_batch_threshold is None else self.new_batch_threshold

    @property
    def max_concurrency(self) -> int:
        """The host runs at most batchSize + newBatchThreshold messages at once per queue."""
        return self.batch_size + self.fetch_threshold


@dataclass(frozen=True)
class HostOptions:
    route_prefix: str = "api"
    queues: QueueOptions = field(default_factory=QueueOptions)
    source: str = "defaults"


def _int_option(section: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = _ci_get(section, key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise DevHostError(f"host.json extensions.queues.{key}: expected an integer {low}-{high}, got {value!r}")
    return value


def parse_host_json(data: Mapping[str, Any], source: str = "host.json") -> HostOptions:
    extensions = _ci_get(data, "extensions") or {}
    http = _ci_get(extensions, "http") or {}
    prefix = _ci_get(http, "routePrefix")
    if prefix is None:
        prefix = "api"
    if not isinstance(prefix, str):
        raise DevHostError(f"host.json extensions.http.routePrefix: expected a string, got {prefix!r}")
    prefix = prefix.strip("/")

    q = _ci_get(extensions, "queues") or {}
    batch_size = _int_option(q, "batchSize", 16, 1, MAX_BATCH_SIZE)
    threshold_raw = _ci_get(q, "newBatchThreshold")
    threshold = None if threshold_raw is None else _int_option(q, "newBatchThreshold", 0, 0, 1000)
    visibility = _ci_get(q, "visibilityTimeout")
    polling = _ci_get(q, "maxPollingInterval")
    max_polling = 60.0 if polling is None else parse_timespan(polling, name="extensions.queues.maxPollingInterval")
    encoding = _ci_get(q, "messageEncoding") or "base64"
    if not isinstance(encoding, str) or encoding.lower() not in ("base64", "none"):
        raise DevHostError(f"host.json extensions.queues.messageEncoding: 'base64' or 'none', got {encoding!r}")
    options = QueueOptions(
        max_dequeue_count=_int_option(q, "maxDequeueCount", 5, 1, 10_000),
        visibility_timeout=0.0
        if visibility is None
        else parse_timespan(visibility, name="extensions.queues.visibilityTimeout"),
        batch_size=batch_size,
        new_batch_threshold=threshold,
        max_polling_interval=max(MIN_POLLING_INTERVAL, max_polling),
        message_encoding=encoding.lower(),
    )
    return HostOptions(route_prefix=prefix, queues=options, source=source)


def load_host_options(host_json: Path | Mapping[str, Any] | None) -> HostOptions:
    """Read host.json (a path or an already-parsed mapping); a missing file means defaults."""
    if host_json is None:
        return HostOptions()
    if isinstance(host_json, Mapping):
        return parse_host_json(host_json, source="<dict>")
    path = Path(host_json)
    if not path.exists():
        return HostOptions()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DevHostError(f"{path}: not valid JSON ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise DevHostError(f"{path}: expected a JSON object")
    return parse_host_json(data, source=str(path))


@dataclass(frozen=True)
class LocalSettings:
    """The parts of local.settings.json the dev host uses."""

    values: dict[str, str]
    local_http_port: int | None = None
    source: str = ""


def load_local_settings(path: Path) -> LocalSettings | None:
    """Parse local.settings.json; None when the file does not exist (embedded defaults apply)."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise DevHostError(f"{path}: not valid JSON ({exc.__class__.__name__})") from exc
    if not isinstance(data, dict):
        raise DevHostError(f"{path}: expected a JSON object with a 'Values' section")
    if data.get("IsEncrypted") is True:
        raise DevHostError(f"{path}: IsEncrypted is true; the dev host only reads plain-text settings")
    raw_values = data.get("Values") or {}
    if not isinstance(raw_values, dict):
        raise DevHostError(f"{path}: 'Values' must be an object of name → string")
    values: dict[str, str] = {}
    for key, value in raw_values.items():
        if isinstance(value, bool):
            values[key] = "true" if value else "false"
        elif isinstance(value, (int, float, str)):
            values[key] = str(value)
        elif value is None:
            continue
        else:
            raise DevHostError(f"{path}: Values.{key} must be a string, not {type(value).__name__}")
    port = None
    host_section = data.get("Host")
    if isinstance(host_section, dict) and host_section.get("LocalHttpPort") is not None:
        try:
            port = int(host_section["LocalHttpPort"])
        except (TypeError, ValueError) as exc:
            raise DevHostError(f"{path}: Host.LocalHttpPort must be a port number") from exc
    return LocalSettings(values=values, local_http_port=port, source=str(path))


class EnvironmentOverlay:
    """Sets variables in ``os.environ`` and puts the previous state back on ``restore``."""

    def __init__(self, environ: MutableMapping[str, str] | None = None) -> None:
        self._environ = os.environ if environ is None else environ
        # name → (value before we touched it, value we set)
        self._saved: dict[str, tuple[str | None, str]] = {}

    def apply(self, values: Mapping[str, str], *, override: bool = False) -> list[str]:
        """Set each value; without ``override`` a variable that is already set is kept."""
        applied = []
        for key, value in values.items():
            ours = key in self._saved
            if key in self._environ and not override and not ours:
                continue
            original = self._saved[key][0] if ours else self._environ.get(key)
            self._saved[key] = (original, value)
            self._environ[key] = value
            applied.append(key)
        return applied

    def restore(self) -> None:
        for key, (original, ours) in self._saved.items():
            if self._environ.get(key) != ours:
                continue  # someone changed it since; leave theirs
            if original is None:
                del self._environ[key]
            else:
                self._environ[key] = original
        self._saved.clear()


def resolve_placeholders(value: str, lookup: Callable[[str], str | None], *, where: str) -> str:
    """Replace each ``%NAME%`` with the app setting NAME; a missing setting is an error (as in the host)."""
    if "%" not in value:
        return value
    out: list[str] = []
    rest = value
    while True:
        start = rest.find("%")
        if start < 0:
            out.append(rest)
            break
        end = rest.find("%", start + 1)
        if end < 0:
            raise DevHostError(f"{where}: unbalanced '%' in '{value}'")
        name = rest[start + 1 : end]
        if not name:
            raise DevHostError(f"{where}: empty placeholder '%%' in '{value}'")
        resolved = lookup(name)
        if resolved is None:
            hint = (
                "setting names used in binding expressions cannot contain '__': the host reads them as ':'"
                if "__" in name
                else f"set {name} in the environment or in local.settings.json Values"
            )
            raise DevHostError(f"{where}: '%{name}%' does not resolve to a value ({hint})")
        out.append(rest[:start])
        out.append(resolved)
        rest = rest[end + 1 :]
    return "".join(out)


def binding_lookup(name: str) -> str | None:
    """``%name%`` in a binding, resolved as the Functions host's name resolver does.

    The host reads app settings through its configuration, where the environment
    provider turns ``__`` into ``:``; a name containing ``__`` therefore never resolves
    there (and the docs forbid it in binding expressions), so it does not resolve here.
    """
    if "__" in name:
        return None
    return env_lookup(name)


def env_lookup(name: str) -> str | None:
    """App setting lookup as on Linux hosts: ``a:b`` is also tried as ``a__b``."""
    value = os.environ.get(name)
    if value is None and ":" in name:
        value = os.environ.get(name.replace(":", "__"))
    return value


def is_truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() in ("1", "true", "yes")
