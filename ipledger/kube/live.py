"""Reading a live cluster through its API server, read-only, into a `Snapshot`.

`read_cluster` connects with one context of a kubeconfig (nothing global is set and the file is
never written back), lists every resource of `RESOURCES` in pages of ``page_size`` objects,
following ``metadata.continue`` to the end, and hands the raw objects of each page (what
``kubectl get -o json`` shows: List responses leave ``apiVersion`` and ``kind`` off their items,
so they are put back) to the parser of object dumps, `dump.snapshot_from_objects`. Pages are
parsed as they arrive, so the JSON of 150,000 pods is never held at once. The optional kinds (the
CNIs' custom resources, ServiceCIDR and IPAddress) are looked for under each of their apiVersions
in turn; a 404 under all of them means the CRD or API is not installed, and the kind is left out.
A kind the server serves is recorded as listed (`Snapshot.listed`) even when it holds nothing, so
that the rules know its absence is real.
Every other failure is a `LiveError` that names the request and the answer. Only the verb list
is used, and `CLUSTER_ROLE` grants exactly that.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any, cast

import urllib3
import yaml
from kubernetes import client as kube_client
from kubernetes import config as kube_config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from ipledger.core.errors import InvalidInputError, LedgerError
from ipledger.core.observations import Snapshot
from ipledger.kube.dump import snapshot_field, snapshot_from_objects

__all__ = ["CLUSTER_ROLE", "RESOURCES", "LiveError", "Resource", "Source", "read_cluster"]

CLUSTER_ROLE = """\
# What `ipledger` needs to read a cluster, and nothing more: it lists these resources (as
# `kubectl get -o json` does) and never gets single objects, watches or writes. Rules for CNIs
# that are not installed do no harm. Bind it to the reader's user or ServiceAccount with a
# ClusterRoleBinding.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ipledger-reader
rules:
  - apiGroups: [""]
    resources: [nodes, pods, services]
    verbs: [list]
  - apiGroups: [networking.k8s.io]
    resources: [servicecidrs, ipaddresses]
    verbs: [list]
  - apiGroups: [crd.projectcalico.org, projectcalico.org]
    resources: [ippools, ipamblocks, blockaffinities, ipamhandles, clusterinformations]
    verbs: [list]
  - apiGroups: [cilium.io]
    resources: [ciliumnodes, ciliumpodippools]
    verbs: [list]
  - apiGroups: [whereabouts.cni.cncf.io]
    resources: [ippools, overlappingrangeipreservations, nodeslicepools]
    verbs: [list]
  - apiGroups: [metallb.io]
    resources: [ipaddresspools]
    verbs: [list]
"""


class LiveError(LedgerError):
    """The cluster could not be read.

    The message names the request (``GET <server><path>``) and the answer (HTTP status, reason
    and the API server's message), or the kubeconfig and what is wrong with it. ``endpoint`` is
    the API path (None for a kubeconfig problem) and ``status`` the HTTP status (None when no
    answer came). ``retryable`` is set where trying again later may succeed: no answer, 429, 5xx
    and continue tokens that keep expiring.
    """

    def __init__(
        self, message: str, *, endpoint: str | None = None, status: int | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message)
        self.endpoint = endpoint
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True, slots=True)
class Source:
    """What to read: a kubeconfig file and one of its contexts (None: its current context)."""

    kubeconfig: Path
    context: str | None = None


@dataclass(frozen=True, slots=True)
class Resource:
    """One kind of object the reader lists, under the apiVersions tried in order (the first the
    server serves is read). A required resource that is not served is an error."""

    plural: str
    kind: str
    api_versions: tuple[str, ...]
    required: bool = False

    def path(self, api_version: str) -> str:
        if "/" in api_version:
            return f"/apis/{api_version}/{self.plural}"
        return f"/api/{api_version}/{self.plural}"


_SERVICE_CIDRS = ("networking.k8s.io/v1", "networking.k8s.io/v1beta1")  # GA in 1.33, beta 1.31-1.32
_CALICO = ("crd.projectcalico.org/v1", "projectcalico.org/v3")  # CRDs; else Calico's v3 API
_WHEREABOUTS = ("whereabouts.cni.cncf.io/v1alpha1",)
RESOURCES: tuple[Resource, ...] = (
    Resource("nodes", "Node", ("v1",), required=True),
    Resource("pods", "Pod", ("v1",), required=True),
    Resource("services", "Service", ("v1",), required=True),
    Resource("servicecidrs", "ServiceCIDR", _SERVICE_CIDRS),
    Resource("ipaddresses", "IPAddress", _SERVICE_CIDRS),
    Resource("ippools", "IPPool", _CALICO),
    Resource("ipamblocks", "IPAMBlock", _CALICO),
    Resource("blockaffinities", "BlockAffinity", _CALICO),
    Resource("ipamhandles", "IPAMHandle", _CALICO),
    Resource("clusterinformations", "ClusterInformation", _CALICO),
    Resource("ciliumnodes", "CiliumNode", ("cilium.io/v2",)),
    Resource("ciliumpodippools", "CiliumPodIPPool", ("cilium.io/v2alpha1", "cilium.io/v2")),
    Resource("ippools", "IPPool", _WHEREABOUTS),
    Resource("overlappingrangeipreservations", "OverlappingRangeIPReservation", _WHEREABOUTS),
    Resource("nodeslicepools", "NodeSlicePool", _WHEREABOUTS),
    Resource("ipaddresspools", "IPAddressPool", ("metallb.io/v1beta1",)),
)
_CORE_LISTS = {
    "nodes": "list_node",
    "pods": "list_pod_for_all_namespaces",
    "services": "list_service_for_all_namespaces",
}


def read_cluster(
    source: Source, *, taken_at: datetime, page_size: int = 500, timeout_s: float = 30.0
) -> Snapshot:
    """Everything of `RESOURCES` that the cluster of ``source`` holds, as one `Snapshot`.

    Each list is read in pages of at most ``page_size`` objects; each request may take at most
    ``timeout_s`` seconds and is tried once. A continue token that expires (410) restarts its list
    once, from the start, so that the list stays consistent.

    Raises:
        LiveError: the kubeconfig cannot be used, or a request failed (no answer, TLS, 401, 403,
            404 of nodes, pods or services, a continue token expired twice, anything but JSON).
        DumpError: an object the server returned cannot be read (names the API path, object and
            field).
        InvalidInputError: ``page_size`` below 1 or ``timeout_s`` not above 0.
    """
    if page_size < 1:
        raise InvalidInputError(f"page size {page_size}: must be at least 1", field="page_size")
    if not timeout_s > 0:
        raise InvalidInputError(f"timeout {timeout_s} s: must be more than 0", field="timeout_s")
    with _connect(source) as api_client:
        lister = _Lister(
            core=kube_client.CoreV1Api(api_client),
            custom=kube_client.CustomObjectsApi(api_client),
            server=str(api_client.configuration.host).rstrip("/"),
            page_size=page_size,
            timeout_s=timeout_s,
        )
        parts: list[Snapshot] = []
        listed: set[str] = set()
        for resource in RESOURCES:
            found = _read_resource(lister, resource, taken_at)
            if found is not None:
                api_version, pages = found
                listed.add(_field_of(api_version, resource.kind))
                parts.extend(pages)
    values: dict[str, Any] = {
        field.name: tuple(chain.from_iterable(getattr(part, field.name) for part in parts))
        for field in fields(Snapshot)
        if field.name not in ("taken_at", "listed")
    }
    return Snapshot(taken_at=taken_at, listed=frozenset(listed), **values)


def _field_of(api_version: str, kind: str) -> str:
    field = snapshot_field(api_version, kind)
    assert field is not None, f"{kind} of {api_version} is listed but not read"  # RESOURCES lists read kinds
    return field


def _connect(source: Source) -> kube_client.ApiClient:
    """An ApiClient for the source's context, configured on its own (no global default)."""
    where = f"kubeconfig {source.kubeconfig}"
    if source.context is not None:
        where += f", context {source.context!r}"
    if not source.kubeconfig.is_file():
        raise LiveError(f"{where}: {'not a file' if source.kubeconfig.exists() else 'no such file'}")
    configuration = kube_client.Configuration()
    # One try per request, bounded by timeout_s; trying again is the caller's decision (retryable).
    configuration.retries = 0
    try:
        api_client: kube_client.ApiClient = kube_config.new_client_from_config(  # type: ignore[no-untyped-call]
            config_file=str(source.kubeconfig),
            context=source.context,
            persist_config=False,
            client_configuration=configuration,
        )
    except (ConfigException, yaml.YAMLError, OSError) as exc:
        raise LiveError(f"{where}: {_one_line(exc)}") from exc
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        # The client's loader trips this way over YAML that is not shaped like a kubeconfig.
        raise LiveError(f"{where}: not a kubeconfig ({type(exc).__name__}: {_one_line(exc)})") from exc
    return api_client


def _read_resource(
    lister: _Lister, resource: Resource, taken_at: datetime
) -> tuple[str, list[Snapshot]] | None:
    """The apiVersion the server serves the resource under and its pages, parsed; None when it
    serves it under none (an optional resource that is not installed)."""
    for api_version in resource.api_versions:
        parts = _read_pages(lister, resource, api_version, taken_at)
        if parts is not None:
            return api_version, parts
    if resource.required:
        path = resource.path(resource.api_versions[-1])
        message = f"GET {lister.server}{path}: 404 Not Found: the API server does not serve {resource.plural}"
        raise LiveError(message, endpoint=path, status=404)
    return None  # not installed: a missing CRD is no object, so nothing is recorded


def _read_pages(
    lister: _Lister, resource: Resource, api_version: str, taken_at: datetime, *, may_restart: bool = True
) -> list[Snapshot] | None:
    """The pages of one list, parsed; None when the server does not serve it (404)."""
    path = resource.path(api_version)
    parts: list[Snapshot] = []
    token: str | None = None
    while True:
        try:
            body = lister.page(resource, api_version, token)
        except LiveError as exc:
            if exc.status != 410 or token is None:
                raise
            if not may_restart:
                message = f"{exc}; the list was restarted once and its continue token expired again"
                raise LiveError(message, endpoint=path, status=410, retryable=True) from exc
            # The server no longer holds the snapshot the pages came from (etcd compacts every
            # 5 minutes by default). Its fresh token would mix two moments, so start over once.
            return _read_pages(lister, resource, api_version, taken_at, may_restart=False)
        if body is None:
            return None
        parts.append(_parse_page(body, resource, api_version, taken_at, request=f"GET {lister.server}{path}"))
        following = _continue_token(body)
        if following is None:
            return parts
        if following == token:
            raise LiveError(
                f"GET {lister.server}{path}: the server repeated continue token {token!r}", endpoint=path
            )
        token = following


def _parse_page(
    body: dict[str, Any], resource: Resource, api_version: str, taken_at: datetime, *, request: str
) -> Snapshot:
    path = resource.path(api_version)
    objects: list[tuple[str, dict[str, Any]]] = []
    for index, item in enumerate(body["items"]):
        if not isinstance(item, dict):
            raise LiveError(f"{request}: items[{index}] is not an object", endpoint=path, status=200)
        objects.append((path, {"apiVersion": api_version, "kind": resource.kind, **item}))
    return snapshot_from_objects(objects, taken_at=taken_at)


def _continue_token(body: dict[str, Any]) -> str | None:
    metadata = body.get("metadata")
    token = metadata.get("continue") if isinstance(metadata, dict) else None
    return token if isinstance(token, str) and token else None


@dataclass(frozen=True, slots=True)
class _Lister:
    """Requests pages of lists and turns every failure into a `LiveError`."""

    core: kube_client.CoreV1Api
    custom: kube_client.CustomObjectsApi
    server: str
    page_size: int
    timeout_s: float

    def page(self, resource: Resource, api_version: str, token: str | None) -> dict[str, Any] | None:
        """One page, decoded; None when the server does not serve the resource (404)."""
        path = resource.path(api_version)
        request = f"GET {self.server}{path}"
        try:
            response = self._request(resource, api_version, token)
            try:
                data = response.data
            finally:
                response.release_conn()
        except ApiException as exc:
            if exc.status == 404:
                return None
            raise _answer_error(exc, resource, api_version, request=request) from exc
        except urllib3.exceptions.HTTPError as exc:
            message = f"{request}: no answer: {_transport_reason(exc, self.timeout_s)}"
            raise LiveError(message, endpoint=path, retryable=True) from exc
        except ConfigException as exc:  # credentials are refreshed per request (exec plugins, OIDC)
            raise LiveError(f"{request}: no credentials: {_one_line(exc)}", endpoint=path) from exc
        return _decode_list(data, request=request, endpoint=path)

    def _request(self, resource: Resource, api_version: str, token: str | None) -> urllib3.BaseHTTPResponse:
        options: dict[str, Any] = {
            "limit": self.page_size,
            "_continue": token,
            "_preload_content": False,  # the raw JSON, as kubectl shows it, not the client's models
            "_request_timeout": self.timeout_s,
        }
        # Without preloading, the client hands back the urllib3 response whatever its annotation says.
        if "/" not in api_version:
            response = getattr(self.core, _CORE_LISTS[resource.plural])(**options)
        else:
            group, version = api_version.split("/")
            response = self.custom.list_cluster_custom_object(group, version, resource.plural, **options)
        return cast(urllib3.BaseHTTPResponse, response)


def _decode_list(data: bytes, *, request: str, endpoint: str) -> dict[str, Any]:
    try:
        body = json.loads(data)
    except ValueError as exc:
        raise LiveError(f"{request}: the answer is not JSON ({exc})", endpoint=endpoint, status=200) from exc
    if not isinstance(body, dict) or not isinstance(body.get("items"), list):
        raise LiveError(f"{request}: the answer is not a Kubernetes List", endpoint=endpoint, status=200)
    return body


def _answer_error(exc: ApiException, resource: Resource, api_version: str, *, request: str) -> LiveError:
    status = int(exc.status or 0)
    path = resource.path(api_version)
    if status == 0:  # the client reports a TLS failure without retries this way
        return LiveError(f"{request}: no answer: {_one_line(exc.reason)}", endpoint=path, retryable=True)
    reason, message = _status_of(exc)
    text = f"{request}: {status} {reason}" + (f": {message}" if message else "")
    if status == 401:
        text += "; the API server does not accept the credentials of the kubeconfig's user"
    elif status == 403:
        group = api_version.rpartition("/")[0]
        text += f'; the verb list on {resource.plural} in API group "{group}" is missing (see CLUSTER_ROLE)'
    return LiveError(text, endpoint=path, status=status, retryable=status == 429 or status >= 500)


def _status_of(exc: ApiException) -> tuple[str, str]:
    """The reason and message of the API server's Status answer, else the HTTP reason and body."""
    reason = str(exc.reason or "")
    body = exc.body.decode("utf-8", "replace") if isinstance(exc.body, bytes) else str(exc.body or "")
    try:
        status = json.loads(body)
    except ValueError:
        return reason, _one_line(body)[:300]
    if not isinstance(status, dict):
        return reason, _one_line(body)[:300]
    detail = str(status.get("reason") or "")
    return (f"{reason} ({detail})" if detail and detail != reason else reason), _one_line(
        status.get("message") or ""
    )


def _transport_reason(exc: urllib3.exceptions.HTTPError, timeout_s: float) -> str:
    cause: BaseException = exc
    if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
        cause = exc.reason
    if isinstance(cause, urllib3.exceptions.SSLError):
        return f"TLS failed ({_one_line(cause)}); check the server URL and certificate authority in the kubeconfig"
    if isinstance(cause, urllib3.exceptions.NewConnectionError):
        os_error = cause.__cause__
        detail = os_error.strerror if isinstance(os_error, OSError) and os_error.strerror else None
        return f"cannot connect: {detail or _one_line(cause)}"
    if isinstance(cause, urllib3.exceptions.TimeoutError):
        return f"no answer within {timeout_s:g} s"
    return _one_line(cause)


def _one_line(value: object) -> str:
    return " ".join(str(value).split())
