"""Syncing a cluster from a dump or its API server: observations, findings, usage, whois, history.

Every dump is built by `tests.service.k8s_dumps` into the test's folder in the formats
``kubectl get -o json`` writes; every sync runs at a fixed ``now`` so that grace periods and the
``since`` of holders are deterministic. Each test runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from ipledger.core.addresses import address_from_int
from ipledger.core.errors import InvalidInputError, NotFoundError
from ipledger.kube.dump import DumpError
from ipledger.kube.live import LiveError
from ipledger.service.addresses import list_addresses, update_address
from ipledger.service.cluster_report import BlockPage, BlockUsage, ClusterReport, cluster_report
from ipledger.service.ledger import Ledger
from ipledger.service.reports import Holder, whois
from ipledger.service.spaces import create_space
from ipledger.service.sync import LiveSource, SyncResult, sync_from_dump, sync_live
from ipledger.service.usage_history import UsagePoint
from ipledger.store.models import ObservedAddress, UsageSample
from tests.kube.fake_apiserver import FakeAPIServer, write_kubeconfig
from tests.kube.k8s_fixtures import fixture_path
from tests.service.factories import (
    ACTOR,
    add_address,
    add_cluster,
    add_prefix,
    add_range,
    all_changes,
    ip,
    stored_state,
)
from tests.service.k8s_dumps import (
    CILIUM_STRANDED_IP,
    CLUSTER_GUID,
    CLUSTER_REVISION,
    CREATED,
    HANDLE_REVISION,
    LEAKED_HANDLE,
    LEAKED_IP,
    NOW,
    ORPHAN_SERVICE_IP,
    PENDING_IP,
    PENDING_NET1_IP,
    PROD_TUNNEL_IP,
    SEQUENCE_BASE,
    STRANDED_IP,
    WEB_1_IP,
    WEB_1_NET1_IP,
    Obj,
    calico_cluster_information,
    cilium_objects,
    multi_pool_objects,
    node,
    pending_pod_objects,
    pod,
    prod_objects,
    prod_pods,
    rfc3339,
    service,
    whereabouts_pool,
    whereabouts_reservation,
    write_dump,
)

LATER = NOW + timedelta(hours=1)
Objects = Callable[[], dict[str, list[dict[str, Any]]]]  # a cluster of k8s_dumps, by file
Breakage = Callable[[Path], tuple[Path, str]]  # breaks a dump folder: the broken file and the message
# What the ledger documents for cluster prod (managed_by cluster:prod): every network it uses.
PROD_NETWORKS = (
    ("10.244.0.0/16", "pod"),
    ("192.168.50.0/24", "pod"),  # the Whereabouts range of the pods' second interfaces
    ("10.96.0.0/16", "service"),
    ("192.168.10.0/24", "node"),
    ("203.0.113.0/24", "loadbalancer"),
)
WHEREABOUTS_RELEASE = (
    "kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io 192.168.50.0-24 --type=json -p "
    """'[{"op":"test","path":"/spec/allocations/5/podref","value":"default/db-0"},"""
    """{"op":"remove","path":"/spec/allocations/5"}]' """
    "&& kubectl delete overlappingrangeipreservations.whereabouts.cni.cncf.io -n kube-system 192.168.50.5"
)
# (severity, kind, address, pool, release) of every finding of prod_objects.
PROD_FINDINGS = {
    (
        "warning",
        "whereabouts-pod-gone",
        STRANDED_IP,
        "IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
        WHEREABOUTS_RELEASE,
    ),
    (
        "warning",
        "calico-leaked-ip",
        LEAKED_IP,
        "IPAM block 10-244-1-0-26 (10.244.1.0/26)",
        f"calicoctl ipam release --ip={LEAKED_IP}",
    ),
    (
        "warning",
        "calico-leaked-handle",
        None,
        f"IPAMHandle {LEAKED_HANDLE}",
        f"kubectl delete ipamhandles.crd.projectcalico.org {LEAKED_HANDLE}",
    ),
    (
        "warning",
        "service-ipaddress-orphan",
        ORPHAN_SERVICE_IP,
        "ServiceCIDR kubernetes (10.96.0.0/16)",
        f"kubectl delete ipaddress {ORPHAN_SERVICE_IP}",
    ),
}
PROD_BLOCKS = (
    BlockUsage("calico-block", "10-244-1-0-26", "10.244.1.0/26", "node-a", 64, 4, 3, 1),
    BlockUsage("calico-pool", "default-ipv4-ippool", "10.244.0.0/16", "", 65536, 4, 3, 1),
    BlockUsage("pod-cidr", "node-a", "10.244.1.0/24", "node-a", 256, 2, 2, 1),
    BlockUsage("pod-cidr", "node-b", "10.244.2.0/24", "node-b", 256, 1, 1, 0),
    BlockUsage("service-cidr", "kubernetes", "10.96.0.0/16", "", 65536, 3, 2, 1),
    BlockUsage("whereabouts-pool", "kube-system/192.168.50.0-24", "192.168.50.0/24", "", 256, 2, 1, 1),
)
# (address, kind, holder, node) of everything each cluster holds; the host-network pod holds nothing.
PROD_HOLDERS = {
    ("192.168.10.11", "node", "node-a", "node-a"),
    ("192.168.10.12", "node", "node-b", "node-b"),
    (WEB_1_IP, "pod", "default/web-1", "node-a"),
    (WEB_1_NET1_IP, "pod", "default/web-1", "node-a"),
    ("10.244.1.3", "pod", "default/web-2", "node-a"),
    ("10.244.2.5", "pod", "default/api-0", "node-b"),
    ("10.96.0.1", "service", "default/kubernetes", ""),
    ("10.96.0.20", "service", "default/web", ""),
    ("203.0.113.10", "loadbalancer", "default/web", ""),
    ("10.244.1.0", "tunnel", "node-a", "node-a"),
}
CILIUM_HOLDERS = {
    ("192.168.20.11", "node", "worker-1", "worker-1"),
    ("10.0.1.17", "pod", "default/web-0", "worker-1"),
    ("10.96.0.1", "service", "default/kubernetes", ""),
    ("10.0.1.1", "router", "worker-1", "worker-1"),
    ("10.0.1.2", "health", "worker-1", "worker-1"),
}


# -- helpers -----------------------------------------------------------------------------------


def add_prod(ledger: Ledger, networks: Sequence[tuple[str, str]] = PROD_NETWORKS) -> None:
    add_cluster(ledger, "prod")
    for cidr, role in networks:
        add_prefix(ledger, cidr, role=role, managed_by="cluster:prod")


def sync(ledger: Ledger, folder: Path, *, now: datetime = NOW, **options: Any) -> SyncResult:
    return sync_from_dump(ledger, "prod", folder, actor=ACTOR, now=now, **options)


def dump(tmp_path: Path, files: Mapping[str, Sequence[dict[str, Any]]], name: str = "dump") -> Path:
    return write_dump(tmp_path / name, files)


def observed(ledger: Ledger) -> set[tuple[str, str, str, str, datetime]]:
    """(address, kind, holder, node, since) of every address stored for the cluster's last good sync."""
    with ledger.reading() as session:
        rows = session.scalars(select(ObservedAddress)).all()
        found = [
            (str(address_from_int(row.value, version=row.family)), row.kind, row.holder, row.node, row.since)
            for row in rows
        ]
    assert len(found) == len(set(found)), "an address is stored twice"
    return set(found)


def holders(ledger: Ledger, address: str) -> tuple[Holder, ...]:
    answers = whois(ledger, ip(address))
    return tuple(holder for answer in answers for holder in answer.held_by)


def findings(report: ClusterReport) -> set[tuple[str, str, str | None, str, str]]:
    return {(item.severity, item.kind, item.address, item.pool, item.release) for item in report.findings}


def seen(report: ClusterReport) -> tuple[Any, ...]:
    """What a report says the cluster holds, without the sync records."""
    return report.finding_counts, report.findings, report.total_findings, report.blocks


def everything_observed(ledger: Ledger) -> tuple[Any, ...]:
    """The report, the stored holders and the whois answers of two pod addresses (without the
    time of the sync they come from)."""
    return (
        seen(cluster_report(ledger, "prod")),
        observed(ledger),
        *(
            [
                (item.cluster, item.kind, item.holder, item.node, item.since)
                for item in holders(ledger, address)
            ]
            for address in (WEB_1_IP, WEB_1_NET1_IP)
        ),
    )


def replaced(pods: list[dict[str, Any]], name: str, by: dict[str, Any]) -> list[dict[str, Any]]:
    return [by if item["metadata"]["name"] == name else item for item in pods]


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # The Kubernetes client takes proxies from the environment; the fake server is on 127.0.0.1.
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as fake:
        yield fake


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# -- what one sync records ---------------------------------------------------------------------


def test_sync_from_dump_records_the_sync_as_ok_with_its_counts(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    folder = dump(tmp_path, prod_objects())

    result = sync(ledger, folder)

    report = cluster_report(ledger, "prod")
    assert report.last_sync is not None
    assert report.last_sync == report.last_good_sync
    assert (report.last_sync.id, report.last_sync.status, report.last_sync.error) == (
        result.sync_id,
        "ok",
        "",
    )
    assert (report.last_sync.started_at, report.last_sync.source) == (NOW, f"dump {folder}")
    expected = {
        "nodes": 2,
        "pods": 4,
        "services": 2,
        "calico_blocks": 1,
        "cilium_nodes": 0,
        "cilium_pools": 0,
        "whereabouts_pools": 1,
        "node_slice_pools": 0,
        "metallb_pools": 0,
        "skipped": 0,
    }
    assert report.last_sync.counts == result.counts == expected


def test_sync_from_dump_lists_the_objects_of_kinds_it_does_not_read(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    deployment = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2},
    }
    folder = dump(tmp_path, {**prod_objects(), "apps.json": [deployment]})

    result = sync(ledger, folder)

    assert [(item.source, item.kind, item.name) for item in result.skipped] == [
        (f"{folder / 'apps.json'}, items[0]", "Deployment", "default/web")
    ]
    assert result.counts["skipped"] == 1


def test_sync_from_dump_reports_every_leftover_with_its_release_command(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)

    result = sync(ledger, dump(tmp_path, prod_objects()))

    report = cluster_report(ledger, "prod")
    assert findings(report) == PROD_FINDINGS
    assert all(item.release in item.message for item in report.findings)
    kinds = {kind: 1 for _, kind, *_ in PROD_FINDINGS}
    assert result.findings == kinds
    assert report.finding_counts == {f"warning/{kind}": 1 for kind in kinds}
    assert report.total_findings == 4


def test_cluster_report_of_one_kind_shows_only_those_findings(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects()))

    report = cluster_report(ledger, "prod", kind="calico-leaked-ip")

    assert [(item.kind, item.address) for item in report.findings] == [("calico-leaked-ip", LEAKED_IP)]
    assert report.total_findings == 1


@pytest.mark.parametrize(
    ("page", "shown", "total"),
    [
        pytest.param(BlockPage(), [block.name for block in PROD_BLOCKS], 6, id="all"),
        pytest.param(
            BlockPage(order="fullest", limit=3),
            ["10-244-1-0-26", "node-a", "kube-system/192.168.50.0-24"],  # 4/64, then 2/256 by kind
            6,
            id="fullest",
        ),
        pytest.param(
            BlockPage(order="stranded", offset=4),
            ["kube-system/192.168.50.0-24", "node-b"],  # one stranded each, by kind; then none
            6,
            id="stranded-from-the-fifth",
        ),
        pytest.param(BlockPage(kind="pod-cidr", limit=1, offset=1), ["node-b"], 2, id="kind"),
    ],
)
def test_cluster_report_pages_orders_and_filters_the_blocks(
    ledger: Ledger, tmp_path: Path, page: BlockPage, shown: list[str], total: int
) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects()))

    report = cluster_report(ledger, "prod", blocks=page)

    assert [block.name for block in report.blocks] == shown
    assert report.total_blocks == total
    assert report.block_counts == {
        "calico-block": 1,
        "calico-pool": 1,
        "pod-cidr": 2,
        "service-cidr": 1,
        "whereabouts-pool": 1,
    }


def test_cluster_report_refuses_an_unknown_block_order(ledger: Ledger) -> None:
    add_prod(ledger)

    with pytest.raises(InvalidInputError, match="block order 'size': expected one of name, fullest"):
        cluster_report(ledger, "prod", blocks=BlockPage(order="size"))


def test_cluster_report_lists_the_findings_grouped_by_kind(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects()))

    kinds = [item.kind for item in cluster_report(ledger, "prod").findings]

    assert kinds == sorted(kinds)


def test_sync_from_dump_records_pod_ip_usage_per_block_and_pool(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)

    sync(ledger, dump(tmp_path, prod_objects()))

    assert cluster_report(ledger, "prod").blocks == PROD_BLOCKS


def test_sync_from_dump_names_the_node_of_each_node_block(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)

    sync(ledger, dump(tmp_path, prod_objects()))

    nodes = {(item.kind, item.name): item.node for item in cluster_report(ledger, "prod").blocks}
    assert nodes[("pod-cidr", "node-a")] == "node-a"
    assert nodes[("calico-block", "10-244-1-0-26")] == "node-a"  # spec.affinity host:node-a


@pytest.mark.parametrize(
    ("objects", "expected"),
    [(prod_objects, PROD_HOLDERS), (cilium_objects, CILIUM_HOLDERS)],
    ids=["calico-whereabouts", "cilium"],
)
def test_sync_from_dump_records_every_holder_since_its_own_start(
    ledger: Ledger,
    tmp_path: Path,
    objects: Objects,
    expected: set[tuple[str, str, str, str]],
) -> None:
    add_prod(ledger)

    sync(ledger, dump(tmp_path, objects()))

    # Nodes, pods and services say when they began (CREATED); tunnel, router and health endpoints
    # do not, so they hold their addresses since the first sync that saw them.
    own_start = {"node", "pod", "service", "loadbalancer"}
    assert observed(ledger) == {(*row, CREATED if row[1] in own_start else NOW) for row in expected}


@pytest.mark.parametrize(
    ("status", "since"),
    [
        pytest.param(
            {"startTime": rfc3339(NOW - timedelta(hours=2))}, NOW - timedelta(hours=2), id="startTime"
        ),
        pytest.param({}, CREATED, id="creationTimestamp-without-startTime"),
        pytest.param({"startTime": rfc3339(LATER)}, NOW, id="clock-skew-not-after-the-sync"),
    ],
)
def test_sync_from_dump_pod_holds_its_address_since_it_started(
    ledger: Ledger, tmp_path: Path, status: dict[str, str], since: datetime
) -> None:
    add_prod(ledger)
    started = pod("default", "web-2", node_name="node-a", ips=["10.244.1.3"])
    del started["status"]["startTime"]
    started["status"].update(status)

    sync(ledger, dump(tmp_path, prod_objects(pods=replaced(prod_pods(), "web-2", started))))

    assert [(item.holder, item.since) for item in holders(ledger, "10.244.1.3")] == [("default/web-2", since)]


def test_sync_from_dump_of_cilium_reports_the_address_of_a_gone_pod(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger, [("10.0.0.0/16", "pod")])

    sync(ledger, dump(tmp_path, cilium_objects()))

    found = [item for item in cluster_report(ledger, "prod").findings if item.kind.startswith("cilium")]
    assert [(item.kind, item.address, item.owner) for item in found] == [
        ("cilium-ip-owner-gone", CILIUM_STRANDED_IP, "default/gone-0")
    ]
    assert "--field-selector spec.nodeName=worker-1" in found[0].release


@pytest.mark.parametrize(
    ("annotated", "leaked", "tunnel_holder"),
    [
        pytest.param("10.244.1.1", [PROD_TUNNEL_IP, LEAKED_IP], "10.244.1.1", id="annotation-names-another"),
        pytest.param(PROD_TUNNEL_IP, [LEAKED_IP], PROD_TUNNEL_IP, id="annotation-names-it"),
        pytest.param(None, [LEAKED_IP], PROD_TUNNEL_IP, id="no-calico-annotations-assumed-in-use"),
    ],
)
def test_sync_from_dump_judges_calico_tunnel_addresses_by_the_nodes_annotations(
    ledger: Ledger, tmp_path: Path, annotated: str | None, leaked: list[str], tunnel_holder: str
) -> None:
    add_prod(ledger)
    files = prod_objects()
    files["core.json"][0] = node(
        "node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24", calico_vxlan=annotated
    )

    sync(ledger, dump(tmp_path, files))

    found = cluster_report(ledger, "prod").findings
    assert [item.address for item in found if item.kind == "calico-leaked-ip"] == leaked
    assert [(item.kind, item.holder) for item in holders(ledger, tunnel_holder)] == [("tunnel", "node-a")]


def test_sync_from_dump_records_cilium_pod_ip_pools_and_whereabouts_node_slice_pools(
    ledger: Ledger, tmp_path: Path
) -> None:
    # The ledger documents the default pool and the slice range, not mars.
    add_prod(ledger, [("10.10.0.0/16", "pod"), ("192.168.60.0/24", "pod"), ("10.244.0.0/16", "pod")])
    folder = dump(tmp_path, multi_pool_objects())
    shutil.copy(fixture_path("cilium-CiliumPodIPPool-docs-default-and-mars.yaml"), folder)

    result = sync(ledger, folder)

    assert (result.counts["cilium_pools"], result.counts["node_slice_pools"]) == (2, 1)
    report = cluster_report(ledger, "prod")
    blocks = {(item.kind, item.name): item for item in report.blocks}
    assert blocks[("cilium-pool", "default")] == BlockUsage(
        "cilium-pool", "default", "10.10.0.0/16", "", 65536, 2, 2, 0
    )
    assert blocks[("cilium-pool", "mars")] == BlockUsage(
        "cilium-pool", "mars", "10.20.0.0/16", "", 65536, 1, 1, 0
    )
    assert blocks[("whereabouts-slice-pool", "kube-system/net1")] == BlockUsage(
        "whereabouts-slice-pool", "kube-system/net1", "192.168.60.0/24", "", 256, 2, 1, 1
    )
    assert blocks[("whereabouts-slice", "kube-system/net1 worker-1")] == BlockUsage(
        "whereabouts-slice", "kube-system/net1 worker-1", "192.168.60.0/28", "worker-1", 16, 2, 1, 1
    )
    drift = [item.subject for item in report.findings if item.kind == "drift-outside-documented"]
    assert "prod: CiliumPodIPPool in 10.20.0.0/16" in drift


def test_sync_from_dump_reports_a_node_slice_pool_outside_the_documented_pod_networks(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger, [("10.0.0.0/8", "pod")])

    sync(ledger, dump(tmp_path, multi_pool_objects()))

    drift = [
        item.subject
        for item in cluster_report(ledger, "prod").findings
        if item.kind == "drift-outside-documented"
    ]
    assert "prod: NodeSlicePool range in 192.168.0.0/16" in drift


# -- whois of synced holders -------------------------------------------------------------------


@pytest.mark.parametrize("address", [WEB_1_IP, WEB_1_NET1_IP], ids=["pod-network", "multus-net1"])
def test_whois_answers_the_pod_holding_an_address(ledger: Ledger, tmp_path: Path, address: str) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects()))

    [held] = holders(ledger, address)

    assert (held.cluster, held.kind, held.holder, held.node, held.since) == (
        "prod",
        "pod",
        "default/web-1",
        "node-a",
        CREATED,
    )
    good = cluster_report(ledger, "prod").last_good_sync
    assert good is not None
    assert held.synced_at == good.finished_at


def test_whois_answers_the_pod_holding_an_ipv6_address(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    dual = pod("default", "web-2", node_name="node-a", ips=["10.244.1.3", "fd00:10:244:1::3"])
    sync(ledger, dump(tmp_path, prod_objects(pods=replaced(prod_pods(), "web-2", dual))))

    held = holders(ledger, "fd00:10:244:1::3")

    assert [(item.kind, item.holder, item.node, item.since) for item in held] == [
        ("pod", "default/web-2", "node-a", CREATED)
    ]
    assert holders(ledger, "fd00:10:244:1::4") == ()


def test_whois_answers_the_documented_prefix_beside_the_holder(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects()))

    [answer] = whois(ledger, ip(WEB_1_IP))

    assert [str(item.network) for item in answer.prefixes] == ["10.244.0.0/16"]
    assert [item.holder for item in answer.held_by] == ["default/web-1"]


@pytest.mark.parametrize(
    ("address", "kind", "pool", "owner"),
    [
        pytest.param(
            STRANDED_IP,
            "whereabouts-pod-gone",
            "IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)",
            f"default/db-0 (container {5:064x})",
            id="whereabouts",
        ),
        pytest.param(
            LEAKED_IP,
            "calico-leaked-ip",
            "IPAM block 10-244-1-0-26 (10.244.1.0/26)",
            "handle k8s-pod-network.c3d4e5f6a1b2, pod default/batch-7, node node-a",
            id="calico",
        ),
        pytest.param(
            ORPHAN_SERVICE_IP,
            "service-ipaddress-orphan",
            "ServiceCIDR kubernetes (10.96.0.0/16)",
            "services/default/old-api",
            id="kubernetes-ipaddress",
        ),
    ],
)
def test_whois_of_a_stranded_address_names_the_record_that_still_holds_it(
    ledger: Ledger, tmp_path: Path, address: str, kind: str, pool: str, owner: str
) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects()))

    [answer] = whois(ledger, ip(address))

    assert answer.held_by == ()
    [stranded] = answer.stranded_in
    assert (stranded.cluster, stranded.kind, stranded.pool, stranded.owner) == ("prod", kind, pool, owner)
    found = {item.address: item.release for item in cluster_report(ledger, "prod").findings}
    assert stranded.release == found[address]


def test_whois_of_an_address_no_longer_stranded_names_no_record(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects(), "first"))
    files = prod_objects()
    files["whereabouts.json"] = [
        whereabouts_pool("kube-system", "192.168.50.0/24", {4: "default/web-1"}),
        whereabouts_reservation("kube-system", WEB_1_NET1_IP, podref="default/web-1"),
    ]

    sync(ledger, dump(tmp_path, files, "second"), now=LATER)

    assert [answer.stranded_in for answer in whois(ledger, ip(STRANDED_IP))] == [()]
    assert [item.kind for answer in whois(ledger, ip(WEB_1_IP)) for item in answer.stranded_in] == []


def test_whois_since_stays_while_the_same_pod_holds_the_address(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    folder = dump(tmp_path, prod_objects())
    sync(ledger, folder)

    sync(ledger, folder, now=LATER)

    assert [(item.holder, item.since) for item in holders(ledger, WEB_1_IP)] == [("default/web-1", CREATED)]


def test_whois_since_moves_when_another_pod_takes_the_address(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects(), "first"))
    successor = pod("default", "web-7f9c", node_name="node-a", ips=[WEB_1_IP], created=NOW)
    pods = replaced(prod_pods(), "web-1", successor)

    sync(ledger, dump(tmp_path, prod_objects(pods=pods), "second"), now=LATER)

    assert [(item.holder, item.since) for item in holders(ledger, WEB_1_IP)] == [("default/web-7f9c", NOW)]
    assert holders(ledger, WEB_1_NET1_IP) == ()


def test_whois_since_moves_when_a_recreated_pod_of_the_same_name_takes_the_address(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects(), "first"))
    recreated = pod(
        "default",
        "web-1",
        node_name="node-a",
        ips=[WEB_1_IP],
        created=NOW + timedelta(minutes=30),
        uid="uid-2",
    )
    pods = replaced(prod_pods(), "web-1", recreated)

    sync(ledger, dump(tmp_path, prod_objects(pods=pods), "second"), now=LATER)

    assert [(item.holder, item.since) for item in holders(ledger, WEB_1_IP)] == [
        ("default/web-1", NOW + timedelta(minutes=30))
    ]


def test_whois_since_stays_for_a_pod_with_the_longest_valid_name(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    namespace, name = "n" * 63, "p" * 253
    long_named = pod(namespace, name, node_name="node-b", ips=["10.244.2.77"])
    folder = dump(tmp_path, prod_objects(pods=[*prod_pods(), long_named]))
    sync(ledger, folder)

    sync(ledger, folder, now=LATER)

    assert [(item.holder, item.since) for item in holders(ledger, "10.244.2.77")] == [
        (f"{namespace}/{name}", CREATED)
    ]


# -- re-syncing --------------------------------------------------------------------------------


def test_sync_from_dump_twice_keeps_one_set_of_findings_and_observations(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    folder = dump(tmp_path, prod_objects())
    sync(ledger, folder)
    before = everything_observed(ledger)

    second = sync(ledger, folder, now=LATER)

    assert everything_observed(ledger) == before
    good = cluster_report(ledger, "prod").last_good_sync
    assert good is not None and good.id == second.sync_id


def test_sync_from_dump_adds_one_usage_sample_per_pool_and_one_of_the_cluster_per_sync(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    folder = dump(tmp_path, prod_objects())
    sync(ledger, folder)

    sync(ledger, folder, now=LATER)

    with ledger.reading() as session:
        per_sync = dict(session.execute(select(UsageSample.at, func.count()).group_by(UsageSample.at)).all())
    assert per_sync == {NOW: len(PROD_BLOCKS) + 1, LATER: len(PROD_BLOCKS) + 1}


def test_sync_from_dump_measures_the_clusters_pod_ips_each_address_once(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)

    sync(ledger, dump(tmp_path, prod_objects()))

    # In the pod networks 10.244.0.0/16 and 192.168.50.0/24 (65,534 + 254 usable): web-1's two
    # addresses, web-2's and api-0's in use; LEAKED_IP and STRANDED_IP stranded; with node-a's
    # tunnel address, 7 allocated. The per-pool rows count web-1 three times (block, pool, podCIDR),
    # and the orphaned service IP is in the service network, no pod IP.
    assert cluster_report(ledger, "prod").pod_ips == UsagePoint(NOW, 65_788, 4, 7, 2)


# -- a failed sync -----------------------------------------------------------------------------


def _truncated(folder: Path) -> tuple[Path, str]:
    path = folder / "core.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    return path, "not valid JSON: the text ends inside a value"


def _bad_pod_ip(folder: Path) -> tuple[Path, str]:
    bad = pod("default", "web-9", node_name="node-b", ips=["10.244.2.300"])
    write_dump(folder, prod_objects(pods=[*prod_pods(), bad]))
    return folder / "core.json", "(Pod default/web-9): status.podIPs[0].ip:"


BREAKAGES = pytest.mark.parametrize(
    "breakage", [_truncated, _bad_pod_ip], ids=["truncated-json", "bad-pod-ip"]
)


@BREAKAGES
def test_sync_from_dump_of_a_broken_dump_raises_dump_error_naming_the_file(
    ledger: Ledger, tmp_path: Path, breakage: Breakage
) -> None:
    add_prod(ledger)
    folder = dump(tmp_path, prod_objects())
    path, detail = breakage(folder)

    with pytest.raises(DumpError) as caught:
        sync(ledger, folder)

    assert str(caught.value).startswith(str(path))
    assert detail in str(caught.value)


@BREAKAGES
def test_sync_from_dump_of_a_broken_dump_is_recorded_as_failed_with_its_error(
    ledger: Ledger, tmp_path: Path, breakage: Breakage
) -> None:
    add_prod(ledger)
    good = sync(ledger, dump(tmp_path, prod_objects(), "good"))
    folder = dump(tmp_path, prod_objects(), "broken")
    breakage(folder)

    with pytest.raises(DumpError) as caught:
        sync(ledger, folder, now=LATER)

    report = cluster_report(ledger, "prod")
    assert report.last_sync is not None and report.last_good_sync is not None
    assert (report.last_sync.status, report.last_sync.error) == ("failed", str(caught.value))
    assert (report.last_sync.started_at, report.last_sync.source) == (LATER, f"dump {folder}")
    assert report.last_sync.finished_at is not None
    assert report.last_good_sync.id == good.sync_id


@BREAKAGES
def test_sync_from_dump_of_a_broken_dump_keeps_the_previous_good_sync(
    ledger: Ledger, tmp_path: Path, breakage: Breakage
) -> None:
    add_prod(ledger)
    sync(ledger, dump(tmp_path, prod_objects(), "good"))
    good_sync = cluster_report(ledger, "prod").last_good_sync
    before = everything_observed(ledger)
    folder = dump(tmp_path, prod_objects(), "broken")
    breakage(folder)

    with pytest.raises(DumpError):
        sync(ledger, folder, now=LATER)

    assert cluster_report(ledger, "prod").last_good_sync == good_sync
    assert everything_observed(ledger) == before


def test_sync_from_dump_of_an_unknown_cluster_raises_and_records_nothing(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    folder = dump(tmp_path, prod_objects())
    before = stored_state(ledger)

    with pytest.raises(NotFoundError, match="no cluster named 'staging'"):
        sync_from_dump(ledger, "staging", folder, actor=ACTOR, now=NOW)

    assert stored_state(ledger) == before


# -- grace period ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "grace", "reported"),
    [
        (timedelta(minutes=5), timedelta(minutes=15), False),
        (timedelta(minutes=14, seconds=59), timedelta(minutes=15), False),
        (timedelta(minutes=15), timedelta(minutes=15), True),
        (timedelta(minutes=16), timedelta(minutes=15), True),
        (timedelta(minutes=1), timedelta(0), True),
        (timedelta(hours=1), timedelta(hours=2), False),
    ],
    ids=["5m-in-15m", "just-inside", "exactly-the-grace", "16m-past-15m", "no-grace", "1h-in-2h"],
)
def test_sync_from_dump_judges_a_starting_pod_only_after_the_grace_period(
    ledger: Ledger, tmp_path: Path, age: timedelta, grace: timedelta, reported: bool
) -> None:
    add_prod(ledger)

    sync(ledger, dump(tmp_path, pending_pod_objects(NOW - age)), grace=grace)

    found = {(item.kind, item.address) for item in cluster_report(ledger, "prod").findings}
    expected = {("calico-leaked-ip", PENDING_IP), ("whereabouts-ip-not-on-pod", PENDING_NET1_IP)}
    assert found == (expected if reported else set())


def test_sync_from_dump_judges_the_same_pod_once_its_grace_is_over(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    folder = dump(tmp_path, pending_pod_objects(NOW - timedelta(minutes=5)))
    sync(ledger, folder)

    result = sync(ledger, folder, now=NOW + timedelta(minutes=11))

    assert result.findings == {"calico-leaked-ip": 1, "whereabouts-ip-not-on-pod": 1}


# -- drift -------------------------------------------------------------------------------------


def _drift_dump(tmp_path: Path) -> Path:
    pods = [
        pod("default", "web-1", node_name="node-a", ips=["10.244.1.2"]),
        *(pod("legacy", f"job-{index}", node_name="node-a", ips=[f"10.50.0.{index}"]) for index in (4, 5, 6)),
    ]
    return dump(
        tmp_path,
        {"core.json": [node("node-a", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"), *pods]},
    )


def test_sync_from_dump_reports_pod_ips_outside_the_documented_pod_network_once(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger, [("10.244.0.0/16", "pod"), ("192.168.10.0/24", "node")])

    result = sync(ledger, _drift_dump(tmp_path))

    [finding] = cluster_report(ledger, "prod").findings
    assert (finding.kind, finding.subject) == ("drift-outside-documented", "prod: pod IP in 10.50.0.0/16")
    assert finding.message.startswith(
        "3 pod IPs in 10.50.0.0/16 are not inside the pod networks documented for prod (10.244.0.0/16)"
    )
    assert "legacy/job-4 10.50.0.4" in finding.message
    assert result.findings == {"drift-outside-documented": 1}


@pytest.mark.parametrize(
    "networks",
    [
        [],
        [("10.244.0.0/16", "pod", "manual")],
        [("10.244.0.0/16", "pod", "cluster:other")],
        [("10.244.0.0/16", "service", "cluster:prod")],
    ],
    ids=["nothing", "pod-prefix-managed-by-hand", "pod-prefix-of-another-cluster", "only-a-service-prefix"],
)
def test_sync_from_dump_says_when_no_pod_network_is_documented(
    ledger: Ledger, tmp_path: Path, networks: list[tuple[str, str, str]]
) -> None:
    add_cluster(ledger, "prod")
    add_cluster(ledger, "other")
    add_prefix(ledger, "192.168.10.0/24", role="node", managed_by="cluster:prod")
    for cidr, role, managed_by in networks:
        add_prefix(ledger, cidr, role=role, managed_by=managed_by)

    sync(ledger, _drift_dump(tmp_path))

    pod_findings = [
        (item.kind, item.subject)
        for item in cluster_report(ledger, "prod").findings
        if item.subject.startswith("prod: no pod") or "pod IP" in item.subject
    ]
    assert pod_findings == [("drift-nothing-documented", "prod: no pod network documented")]


# -- the live path -----------------------------------------------------------------------------


@pytest.mark.parametrize("objects", [prod_objects, cilium_objects], ids=["calico-whereabouts", "cilium"])
def test_sync_live_records_what_sync_from_dump_records(
    ledger: Ledger, tmp_path: Path, server: FakeAPIServer, objects: Objects
) -> None:
    add_prod(ledger)
    files = objects()
    from_dump = sync(ledger, dump(tmp_path, files))
    expected = (seen(cluster_report(ledger, "prod")), observed(ledger))
    server.serve_objects(item for items in files.values() for item in items)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token=server.token)

    live = sync_live(ledger, "prod", LiveSource(kubeconfig), actor=ACTOR, now=NOW)

    assert (seen(cluster_report(ledger, "prod")), observed(ledger)) == expected
    assert (live.counts, live.findings) == (from_dump.counts, from_dump.findings)
    report = cluster_report(ledger, "prod")
    assert report.last_good_sync is not None
    assert (report.last_good_sync.id, report.last_good_sync.source) == (
        live.sync_id,
        f"kubeconfig {kubeconfig}",
    )


def test_sync_live_judges_a_kind_the_server_serves_empty_where_a_dump_proves_nothing(
    ledger: Ledger, tmp_path: Path, server: FakeAPIServer
) -> None:
    add_prod(ledger)
    files = prod_objects()
    files["calico.json"] = [item for item in files["calico.json"] if item["kind"] != "IPAMHandle"]
    from_dump = sync(ledger, dump(tmp_path, files))
    server.serve_objects(item for items in files.values() for item in items)
    server.serve_empty("crd.projectcalico.org/v1", "IPAMHandle")
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token=server.token)

    live = sync_live(ledger, "prod", LiveSource(kubeconfig), actor=ACTOR, now=NOW)

    assert "calico-missing-handle" not in from_dump.findings
    # The tunnel's and the three pods' handles: blocks name them, the cluster holds no IPAMHandle.
    assert live.findings["calico-missing-handle"] == 4


def test_sync_live_of_an_unreachable_server_is_recorded_as_failed(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    good = sync(ledger, dump(tmp_path, prod_objects()))
    before = everything_observed(ledger)
    server = f"http://127.0.0.1:{unused_port()}"
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=server, token="token")

    with pytest.raises(LiveError, match="cannot connect") as caught:
        sync_live(ledger, "prod", LiveSource(kubeconfig), actor=ACTOR, now=LATER)

    report = cluster_report(ledger, "prod")
    assert report.last_sync is not None and report.last_good_sync is not None
    assert (report.last_sync.status, report.last_sync.error) == ("failed", str(caught.value))
    assert server in report.last_sync.error
    assert report.last_good_sync.id == good.sync_id
    assert everything_observed(ledger) == before


# -- the calicoctl report ----------------------------------------------------------------------


def test_sync_from_dump_with_calico_report_marks_the_leaked_ip_unused(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)

    result = sync(ledger, dump(tmp_path, prod_objects()), with_calico_report=True)

    report = result.calico_report
    assert report is not None
    assert json.loads(json.dumps(report)) == report
    assert set(report) == {
        "version",
        "clusterGUID",
        "datastoreLocked",
        "clusterInformationRevision",
        "clusterType",
        "allocations",
        "leakedHandles",
    }
    assert list(report["allocations"]) == ["10.244.1.0", WEB_1_IP, "10.244.1.3", LEAKED_IP]
    [leaked] = report["allocations"][LEAKED_IP]
    assert (leaked["inUse"], leaked["pod"], leaked["namespace"], leaked["owners"]) == (
        False,
        "batch-7",
        "default",
        [],
    )
    [held] = report["allocations"][WEB_1_IP]
    assert (held["inUse"], held["owners"]) == (True, ["Pod(default/web-1)"])


def test_sync_from_dump_with_calico_report_carries_what_calicoctl_release_checks(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    files = prod_objects()
    files["calico.json"][0] = calico_cluster_information(locked=True)

    result = sync(ledger, dump(tmp_path, files), with_calico_report=True)

    report = result.calico_report
    assert report is not None
    assert (report["clusterGUID"], report["clusterInformationRevision"], report["datastoreLocked"]) == (
        CLUSTER_GUID,
        CLUSTER_REVISION,
        True,
    )
    assert (report["version"], report["clusterType"]) == ("v3.26.0", "typha,kdd,k8s,operator,bgp,kubeadm")
    [leaked] = report["allocations"][LEAKED_IP]  # ordinal 5 of its block
    assert (leaked["handle"], leaked["sequenceNumber"]) == ("k8s-pod-network.c3d4e5f6a1b2", SEQUENCE_BASE + 5)
    assert report["leakedHandles"] == [
        {"ID": LEAKED_HANDLE, "UID": f"uid--{LEAKED_HANDLE}", "Revision": HANDLE_REVISION}
    ]
    assert result.calico_report_notes == ()


def test_sync_from_dump_without_cluster_information_notes_that_calicoctl_refuses_the_report(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    files = prod_objects()
    files["calico.json"] = [item for item in files["calico.json"] if item["kind"] != "ClusterInformation"]

    result = sync(ledger, dump(tmp_path, files), with_calico_report=True)

    assert result.calico_report is not None
    assert (result.calico_report["clusterGUID"], result.calico_report["clusterInformationRevision"]) == (
        "",
        "",
    )
    assert len(result.calico_report_notes) == 1
    assert "calicoctl ipam release --from-report refuses" in result.calico_report_notes[0]


def test_sync_live_with_calico_report_reads_the_cluster_information(
    ledger: Ledger, tmp_path: Path, server: FakeAPIServer
) -> None:
    add_prod(ledger)
    files = prod_objects()
    from_dump = sync(ledger, dump(tmp_path, files), with_calico_report=True)
    server.serve_objects(item for items in files.values() for item in items)
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server=server.url, token=server.token)

    live = sync_live(ledger, "prod", LiveSource(kubeconfig), actor=ACTOR, now=NOW, with_calico_report=True)

    assert live.calico_report is not None
    assert live.calico_report["clusterGUID"] == CLUSTER_GUID
    assert (live.calico_report, live.calico_report_notes) == (
        from_dump.calico_report,
        from_dump.calico_report_notes,
    )


def test_sync_from_dump_without_calico_report_returns_none(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)

    assert sync(ledger, dump(tmp_path, prod_objects())).calico_report is None


@pytest.mark.parametrize(
    ("other", "managed_by", "expected"),
    [
        ("10.244.7.0/24", "manual", "10.244.7.0/24 (general, managed by manual)"),
        ("10.244.0.0/12", "cluster:other", "10.240.0.0/12 (general, managed by cluster:other)"),
    ],
    ids=["someone-elses-prefix-inside", "another-clusters-prefix-around"],
)
def test_sync_from_dump_reports_a_documented_range_overlapping_another_record(
    ledger: Ledger, tmp_path: Path, other: str, managed_by: str, expected: str
) -> None:
    add_prod(ledger, [("10.244.0.0/16", "pod"), ("192.168.10.0/24", "node")])
    add_cluster(ledger, "other")
    network = ipaddress.ip_network(other, strict=False)
    add_prefix(ledger, str(network), managed_by=managed_by)

    result = sync(ledger, _drift_dump(tmp_path))

    overlaps = [
        item
        for item in cluster_report(ledger, "prod").findings
        if item.kind == "drift-cluster-range-overlaps"
    ]
    assert [item.subject for item in overlaps] == ["prod: pod 10.244.0.0/16"]
    assert expected in overlaps[0].message
    assert result.findings["drift-cluster-range-overlaps"] == 1


def _overlap_messages(ledger: Ledger) -> list[tuple[str, str]]:
    return [
        (item.subject, item.message)
        for item in cluster_report(ledger, "prod").findings
        if item.kind == "drift-cluster-range-overlaps"
    ]


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (
            lambda ledger: add_range(ledger, "10.244.9.10-10.244.9.20"),
            "range 10.244.9.10-10.244.9.20 (general, managed by manual)",
        ),
        (
            lambda ledger: add_address(ledger, "10.244.9.5", holder_kind="vm", holder_name="db-1"),
            "address 10.244.9.5, held by vm db-1 (recorded by manual)",
        ),
        (
            lambda ledger: add_prefix(ledger, "10.240.0.0/12", role="infrastructure"),
            "10.240.0.0/12 (infrastructure, managed by manual)",
        ),
    ],
    ids=["range-inside", "address-inside", "host-network-around"],
)
def test_sync_from_dump_reports_a_pod_network_sharing_addresses_with_other_records(
    ledger: Ledger, tmp_path: Path, record: Callable[[Ledger], object], expected: str
) -> None:
    add_prod(ledger, [("10.244.0.0/16", "pod"), ("192.168.10.0/24", "node")])
    record(ledger)

    sync(ledger, _drift_dump(tmp_path))

    [(subject, message)] = _overlap_messages(ledger)
    assert subject == "prod: pod 10.244.0.0/16"
    assert expected in message


def test_sync_from_dump_leaves_pools_around_and_hosts_in_node_networks_alone(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prefix(ledger, "10.0.0.0/8")  # a supernet with the role general
    add_prefix(ledger, "10.240.0.0/12", role="infrastructure", tags=["pool:pod"])  # planned from
    add_prod(ledger, [("10.244.0.0/16", "pod"), ("192.168.10.0/24", "node")])
    add_address(ledger, "192.168.10.1", holder_kind="gateway", holder_name="gw")

    sync(ledger, _drift_dump(tmp_path))

    assert _overlap_messages(ledger) == []


def test_sync_from_dump_names_a_few_overlapping_records_and_counts_the_rest(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger, [("10.244.0.0/16", "pod"), ("192.168.10.0/24", "node")])
    for index in range(8):
        add_address(ledger, f"10.244.9.{index + 1}", holder_kind="vm", holder_name=f"vm-{index}")

    sync(ledger, _drift_dump(tmp_path))

    messages = [message for _, message in _overlap_messages(ledger)]
    assert len(messages) == 6
    assert [("10.244.9." + str(index + 1)) in messages[index] for index in range(5)] == [True] * 5
    assert "overlaps 3 more records of the same space" in messages[5]


def test_sync_from_dump_does_not_call_the_clusters_own_prefixes_overlaps(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger, [("10.244.0.0/16", "pod"), ("10.244.1.0/24", "pod"), ("192.168.10.0/24", "node")])

    result = sync(ledger, _drift_dump(tmp_path))

    assert "drift-cluster-range-overlaps" not in result.findings


# Node addresses as records of the ledger


def _node_records(ledger: Ledger) -> list[tuple[str, str, str, str]]:
    records = list_addresses(ledger)
    return sorted((str(item.address), item.holder_kind, item.holder_name, item.source) for item in records)


def test_sync_marks_seen_the_records_in_every_space_of_the_clusters_networks(
    ledger: Ledger, tmp_path: Path
) -> None:
    # The cluster lives in global; its IPv6 load-balancer network is recorded in VRF v6.
    add_prod(ledger)
    create_space(ledger, "v6", actor=ACTOR)
    add_prefix(ledger, "2001:db8:5::/64", space="v6", role="loadbalancer", managed_by="cluster:prod")
    add_address(ledger, "2001:db8:5::10", space="v6", holder_kind="loadbalancer")
    objects = prod_objects()
    objects["core.json"].append(
        service("default", "edge6", cluster_ip="10.96.0.30", ingress_ip="2001:db8:5::10")
    )

    sync(ledger, write_dump(tmp_path / "dump", objects))

    [record] = list_addresses(ledger, space="v6")
    assert (str(record.address), record.last_seen) == ("2001:db8:5::10", NOW)


def test_sync_records_node_addresses_held_by_their_node(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    folder = write_dump(tmp_path / "dump", prod_objects())

    sync(ledger, folder)
    sync(ledger, folder, now=LATER)

    assert _node_records(ledger) == [
        ("192.168.10.11", "node", "node-a", "sync:prod"),
        ("192.168.10.12", "node", "node-b", "sync:prod"),
    ]
    assert [item.last_seen for item in list_addresses(ledger)] == [LATER, LATER]


def test_sync_deletes_its_records_of_gone_nodes_but_keeps_edited_and_hand_made_ones(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    sync(ledger, write_dump(tmp_path / "first", prod_objects()))
    update_address(ledger, ip("192.168.10.12"), actor=ACTOR, changes={"description": "rack 7"})
    objects = _with_nodes(
        prod_objects(), node("node-c", internal_ip="192.168.10.13", pod_cidr="10.244.3.0/24")
    )
    add_address(ledger, "192.168.10.99", holder_kind="server", holder_name="by-hand")

    sync(ledger, write_dump(tmp_path / "second", objects), now=LATER)

    # node-a's record was the sync's own: gone with its node; node-b's was edited: it stays.
    assert _node_records(ledger) == [
        ("192.168.10.12", "node", "node-b", "sync:prod"),
        ("192.168.10.13", "node", "node-c", "sync:prod"),
        ("192.168.10.99", "server", "by-hand", "manual"),
    ]


def _with_nodes(objects: dict[str, list[Obj]], *nodes: Obj) -> dict[str, list[Obj]]:
    """The dump with its Nodes replaced by these."""
    core = [item for item in objects["core.json"] if item["kind"] != "Node"]
    return {**objects, "core.json": [*nodes, *core]}


def test_sync_moves_its_record_to_the_node_that_holds_the_address_now(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    sync(ledger, write_dump(tmp_path / "first", prod_objects()))
    # node-a was replaced by node-c, which got node-a's address.
    replaced = _with_nodes(
        prod_objects(),
        node("node-c", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"),
        node("node-b", internal_ip="192.168.10.12", pod_cidr="10.244.2.0/24"),
    )

    sync(ledger, write_dump(tmp_path / "second", replaced), now=LATER)
    sync(ledger, write_dump(tmp_path / "third", replaced), now=LATER + timedelta(minutes=15))

    assert _node_records(ledger) == [
        ("192.168.10.11", "node", "node-c", "sync:prod"),
        ("192.168.10.12", "node", "node-b", "sync:prod"),
    ]
    moves = [
        item for item in all_changes(ledger) if item.object_kind == "address" and item.action == "update"
    ]
    assert [(item.object_label, _holder(item.before), _holder(item.after)) for item in moves] == [
        ("192.168.10.11 (global)", "node-a", "node-c")
    ]


def _holder(state: Mapping[str, Any] | None) -> object:
    return None if state is None else state.get("holder_name")


def test_sync_keeps_a_holder_edited_by_hand_and_deletes_a_moved_record_once_its_node_is_gone(
    ledger: Ledger, tmp_path: Path
) -> None:
    add_prod(ledger)
    sync(ledger, write_dump(tmp_path / "first", prod_objects()))
    update_address(ledger, ip("192.168.10.12"), actor=ACTOR, changes={"holder_name": "node-b (rack 7)"})
    moved = _with_nodes(
        prod_objects(),
        node("node-c", internal_ip="192.168.10.11", pod_cidr="10.244.1.0/24"),
        node("node-d", internal_ip="192.168.10.12", pod_cidr="10.244.2.0/24"),
    )
    sync(ledger, write_dump(tmp_path / "second", moved), now=LATER)
    assert _node_records(ledger) == [
        ("192.168.10.11", "node", "node-c", "sync:prod"),
        ("192.168.10.12", "node", "node-b (rack 7)", "sync:prod"),  # the operator's word stands
    ]

    others = _with_nodes(
        prod_objects(), node("node-e", internal_ip="192.168.10.20", pod_cidr="10.244.5.0/24")
    )
    sync(ledger, write_dump(tmp_path / "third", others), now=LATER + timedelta(minutes=15))

    # node-c's record was moved by the sync (version 2) but is still the sync's: gone with node-c.
    assert _node_records(ledger) == [
        ("192.168.10.12", "node", "node-b (rack 7)", "sync:prod"),
        ("192.168.10.20", "node", "node-e", "sync:prod"),
    ]


def test_sync_of_a_dump_without_nodes_leaves_the_node_records_alone(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    sync(ledger, write_dump(tmp_path / "first", prod_objects()))
    without_nodes = _with_nodes(prod_objects())

    sync(ledger, write_dump(tmp_path / "second", without_nodes), now=LATER)

    assert _node_records(ledger) == [
        ("192.168.10.11", "node", "node-a", "sync:prod"),
        ("192.168.10.12", "node", "node-b", "sync:prod"),
    ]


def test_sync_never_takes_over_an_address_recorded_by_hand(ledger: Ledger, tmp_path: Path) -> None:
    add_prod(ledger)
    add_address(ledger, "192.168.10.11", holder_kind="server", holder_name="old-box")

    sync(ledger, write_dump(tmp_path / "dump", prod_objects()))

    assert _node_records(ledger) == [
        ("192.168.10.11", "server", "old-box", "manual"),
        ("192.168.10.12", "node", "node-b", "sync:prod"),
    ]
