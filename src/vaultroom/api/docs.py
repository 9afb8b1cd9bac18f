"""``/api/docs``: Swagger UI, with a Content-Security-Policy relaxed for this page only.

Swagger UI's script and stylesheet come from a CDN and the page starts it with one
inline script; the app-wide policy forbids both. This page's policy allows exactly
the CDN and that one script (by hash), nothing else. ``VAULTROOM_API_DOCS=false``
removes the page (``/api/openapi.json`` stays).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

DOCS_PATH = "/api/docs"
SWAGGER_CDN = "https://cdn.jsdelivr.net"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: str) -> str:
    """The CSP of the docs page: the CDN, the page's inline scripts by hash, our API."""
    digests = (hashlib.sha256(script.encode()).digest() for script in _INLINE_SCRIPT.findall(html))
    hashes = " ".join(f"'sha256-{base64.b64encode(digest).decode()}'" for digest in digests)
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {SWAGGER_CDN} {hashes}",
            # Swagger UI styles some elements inline; styles cannot run code.
            f"style-src {SWAGGER_CDN} 'unsafe-inline'",
            "img-src 'self' data: https://fastapi.tiangolo.com",
            "connect-src 'self'",
            "object-src 'none'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def install_api_docs(api: FastAPI, *, title: str) -> None:
    """Serve Swagger UI at ``/api/docs`` (before the ``/api`` catch-all is installed)."""
    page = get_swagger_ui_html(openapi_url=api.openapi_url or "", title=f"{title} - API")
    html = bytes(page.body).decode()
    policy = docs_policy(html)

    @api.get(DOCS_PATH, include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return HTMLResponse(html, headers={"Content-Security-Policy": policy})
