"""Refused by the host, not the worker: a binding expression naming a setting with "__"."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="%WR_QUEUE__NAME%", connection="AzureWebJobsStorage")
def dunder_setting(msg: func.QueueMessage) -> None:
    return None
