"""Adapters between ``azure.functions`` HTTP objects and :class:`shared.service.Reply`."""

from __future__ import annotations

import azure.functions as func

from shared.service import Reply
from shared.tenancy import Identity

JSON = "application/json"
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def respond(reply: Reply, out: func.Out[list[str]] | None = None) -> func.HttpResponse:
    """Shape the reply; hand queue messages (if any) to the output binding."""
    if out is not None and reply.messages and reply.status < 400:
        out.set(reply.messages)
    return func.HttpResponse(
        reply.json(),
        status_code=reply.status,
        headers={**_SECURITY_HEADERS, **reply.headers},
        mimetype=JSON,
        charset="utf-8",
    )


def body(req: func.HttpRequest) -> bytes:
    return req.get_body() or b""


def params(req: func.HttpRequest) -> dict[str, str]:
    return {k: v for k, v in req.params.items()}


def identity(req: func.HttpRequest, *, admin: bool = False) -> Identity:
    """The caller's credentials as presented; ``shared.tenancy`` checks them."""
    return Identity.from_request(req.headers, req.params, admin_route=admin)
