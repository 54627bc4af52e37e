"""The API document API Management imports: ``infra/openapi.json`` without ``/manage/*``.

    python -m infra.openapi_gateway            # write infra/openapi.gateway.json
    python -m infra.openapi_gateway --check    # exit 1 if the checked-in file is stale

The gateway presents only the default function key to the backend, and the manage
routes need the host master key, so through APIM they could only ever answer 401.
They stay out of the product; operators call them on the function app directly.
Derived from the checked-in document (regenerate that first with ``python -m shared.openapi``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

INFRA = Path(__file__).resolve().parent
SOURCE = INFRA / "openapi.json"
TARGET = INFRA / "openapi.gateway.json"
ADMIN_PREFIX = "/manage"


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def gateway_document(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` without the admin paths (and tags only they used)."""
    out = dict(document)
    out["paths"] = {p: item for p, item in document.get("paths", {}).items() if not is_admin_path(p)}
    used = {
        t for item in out["paths"].values() for op in item.values() if isinstance(op, dict) for t in op.get("tags", [])
    }
    if "tags" in document:
        out["tags"] = [t for t in document["tags"] if t.get("name") in used]
    return out


def render() -> str:
    return json.dumps(gateway_document(json.loads(SOURCE.read_text())), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not TARGET.exists() or TARGET.read_text() != text:
            print(f"{TARGET.name} is stale: run python -m infra.openapi_gateway", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
