"""Who is calling: the tenant (whose users, graph and limits) and the role (operator or client).

The Azure Functions Python worker does not say which function key authenticated a
request, so the caller is derived from what the request itself proves:

* **Behind API Management**: APIM sends ``x-pss-gateway-secret`` (a Key Vault secret,
  ``PSS_TENANCY__GATEWAY_SECRET_NAME``, that APIM holds as a named value) and
  ``x-pss-tenant`` (the subscription id or the Entra app id). The tenant header is
  trusted only when the secret matches (constant-time compare); a wrong secret is a 401.
* **Direct calls** (locally, or without APIM): the tenant is a keyed hash (HMAC) of the
  presented function key, ``key-<16 hex>``, or the name it maps to in
  ``PSS_TENANCY__KEY_TENANTS``. Different keys are different tenants.

The role is ``operator`` on master-key routes (``manage/*``: the host has already
checked the master key) or when the presented key equals the ``operator-key`` secret;
everyone else is a ``client``. In-process callers (CLI, tests) that pass no identity
get :data:`LOCAL_CALLER`: the ``default`` tenant with the operator role.

Everything keyed by a user id is keyed by :meth:`Caller.scope` of it, ``<tenant>~<user>``
(``~`` cannot occur in a user id), so one tenant can never address another's users.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from .config import Settings, valid_tenant_name
from .errors import ErrorCode, InputError, ServiceError

Role = Literal["operator", "client"]

GATEWAY_SECRET_HEADER = "x-pss-gateway-secret"
TENANT_HEADER = "x-pss-tenant"
KEY_HEADER = "x-functions-key"
DEFAULT_TENANT = "default"
SCOPE_SEPARATOR = "~"


@dataclass(frozen=True, slots=True)
class Identity:
    """The identity-bearing parts of one HTTP request, before they are checked."""

    function_key: str | None = None
    gateway_secret: str | None = None
    tenant_header: str | None = None
    admin_route: bool = False

    @classmethod
    def from_request(
        cls, headers: Mapping[str, str], params: Mapping[str, str] | None = None, *, admin_route: bool = False
    ) -> Identity:
        lower = {k.lower(): v for k, v in headers.items()}
        key = lower.get(KEY_HEADER) or (params or {}).get("code") or None
        return cls(key, lower.get(GATEWAY_SECRET_HEADER), lower.get(TENANT_HEADER), admin_route)


@dataclass(frozen=True, slots=True)
class Caller:
    tenant: str
    role: Role
    via: Literal["gateway", "key", "local", "anonymous"]

    @property
    def is_operator(self) -> bool:
        return self.role == "operator"

    def scope(self, user_id: str) -> str:
        """The store key of ``user_id`` inside this tenant (``default`` keeps the bare id)."""
        return user_id if self.tenant == DEFAULT_TENANT else f"{self.tenant}{SCOPE_SEPARATOR}{user_id}"

    def to_public(self) -> dict[str, str]:
        return {"tenant": self.tenant, "role": self.role, "via": self.via}


LOCAL_CALLER = Caller(DEFAULT_TENANT, "operator", "local")


def tenant_of(scoped_user_id: str) -> str:
    """The tenant part of a scoped user id (``default`` for a bare one)."""
    head, sep, _ = scoped_user_id.partition(SCOPE_SEPARATOR)
    return head if sep else DEFAULT_TENANT


def unscope(scoped_user_id: str) -> str:
    head, sep, rest = scoped_user_id.partition(SCOPE_SEPARATOR)
    return rest if sep else head


def key_fingerprint(key: str) -> str:
    """A stable, keyed name for a function key (never the key itself)."""
    from .secrets import keyed_hash

    return keyed_hash("function-key:" + key)[:16]


def _unauthorized(message: str) -> ServiceError:
    return ServiceError(ErrorCode.UNAUTHORIZED, message, status=401)


def _secret_or_none(name: str) -> str | None:
    from .secrets import SecretNotFoundError, get_secret

    try:
        return get_secret(name)
    except SecretNotFoundError:
        return None


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape"))


def resolve_caller(identity: Identity | None, settings: Settings) -> Caller:
    """Check ``identity`` and name the caller; a 401 when it proves nothing it claims."""
    if identity is None:
        return LOCAL_CALLER
    cfg = settings.tenancy
    if identity.gateway_secret is not None:
        expected = _secret_or_none(cfg.gateway_secret_name)
        if not expected or not _same(identity.gateway_secret, expected):
            raise _unauthorized("the gateway credentials are not valid")
        tenant = (identity.tenant_header or "").strip()
        if not valid_tenant_name(tenant):
            raise _unauthorized("the gateway did not name a valid tenant")
        return Caller(tenant, "operator" if identity.admin_route else "client", "gateway")
    if identity.function_key:
        if "," in identity.function_key:
            # The host authenticates only the first of repeated keys and passes them all on,
            # joined with commas: hashing the joined text would mint a new tenant per junk value.
            raise _unauthorized("send the function key once")
        operator = identity.admin_route
        if not operator:
            op_key = _secret_or_none(cfg.operator_key_secret_name)
            operator = bool(op_key) and _same(identity.function_key, op_key or "")
        fingerprint = key_fingerprint(identity.function_key)
        tenant = cfg.key_tenants.get(fingerprint) or f"key-{fingerprint}"
        return Caller(tenant, "operator" if operator else "client", "key")
    if identity.admin_route:  # the host checked the master key; it just did not forward it
        return Caller(DEFAULT_TENANT, "operator", "key")
    return Caller("anonymous", "client", "anonymous")


def tenant_in_view(params: Mapping[str, str], caller: Caller) -> str | None:
    """The tenant a read covers: an operator's ``tenant=`` (``None``: every tenant), else
    the caller's own. A malformed ``tenant=`` is refused for everyone, role or not."""
    wanted = params.get("tenant")
    if wanted is not None and not valid_tenant_name(wanted):
        raise InputError(ErrorCode.VALIDATION_FAILED, "tenant is not a valid tenant name", details={"field": "tenant"})
    return wanted if caller.is_operator else caller.tenant
