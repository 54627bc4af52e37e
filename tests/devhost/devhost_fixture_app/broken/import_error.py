"""Fails at import time, like a blueprint with a typo (the host would show 0 functions)."""

import azure.functions as func

app = func.FunctionApp()
raise ImportError("simulated import failure in a blueprint")
