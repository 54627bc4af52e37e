"""Azure OpenAI: embeddings, the grey-zone judge, forwarding with a canary.

Everything here is off by default and cheap to import: ``openai`` and ``azure.identity``
are imported only when a call is actually made with an endpoint and deployment
configured (``PSS_SEMANTIC__*``). Failures never raise to the caller: every entry point
returns a result that says ``degraded`` and carries a stable ``error_code``.

* :mod:`.client`: the shared client (auth, timeouts, retries, circuit breaker, health)
* :mod:`.embeddings`: :func:`~.embeddings.embed`
* :mod:`.judge`: :func:`~.judge.judge`, :class:`~.judge.JudgeVerdict`
* :mod:`.canary`: canary tokens for the system prompt and leak detection
* :mod:`.forward`: :func:`~.forward.forward`
"""

from __future__ import annotations
