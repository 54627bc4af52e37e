"""The operator console and the API reference page, served by the app itself.

* ``GET /api/console`` and ``GET /api/docs``: the two pages (anonymous: they hold no data);
* ``GET /api/console/assets/{name}``: their scripts and styles, built into ``web/dist`` by
  ``make web`` from npm packages; only a file of that folder, by exact name, is served;
* ``GET /api/console/views/{view}``: the console's data views (master key).

Every data call the page makes carries the master key in the ``x-functions-key`` header,
so the pages and assets can be cached and served without a key, and the key never
appears in a URL. Both pages are served with a Content-Security-Policy that allows no
inline script.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import azure.functions as func

from shared.console_views import console_view
from shared.errors import ErrorCode, ServiceError
from shared.service import Reply, error_reply, get_service, guarded

from ._http import params, respond

bp = func.Blueprint()

DIST = Path(__file__).resolve().parents[1] / "web" / "dist"
PAGES = {"console": "console.html", "docs": "docs.html"}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
_CSP_COMMON = (
    "default-src 'none'; script-src 'self'; connect-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
#: The console sets no inline style; Swagger UI renders its SVG icons as data: images.
CSP = {
    "console": f"{_CSP_COMMON}; style-src 'self'; img-src 'self' data:",
    "docs": f"{_CSP_COMMON}; style-src 'self'; img-src 'self' data:",
}
_BASE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str
    etag: str


class AssetTable:
    """The files of ``web/dist`` by exact name, read once: nothing outside it can be named."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._files: dict[str, Asset] | None = None
        self._lock = threading.Lock()

    def _load(self) -> dict[str, Asset]:
        files: dict[str, Asset] = {}
        if self.root.is_dir():
            for path in self.root.iterdir():
                ctype = CONTENT_TYPES.get(path.suffix)
                if ctype is None or not path.is_file() or path.is_symlink():
                    continue
                body = path.read_bytes()
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                files[path.name] = Asset(body, ctype, etag)
        return files

    def get(self, name: str) -> Asset | None:
        if self._files is None:
            with self._lock:
                if self._files is None:
                    loaded = self._load()
                    if not loaded:
                        return None  # not built yet: look again next time rather than cache the absence
                    self._files = loaded
        return self._files.get(name)


_assets = AssetTable(DIST)


def set_asset_root(root: Path) -> None:
    """Tests point the table at another folder."""
    global _assets
    _assets = AssetTable(root)


def _not_built() -> func.HttpResponse:
    exc = ServiceError(
        ErrorCode.DEPENDENCY_UNAVAILABLE,
        "The console assets are not built; run `make web` (npm ci and build in web/).",
        status=503,
    )
    return respond(error_reply(exc))


def _serve(req: func.HttpRequest, name: str, cache: str, csp: str | None = None) -> func.HttpResponse:
    asset = _assets.get(name)
    if asset is None:
        if _assets.get("console.html") is None:
            return _not_built()
        return respond(Reply(404, ServiceError(ErrorCode.NOT_FOUND, "no such console asset", status=404).to_dict()))
    headers = {**_BASE_HEADERS, "Cache-Control": cache, "ETag": asset.etag}
    if csp:
        headers["Content-Security-Policy"] = csp
    if asset.etag in {t.strip() for t in (req.headers.get("if-none-match") or "").split(",")}:
        return func.HttpResponse(b"", status_code=304, headers=headers)
    headers["Content-Type"] = asset.content_type
    return func.HttpResponse(asset.body, status_code=200, headers=headers)


@bp.function_name("console_page")
@bp.route(route="console", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def console_page(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(req, PAGES["console"], "no-cache", CSP["console"])


@bp.function_name("docs_page")
@bp.route(route="docs", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def docs_page(req: func.HttpRequest) -> func.HttpResponse:
    return _serve(req, PAGES["docs"], "no-cache", CSP["docs"])


@bp.function_name("console_asset")
@bp.route(route="console/assets/{name}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def console_asset(req: func.HttpRequest) -> func.HttpResponse:
    name = req.route_params.get("name", "")
    if name in PAGES.values():  # the pages only at their own routes, with their CSP
        name = ""
    # Revalidated every hour: names are stable, the ETag tells a changed build.
    return _serve(req, name, "public, max-age=3600")


@bp.function_name("console_view")
@bp.route(route="console/views/{view}", methods=["GET"], auth_level=func.AuthLevel.ADMIN)
def console_data(req: func.HttpRequest) -> func.HttpResponse:
    svc = get_service()

    def run() -> Reply:
        view = req.route_params.get("view", "")
        return Reply(200, {"success": True, **console_view(svc.store, svc.settings, view, params(req))})

    return respond(guarded(run)())
