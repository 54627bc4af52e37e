"""Prompt Security Service: the shared package behind every function.

Importing this package is cheap on purpose (cold start): heavy modules are imported
by the code that needs them, when it needs them.
"""

__version__ = "0.1.0"
