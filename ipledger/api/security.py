"""Security headers on every response, and CORS only when configured.

API answers are JSON and are never framed, sniffed or run as a page: ``default-src 'none'``
and ``frame-ancestors 'none'`` say so to browsers. The interactive docs are the one HTML page;
FastAPI builds them with an inline script and Swagger UI / ReDoc from jsDelivr, so their policy
allows exactly that. Cross-origin requests are refused (no CORS headers) unless origins are
configured with ``IPLEDGER_CORS_ORIGINS``.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["SecurityHeaders", "cors_origins"]

_API_POLICY = "default-src 'none'; frame-ancestors 'none'"
_DOCS_POLICY = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    "https://cdn.redoc.ly; connect-src 'self'; worker-src blob:; frame-ancestors 'none'"
)
_FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}


class SecurityHeaders:
    """Add the headers to every HTTP response; ``docs_paths`` get the docs page's policy."""

    def __init__(self, app: ASGIApp, *, docs_paths: tuple[str, ...]) -> None:
        self.app = app
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _DOCS_POLICY if scope["path"] in self.docs_paths else _API_POLICY

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", policy)
                for name, value in _FIXED.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)


def cors_origins(setting: str | None) -> list[str]:
    """The origins allowed by ``IPLEDGER_CORS_ORIGINS`` (comma-separated); none by default."""
    if not setting:
        return []
    return [origin.strip() for origin in setting.split(",") if origin.strip()]
