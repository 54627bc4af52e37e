"""The analyze stage: prompts in, decisions out, graph updates onto the queue."""

from __future__ import annotations

from typing import List  # noqa: UP035

import azure.functions as func

from shared.service import get_service, guarded

from ._http import body, identity, respond

bp = func.Blueprint()
QUEUE = "%PSS_GRAPH_QUEUE_NAME%"  # a flat app setting: the host cannot resolve names with "__"

#: The Python worker only accepts ``typing`` generics inside ``func.Out``: it refuses
#: ``func.Out[list[str]]`` as a "non-type annotation" and the whole app fails to load.
Updates = func.Out[List[str]]  # noqa: UP006


@bp.function_name("analyze")
@bp.route(route="analyze", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.queue_output(arg_name="updates", queue_name=QUEUE, connection="AzureWebJobsStorage")
def analyze(req: func.HttpRequest, updates: Updates) -> func.HttpResponse:
    return respond(guarded(get_service().analyze)(body(req), identity(req)), updates)


@bp.function_name("analyze_batch")
@bp.route(route="analyze/batch", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
@bp.queue_output(arg_name="updates", queue_name=QUEUE, connection="AzureWebJobsStorage")
def analyze_batch(req: func.HttpRequest, updates: Updates) -> func.HttpResponse:
    return respond(guarded(get_service().analyze_batch)(body(req), identity(req)), updates)


@bp.function_name("scan_output")
@bp.route(route="scan-output", methods=["POST"], auth_level=func.AuthLevel.FUNCTION)
def scan_output(req: func.HttpRequest) -> func.HttpResponse:
    return respond(guarded(get_service().scan_output)(body(req), identity(req)))
