"""The analyze stage: prompts in, decisions out, graph updates onto the queue."""

from __future__ import annotations

import azure.functions as func

from shared.service import get_service, guarded

from ._http import body, identity, respond

bp = func.Blueprint()
QUEUE = "%PSS_GRAPH__QUEUE_NAME%"


@bp.function_name("analyze")
@bp.route(route="analyze", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.queue_output(arg_name="updates", queue_name=QUEUE, connection="AzureWebJobsStorage")
def analyze(req: func.HttpRequest, updates: func.Out[list[str]]) -> func.HttpResponse:
    return respond(guarded(get_service().analyze)(body(req), identity(req)), updates)


@bp.function_name("analyze_batch")
@bp.route(route="analyze/batch", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.queue_output(arg_name="updates", queue_name=QUEUE, connection="AzureWebJobsStorage")
def analyze_batch(req: func.HttpRequest, updates: func.Out[list[str]]) -> func.HttpResponse:
    return respond(guarded(get_service().analyze_batch)(body(req), identity(req)), updates)


@bp.function_name("scan_output")
@bp.route(route="scan-output", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def scan_output(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().scan_output)(body(req), identity(req)))
