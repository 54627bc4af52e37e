"""Refused: an output binding whose parameter is not annotated func.Out."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="wr-not-out")
@app.queue_output(arg_name="updates", queue_name="wr-queue", connection="AzureWebJobsStorage")
def out_not_out(req: func.HttpRequest, updates: str) -> func.HttpResponse:
    return func.HttpResponse("x")
