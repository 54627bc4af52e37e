"""The dev host over real HTTP: routes, methods, auth levels, error shapes, admin API, shutdown."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
import pytest
from devhost_testutil import FUNCTION_KEY, MASTER_KEY, wait_until

from infra.devhost import DevHost

FN = {"x-functions-key": FUNCTION_KEY}
MASTER = {"x-functions-key": MASTER_KEY}


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    assert set(body["error"]) == {"code", "message"}
    return body["error"]


@pytest.fixture
def host(make_host: Callable[..., DevHost]) -> DevHost:
    return make_host(max_body=4096)


@pytest.fixture
def client(host: DevHost) -> httpx.Client:
    with httpx.Client(base_url=host.base_url, timeout=10) as c:
        yield c  # type: ignore[misc]


def test_anonymous_route_needs_no_key(client: httpx.Client) -> None:
    r = client.get("/api/ping")
    assert (r.status_code, r.text) == (200, "pong")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert client.get("/api/async-ping").text == "apong"
    assert client.get("/api/text").text == "plain string result"


def test_function_level_route_checks_keys(client: httpx.Client) -> None:
    assert error_of(client.get("/api/items/1"))["code"] == "unauthorized"
    assert client.get("/api/items/1").status_code == 401
    assert client.get("/api/items/1", headers={"x-functions-key": "wrong"}).status_code == 401
    assert client.get("/api/items/1", params={"code": "wrong"}).status_code == 401
    assert client.get("/api/items/1", headers=FN).status_code == 200
    assert client.get("/api/items/1", params={"code": FUNCTION_KEY}).status_code == 200
    assert client.get("/api/items/1", headers=MASTER).status_code == 200  # master opens function routes


def test_admin_level_route_needs_the_master_key(client: httpx.Client, recorder: ModuleType) -> None:
    assert client.post("/api/manage/reset").status_code == 401
    r = client.post("/api/manage/reset", headers=FN)
    assert r.status_code == 401 and error_of(r)["code"] == "unauthorized"
    r = client.post("/api/manage/reset", headers=MASTER)
    assert r.status_code == 200 and r.json() == {"reset": True}


def test_request_reaches_the_function_intact(client: httpx.Client, host: DevHost) -> None:
    r = client.put(
        "/api/items/42/alice",
        params={"q": "1", "tag": ["a", "b"]},
        headers={**FN, "X-Custom": "hello"},
        content=b"payload",
    )
    assert r.status_code == 200
    body = r.json()
    assert body["method"] == "PUT"
    assert body["route_params"] == {"id": "42", "name": "alice"}
    assert body["params"] == {"q": "1", "tag": "a,b"}
    assert body["custom_header"] == "hello"
    assert body["body"] == "payload"
    assert body["url"].startswith(host.base_url + "/api/items/42/alice?")
    assert body["function_name"] == "items" and body["has_invocation_id"]
    assert r.headers["x-echo"] == "yes"
    assert r.headers["set-cookie"] == "a=1"
    assert r.headers["content-type"] == "application/json"
    # Optional route parameter left out.
    assert client.get("/api/items/7", headers=FN).json()["route_params"] == {"id": "7"}


def test_http_response_through_a_named_output_binding(client: httpx.Client) -> None:
    r = client.post("/api/named-out", headers=FN)
    assert (r.status_code, r.text) == (201, "via out binding")


def test_not_found_and_method_not_allowed(client: httpx.Client) -> None:
    r = client.get("/api/nope")
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    r = client.get("/api/items/not-an-int", headers=FN)  # the int constraint fails → no route
    assert r.status_code == 404
    r = client.delete("/api/items/1", headers=FN)
    assert r.status_code == 405 and error_of(r)["code"] == "method_not_allowed"
    assert r.headers["allow"] == "GET, PUT"
    r = client.request("BREW", "/api/ping")
    assert r.status_code == 405
    assert client.get("/").status_code == 404


def test_literal_route_beats_catch_all(client: httpx.Client) -> None:
    assert client.get("/api/files/readme").text == "literal"
    assert client.get("/api/files/a/b%20c").text == "catch-all:a/b c"
    # Dot segments are resolved before routing, so they cannot reach another route.
    assert client.get("/api/files/x/../readme").text == "literal"
    assert client.get("/api/files/x/%2e%2e/readme").text == "literal"


def test_body_over_the_limit_is_413(client: httpx.Client, host: DevHost) -> None:
    r = client.post("/api/enqueue", headers=FN, content=b"x" * 5000)
    assert r.status_code == 413 and error_of(r)["code"] == "body_too_large"
    assert "4096" in error_of(r)["message"]
    assert host.queue_count(host.index.by_name("consume").trigger.queue_name) == 0  # type: ignore[union-attr]

    def chunks() -> Any:
        for _ in range(10):
            yield b"y" * 1000

    r = client.post("/api/enqueue", headers=FN, content=chunks())  # chunked transfer encoding
    assert r.status_code == 413
    # The connection was closed after the 413; the client carries on with a new one.
    assert client.get("/api/ping").status_code == 200
    r = client.post("/api/enqueue", headers=FN, content=b"y" * 4096)
    assert r.status_code == 202


def test_function_exception_is_a_generic_500(client: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="devhost"):
        r = client.post("/api/boom", headers=FN)
    assert r.status_code == 500
    err = error_of(r)
    assert err["code"] == "internal_error"
    for leak in ("do-not-leak", "Traceback", "/srv/secret", "RuntimeError", ".py"):
        assert leak not in r.text
    assert "do-not-leak" in caplog.text  # the developer still sees it in the host log


def test_bad_output_binding_value_is_500_and_sends_nothing(client: httpx.Client, host: DevHost) -> None:
    r = client.post("/api/bad-output", headers=FN, content=b"x")
    assert r.status_code == 500
    queue = host.index.by_name("consume").trigger.queue_name  # type: ignore[union-attr]
    assert host.queue_count(queue) == 0


def test_keep_alive_serves_many_requests_on_one_connection(host: DevHost) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", host.port, timeout=5)
    peers = set()
    for _ in range(20):
        conn.request("GET", "/api/ping")
        resp = conn.getresponse()
        assert resp.status == 200 and resp.read() == b"pong"
        peers.add(conn.sock.getsockname())
    conn.close()
    assert len(peers) == 1


def test_admin_api_runs_timers_and_queue_functions(client: httpx.Client, recorder: ModuleType) -> None:
    assert client.post("/admin/functions/tick", json={}).status_code == 401
    assert client.post("/admin/functions/tick", json={}, headers=FN).status_code == 401
    r = client.post("/admin/functions/tick", json={"input": ""}, headers=MASTER)
    assert r.status_code == 202
    ticks = wait_until(lambda: recorder.get("tick"))
    assert ticks[0]["past_due"] is False

    r = client.post("/admin/functions/consume", json={"input": "manual body"}, headers=MASTER)
    assert r.status_code == 202
    runs = wait_until(lambda: recorder.get("consume"))
    assert runs[0]["body"] == "manual body" and runs[0]["dequeue_count"] == 1

    r = client.post("/admin/functions/no_such_function", json={}, headers=MASTER)
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    r = client.post("/admin/functions/ping", json={}, headers=MASTER)
    assert r.status_code == 400 and error_of(r)["code"] == "validation_failed"
    r = client.post("/admin/functions/tick", content=b"{bad json", headers=MASTER)
    assert r.status_code == 400 and error_of(r)["code"] == "bad_json"
    r = client.get("/admin/functions/tick", headers=MASTER)
    assert r.status_code == 405

    listing = client.get("/admin/functions", headers=MASTER).json()
    by_name = {f["name"]: f for f in listing}
    assert by_name["items"]["url_path"] == "/api/items/{id:int}/{name?}"
    assert by_name["consume"]["trigger"] == "queue"
    assert client.get("/admin/host/status", headers=MASTER).json()["state"] == "Running"
    assert client.get("/admin/host/status", headers=FN).status_code == 401


def test_graceful_stop_finishes_in_flight_requests(make_host: Callable[..., DevHost], recorder: ModuleType) -> None:
    host = make_host()
    port = host.port
    result: dict[str, Any] = {}

    def slow_call() -> None:
        with httpx.Client(timeout=10) as c:
            r = c.get(f"http://127.0.0.1:{port}/api/slow", params={"ms": "400"})
            result["status"], result["text"] = r.status_code, r.text

    caller = threading.Thread(target=slow_call)
    caller.start()
    wait_until(lambda: recorder.get("slow_started"))
    host.stop()  # returns only after the in-flight request is answered
    caller.join(5)
    assert result == {"status": 200, "text": "slow done"}
    assert recorder.get("slow_done")
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_protocol_errors_are_json(host: DevHost) -> None:
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data = sock.recv(4096).decode()
    head, _, body = data.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 400")
    assert json.loads(body)["error"]["code"] == "validation_failed"


def test_a_stopped_host_can_start_again(make_host: Callable[..., DevHost]) -> None:
    host = make_host()
    first = host.base_url
    assert httpx.get(f"{first}/api/ping").status_code == 200
    host.stop()
    host.start()
    assert httpx.get(f"{host.base_url}/api/ping").text == "pong"


# ------------------------------------------------------------ framing, request ids, access log


def exchange(host: DevHost, data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """Send raw bytes on one connection; every response that comes back (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", host.port), timeout=5) as sock:
        sock.sendall(data)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            received += chunk
    replies = []
    while received:
        head, _, rest = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        replies.append((int(lines[0].split(" ")[1]), headers, rest[:length]))
        received = rest[length:]
    return replies


def smuggle(framing: str) -> bytes:
    """An enqueue whose body, read the wrong way, hides a second request to /api/boom."""
    hidden = f"POST /api/boom HTTP/1.1\r\nHost: x\r\nx-functions-key: {FUNCTION_KEY}\r\nContent-Length: 0\r\n\r\n"
    body = f"0\r\n\r\n{hidden}"
    return (
        f"POST /api/enqueue HTTP/1.1\r\nHost: x\r\nx-functions-key: {FUNCTION_KEY}\r\n{framing}"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


@pytest.mark.parametrize(
    ("framing", "status"),
    [
        ("Transfer-Encoding: xchunked\r\n", 501),  # a substring test once read this as chunked
        ("Transfer-Encoding: chunked\r\n", 400),  # both framings: refused, not guessed
        ("Transfer-Encoding: Chunked \r\n", 400),
        ("Transfer-Encoding: gzip, chunked\r\n", 501),
        ("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", 501),
        ("Content-Length: 3\r\n", 400),  # a second, different Content-Length
    ],
)
def test_ambiguous_framing_is_refused_and_nothing_is_smuggled(host: DevHost, framing: str, status: int) -> None:
    queue = host.index.by_name("consume").trigger.queue_name  # type: ignore[union-attr]
    replies = exchange(host, smuggle(framing))
    assert [r[0] for r in replies] == [status]  # one reply: the hidden request never ran
    _status, headers, body = replies[0]
    assert headers["connection"] == "close"
    assert json.loads(body)["error"]["code"] == "validation_failed"
    assert host.queue_count(queue) == 0


def test_exact_chunked_framing_still_works(host: DevHost) -> None:
    data = (
        f"POST /api/enqueue HTTP/1.1\r\nHost: x\r\nx-functions-key: {FUNCTION_KEY}\r\n"
        "Transfer-Encoding:  CHUNKED \r\nConnection: close\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    ).encode()
    assert [r[0] for r in exchange(host, data)] == [202]
    same_length_twice = (
        f"POST /api/enqueue HTTP/1.1\r\nHost: x\r\nx-functions-key: {FUNCTION_KEY}\r\n"
        "Content-Length: 3\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    ).encode()
    assert [r[0] for r in exchange(host, same_length_twice)] == [202]


def test_every_host_error_carries_a_request_id(client: httpx.Client) -> None:
    cases = [
        client.get("/api/nope"),  # 404
        client.delete("/api/items/1", headers=FN),  # 405
        client.post("/api/enqueue"),  # 401
        client.post("/api/enqueue", headers=FN, content=b"x" * 5000),  # 413
        client.post("/api/boom", headers=FN),  # 500 from a function that raised
        client.get("/admin/functions"),  # 401 on the admin API
    ]
    seen = set()
    for r in cases:
        assert r.status_code >= 400
        rid = r.headers["x-request-id"]
        assert len(rid) == 32 and r.json()["request_id"] == rid
        seen.add(rid)
    assert len(seen) == len(cases)


def test_a_414_is_answered_logged_and_the_host_survives(host: DevHost, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="devhost.access"):
        replies = exchange(host, f"GET /api/{'a' * 70_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert [r[0] for r in replies] == [414]
        assert json.loads(replies[0][2])["request_id"] == replies[0][1]["x-request-id"]
        assert httpx.get(f"{host.base_url}/api/ping").status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "devhost.access"]
    assert any(f"{replies[0][1]['x-request-id']} " in line and '"- -" 414' in line for line in lines), lines


def test_one_access_log_line_per_request_without_query_or_key(
    host: DevHost, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="devhost.access"):
        client.get("/api/ping?code=secret-in-query&x=1")
        client.get("/api/items/7/widget", params={"code": FUNCTION_KEY})
        exchange(host, b"GET /api/nope\x1b[31m HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        client.post("/api/enqueue", headers=FN, content=b"[1]")
    lines = [r.getMessage() for r in caplog.records if r.name == "devhost.access"]
    assert len(lines) == 4, lines
    assert '"GET /api/ping" 200' in lines[0]
    assert '"GET /api/items/7/widget" 200' in lines[1]
    assert '"GET /api/nope\\x1b[31m" 404' in lines[2]  # a control character cannot forge a line
    assert '"POST /api/enqueue" 202' in lines[3]
    for line in lines:
        assert "?" not in line and "secret" not in line and FUNCTION_KEY not in line
        assert "\x1b" not in line and line.endswith("ms")


def test_numbers_of_4400_digits_in_framing_and_routes_are_refused_not_crashed(
    host: DevHost, client: httpx.Client
) -> None:
    huge = "9" * 4_400
    head = f"POST /api/enqueue HTTP/1.1\r\nHost: x\r\nx-functions-key: {FUNCTION_KEY}\r\nContent-Length: {huge}\r\n"
    replies = exchange(host, (head + "\r\nabc").encode())
    assert [r[0] for r in replies] == [400]
    assert "out of range" in json.loads(replies[0][2])["error"]["message"]
    replies = exchange(host, (head + "Expect: 100-continue\r\n\r\n").encode())
    assert [r[0] for r in replies] == [413]
    # an {id:int} route segment of 4,400 digits is not an int: no route, not a crash
    assert client.get(f"/api/items/{huge}", headers=FN).status_code == 404
    assert client.get("/api/items/9223372036854775807", headers=FN).status_code == 404  # past Int32
    assert client.get("/api/items/2147483647", headers=FN).status_code == 200
    assert client.get("/api/ping").status_code == 200
