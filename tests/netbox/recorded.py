"""A recorded NetBox on loopback: ``http.server`` answering NetBox's IPAM list endpoints with the
responses under ``fixtures/api`` (NetBox 4.6's real format, paged with absolute ``next`` links),
and only to NetBox's token header."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "TOKEN", "RecordedNetBox", "serve_recorded_netbox"]

FIXTURES = Path(__file__).parent / "fixtures"
TOKEN = "0123456789abcdef0123456789abcdef01234567"
# (path, query) -> recorded response; a first page is asked for with limit=1000.
_PAGES = {
    ("/api/ipam/vrfs/", "limit=1000"): "vrfs.json",
    ("/api/ipam/prefixes/", "limit=1000"): "prefixes-1.json",
    ("/api/ipam/prefixes/", "limit=2&offset=2"): "prefixes-2.json",
    ("/api/ipam/ip-ranges/", "limit=1000"): "ip-ranges.json",
    ("/api/ipam/ip-addresses/", "limit=1000"): "ip-addresses.json",
}


@dataclass
class RecordedNetBox:
    base: str
    requests: list[str] = field(default_factory=list)
    # Changes to the recorded answers: file name -> function changing its parsed JSON.
    edits: dict[str, Any] = field(default_factory=dict)


def _handler(state: RecordedNetBox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.headers.get("Authorization") != f"Token {TOKEN}":
                self._answer(403, {"detail": "Invalid token"})
                return
            path, _, query = self.path.partition("?")
            name = _PAGES.get((path, query))
            if name is None:
                self._answer(404, {"detail": "Not found."})
                return
            page = json.loads((FIXTURES / "api" / name).read_text().replace("{base}", state.base))
            if name in state.edits:
                state.edits[name](page)
            self._answer(200, page)

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("API-Version", "4.6")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the tests read ``requests`` instead."""

    return Handler


@contextmanager
def serve_recorded_netbox() -> Iterator[RecordedNetBox]:
    state = RecordedNetBox(base="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="recorded-netbox", daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
