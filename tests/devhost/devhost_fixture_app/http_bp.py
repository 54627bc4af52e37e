"""HTTP functions: queue output, anonymous, admin, route parameters, failures."""

from __future__ import annotations

import asyncio
import json
import time

import azure.functions as func

from . import recorder

bp = func.Blueprint()


@bp.route(route="enqueue", methods=["POST"])
@bp.queue_output(arg_name="out", queue_name="%FIXTURE_QUEUE%", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    text = req.get_body().decode("utf-8")
    data = json.loads(text) if text.strip().startswith("[") else None
    if isinstance(data, list):
        out.set([json.dumps(item) for item in data])
        count = len(data)
    else:
        out.set(text)
        count = 1
    return func.HttpResponse(json.dumps({"queued": count}), status_code=202, mimetype="application/json")


@bp.route(route="ping", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@bp.route(route="async-ping", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
async def async_ping(req: func.HttpRequest) -> func.HttpResponse:
    await asyncio.sleep(0)
    return func.HttpResponse("apong")


@bp.route(route="manage/reset", methods=["POST"], auth_level=func.AuthLevel.ADMIN)
def manage_reset(req: func.HttpRequest) -> func.HttpResponse:
    recorder.reset()
    return func.HttpResponse(json.dumps({"reset": True}), mimetype="application/json")


@bp.route(route="items/{id:int}/{name?}", methods=["GET", "PUT"])
def items(req: func.HttpRequest, context: func.Context) -> func.HttpResponse:
    body = {
        "method": req.method,
        "route_params": dict(req.route_params),
        "params": dict(req.params),
        "custom_header": req.headers.get("x-custom"),
        "url": req.url,
        "body": req.get_body().decode("utf-8"),
        "function_name": context.function_name,
        "has_invocation_id": bool(context.invocation_id),
    }
    return func.HttpResponse(
        json.dumps(body),
        mimetype="application/json",
        headers={"X-Echo": "yes", "Set-Cookie": "a=1"},
    )


@bp.route(route="files/readme", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def files_readme(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("literal")


@bp.route(route="files/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def files_any(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("catch-all:" + req.route_params.get("path", ""))


@bp.route(route="boom", methods=["POST"])
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("internal detail /srv/secret/module.py token=do-not-leak")


@bp.route(route="bad-output", methods=["POST"])
@bp.queue_output(arg_name="out", queue_name="%FIXTURE_QUEUE%", connection="AzureWebJobsStorage")
def bad_output(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    out.set({"not": "allowed"})  # type: ignore[arg-type]
    return func.HttpResponse("unreachable")


@bp.route(route="text", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def text(req: func.HttpRequest) -> str:
    return "plain string result"


@bp.route(route="slow", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def slow(req: func.HttpRequest) -> func.HttpResponse:
    recorder.record("slow_started")
    time.sleep(int(req.params.get("ms", "300")) / 1000)
    recorder.record("slow_done")
    return func.HttpResponse("slow done")


@bp.route(route="named-out", methods=["POST"], binding_arg_name="res")
def named_out(req: func.HttpRequest, res: func.Out[func.HttpResponse]) -> None:
    res.set(func.HttpResponse("via out binding", status_code=201))
