"""The Function App: registers one blueprint per stage and nothing else."""

import azure.functions as func

from functions.analyze import bp as analyze_bp
from functions.console import bp as console_bp
from functions.graph_update import bp as graph_update_bp
from functions.insight import bp as insight_bp
from functions.manage import bp as manage_bp
from functions.reputation_decay import bp as reputation_decay_bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for blueprint in (analyze_bp, insight_bp, manage_bp, graph_update_bp, reputation_decay_bp, console_bp):
    app.register_functions(blueprint)
