"""Refused: an unbound "context" parameter must be azure.functions.Context."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="wr-queue", connection="AzureWebJobsStorage")
def bad_context(msg: func.QueueMessage, context: str) -> None:
    return None
