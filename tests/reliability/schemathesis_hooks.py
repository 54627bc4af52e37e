"""Schemathesis hooks for the run in ``test_reliability_schemathesis.py`` (loaded through
``SCHEMATHESIS_HOOKS``; a uniquely named module, not collected by pytest).

One rule of the service cannot be written in JSON Schema: text that is mostly control
characters (at least 8 and over ``PSS_LIMITS__CONTROL_CHAR_RATIO``) is refused with
``400 input_control_chars``. The document says so in words; this hook drops exactly that
"schema-valid request rejected" failure and nothing else.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    if getattr(failure, "code", "") != "ST202" or response.status_code != 400:
        return True
    try:
        code = json.loads(response.content)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return True
    return code != "input_control_chars"
