"""Serving the built web app: hashed assets cached for good, ``index.html`` for client routes."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

NOT_BUILT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>VaultRoom</title></head><body><h1>VaultRoom</h1>
<p>The web app has not been built. Run <code>make run</code> (or
<code>npm --prefix web run build</code>) and reload.</p></body></html>"""


class SinglePageApp(StaticFiles):
    """Static files of the web app, falling back to ``index.html`` for unknown paths."""

    def __init__(self, directory: Path) -> None:
        super().__init__(directory=directory, check_dir=False)
        self._index = directory / "index.html"

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
        except HTTPException as exc:
            # A missing asset is a real 404 (an old bundle after a deploy), not the page.
            if exc.status_code != 404 or path.startswith(("api/", "socket.io/", "assets/")):
                raise
            response = await self._index_response(scope)
        if path.startswith("assets/") and response.status_code == 200:
            # Vite puts a content hash in every asset name.
            response.headers["cache-control"] = "public, max-age=31536000, immutable"
        elif response.headers.get("content-type", "").startswith("text/html"):
            response.headers["cache-control"] = "no-cache"
        return response

    async def _index_response(self, scope: Scope) -> Response:
        if not self._index.is_file():
            return HTMLResponse(NOT_BUILT_PAGE, status_code=503)
        return await super().get_response("index.html", scope)

    async def check_config(self) -> None:
        # A missing build folder is not fatal: the API still works, and the
        # fallback page says how to build the web app.
        if self._index.parent.is_dir():
            await super().check_config()
