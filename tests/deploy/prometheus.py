"""Prometheus's own binaries for the tests: promtool, and a prometheus server of the test's own.

They come from Debian's prometheus package (scripts/setup.sh installs it). Without them a test
is skipped, except with ``CI=true``, where it fails: CI must run them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.api.server import free_port

__all__ = ["binary", "run", "run_prometheus"]

# Only ends a run in which Prometheus never came up; it never decides a pass.
_STARTUP_TIMEOUT = 60.0


def binary(name: str) -> str:
    """The path of ``name`` (promtool, prometheus), or skip (fail with CI=true) when missing."""
    found = shutil.which(name) or next(
        (str(path) for path in (Path("/usr/bin") / name,) if path.exists()), None
    )
    if found is None:
        message = f"{name} is not installed (Debian package prometheus; scripts/setup.sh installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}; CI=true: the Prometheus tests must run")
        pytest.skip(message)
    return found


@contextmanager
def run_prometheus(config: str) -> Iterator[str]:
    """Run a prometheus of its own on a free loopback port with this configuration and a
    temporary storage folder; yield its base URL. Killed on the way out."""
    executable = binary("prometheus")
    with tempfile.TemporaryDirectory(prefix="ipledger-prometheus-") as folder:
        config_file = Path(folder) / "prometheus.yml"
        config_file.write_text(config)
        port = free_port()
        with (Path(folder) / "prometheus.log").open("wb") as log:
            process = subprocess.Popen(
                [
                    executable,
                    f"--config.file={config_file}",
                    f"--storage.tsdb.path={Path(folder) / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--log.level=warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                _wait_until_ready(process, base, Path(folder) / "prometheus.log")
                yield base
            finally:
                process.kill()
                process.wait()


def _wait_until_ready(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    with httpx.Client(timeout=2.0) as client:
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"prometheus exited with {process.returncode}: {log.read_text()}")
            try:
                ready = client.get(f"{base}/-/ready").status_code == 200
            except httpx.TransportError:
                ready = False
            if ready:
                return
            time.sleep(0.1)
    raise RuntimeError(f"prometheus did not get ready on {base}: {log.read_text()}")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False, timeout=300)
