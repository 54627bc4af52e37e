"""The HTTP side of the dev host: the app's routes, key checks and the admin API.

Built on ``http.server.ThreadingHTTPServer`` (a thread per connection, HTTP/1.1
keep-alive, Nagle off, one ``sendall`` per response). Behaviour that matters to
clients:

* unknown path → 404, known path with another method → 405 (with ``Allow``), missing
  or wrong key → 401, body over the limit → 413 (checked from Content-Length before
  reading; chunked bodies are counted as they arrive), a function that raises → 500
  with a generic message (the traceback goes to stderr only). All as JSON in the app's
  error shape.
* ``POST /admin/functions/<name>`` with the master key runs a non-HTTP function the way
  Core Tools does (body ``{"input": ...}``; 202). ``GET /admin/functions`` lists the
  index, ``GET /admin/host/status`` says the host is running.
* Request framing is parsed exactly (no request smuggling): ``Transfer-Encoding`` must
  be exactly ``chunked`` (any other coding → 501), and a request with both
  ``Transfer-Encoding`` and ``Content-Length``, or with two different ``Content-Length``
  values, is refused with 400 and the connection closed.
* Every error the host itself produces carries a request id, as ``X-Request-Id`` and as
  ``request_id`` in the JSON body.
* One access-log line per request on the ``devhost.access`` logger (INFO): request id,
  client, method, path *without the query string* (``?code=`` carries keys), status,
  bytes and milliseconds. Control characters in the path are escaped and long paths cut.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
import time
import uuid
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote

import azure.functions as func
from azure.functions import _abc as func_abc

from shared.errors import InputError
from shared.jsonbody import loads as strict_json

from .errors import ErrorCode, error_body
from .index import AppIndex, FunctionSpec, HttpTriggerInfo, QueueTriggerInfo, TimerTriggerInfo
from .keys import KEY_HEADER, KEY_QUERY, KeyRing

if TYPE_CHECKING:
    from .host import DevHost

log = logging.getLogger("devhost")
access_log = logging.getLogger("devhost.access")

REQUEST_ID_HEADER = "X-Request-Id"
_LOGGED_PATH_CHARS = 200
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "upgrade", "te", "trailer"}


class _Reply(Exception):
    """Short-circuit a request with an error response."""

    def __init__(self, status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}


def _normalise_path(path: str) -> str:
    """Resolve ``.`` and ``..`` segments (as Kestrel does) so they cannot dodge route matching."""
    if "/." not in path and "%2e" not in path.lower():
        return path or "/"
    out: list[str] = []
    for segment in path.split("/")[1:]:
        decoded = unquote(segment)
        if decoded == ".":
            continue
        if decoded == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return "/" + "/".join(out)


def _framing(transfer_encodings: list[str], content_lengths: list[str]) -> str:
    """How the request body is delimited: ``"chunked"``, ``"length"`` or ``"none"``.

    Raises :class:`_Reply` for anything two servers could read differently (RFC 9112 6.1,
    6.3): a coding other than exactly ``chunked``, ``chunked`` with a Content-Length, and
    conflicting Content-Length values.
    """
    codings = [c.strip().lower() for value in transfer_encodings for c in value.split(",") if c.strip()]
    lengths = {v.strip() for value in content_lengths for v in value.split(",")}
    if transfer_encodings:
        if codings != ["chunked"]:
            raise _Reply(
                501,
                ErrorCode.VALIDATION_FAILED,
                "Transfer-Encoding must be exactly 'chunked'; other codings are not supported.",
            )
        if content_lengths:
            raise _Reply(
                400, ErrorCode.VALIDATION_FAILED, "A request may not have both Transfer-Encoding and Content-Length."
            )
        return "chunked"
    if len(lengths) > 1:
        raise _Reply(400, ErrorCode.VALIDATION_FAILED, "The request has conflicting Content-Length values.")
    if not content_lengths:
        return "none"
    (length,) = lengths
    # isascii: str.isdigit() is also true for "¹" or "٣", which int() then refuses.
    if not (length.isascii() and length.isdigit()):
        raise _Reply(400, ErrorCode.VALIDATION_FAILED, "Content-Length is not a valid number.")
    if len(length) > 18:  # past any body size; int() of 4,300+ digits would raise
        raise _Reply(400, ErrorCode.VALIDATION_FAILED, "Content-Length is out of range.")
    return "length"


def _loggable_path(path: str) -> str:
    """The path as it may appear in a log line: no query, no control characters, bounded."""
    path = path.split("?", 1)[0]
    if len(path) > _LOGGED_PATH_CHARS:
        path = path[:_LOGGED_PATH_CHARS] + "..."
    return "".join(ch if ch.isprintable() and ch != '"' else f"\\x{ord(ch):02x}" for ch in path)


def _query_params(query: str) -> dict[str, str]:
    """Query → dict; repeated keys are joined with commas (as the host passes them)."""
    params: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params[key] = f"{params[key]},{value}" if key in params else value
    return params


class Frontend:
    """Routing and invocation, independent of the socket plumbing."""

    def __init__(self, host: DevHost, index: AppIndex, keys: KeyRing, max_body: int) -> None:
        self.host = host
        self.index = index
        self.keys = keys
        self.max_body = max_body
        http = [f for f in index.http if not f.disabled]
        self.routes: list[tuple[FunctionSpec, HttpTriggerInfo]] = sorted(
            ((f, f.trigger) for f in http if isinstance(f.trigger, HttpTriggerInfo)),
            key=lambda pair: pair[1].template.sort_key(),
        )

    def match(self, method: str, path: str) -> tuple[FunctionSpec, dict[str, str]]:
        allowed: set[str] = set()
        for spec, trigger in self.routes:
            values = trigger.template.match(path)
            if values is None:
                continue
            if trigger.allows(method):
                return spec, values
            allowed.update(trigger.methods or ())
        if allowed:
            raise _Reply(
                405,
                ErrorCode.METHOD_NOT_ALLOWED,
                f"Method {method} is not allowed on this route.",
                {"Allow": ", ".join(sorted(allowed))},
            )
        raise _Reply(404, ErrorCode.NOT_FOUND, "No function is registered for this route.")


class DevHostHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], frontend: Frontend) -> None:
        self.frontend = frontend
        self.stopping = False
        self._lock = threading.Condition()
        self._busy = 0
        self._handlers: set[RequestHandler] = set()
        super().__init__(address, RequestHandler)

    # connection bookkeeping for a graceful stop
    def track(self, handler: RequestHandler, add: bool) -> None:
        with self._lock:
            if add:
                self._handlers.add(handler)
            else:
                self._handlers.discard(handler)

    def begin(self) -> bool:
        with self._lock:
            if self.stopping:
                return False
            self._busy += 1
            return True

    def end(self) -> None:
        with self._lock:
            self._busy -= 1
            self._lock.notify_all()

    def drain(self, timeout: float) -> bool:
        """Stop taking requests, wait for in-flight ones, then drop idle keep-alive connections."""
        with self._lock:
            self.stopping = True
            deadline = time.monotonic() + timeout
            while self._busy and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            drained = self._busy == 0
            handlers = list(self._handlers)
        for handler in handlers:
            if not handler.busy:
                with contextlib.suppress(OSError):
                    handler.connection.shutdown(socket.SHUT_RDWR)
        return drained


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pss-devhost"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 30  # idle keep-alive / slow body reads
    server: DevHostHTTPServer

    busy = False
    _body_read = True  # protocol errors before a request is parsed have no body to skip
    _body_framing = "none"
    request_id = "-"
    _started = 0.0

    def handle_one_request(self) -> None:
        # Before the request line is read, so even a 414 or 400 has an id and a duration.
        self.request_id = uuid.uuid4().hex
        self._started = time.perf_counter()
        self._body_framing = "none"
        super().handle_one_request()

    def _body_pending(self) -> bool:
        """A request body we have not read would corrupt the next request on this connection."""
        if self._body_read:
            return False
        if self._body_framing == "chunked":
            return True
        return (self.headers.get("Content-Length") or "0").strip() != "0"

    def setup(self) -> None:
        super().setup()
        self.server.track(self, True)

    def finish(self) -> None:
        self.server.track(self, False)
        with contextlib.suppress(OSError):
            super().finish()

    # Every method name reaches the router (which answers 405 for the ones a route lacks).
    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    # -- logging: one line per request, never the query string or a key
    def log_message(self, format: str, *args: Any) -> None:
        access_log.debug("%s " + format, self.address_string(), *args)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # A request line that was refused (414, 400) leaves ``command`` empty and no ``path``.
        path = getattr(self, "path", None)
        command = getattr(self, "command", None) or "-"
        elapsed_ms = (time.perf_counter() - self._started) * 1000 if self._started else 0.0
        access_log.info(
            '%s %s "%s %s" %s %s %.1fms',
            self.request_id,
            self.client_address[0] if self.client_address else "-",
            _loggable_path(command),
            _loggable_path(path) if isinstance(path, str) else "-",
            code,
            size,
            elapsed_ms,
        )

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Protocol-level errors (malformed request line, headers too large, ...) as JSON."""
        error = {
            400: ErrorCode.VALIDATION_FAILED,
            404: ErrorCode.NOT_FOUND,
            408: ErrorCode.VALIDATION_FAILED,
            413: ErrorCode.BODY_TOO_LARGE,
            414: ErrorCode.VALIDATION_FAILED,
            431: ErrorCode.VALIDATION_FAILED,
        }.get(code, ErrorCode.INTERNAL)
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        self.close_connection = True
        headers = [("Content-Type", "application/json"), (REQUEST_ID_HEADER, self.request_id)]
        with contextlib.suppress(OSError):
            self._write(code, headers, error_body(error, phrase, self.request_id), head=False)

    def handle_expect_100(self) -> bool:
        length = self.headers.get("Content-Length")
        if (
            length
            and length.isascii()
            and length.isdigit()
            and (len(length) > 18 or int(length) > self.server.frontend.max_body)
        ):
            self.close_connection = True
            self._error(413, ErrorCode.BODY_TOO_LARGE, self._too_large_message())
            return False
        return super().handle_expect_100()

    # -- plumbing
    def _write(self, status: int, headers: list[tuple[str, str]], body: bytes, *, head: bool) -> None:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = ""
        lines = [f"HTTP/1.1 {status} {phrase}"]
        lines.append(f"Date: {formatdate(usegmt=True)}")
        lines.append(f"Server: {self.server_version}")
        for name, value in headers:
            if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
                continue  # never let a header value split the response
            lines.append(f"{name}: {value}")
        lines.append(f"Content-Length: {len(body)}")
        if self._body_pending():
            self.close_connection = True
        if self.close_connection:
            lines.append("Connection: close")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.log_request(status, len(body))  # before the write: a client that saw the reply finds the line
        self.wfile.write(data if head else data + body)

    def _error(self, status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None) -> None:
        hdrs = [
            ("Content-Type", "application/json; charset=utf-8"),
            (REQUEST_ID_HEADER, self.request_id),
            *(headers or {}).items(),
        ]
        self._write(status, hdrs, error_body(code, message, self.request_id), head=self.command == "HEAD")

    def _too_large_message(self) -> str:
        return f"The request body exceeds the limit of {self.server.frontend.max_body} bytes."

    def _read_body(self) -> bytes:
        body = self._read_body_unchecked()
        self._body_read = True
        return body

    def _read_body_unchecked(self) -> bytes:
        limit = self.server.frontend.max_body
        if self._body_framing == "chunked":
            return self._read_chunked(limit)
        if self._body_framing == "none":
            return b""
        length = int((self.headers.get("Content-Length") or "0").split(",")[0].strip())  # checked by _framing
        if length > limit:
            self.close_connection = True  # the unread body stays in the socket
            raise _Reply(413, ErrorCode.BODY_TOO_LARGE, self._too_large_message())
        body = self.rfile.read(length) if length else b""
        if len(body) != length:
            self.close_connection = True
            raise _Reply(400, ErrorCode.VALIDATION_FAILED, "The request body ended early.")
        return body

    def _read_chunked(self, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            size_text = line.split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                self.close_connection = True
                raise _Reply(400, ErrorCode.VALIDATION_FAILED, "Malformed chunked body.") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > limit:
                self.close_connection = True
                raise _Reply(413, ErrorCode.BODY_TOO_LARGE, self._too_large_message())
            chunk = self.rfile.read(size)
            self.rfile.readline(8)
            if len(chunk) != size:
                self.close_connection = True
                raise _Reply(400, ErrorCode.VALIDATION_FAILED, "The request body ended early.")
            parts.append(chunk)

    def _presented_key(self, params: dict[str, str]) -> str | None:
        """The key the host checks: the first ``x-functions-key`` header, else the first
        ``code`` value (the host takes ``values.First()``; repeats still reach the app)."""
        code = params.get(KEY_QUERY)
        return self.headers.get(KEY_HEADER) or (code.split(",")[0] if code else None)

    # -- requests
    def _dispatch(self) -> None:
        if not self.server.begin():
            self.close_connection = True
            self._error(503, ErrorCode.OVERLOADED, "The host is shutting down.")
            return
        self.busy = True
        self._body_read = False
        try:
            try:
                self._body_framing = _framing(
                    self.headers.get_all("Transfer-Encoding") or [], self.headers.get_all("Content-Length") or []
                )
            except _Reply:
                self.close_connection = True  # where this body ends is unknown: never reuse
                raise
            self._handle()
        except _Reply as reply:
            self._error(reply.status, reply.code, reply.message, reply.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.busy = False
            self.server.end()
            if self.server.stopping:
                self.close_connection = True

    def _handle(self) -> None:
        frontend = self.server.frontend
        method = self.command.upper()
        raw_path, _, query = self.path.partition("?")
        if raw_path.startswith(("http://", "https://")):  # absolute-form request target
            raw_path = "/" + raw_path.split("/", 3)[-1] if raw_path.count("/") >= 3 else "/"
        path = _normalise_path(raw_path)
        params = _query_params(query)
        if path.lower().startswith("/admin/") or path.lower() == "/admin":
            self._admin(method, path, params)
            return
        spec, route_params = frontend.match(method, path)
        trigger = spec.trigger
        assert isinstance(trigger, HttpTriggerInfo)
        if not frontend.keys.authorize(trigger.auth_level, self._presented_key(params)):
            needed = "The master key" if trigger.auth_level == "admin" else "A valid function key"
            raise _Reply(401, ErrorCode.UNAUTHORIZED, f"{needed} is required for this route.")
        body = self._read_body()
        host_header = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            key = name.lower()
            headers[key] = f"{headers[key]},{value}" if key in headers else value  # as the host joins them
        request = func.HttpRequest(
            method=method,
            url=f"http://{host_header}{raw_path}{'?' + query if query else ''}",
            headers=headers,
            params=params,
            route_params=route_params,
            body=body,
        )
        try:
            result = frontend.host.invoker.invoke(spec, request, reason=" (http)")
        except Exception:
            log.exception("function '%s' raised", spec.name)
            raise _Reply(500, ErrorCode.INTERNAL, "The function failed; see the host log.") from None
        self._respond(spec, result, head=method == "HEAD")

    def _respond(self, spec: FunctionSpec, result: Any, *, head: bool) -> None:
        if result is None:
            self._write(204, [], b"", head=True)
            return
        if isinstance(result, str):
            result = func.HttpResponse(result)
        if not isinstance(result, func_abc.HttpResponse):
            log.error("function '%s' returned %s, not an HttpResponse", spec.name, type(result).__name__)
            raise _Reply(500, ErrorCode.INTERNAL, "The function failed; see the host log.")
        headers: list[tuple[str, str]] = []
        has_type = False
        for name, value in result.headers.items():
            if name.lower() in _HOP_BY_HOP:
                continue
            has_type = has_type or name.lower() == "content-type"
            headers.append((name, str(value)))
        if not has_type:
            mimetype = result.mimetype or "text/plain"
            charset = getattr(result, "charset", None) or "utf-8"
            ctype = f"{mimetype}; charset={charset}" if mimetype.startswith("text/") else mimetype
            headers.append(("Content-Type", ctype))
        self._write(int(result.status_code), headers, result.get_body() or b"", head=head)

    # -- admin API (master key)
    def _admin(self, method: str, path: str, params: dict[str, str]) -> None:
        frontend = self.server.frontend
        host = frontend.host
        if not frontend.keys.authorize("admin", self._presented_key(params)):
            raise _Reply(401, ErrorCode.UNAUTHORIZED, "The master key is required for admin endpoints.")
        parts = [unquote(p) for p in path.strip("/").split("/")]
        if parts == ["admin", "host", "status"] and method in ("GET", "HEAD"):
            body = json.dumps({"state": "Running", "id": host.instance_id, "version": "devhost"}).encode()
            self._write(200, [("Content-Type", "application/json")], body, head=method == "HEAD")
            return
        if parts == ["admin", "functions"] and method in ("GET", "HEAD"):
            body = json.dumps(host.describe_functions()).encode()
            self._write(200, [("Content-Type", "application/json")], body, head=method == "HEAD")
            return
        if len(parts) == 3 and parts[:2] == ["admin", "functions"]:
            if method != "POST":
                raise _Reply(405, ErrorCode.METHOD_NOT_ALLOWED, "Use POST to run a function.", {"Allow": "POST"})
            self._admin_invoke(parts[2])
            return
        raise _Reply(404, ErrorCode.NOT_FOUND, "Unknown admin endpoint.")

    def _admin_invoke(self, name: str) -> None:
        host = self.server.frontend.host
        body = self._read_body()
        spec = host.index.by_name(name)
        if spec is None:
            raise _Reply(404, ErrorCode.NOT_FOUND, f"No function named '{name}'.")
        payload: Any = None
        if body.strip():
            try:
                payload = strict_json(body)
            except InputError as exc:
                raise _Reply(
                    400, ErrorCode.BAD_JSON, f'The body must be JSON like {{"input": ...}}: {exc.message}'
                ) from None
            if not isinstance(payload, dict):
                raise _Reply(400, ErrorCode.BAD_JSON, 'The body must be a JSON object like {"input": ...}.')
        user_input = (payload or {}).get("input")
        if isinstance(spec.trigger, TimerTriggerInfo):
            host.timers.fire_in_background(spec.name)
        elif isinstance(spec.trigger, QueueTriggerInfo):
            text = user_input if isinstance(user_input, str) else json.dumps(user_input)
            host.invoke_queue_function_in_background(spec, text)
        else:
            raise _Reply(
                400,
                ErrorCode.VALIDATION_FAILED,
                "HTTP functions are run through their own route, not the admin API.",
            )
        self._write(202, [], b"", head=False)
