"""The live reader against a fake API server on 127.0.0.1 that serves the fixtures at their real
paths: a full read, pagination, optional kinds, refusals, unreachable servers and kubeconfigs.

The objects come from ``../shared/fixtures/k8s/`` (read in place) and, for pagination, from
generated pods and nodes. No traffic leaves 127.0.0.1: proxies from the environment are removed.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from collections import Counter
from collections.abc import Iterator
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipledger.core.errors import InvalidInputError
from ipledger.core.observations import Snapshot
from ipledger.kube.dump import DumpError, snapshot_from_objects
from ipledger.kube.live import CLUSTER_ROLE, RESOURCES, LiveError, Source, read_cluster
from tests.kube.fake_apiserver import KINDS, FakeAPIServer, iter_fixture_objects, write_kubeconfig
from tests.kube.k8s_fixtures import FIXTURES as SHARED_FIXTURES

FIXTURES = SHARED_FIXTURES
TAKEN_AT = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)

# One consistent cluster: no two files hold different objects under one name.
CLUSTER_FILES = (
    "List-Node-CiliumNode-dualstack-kind.yaml",
    "List-Pod-podIPs-kind.yaml",
    "List-Service-Endpoints-EndpointSlice-dualstack-kind.yaml",
    "Service-LoadBalancer-ipv6-legacy-ipFamily.yaml",
    "ServiceCIDR-networking-k8s-io-v1-terminating.yaml",
    "calico-IPPool-crd-v1-namespace-pool.yaml",
    "calico-IPAMBlock-list-crd-v1-after-allocation.yaml",
    "calico-BlockAffinity-list-crd-v1.yaml",
    "calico-BlockAffinity-crd-v1.yaml",
    "calico-IPAMHandle-crd-v1.yaml",
    "cilium-CiliumNode-crd-mode-docs.yaml",
    "cilium-CiliumPodIPPool-docs-default-and-mars.yaml",
    "cilium-CiliumPodIPPool-docs-green-pool.yaml",
    "cilium-CiliumPodIPPool-issue39874.yaml",
    "whereabouts-IPPool-list-healthy.yaml",
    "whereabouts-IPPool-list-dualstack.yaml",
    "whereabouts-IPPool-bogus-offset-issue403.yaml",
    "whereabouts-OverlappingRangeIPReservation-list.yaml",
    "metallb-IPAddressPool-simple.yaml",
    "metallb-IPAddressPool-with-selector.yaml",
)
# The Snapshot field that each served path fills, one value per object.
FIELD_OF_PATH = {
    "/api/v1/nodes": "nodes",
    "/api/v1/pods": "pods",
    "/api/v1/services": "services",
    "/apis/networking.k8s.io/v1/servicecidrs": "service_cidrs",
    "/apis/networking.k8s.io/v1/ipaddresses": "service_ip_addresses",
    "/apis/crd.projectcalico.org/v1/ippools": "calico_pools",
    "/apis/crd.projectcalico.org/v1/ipamblocks": "calico_blocks",
    "/apis/crd.projectcalico.org/v1/blockaffinities": "calico_affinities",
    "/apis/crd.projectcalico.org/v1/ipamhandles": "calico_handles",
    "/apis/cilium.io/v2/ciliumnodes": "cilium_nodes",
    "/apis/cilium.io/v2alpha1/ciliumpodippools": "cilium_pools",
    "/apis/whereabouts.cni.cncf.io/v1alpha1/ippools": "whereabouts_pools",
    "/apis/whereabouts.cni.cncf.io/v1alpha1/overlappingrangeipreservations": "whereabouts_reservations",
    "/apis/metallb.io/v1beta1/ipaddresspools": "metallb_pools",
}
OPTIONAL_PATHS = [
    resource.path(api_version)
    for resource in RESOURCES
    if not resource.required
    for api_version in resource.api_versions
]


# -- setup ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The client takes proxies from the environment; the fake server is only on 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as fake:
        yield fake


@pytest.fixture
def kubeconfig(server: FakeAPIServer, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token=server.token)


def _fixture_objects(*names: str) -> list[dict[str, Any]]:
    if not FIXTURES.is_dir():
        reason = f"the Kubernetes fixtures are missing: {FIXTURES}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    objects = [obj for name in names for obj in iter_fixture_objects(FIXTURES / name)]
    return [obj for obj in objects if (obj["apiVersion"], obj["kind"]) in KINDS]


def _ip_addresses(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The IPAddress objects the API server keeps for the services' ClusterIPs (KEP-1880 shape)."""
    objects = []
    for service in services:
        spec, metadata = service["spec"], service["metadata"]
        for text in spec.get("clusterIPs") or [spec.get("clusterIP")]:
            if text in (None, "", "None"):
                continue
            address = ipaddress.ip_address(text)
            labels = {
                "ipaddress.kubernetes.io/ip-family": f"IPv{address.version}",
                "ipaddress.kubernetes.io/managed-by": "ipallocator.k8s.io",
            }
            parent = {
                "group": "",
                "resource": "services",
                "namespace": metadata["namespace"],
                "name": metadata["name"],
            }
            objects.append(
                {
                    "apiVersion": "networking.k8s.io/v1",
                    "kind": "IPAddress",
                    "metadata": {"name": str(address), "labels": labels},
                    "spec": {"parentRef": parent},
                }
            )
    return objects


def _pod(index: int) -> dict[str, Any]:
    ip = str(ipaddress.ip_address("10.244.0.0") + index)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": f"web-{index:05d}", "namespace": f"team-{index % 7}", "uid": f"uid-{index}"},
        "spec": {"nodeName": f"node-{index % 3}"},
        "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]},
    }


def _node(index: int) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": f"node-{index:04d}"},
        "spec": {"podCIDR": f"10.{index // 256}.{index % 256}.0/24"},
    }


def _serve_cluster(server: FakeAPIServer) -> None:
    objects = _fixture_objects(*CLUSTER_FILES)
    server.serve_objects(objects)
    server.serve_objects(_ip_addresses(server.served("/api/v1/services")))
    server.serve_empty("whereabouts.cni.cncf.io/v1alpha1", "NodeSlicePool")


def _serve_core(server: FakeAPIServer, *, pods: int = 0, nodes: int = 0) -> None:
    server.serve_objects([_pod(index) for index in range(pods)] + [_node(index) for index in range(nodes)])
    for kind in ("Node", "Pod", "Service"):
        server.serve_empty("v1", kind)


def _read(kubeconfig: Path, **options: Any) -> Snapshot:
    return read_cluster(Source(kubeconfig), taken_at=TAKEN_AT, **options)


def _error(kubeconfig: Path, **options: Any) -> LiveError:
    with pytest.raises(LiveError) as caught:
        _read(kubeconfig, **options)
    return caught.value


def _requests_to(server: FakeAPIServer, path: str) -> list[dict[str, str]]:
    return [request.query for request in server.requests if request.path == path]


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- full read --------------------------------------------------------------------------------


def test_read_cluster_reads_what_the_dump_parser_makes_of_the_served_objects(
    server: FakeAPIServer, kubeconfig: Path
) -> None:
    _serve_cluster(server)
    snapshot = _read(kubeconfig)
    expected = snapshot_from_objects(
        ((path, obj) for path in server.paths for obj in server.served(path)), taken_at=TAKEN_AT
    )
    for field in fields(Snapshot):
        if field.name not in ("skipped", "listed"):
            assert getattr(snapshot, field.name) == getattr(expected, field.name), field.name
    assert Counter(snapshot.skipped) == Counter(expected.skipped)
    # The dump parser lists the kinds it holds objects of; the server also served NodeSlicePools, empty.
    assert snapshot.listed == expected.listed | {"node_slice_pools"}


def test_read_cluster_turns_every_served_object_into_one_value(
    server: FakeAPIServer, kubeconfig: Path
) -> None:
    _serve_cluster(server)
    snapshot = _read(kubeconfig)
    counts = {FIELD_OF_PATH[path]: len(server.served(path)) for path in server.paths if path in FIELD_OF_PATH}
    assert {name: len(getattr(snapshot, name)) for name in counts} == counts
    assert min(counts.values()) >= 1
    assert {node.name for node in snapshot.nodes} == {
        "dual-stack-control-plane",
        "dual-stack-worker",
        "dual-stack-worker2",
    }
    assert [pod.ref for pod in snapshot.pods] == ["test/hostport-1"]


def test_read_cluster_lists_only_with_get_and_the_kubeconfig_token(
    server: FakeAPIServer, kubeconfig: Path
) -> None:
    _serve_cluster(server)
    _read(kubeconfig)
    assert {(request.method, request.authorization) for request in server.requests} == {
        ("GET", f"Bearer {server.token}")
    }
    assert all(request.query.get("limit") == "500" for request in server.requests)


# -- pagination -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pods", "page_size", "requests"),
    [
        pytest.param(0, 100, 1, id="empty-list"),
        pytest.param(100, 100, 1, id="exactly-one-page"),
        pytest.param(101, 100, 2, id="one-over"),
        pytest.param(1234, 100, 13, id="1234-pods-by-100"),
        pytest.param(5, 1, 5, id="page-of-one"),
    ],
)
def test_read_cluster_follows_continue_tokens_page_by_page(
    server: FakeAPIServer, kubeconfig: Path, pods: int, page_size: int, requests: int
) -> None:
    _serve_core(server, pods=pods)
    snapshot = _read(kubeconfig, page_size=page_size)
    queries = _requests_to(server, "/api/v1/pods")
    assert len(queries) == requests
    assert all(query["limit"] == str(page_size) for query in queries)
    assert ["continue" in query for query in queries] == [False] + [True] * (requests - 1)
    assert sorted(pod.ref for pod in snapshot.pods) == sorted(
        f"team-{i % 7}/web-{i:05d}" for i in range(pods)
    )


def test_read_cluster_pages_every_list(server: FakeAPIServer, kubeconfig: Path) -> None:
    _serve_core(server, pods=30, nodes=250)
    snapshot = _read(kubeconfig, page_size=100)
    assert len(_requests_to(server, "/api/v1/nodes")) == 3
    assert [node.name for node in snapshot.nodes] == [f"node-{i:04d}" for i in range(250)]


def test_read_cluster_restarts_a_list_once_when_its_continue_token_expires(
    server: FakeAPIServer, kubeconfig: Path
) -> None:
    _serve_core(server, pods=250)
    server.expire_continue_tokens("/api/v1/pods", times=1)
    snapshot = _read(kubeconfig, page_size=100)
    queries = _requests_to(server, "/api/v1/pods")
    # page 1, 410 for page 2; then the whole list again: pages 1, 2 and 3.
    assert ["continue" in query for query in queries] == [False, True, False, True, True]
    assert Counter(pod.ref for pod in snapshot.pods) == Counter(
        f"team-{i % 7}/web-{i:05d}" for i in range(250)
    )


def test_read_cluster_gives_up_when_a_continue_token_expires_twice(
    server: FakeAPIServer, kubeconfig: Path
) -> None:
    _serve_core(server, pods=250)
    server.expire_continue_tokens("/api/v1/pods", times=2)
    error = _error(kubeconfig, page_size=100)
    assert (error.endpoint, error.status, error.retryable) == ("/api/v1/pods", 410, True)
    assert f"GET {server.url}/api/v1/pods: 410 Gone (Expired): The provided continue parameter" in str(error)
    assert str(error).endswith("; the list was restarted once and its continue token expired again")


# -- optional kinds ---------------------------------------------------------------------------


def test_read_cluster_skips_kinds_that_are_not_installed(server: FakeAPIServer, kubeconfig: Path) -> None:
    _serve_core(server, pods=2, nodes=1)
    snapshot = _read(kubeconfig)
    assert (len(snapshot.pods), len(snapshot.nodes), snapshot.skipped) == (2, 1, ())
    assert [request.path for request in server.requests if request.status == 404] == OPTIONAL_PATHS
    assert snapshot.listed == {"nodes", "pods", "services"}


@pytest.mark.parametrize(
    "groups", [("projectcalico.org/v3",), ("crd.projectcalico.org/v1", "projectcalico.org/v3")]
)
def test_read_cluster_reads_calicos_cluster_information(
    server: FakeAPIServer, kubeconfig: Path, groups: tuple[str, ...]
) -> None:
    _serve_core(server)
    for api in groups:
        spec = {"clusterGUID": f"guid-of-{api}", "datastoreReady": True}
        server.serve_objects(
            [{"apiVersion": api, "kind": "ClusterInformation", "metadata": {"name": "default"}, "spec": spec}]
        )

    (info,) = _read(kubeconfig).calico_cluster_information

    # The storage CRDs come first, as for every Calico kind; the resourceVersion is the server's.
    assert (info.name, info.cluster_guid) == ("default", f"guid-of-{groups[0]}")
    assert info.resource_version != ""


def test_read_cluster_lists_kinds_the_server_serves_empty(server: FakeAPIServer, kubeconfig: Path) -> None:
    _serve_core(server)
    server.serve_empty("crd.projectcalico.org/v1", "IPAMHandle")
    server.serve_empty("whereabouts.cni.cncf.io/v1alpha1", "OverlappingRangeIPReservation")

    snapshot = _read(kubeconfig)

    assert (snapshot.calico_handles, snapshot.whereabouts_reservations, snapshot.pods) == ((), (), ())
    assert snapshot.listed == {"nodes", "pods", "services", "calico_handles", "whereabouts_reservations"}
    assert snapshot.is_listed("calico_handles") and not snapshot.is_listed("calico_blocks")


@pytest.mark.parametrize(
    ("files", "served_as", "field", "names", "read", "not_requested"),
    [
        pytest.param(
            ("calico-IPPool-v3-dump.yaml",),
            None,
            "calico_pools",
            ["default-ipv4-ippool"],
            "/apis/projectcalico.org/v3/ippools",
            (),
            id="calico-v3-without-v1-crds",
        ),
        pytest.param(
            ("calico-IPPool-v3-dump.yaml", "calico-IPPool-crd-v1-namespace-pool.yaml"),
            None,
            "calico_pools",
            ["ns1-ippool"],
            "/apis/crd.projectcalico.org/v1/ippools",
            ("/apis/projectcalico.org/v3/ippools",),
            id="calico-v1-crds-before-v3",
        ),
        pytest.param(
            ("ServiceCIDR-networking-k8s-io-v1-terminating.yaml",),
            "networking.k8s.io/v1beta1",  # the same object as a 1.31 or 1.32 cluster serves it
            "service_cidrs",
            ["newcidr1"],
            "/apis/networking.k8s.io/v1beta1/servicecidrs",
            (),
            id="servicecidr-v1beta1-before-1.33",
        ),
    ],
)
def test_read_cluster_reads_the_first_version_the_server_serves(
    server: FakeAPIServer,
    kubeconfig: Path,
    files: tuple[str, ...],
    served_as: str | None,
    field: str,
    names: list[str],
    read: str,
    not_requested: tuple[str, ...],
) -> None:
    objects = _fixture_objects(*files)
    if served_as is not None:
        objects = [{**obj, "apiVersion": served_as} for obj in objects]
    _serve_core(server)
    server.serve_objects(objects)
    snapshot = _read(kubeconfig)
    assert [value.name for value in getattr(snapshot, field)] == names
    assert [request.status for request in server.requests if request.path == read] == [200]
    assert not {request.path for request in server.requests} & set(not_requested)


@pytest.mark.parametrize(("plural", "kind"), [("nodes", "Node"), ("pods", "Pod"), ("services", "Service")])
def test_read_cluster_requires_nodes_pods_and_services(
    server: FakeAPIServer, kubeconfig: Path, plural: str, kind: str
) -> None:
    for other in {"Node", "Pod", "Service"} - {kind}:
        server.serve_empty("v1", other)
    error = _error(kubeconfig)
    assert (error.endpoint, error.status) == (f"/api/v1/{plural}", 404)
    assert (
        str(error)
        == f"GET {server.url}/api/v1/{plural}: 404 Not Found: the API server does not serve {plural}"
    )


# -- refusals and failures --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "expected", "retryable"),
    [
        pytest.param(
            "/api/v1/pods",
            403,
            '403 Forbidden: pods is forbidden: User "system:serviceaccount:ipledger:reader" cannot list resource '
            '"pods" in API group "" at the cluster scope; the verb list on pods in API group "" is missing',
            False,
            id="403-core",
        ),
        pytest.param(
            "/apis/crd.projectcalico.org/v1/ipamblocks",
            403,
            'the verb list on ipamblocks in API group "crd.projectcalico.org" is missing (see CLUSTER_ROLE)',
            False,
            id="403-crd",
        ),
        pytest.param(
            "/api/v1/nodes", 500, "500 Internal Server Error (InternalError): Internal error", True, id="500"
        ),
        pytest.param("/api/v1/services", 429, "429 Too Many Requests (TooManyRequests)", True, id="429"),
    ],
)
def test_read_cluster_names_the_refused_resource_and_status(
    server: FakeAPIServer, kubeconfig: Path, path: str, status: int, expected: str, retryable: bool
) -> None:
    _serve_cluster(server)
    server.refuse(path, status=status)
    error = _error(kubeconfig)
    assert (error.endpoint, error.status, error.retryable) == (path, status, retryable)
    assert str(error).startswith(f"GET {server.url}{path}: {status} ")
    assert expected in str(error)


def test_read_cluster_names_rejected_credentials(server: FakeAPIServer, tmp_path: Path) -> None:
    _serve_core(server)
    config = write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token="stale-token")
    error = _error(config)
    assert (error.endpoint, error.status) == ("/api/v1/nodes", 401)
    assert str(error) == (
        f"GET {server.url}/api/v1/nodes: 401 Unauthorized: Unauthorized; "
        "the API server does not accept the credentials of the kubeconfig's user"
    )


def test_read_cluster_names_the_endpoint_it_cannot_reach(tmp_path: Path) -> None:
    port = _unused_port()
    config = write_kubeconfig(tmp_path / "kubeconfig", server=f"http://127.0.0.1:{port}", token="t")
    error = _error(config)
    assert (
        str(error)
        == f"GET http://127.0.0.1:{port}/api/v1/nodes: no answer: cannot connect: Connection refused"
    )
    assert (error.endpoint, error.status, error.retryable) == ("/api/v1/nodes", None, True)


def test_read_cluster_names_a_tls_failure(server: FakeAPIServer, tmp_path: Path) -> None:
    https = server.url.replace("http://", "https://")
    config = write_kubeconfig(
        tmp_path / "kubeconfig", server=https, token=server.token, insecure_skip_tls_verify=True
    )
    error = _error(config)
    assert str(error).startswith(f"GET {https}/api/v1/nodes: no answer: TLS failed (")
    assert error.endpoint == "/api/v1/nodes"


def test_read_cluster_stops_waiting_after_the_timeout(tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections (the backlog does) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        error = _error(write_kubeconfig(tmp_path / "kubeconfig", server=url, token="t"), timeout_s=0.2)
    assert str(error) == f"GET {url}/api/v1/nodes: no answer: no answer within 0.2 s"


def test_read_cluster_names_the_api_path_of_a_malformed_object(
    server: FakeAPIServer, kubeconfig: Path
) -> None:
    _serve_core(server, pods=3)
    broken = _pod(3)
    broken["status"]["podIPs"] = [{"ip": "10.244.0.300"}]
    server.serve_objects([broken])
    with pytest.raises(DumpError) as caught:
        _read(kubeconfig)
    assert str(caught.value).startswith("/api/v1/pods (Pod team-3/web-00003): status.podIPs[0].ip: ")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            b"<html>Sign in</html>", "the answer is not JSON (Expecting value: ", id="html-login-page"
        ),
        pytest.param(b'{"kind": "Status"}', "the answer is not a Kubernetes List", id="no-items"),
        pytest.param(b'{"items": [42]}', "items[0] is not an object", id="item-not-an-object"),
        pytest.param(
            b'{"items": [], "metadata": {"continue": "c2FtZQ"}}',
            "the server repeated continue token 'c2FtZQ'",
            id="same-token-again",
        ),
    ],
)
def test_read_cluster_refuses_an_answer_that_is_not_a_list(
    server: FakeAPIServer, kubeconfig: Path, body: bytes, expected: str
) -> None:
    _serve_core(server)
    server.misbehave("/api/v1/services", body=body)
    error = _error(kubeconfig)
    assert str(error).startswith(f"GET {server.url}/api/v1/services: {expected}")
    assert error.endpoint == "/api/v1/services"


# -- kubeconfig -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "context", "expected"),
    [
        pytest.param(None, None, "no such file", id="missing-file"),
        pytest.param("directory", None, "not a file", id="a-directory"),
        pytest.param("valid", "production", "Expected object with name production", id="unknown-context"),
        pytest.param("clusters: [", None, "while parsing a flow", id="not-yaml"),
        pytest.param("", None, "file is empty", id="empty"),
        pytest.param("- a\n- b\n", None, "not a kubeconfig (TypeError: ", id="a-list"),
        pytest.param("apiVersion: v1\nkind: Config\n", None, "Expected key current-context", id="no-context"),
    ],
)
def test_read_cluster_names_the_kubeconfig_problem(
    server: FakeAPIServer, tmp_path: Path, text: str | None, context: str | None, expected: str
) -> None:
    path = tmp_path / "kubeconfig"
    if text == "valid":
        write_kubeconfig(path, server=server.url, token=server.token)
    elif text == "directory":
        path.mkdir()
    elif text is not None:
        path.write_text(text)
    with pytest.raises(LiveError) as caught:
        read_cluster(Source(path, context), taken_at=TAKEN_AT)
    where = f"kubeconfig {path}" + (f", context {context!r}" if context else "")
    assert str(caught.value).startswith(f"{where}: ")
    assert expected in str(caught.value)
    assert (caught.value.endpoint, caught.value.status, server.requests) == (None, None, [])


def test_read_cluster_uses_the_named_context(server: FakeAPIServer, tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "kubeconfig", server="http://127.0.0.1:9", token="t", context="other")
    config = yaml.safe_load(path.read_text())
    config["clusters"].append({"name": "fake", "cluster": {"server": server.url}})
    config["users"].append({"name": "fake", "user": {"token": server.token}})
    config["contexts"].append({"name": "fake", "context": {"cluster": "fake", "user": "fake"}})
    path.write_text(yaml.safe_dump(config))
    _serve_core(server, pods=1)
    snapshot = read_cluster(Source(path, "fake"), taken_at=TAKEN_AT)
    assert [pod.ref for pod in snapshot.pods] == ["team-0/web-00000"]


@pytest.mark.parametrize(
    "options",
    [
        {"page_size": 0},
        {"page_size": -5},
        {"timeout_s": 0.0},
        {"timeout_s": -1.0},
        {"timeout_s": float("nan")},
    ],
    ids=["page-0", "page-negative", "timeout-0", "timeout-negative", "timeout-nan"],
)
def test_read_cluster_rejects_unusable_options(
    server: FakeAPIServer, kubeconfig: Path, options: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInputError):
        _read(kubeconfig, **options)
    assert server.requests == []


# -- ClusterRole ------------------------------------------------------------------------------


def _granted() -> dict[tuple[str, str], set[str]]:
    role = yaml.safe_load(CLUSTER_ROLE)
    assert (role["apiVersion"], role["kind"]) == ("rbac.authorization.k8s.io/v1", "ClusterRole")
    return {
        (group, plural): set(rule["verbs"])
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for plural in rule["resources"]
    }


def test_cluster_role_grants_list_on_every_resource_and_version_the_reader_lists() -> None:
    granted = _granted()
    needed = {
        (api_version.rpartition("/")[0], resource.plural)
        for resource in RESOURCES
        for api_version in resource.api_versions
    }
    assert needed == set(granted)
    assert all("list" in granted[key] for key in needed)


def test_cluster_role_grants_only_read_verbs() -> None:
    assert set().union(*_granted().values()) <= {"get", "list"}


def test_cluster_role_covers_every_path_the_reader_requests(server: FakeAPIServer, kubeconfig: Path) -> None:
    _serve_core(server)  # nothing optional: every apiVersion of every optional kind is tried
    _read(kubeconfig)
    granted = _granted()
    requested = {request.path.removeprefix("/api/").removeprefix("/apis/") for request in server.requests}
    for path in requested:
        group_version, _, plural = path.rpartition("/")
        assert "list" in granted[(group_version.rpartition("/")[0], plural)], path
