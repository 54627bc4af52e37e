"""Refused: a built-in generic inside func.Out (what the analyze stage used to declare)."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="wr-out-list")
@app.queue_output(arg_name="updates", queue_name="wr-queue", connection="AzureWebJobsStorage")
def out_builtin_list(req: func.HttpRequest, updates: func.Out[list[str]]) -> func.HttpResponse:
    return func.HttpResponse("x")
