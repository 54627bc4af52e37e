"""A fake Application Insights ingestion endpoint (Breeze ``/v2.1/track``).

The Azure Monitor exporter POSTs a JSON array of envelopes to
``<IngestionEndpoint>/v2.1/track`` (``Content-Encoding: gzip`` and newline-delimited
JSON are accepted too, in case another client sends those). The fake records every
envelope and answers ``{"itemsReceived": n, "itemsAccepted": n, "errors": []}``.

Also served, for the Entra ID path:

* ``GET /msi/token``: the App Service managed-identity endpoint
  (``IDENTITY_ENDPOINT``/``IDENTITY_HEADER``) that ``ManagedIdentityCredential`` calls;
  it checks ``X-IDENTITY-HEADER`` and returns :attr:`token`;
* with ``require_bearer = True``, ``/v2.1/track`` answers 401 unless
  ``Authorization: Bearer <token>`` is present.

Anything else (live metrics pings...) gets an empty 200 and is recorded in ``other``.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

from .base import FakeHandler, FakeServer

IDENTITY_HEADER = "fake-identity-header"


class _Handler(FakeHandler):
    def do_POST(self) -> None:
        fake: FakeIngestion = self.fake
        path, _ = self.split()
        raw = self.read_body()
        headers = {k.lower(): v for k, v in self.headers.items()}
        if path.rstrip("/").endswith("/v2.1/track"):
            with fake.lock:
                fake.track_headers.append(headers)
            if fake.require_bearer and headers.get("authorization") != f"Bearer {fake.token}":
                self.send_json(401, {"itemsReceived": 0, "itemsAccepted": 0, "errors": []})
                return
            if headers.get("content-encoding", "").lower() == "gzip":
                raw = gzip.decompress(raw)
            text = raw.decode("utf-8")
            try:
                parsed = json.loads(text)
                items = parsed if isinstance(parsed, list) else [parsed]
            except json.JSONDecodeError:
                items = [json.loads(line) for line in text.splitlines() if line.strip()]
            with fake.lock:
                fake.envelopes.extend(items)
            self.send_json(200, {"itemsReceived": len(items), "itemsAccepted": len(items), "errors": []})
            return
        with fake.lock:
            fake.other.append(path)
        self.send_raw(200, b"", headers={"x-ms-qps-subscribed": "false"})

    def do_GET(self) -> None:
        fake: FakeIngestion = self.fake
        path, query = self.split()
        if path == "/msi/token":
            with fake.lock:
                fake.token_requests.append(dict(query))
            if self.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
                self.send_json(401, {"error": "unauthorized"})
                return
            self.send_json(
                200,
                {
                    "access_token": fake.token,
                    "expires_on": str(int(time.time()) + 3600),
                    "resource": query.get("resource", ""),
                    "token_type": "Bearer",
                    "client_id": query.get("client_id", ""),
                },
            )
            return
        with fake.lock:
            fake.other.append(path)
        self.send_raw(200, b"")


class FakeIngestion(FakeServer):
    handler = _Handler

    def __init__(self, *, tls: tuple[Path, Path] | None = None, token: str = "fake-ai-token") -> None:
        super().__init__(tls=tls)
        self.envelopes: list[dict[str, Any]] = []
        self.track_headers: list[dict[str, str]] = []
        self.token_requests: list[dict[str, str]] = []
        self.other: list[str] = []
        self.require_bearer = False
        self.token = token

    def connection_string(self, ikey: str = "00000000-0000-0000-0000-00000000c0de") -> str:
        return f"InstrumentationKey={ikey};IngestionEndpoint={self.url}/;LiveEndpoint={self.url}/"

    def snapshot(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.envelopes)

    def wait_for(self, predicate: Any, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            items = self.snapshot()
            if predicate(items) or time.monotonic() > deadline:
                return items
            time.sleep(0.1)
