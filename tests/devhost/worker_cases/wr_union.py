"""Refused: a Union is not a type for the worker."""

from typing import Union

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="wr-queue", connection="AzureWebJobsStorage")
def union_param(msg: Union[func.QueueMessage, str]) -> None:  # noqa: UP007
    return None
