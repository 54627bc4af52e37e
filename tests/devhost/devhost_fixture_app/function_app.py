"""Fixture app: registers blueprints only, like the real function_app.py."""

import azure.functions as func

from .http_bp import bp as http_bp
from .queue_bp import bp as queue_bp
from .timer_bp import bp as timer_bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
app.register_functions(http_bp)
app.register_functions(queue_bp)
app.register_functions(timer_bp)
