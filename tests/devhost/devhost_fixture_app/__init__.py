"""A small function app used only by the dev host tests (blueprints like the real app)."""
