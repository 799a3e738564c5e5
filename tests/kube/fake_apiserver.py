"""A small Kubernetes API server for the live reader's tests: real paths, real List pages, no cluster.

`FakeAPIServer` listens on 127.0.0.1 (port 0, plain HTTP, one thread per connection) and answers
``GET`` on the paths a real API server uses (``/api/v1/pods``,
``/apis/crd.projectcalico.org/v1/ipamblocks``, ...) with v1 List JSON as kube-apiserver writes
it: items without ``apiVersion``/``kind``, sorted by their storage key (namespace, then name),
``metadata.resourceVersion`` on the list, and chunking that honours ``limit`` and returns an
opaque base64 ``metadata.continue`` token. Failures are answered as the real server answers them,
with a ``Status`` object: 401 for a wrong bearer token, 403 (or 429, 500) for a resource set to
be refused, 404 for a resource that is not loaded (a CRD that is not installed), 410 ``Expired``
for a continue token when expiry is simulated, and 405 for any method but GET; `misbehave` makes
a path answer anything at all with 200, as a broken proxy would. Every request is recorded.

`iter_fixture_objects` reads the objects of a fixture file (single objects, multi-document
files, ``kind: List`` and bare YAML sequences) and `write_kubeconfig` writes a kubeconfig whose
token user points at the server.
"""

from __future__ import annotations

import base64
import bisect
import copy
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

__all__ = [
    "KINDS",
    "FakeAPIServer",
    "RecordedRequest",
    "iter_fixture_objects",
    "path_of",
    "write_kubeconfig",
]

# (apiVersion, kind) -> plural, the kinds this server can serve. Names as the API groups define them.
KINDS: dict[tuple[str, str], str] = {
    ("v1", "Node"): "nodes",
    ("v1", "Pod"): "pods",
    ("v1", "Service"): "services",
    ("networking.k8s.io/v1", "ServiceCIDR"): "servicecidrs",
    ("networking.k8s.io/v1", "IPAddress"): "ipaddresses",
    ("networking.k8s.io/v1beta1", "ServiceCIDR"): "servicecidrs",
    ("networking.k8s.io/v1beta1", "IPAddress"): "ipaddresses",
    ("crd.projectcalico.org/v1", "IPPool"): "ippools",
    ("crd.projectcalico.org/v1", "IPAMBlock"): "ipamblocks",
    ("crd.projectcalico.org/v1", "BlockAffinity"): "blockaffinities",
    ("crd.projectcalico.org/v1", "IPAMHandle"): "ipamhandles",
    ("crd.projectcalico.org/v1", "ClusterInformation"): "clusterinformations",
    ("projectcalico.org/v3", "IPPool"): "ippools",
    ("projectcalico.org/v3", "IPAMBlock"): "ipamblocks",
    ("projectcalico.org/v3", "BlockAffinity"): "blockaffinities",
    ("projectcalico.org/v3", "IPAMHandle"): "ipamhandles",
    ("projectcalico.org/v3", "ClusterInformation"): "clusterinformations",
    ("cilium.io/v2", "CiliumNode"): "ciliumnodes",
    ("cilium.io/v2alpha1", "CiliumPodIPPool"): "ciliumpodippools",
    ("cilium.io/v2", "CiliumPodIPPool"): "ciliumpodippools",
    ("whereabouts.cni.cncf.io/v1alpha1", "IPPool"): "ippools",
    ("whereabouts.cni.cncf.io/v1alpha1", "OverlappingRangeIPReservation"): "overlappingrangeipreservations",
    ("whereabouts.cni.cncf.io/v1alpha1", "NodeSlicePool"): "nodeslicepools",
    ("metallb.io/v1beta1", "IPAddressPool"): "ipaddresspools",
}
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONTINUE_VERSION = "meta.k8s.io/v1"
_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can start a "
    "new list without the continue parameter, or use the continue token in this response to retrieve "
    "the remainder of the results."
)


def path_of(api_version: str, plural: str) -> str:
    """The collection path of a resource: ``/api/v1/pods``, ``/apis/<group>/<version>/<plural>``."""
    return f"/api/{api_version}/{plural}" if "/" not in api_version else f"/apis/{api_version}/{plural}"


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    status: int


@dataclass(slots=True)
class _Collection:
    api_version: str
    kind: str
    keys: list[str]  # storage keys, sorted: "<namespace>/<name>" or "<name>"
    items: list[dict[str, Any]]  # as served: without apiVersion and kind


class FakeAPIServer:
    """The server; use as a context manager (``with FakeAPIServer() as server``) or start/stop it."""

    def __init__(self, *, token: str = "fake-token-for-tests", resource_version: int = 1000) -> None:
        self.token = token
        self._resource_version = resource_version
        self._collections: dict[str, _Collection] = {}
        self._refused: dict[str, int] = {}
        self._raw: dict[str, tuple[str, bytes]] = {}
        self._expire: dict[str, int] = {}
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._serve, name="fake-apiserver", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeAPIServer:
        self._thread.start()
        return self

    def _serve(self) -> None:
        self._httpd.serve_forever(poll_interval=0.02)  # stop() waits for the next poll

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeAPIServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    # -- what is served ------------------------------------------------------------------------

    def serve_objects(self, objects: Iterable[dict[str, Any]]) -> None:
        """Serve each object at the collection of its apiVersion and kind (see `KINDS`).

        The same object twice is served once; two different objects under one key are an error in
        the test's data, since no API server could hold both.
        """
        for obj in objects:
            api_version, kind = obj["apiVersion"], obj["kind"]
            plural = KINDS[(api_version, kind)]
            collection = self._collection(api_version, kind, plural)
            item = copy.deepcopy(
                {key: value for key, value in obj.items() if key not in ("apiVersion", "kind")}
            )
            metadata = item.setdefault("metadata", {})
            metadata.setdefault("resourceVersion", str(self._resource_version))
            key = "/".join(filter(None, (metadata.get("namespace"), metadata["name"])))
            index = bisect.bisect_left(collection.keys, key)
            if index < len(collection.keys) and collection.keys[index] == key:
                if collection.items[index] != item:
                    raise ValueError(
                        f"two different {kind} objects named {key} at {path_of(api_version, plural)}"
                    )
                continue
            collection.keys.insert(index, key)
            collection.items.insert(index, item)

    def serve_empty(self, api_version: str, kind: str) -> None:
        """Serve a collection without objects: the resource exists (its CRD is installed)."""
        self._collection(api_version, kind, KINDS[(api_version, kind)])

    def refuse(self, path: str, *, status: int) -> None:
        """Answer ``status`` (403, 429, 500, ...) to every request for ``path``."""
        self._refused[path] = status

    def misbehave(self, path: str, *, body: bytes, content_type: str = "application/json") -> None:
        """Answer 200 with ``body`` to every request for ``path``, as a broken proxy might."""
        self._raw[path] = (content_type, body)

    def expire_continue_tokens(self, path: str, *, times: int) -> None:
        """Answer 410 Expired to the next ``times`` requests to ``path`` that carry a continue token."""
        self._expire[path] = times

    def served(self, path: str) -> list[dict[str, Any]]:
        """The objects at ``path`` in the order served, with their apiVersion and kind put back."""
        collection = self._collections[path]
        return [
            {"apiVersion": collection.api_version, "kind": collection.kind, **item}
            for item in collection.items
        ]

    @property
    def paths(self) -> list[str]:
        return sorted(self._collections)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def _collection(self, api_version: str, kind: str, plural: str) -> _Collection:
        return self._collections.setdefault(
            path_of(api_version, plural), _Collection(api_version, kind, [], [])
        )

    # -- answering -----------------------------------------------------------------------------

    def answer(self, method: str, target: str, authorization: str | None) -> tuple[int, str, bytes]:
        """Status, content type and body for one request; records it."""
        parts = urlsplit(target)
        query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
        status, content_type, body = self._answer(method, parts.path, query, authorization)
        with self._lock:
            self._requests.append(RecordedRequest(method, parts.path, query, authorization, status))
        return status, content_type, body

    def _answer(
        self, method: str, path: str, query: dict[str, str], authorization: str | None
    ) -> tuple[int, str, bytes]:
        if authorization != f"Bearer {self.token}":
            return _status(401, "Unauthorized", "Unauthorized")
        if method != "GET":
            return _status(405, "MethodNotAllowed", f"the fake API server answers only GET, not {method}")
        if path in self._raw:
            content_type, body = self._raw[path]
            return 200, content_type, body
        collection = self._collections.get(path)
        if collection is None:
            return self._not_found(path)
        plural = path.rsplit("/", 1)[1]
        group = collection.api_version.rpartition("/")[0]
        if path in self._refused:
            return _refusal(self._refused[path], plural, group)
        token = query.get("continue", "")
        if token and self._take_expiry(path):
            fresh = _encode_continue(self._resource_version + 1, "")
            return _status(410, "Expired", _EXPIRED_MESSAGE, metadata={"continue": fresh})
        return self._page(collection, token, query.get("limit", ""))

    def _take_expiry(self, path: str) -> bool:
        with self._lock:
            left = self._expire.get(path, 0)
            if left > 0:
                self._expire[path] = left - 1
            return left > 0

    def _not_found(self, path: str) -> tuple[int, str, bytes]:
        # kube-apiserver answers a known group/version with a Status, an unknown one with plain text.
        group_version = path.rsplit("/", 1)[0]
        if any(known.startswith(group_version + "/") for known in self._collections):
            return _status(404, "NotFound", "the server could not find the requested resource")
        return 404, "text/plain; charset=utf-8", b"404 page not found\n"

    def _page(self, collection: _Collection, token: str, limit_text: str) -> tuple[int, str, bytes]:
        start = 0
        if token:
            try:
                start = bisect.bisect_right(collection.keys, _decode_continue(token))
            except ValueError:
                return _status(
                    400, "BadRequest", "continue key is not valid: incorrect encoded start resourceVersion"
                )
        limit = int(limit_text) if limit_text.isdigit() and int(limit_text) > 0 else len(collection.items)
        items = collection.items[start : start + limit]
        metadata: dict[str, Any] = {"resourceVersion": str(self._resource_version)}
        remaining = len(collection.items) - start - len(items)
        if remaining > 0:
            metadata["continue"] = _encode_continue(
                self._resource_version, collection.keys[start + len(items) - 1]
            )
            metadata["remainingItemCount"] = remaining
        body = {
            "kind": f"{collection.kind}List",
            "apiVersion": collection.api_version,
            "metadata": metadata,
            "items": items,
        }
        return 200, "application/json", json.dumps(body).encode()


def _refusal(code: int, plural: str, group: str) -> tuple[int, str, bytes]:
    if code == 403:
        message = (
            f'{plural} is forbidden: User "system:serviceaccount:ipledger:reader" cannot list '
            f'resource "{plural}" in API group "{group}" at the cluster scope'
        )
        return _status(403, "Forbidden", message, details={"group": group, "kind": plural})
    if code == 429:
        return _status(
            429, "TooManyRequests", "storage is (re)initializing", details={"retryAfterSeconds": 1}
        )
    return _status(code, "InternalError", f"Internal error occurred: the fake was told to answer {code}")


def _status(
    code: int,
    reason: str,
    message: str,
    *,
    details: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> tuple[int, str, bytes]:
    body: dict[str, Any] = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": metadata or {},
        "status": "Failure",
    }
    body.update(message=message, reason=reason, code=code)
    if details is not None:
        body["details"] = details
    return code, "application/json", json.dumps(body).encode()


def _encode_continue(resource_version: int, last_key: str) -> str:
    # The shape kube-apiserver uses (storage.continueToken): base64 of {"v", "rv", "start"}.
    token = {"v": _CONTINUE_VERSION, "rv": resource_version, "start": last_key + "\x00"}
    return base64.urlsafe_b64encode(json.dumps(token).encode()).decode().rstrip("=")


def _decode_continue(token: str) -> str:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError) as exc:
        raise ValueError(f"bad continue token {token!r}") from exc
    if not isinstance(decoded, dict) or decoded.get("v") != _CONTINUE_VERSION:
        raise ValueError(f"bad continue token {token!r}")
    return str(decoded["start"]).removesuffix("\x00")


def _handler_for(server: FakeAPIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall

        def _respond(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            status, content_type, body = server.answer(
                self.command, self.path, self.headers.get("Authorization")
            )
            self.send_response(status, HTTPStatus(status).phrase)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _respond

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def iter_fixture_objects(path: Path) -> Iterator[dict[str, Any]]:
    """The objects of one fixture file: each document, the items of a List, or a bare sequence."""
    with path.open(encoding="utf-8") as stream:
        for document in yaml.load_all(stream, Loader=_YAML_LOADER):
            if document is None:
                continue
            if isinstance(document, list):
                yield from document
            elif document.get("kind") == "List":
                yield from document.get("items") or []
            else:
                yield document


def write_kubeconfig(
    path: Path, *, server: str, token: str, context: str = "fake", insecure_skip_tls_verify: bool = False
) -> Path:
    """A kubeconfig with one cluster, one token user and one context (the current one)."""
    cluster: dict[str, Any] = {"server": server}
    if insecure_skip_tls_verify:
        cluster["insecure-skip-tls-verify"] = True
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake-cluster", "cluster": cluster}],
        "users": [{"name": "reader", "user": {"token": token}}],
        "contexts": [{"name": context, "context": {"cluster": "fake-cluster", "user": "reader"}}],
        "current-context": context,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path
