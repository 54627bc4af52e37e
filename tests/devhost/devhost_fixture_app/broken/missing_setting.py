"""A queue name from an app setting that is not set."""

import azure.functions as func

app = func.FunctionApp()


@app.queue_trigger(arg_name="msg", queue_name="%DEVHOST_TEST_UNSET_SETTING%", connection="AzureWebJobsStorage")
def needs_setting(msg: func.QueueMessage) -> None:
    return None
