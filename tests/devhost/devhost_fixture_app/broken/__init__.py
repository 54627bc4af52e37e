"""Apps the dev host must refuse, each with a clear message."""
