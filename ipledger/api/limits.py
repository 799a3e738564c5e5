"""Refusing oversized request bodies before anything reads them into memory.

A plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: that one wraps every
request in extra tasks and streams, which costs more than the cheapest requests themselves.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ipledger.api.errors import problem

__all__ = ["BodyLimit"]


class BodyLimit:
    """Answer 413 to a body over ``max_bytes``, whether it announces its length or is chunked."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, chunked = _framing(scope)
        if length is not None and length > self.max_bytes:
            await self._refuse(scope, receive, send, f"the body has {length} bytes")
            return
        if not chunked:
            await self.app(scope, receive, send)
            return
        # No length announced (chunked): read the body here, up to the limit, then hand it on.
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send, f"the body passed {self.max_bytes} bytes")
                return
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, what: str) -> None:
        response = problem(413, "Request too large", f"{what}; at most {self.max_bytes} are accepted")
        await response(scope, receive, send)


def _framing(scope: Scope) -> tuple[int | None, bool]:
    """The announced Content-Length, and whether the body comes chunked instead."""
    length, chunked = None, False
    for name, value in scope["headers"]:
        if name == b"content-length":
            text = value.decode("latin-1")
            length = int(text) if text.isdigit() else None
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
    return length, chunked
