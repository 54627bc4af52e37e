"""A fake Azure OpenAI data plane for the real ``openai`` client.

Routes (as Azure serves them): ``POST /openai/deployments/{deployment}/chat/completions``
and ``POST /openai/deployments/{deployment}/embeddings``, both requiring the
``api-version`` query parameter and either the ``api-key`` header or
``Authorization: Bearer <token>``. Unknown deployments get 404 ``DeploymentNotFound``.

Switches:

* ``delay_s``: every answer waits that long (timeout path);
* ``fail_next(count, status, headers=..., body=...)``: the next ``count`` requests get
  that error (429 with ``retry-after``, 500, 400 ``content_filter``...);
* ``chat_responder(body) -> str | dict``: the assistant content, or a whole
  ``choices[0]`` override (``{"finish_reason": "content_filter", ...}``);
* ``reject_json_schema``: 400 for ``response_format.type == "json_schema"``.

Embeddings are deterministic per input text and deliberately *not* unit length (so
normalisation is observable); ``encoding_format=base64`` gets little-endian float32.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import FakeHandler, FakeServer

DEFAULT_EMBEDDING_DIMS = 1536


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any

    @property
    def kind(self) -> str:
        if self.path.endswith("/chat/completions"):
            return "chat"
        if self.path.endswith("/embeddings"):
            return "embeddings"
        return "other"

    @property
    def deployment(self) -> str | None:
        parts = self.path.split("/")
        return parts[parts.index("deployments") + 1] if "deployments" in parts else None


def fake_embedding(text: str, dims: int) -> list[float]:
    """Deterministic, un-normalised vector for ``text`` (length grows with the text)."""
    out: list[float] = []
    counter = 0
    while len(out) < dims:
        block = hashlib.sha256(f"{counter}:{text}".encode()).digest()
        out.extend((b - 127.5) / 127.5 for b in block)
        counter += 1
    scale = 1.0 + len(text) / 10.0
    return [x * scale for x in out[:dims]]


class _Handler(FakeHandler):
    def do_POST(self) -> None:
        fake: FakeAzureOpenAI = self.fake
        path, query = self.split()
        raw = self.read_body()
        try:
            body = json.loads(raw) if raw else None
        except json.JSONDecodeError:
            body = None
        request = RecordedRequest("POST", path, query, {k.lower(): v for k, v in self.headers.items()}, body)
        with fake.lock:
            fake.requests.append(request)
            fault = fake.faults.pop(0) if fake.faults else None
        if fake.delay_s:
            fake.stopping.wait(fake.delay_s)
        if fault is not None:
            status, headers, payload = fault
            self.send_json(status, payload, headers)
            return
        parts = path.strip("/").split("/")
        if len(parts) < 4 or parts[0] != "openai" or parts[1] != "deployments":
            self.send_json(404, {"error": {"code": "404", "message": "Resource not found"}})
            return
        if "api-version" not in query:
            self.send_json(404, {"error": {"code": "404", "message": "Resource not found (api-version missing)"}})
            return
        if not fake.authorised(request.headers):
            self.send_json(
                401,
                {"error": {"code": "401", "message": "Access denied due to invalid subscription key."}},
            )
            return
        deployment, operation = parts[2], "/".join(parts[3:])
        if operation == "chat/completions" and deployment in fake.chat_deployments:
            self._chat(fake, body or {})
        elif operation == "embeddings" and deployment in fake.embedding_deployments:
            self._embeddings(body or {})
        else:
            self.send_json(
                404,
                {"error": {"code": "DeploymentNotFound", "message": "The API deployment does not exist."}},
            )

    def _chat(self, fake: FakeAzureOpenAI, body: dict[str, Any]) -> None:
        fmt = body.get("response_format") or {}
        if fake.reject_json_schema and isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            self.send_json(
                400,
                {
                    "error": {
                        "code": "BadRequest",
                        "message": "Invalid parameter: 'response_format' of type 'json_schema' is not "
                        "supported with this model.",
                        "param": "response_format",
                        "type": "invalid_request_error",
                    }
                },
            )
            return
        reply = fake.chat_responder(body)
        choice: dict[str, Any] = {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": reply if isinstance(reply, str) else None},
        }
        if isinstance(reply, dict):
            choice.update(reply)
        self.send_json(
            200,
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": "gpt-4o-mini",
                "choices": [choice],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
            },
        )

    def _embeddings(self, body: dict[str, Any]) -> None:
        inputs = body.get("input")
        if isinstance(inputs, str):
            inputs = [inputs]
        if not isinstance(inputs, list) or not inputs or not all(isinstance(t, str) and t for t in inputs):
            self.send_json(400, {"error": {"code": "BadRequest", "message": "'input' is invalid"}})
            return
        dims = int(body.get("dimensions") or DEFAULT_EMBEDDING_DIMS)
        as_base64 = body.get("encoding_format") == "base64"
        data = []
        for index, text in enumerate(inputs):
            vector = fake_embedding(text, dims)
            encoded: Any = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode("ascii") if as_base64 else vector
            data.append({"object": "embedding", "index": index, "embedding": encoded})
        self.send_json(
            200,
            {
                "object": "list",
                "data": data,
                "model": "text-embedding-3-small",
                "usage": {"prompt_tokens": 3, "total_tokens": 3},
            },
        )


def default_responder(body: dict[str, Any]) -> str:
    return "This is a fake answer."


class FakeAzureOpenAI(FakeServer):
    handler = _Handler

    def __init__(
        self,
        *,
        api_key: str | None = "fake-api-key",
        bearer_token: str | None = None,
        chat_deployments: tuple[str, ...] = ("chat",),
        embedding_deployments: tuple[str, ...] = ("embed",),
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        super().__init__(tls=tls)
        self.api_key = api_key
        self.bearer_token = bearer_token
        self._initial_auth = (api_key, bearer_token)
        self.chat_deployments = set(chat_deployments)
        self.embedding_deployments = set(embedding_deployments)
        self.requests: list[RecordedRequest] = []
        self.faults: list[tuple[int, dict[str, str], Any]] = []
        self.delay_s = 0.0
        self.reject_json_schema = False
        self.chat_responder: Callable[[dict[str, Any]], str | dict[str, Any]] = default_responder

    @property
    def endpoint(self) -> str:
        return self.url + "/"

    def authorised(self, headers: dict[str, str]) -> bool:
        if self.api_key is not None and headers.get("api-key") == self.api_key:
            return True
        return self.bearer_token is not None and headers.get("authorization") == f"Bearer {self.bearer_token}"

    def fail_next(self, count: int, status: int, *, headers: dict[str, str] | None = None, body: Any = None) -> None:
        payload = body if body is not None else {"error": {"code": str(status), "message": "fake failure"}}
        with self.lock:
            self.faults.extend([(status, dict(headers or {}), payload)] * count)

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.faults.clear()
        self.delay_s = 0.0
        self.reject_json_schema = False
        self.chat_responder = default_responder
        self.api_key, self.bearer_token = self._initial_auth

    def requests_of(self, kind: str) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.kind == kind]
