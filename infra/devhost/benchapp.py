"""A minimal function app for measuring the dev host itself (``python -m infra.devhost.bench``)."""

from __future__ import annotations

import azure.functions as func

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="ping", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


@app.route(route="enqueue", methods=["POST"])
@app.queue_output(arg_name="out", queue_name="devhost-bench", connection="AzureWebJobsStorage")
def enqueue(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
    out.set(req.get_body().decode("utf-8"))
    return func.HttpResponse(status_code=202)


@app.queue_trigger(arg_name="msg", queue_name="devhost-bench", connection="AzureWebJobsStorage")
def consume(msg: func.QueueMessage) -> None:
    msg.get_body()
