"""A Python parameter without a binding, and a bad queue name."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="x")
def unbound(req: func.HttpRequest, extra: str) -> func.HttpResponse:
    return func.HttpResponse("x")


@app.queue_trigger(arg_name="msg", queue_name="Bad_Queue_Name", connection="AzureWebJobsStorage")
def bad_queue(msg: func.QueueMessage) -> None:
    return None
