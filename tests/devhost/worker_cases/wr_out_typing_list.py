"""Accepted: a typing generic inside func.Out (what the analyze stage declares now)."""

from typing import List  # noqa: UP035

import azure.functions as func

app = func.FunctionApp()


@app.route(route="wr-out-typing")
@app.queue_output(arg_name="updates", queue_name="wr-queue", connection="AzureWebJobsStorage")
def out_typing_list(req: func.HttpRequest, updates: func.Out[List[str]]) -> func.HttpResponse:  # noqa: UP006
    return func.HttpResponse("x")
