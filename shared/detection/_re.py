"""One place to build RE2 patterns, so nothing in the service uses backtracking regex.

RE2 guarantees time linear in the input for every pattern, which is what lets us run
user-supplied (custom) rules on hostile text without a ReDoS risk.
"""

from __future__ import annotations

from functools import lru_cache

import re2

MAX_PROGRAM_MEM = 8 << 20  # bytes RE2 may use per compiled pattern


@lru_cache(maxsize=1)
def options() -> re2.Options:
    opts = re2.Options()
    opts.log_errors = False
    opts.max_mem = MAX_PROGRAM_MEM
    return opts


def compile_re(pattern: str) -> re2._Regexp:
    """Compile ``pattern`` with RE2 (raises ``re2.error`` if RE2 cannot run it)."""
    return re2.compile(pattern, options())
