"""Refused: an HTTP function must return an HttpResponse, not a number."""

import azure.functions as func

app = func.FunctionApp()


@app.route(route="wr-return")
def return_type(req: func.HttpRequest) -> int:
    return 1
