"""Refused: a queue message cannot arrive as an int."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="wr-queue", connection="AzureWebJobsStorage")
def wrong_type(msg: int) -> None:
    return None
