"""A fake Key Vault (secrets data plane) over HTTPS for the real ``SecretClient``.

It does what the SDK's challenge-auth policy expects: a request without a valid bearer
token gets ``401`` with ``WWW-Authenticate: Bearer authorization="...", resource="..."``;
the SDK then asks its credential for a token and retries. ``GET /secrets/{name}/`` and
``GET /secrets/{name}/{version}`` (``api-version`` required) return the secret bundle or
``404 SecretNotFound``. Switch ``unavailable = True`` for 503s, or ``stop()`` the server
for connection failures.

Point the client at :attr:`url` with ``verify_challenge_resource=False`` (the challenge
names ``vault.azure.net``, not 127.0.0.1) and ``connection_verify=<cert path>``.
"""

from __future__ import annotations

import itertools
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .base import FakeHandler, FakeServer, make_self_signed_cert

TENANT_ID = "72f988bf-0000-0000-0000-000000000000"


@dataclass
class KvRequest:
    method: str
    path: str
    authorised: bool


class StaticTokenCredential:
    """A credential object with ``get_token``, as azure-core expects; records the scopes."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []
        self.tenants: list[str | None] = []

    def get_token(self, *scopes: str, tenant_id: str | None = None, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        self.tenants.append(tenant_id)
        return AccessToken(self.token, int(time.time()) + 3600)


class _Handler(FakeHandler):
    def do_GET(self) -> None:
        fake: FakeKeyVault = self.fake
        path, query = self.split()
        authorised = self.headers.get("Authorization") == f"Bearer {fake.token}"
        with fake.lock:
            fake.requests.append(KvRequest("GET", path, authorised))
        if not authorised:
            challenge = (
                f'Bearer authorization="https://login.microsoftonline.com/{TENANT_ID}", '
                'resource="https://vault.azure.net"'
            )
            self.send_json(
                401,
                {
                    "error": {
                        "code": "Unauthorized",
                        "message": "AKV10000: Request is missing a Bearer token.",
                    }
                },
                {"WWW-Authenticate": challenge},
            )
            return
        if fake.unavailable:
            self.send_json(503, {"error": {"code": "ServiceUnavailable", "message": "Try again later."}})
            return
        if "api-version" not in query:
            self.send_json(400, {"error": {"code": "BadParameter", "message": "api-version is required"}})
            return
        parts = [p for p in path.split("/") if p]
        if len(parts) not in (2, 3) or parts[0] != "secrets":
            self.send_json(404, {"error": {"code": "NotFound", "message": "Not found"}})
            return
        name = parts[1]
        version = parts[2] if len(parts) == 3 else None
        with fake.lock:
            versions = fake.secrets.get(name, [])
            found = versions[-1] if versions and version is None else None
            if version is not None:
                found = next((v for v in versions if v[0] == version), None)
        if found is None:
            self.send_json(
                404,
                {
                    "error": {
                        "code": "SecretNotFound",
                        "message": f"A secret with (name/id) {name} was not found in this key vault.",
                    }
                },
            )
            return
        secret_version, value, created = found
        self.send_json(
            200,
            {
                "value": value,
                "id": f"{fake.url}/secrets/{name}/{secret_version}",
                "attributes": {
                    "enabled": True,
                    "created": created,
                    "updated": created,
                    "recoveryLevel": "Recoverable+Purgeable",
                },
                "tags": {},
            },
        )


class FakeKeyVault(FakeServer):
    handler = _Handler

    def __init__(self, cert_dir: Path, *, token: str = "fake-kv-token") -> None:
        cert, key = make_self_signed_cert(cert_dir)
        super().__init__(tls=(cert, key))
        self.cert_path = cert
        self.token = token
        self.secrets: dict[str, list[tuple[str, str, int]]] = {}
        self.requests: list[KvRequest] = []
        self.unavailable = False
        self._clock = itertools.count(1_700_000_000)

    @property
    def vault_url(self) -> str:
        return self.url + "/"

    def set_secret(self, name: str, value: str) -> str:
        """Add a new version (rotation); returns its id."""
        version = uuid.uuid4().hex
        with self.lock:
            self.secrets.setdefault(name, []).append((version, value, next(self._clock)))
        return version

    def delete_secret(self, name: str) -> None:
        with self.lock:
            self.secrets.pop(name, None)

    def authorised_reads(self, name: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.authorised and r.path.startswith(f"/secrets/{name}"))

    def client_kwargs(self) -> dict[str, Any]:
        """What a SecretClient needs to talk to this fake (trust the cert, accept the challenge)."""
        return {"verify_challenge_resource": False, "connection_verify": str(self.cert_path)}
