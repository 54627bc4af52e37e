"""Manage routes (master key): custom rules, allowlist, unblocking users, learned known attacks.

Named ``manage`` rather than ``admin`` because the Functions host reserves the
``/admin`` path for its own API.
"""

from __future__ import annotations

import azure.functions as func

from shared.service import get_service, guarded

from ._http import body, identity, params, respond

bp = func.Blueprint()
ADMIN = func.AuthLevel.ADMIN


@bp.function_name("manage_rules")
@bp.route(route="manage/rules", methods=["GET", "PUT", "POST"], auth_level=ADMIN)
def manage_rules(req: func.HttpRequest) -> func.HttpResponse:
    svc = get_service()
    if req.method == "GET":
        return respond(guarded(svc.rules_get)())
    if req.method == "PUT":
        return respond(guarded(svc.rules_put)(body(req)))
    return respond(guarded(svc.rules_post)(body(req)))


@bp.function_name("manage_rule_delete")
@bp.route(route="manage/rules/{rule_id}", methods=["DELETE"], auth_level=ADMIN)
def manage_rule_delete(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().rules_delete)(req.route_params.get("rule_id", "")))


@bp.function_name("manage_allowlist")
@bp.route(route="manage/allowlist", methods=["GET", "PUT"], auth_level=ADMIN)
def manage_allowlist(req: func.HttpRequest) -> func.HttpResponse:
    svc = get_service()
    if req.method == "GET":
        return respond(guarded(svc.allowlist_get)())
    return respond(guarded(svc.allowlist_put)(body(req)))


@bp.function_name("manage_unblock")
@bp.route(route="manage/users/{user_id}/unblock", methods=["POST"], auth_level=ADMIN)
def manage_unblock(req: func.HttpRequest) -> func.HttpResponse:
    return respond(
        guarded(get_service().unblock)(req.route_params.get("user_id", ""), params(req), identity(req, admin=True))
    )


@bp.function_name("manage_known_attacks")
@bp.route(route="manage/known-attacks", methods=["GET"], auth_level=ADMIN)
def manage_known_attacks(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().known_attacks_list)(params(req), identity(req, admin=True)))


@bp.function_name("manage_known_attack_confirm")
@bp.route(route="manage/known-attacks/{attack_id}/confirm", methods=["POST"], auth_level=ADMIN)
def manage_known_attack_confirm(req: func.HttpRequest) -> func.HttpResponse:
    attack_id = req.route_params.get("attack_id", "")
    return respond(guarded(get_service().known_attack_confirm)(attack_id, identity(req, admin=True)))


@bp.function_name("manage_known_attack_remove")
@bp.route(route="manage/known-attacks/{attack_id}", methods=["DELETE"], auth_level=ADMIN)
def manage_known_attack_remove(req: func.HttpRequest) -> func.HttpResponse:
    attack_id = req.route_params.get("attack_id", "")
    return respond(guarded(get_service().known_attack_remove)(attack_id, identity(req, admin=True)))
