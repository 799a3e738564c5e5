"""Where the shared Kubernetes fixtures are, and factories of objects for the dump reader's tests.

The published example objects live beside the project in ``../shared/fixtures/k8s`` and are
read in place, never copied. When that folder is missing the tests that need it are skipped,
except under ``CI=true``, where they fail: CI always has it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ipledger.core.observations import Snapshot
from ipledger.kube.dump import read_dump, snapshot_from_objects


def _fixtures() -> Path:
    """Where the shared fixtures are: ``$IPLEDGER_K8S_FIXTURES``, else ``../shared/fixtures/k8s``
    beside the project, else the workplace's ``/work/shared/fixtures/k8s`` (a clone of the
    project elsewhere, as CI makes, still finds them)."""
    configured = os.environ.get("IPLEDGER_K8S_FIXTURES")
    candidates = [Path(configured)] if configured else []
    candidates += [
        Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "k8s",
        Path("/work/shared/fixtures/k8s"),
    ]
    return next((path for path in candidates if path.is_dir()), candidates[0])


FIXTURES = _fixtures()
TAKEN_AT = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def fixture_path(name: str = "") -> Path:
    """The shared fixture ``name`` (the folder itself for ""), or a skip (a failure under CI)."""
    path = FIXTURES / name if name else FIXTURES
    if not path.exists():
        reason = f"shared Kubernetes fixture {path} is missing (expected ../shared/fixtures/k8s beside the project)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return path


def read_fixture(name: str) -> Snapshot:
    return read_dump(fixture_path(name), taken_at=TAKEN_AT)


def kube_object(
    kind: str,
    name: str = "obj",
    *,
    api: str = "v1",
    namespace: str | None = None,
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """An object as ``kubectl get -o json`` prints it, with only the fields given."""
    meta: dict[str, Any] = {"name": name, **metadata}
    if namespace is not None:
        meta["namespace"] = namespace
    found: dict[str, Any] = {"apiVersion": api, "kind": kind, "metadata": meta}
    if spec is not None:
        found["spec"] = spec
    if status is not None:
        found["status"] = status
    return found


def pod(
    name: str = "web-1",
    *,
    ips: tuple[str, ...] = ("10.0.0.5",),
    spec: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """A running pod default/``name`` on node-1 with ``ips`` in status.podIPs; ``spec`` and
    ``status`` entries replace the defaults."""
    return kube_object(
        "Pod",
        name,
        namespace="default",
        spec={"nodeName": "node-1", **(spec or {})},
        status={"phase": "Running", "podIPs": [{"ip": ip} for ip in ips], **(status or {})},
        **metadata,
    )


def snapshot(*objects: dict[str, Any], source: str = "objects.json") -> Snapshot:
    """The snapshot of ``objects``, each named ``source, [index]``."""
    return snapshot_from_objects(
        ((f"{source}, [{index}]", item) for index, item in enumerate(objects)), taken_at=TAKEN_AT
    )
