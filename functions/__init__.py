"""Azure Functions blueprints, one module per stage. Thin: parse, call shared/, respond."""
