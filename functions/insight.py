"""Read-only routes of the analyze stage: profiles, metrics, graph views, health, OpenAPI."""

from __future__ import annotations

import azure.functions as func

from shared.service import get_service, guarded

from ._http import identity, params, respond

bp = func.Blueprint()


@bp.function_name("user_profile")
@bp.route(route="users/{user_id}/profile", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def user_profile(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().profile)(req.route_params.get("user_id", ""), identity(req)))


@bp.function_name("metrics")
@bp.route(route="metrics", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def metrics(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().metrics)(params(req), identity(req)))


@bp.function_name("caller")
@bp.route(route="caller", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def caller(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().whoami)(identity(req)))


@bp.function_name("health")
@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().health)())


@bp.function_name("openapi")
@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().openapi)())


@bp.function_name("graph_view")
@bp.route(route="graph/{kind}/{ident?}", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
def graph_view(req: func.HttpRequest) -> func.HttpResponse:
    kind = req.route_params.get("kind", "")
    ident = req.route_params.get("ident") or None
    return respond(guarded(get_service().graph)(kind, ident, params(req), identity(req)))
