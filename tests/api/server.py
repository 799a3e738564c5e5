"""Real servers for the API tests: uvicorn in a thread of this process, or ``ipledger serve`` in
another process, each on a port the operating system picked; stopped and joined on the way out."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import uvicorn
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["AppSwitch", "ServerProcess", "free_port", "serve_in_process", "serve_in_thread", "server_process"]

_ROOT = Path(__file__).resolve().parents[2]
# Only ends a run in which the server never came up; it never decides a pass.
_STARTUP_TIMEOUT = 60.0


class AppSwitch:
    """The ASGI application a long-lived server hands every request to: the app of the running
    test, so that one server serves each test's own app on that test's own database.

    Stopping a uvicorn server costs about 0.3 s (a fixed grace sleep and the event-loop
    teardown); one server per session instead of one per test keeps the suite fast.
    """

    def __init__(self) -> None:
        self.app: FastAPI | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("no test is running: there is no app to serve")
        await self.app(scope, receive, send)


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve ``app`` with uvicorn on 127.0.0.1 and an OS-assigned port; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="off", ws="none"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="api-server", daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the API server stopped before it started")
            thread.join(0.005)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(_STARTUP_TIMEOUT)


def free_port() -> int:
    """A port that was free a moment ago (for servers in other processes, which must be told one)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class ServerProcess:
    """A running ``ipledger serve``: its base URL and its process (the leader of its own
    process group: with ``--workers`` its workers are in that group too)."""

    base: str
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")


@contextmanager
def serve_in_process(database_url: str, *options: str) -> Iterator[str]:
    """Run ``python -m ipledger --database URL serve [OPTIONS]`` on a free port; yield its base URL."""
    with server_process(database_url, *options) as server:
        yield server.base


@contextmanager
def server_process(
    database_url: str, *options: str, env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """Run ``python -m ipledger --database URL serve [OPTIONS]`` on a free port until it answers.

    Its whole process group is killed on the way out, whatever happened; its log goes to a
    temporary file (a pipe nobody reads could fill up and stall the server) and is shown if it
    fails to start.
    """
    port = free_port()
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ipledger",
                "--database",
                database_url,
                "serve",
                "--port",
                str(port),
                "--log-level",
                "warning",
                *options,
            ],
            cwd=_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=None if env is None else {**os.environ, **env},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(process, base, log)
            yield ServerProcess(base, process, log)
        finally:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], base: str, log: IO[bytes]) -> None:
    with httpx.Client(base_url=base, timeout=2.0) as client:
        for _ in range(int(_STARTUP_TIMEOUT / 0.05)):
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"ipledger serve exited with {process.returncode}: {log.read().decode()}")
            try:
                if client.get("/readyz").status_code == 200:
                    return
                time.sleep(0.05)
            except httpx.TransportError:
                time.sleep(0.05)
    raise RuntimeError(f"ipledger serve did not answer on {base}")
