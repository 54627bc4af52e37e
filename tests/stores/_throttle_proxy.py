"""A tiny HTTP proxy in front of the local Cosmos-protocol server that can answer 429.

The local server never throttles, and 429 handling (SDK retries, then our
``Throttled``) cannot be reached otherwise. The SDK still talks the real protocol:
everything not throttled is forwarded byte for byte to the real server.
"""

from __future__ import annotations

import http.client
import json
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_HOP = {"host", "connection", "keep-alive", "transfer-encoding", "content-length"}


class ThrottleProxy:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.throttle_docs = 0  # how many more document requests to refuse with 429
        self.throttled = 0  # how many 429s were sent
        self.doc_requests = 0  # document requests seen (throttled or forwarded)
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                is_doc = "/docs" in self.path
                with proxy._lock:
                    if is_doc:
                        proxy.doc_requests += 1
                    refuse = is_doc and proxy.throttle_docs > 0
                    if refuse:
                        proxy.throttle_docs -= 1
                        proxy.throttled += 1
                if refuse:
                    payload = json.dumps({"code": "TooManyRequests", "message": "throttled"}).encode()
                    self.send_response(429)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("x-ms-retry-after-ms", "5")
                    self.send_header("x-ms-substatus", "3200")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                conn = http.client.HTTPSConnection("localhost", proxy.upstream_port, context=ctx, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in _HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> ThrottleProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
