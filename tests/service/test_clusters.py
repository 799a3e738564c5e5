"""Clusters: record, change and forget a cluster; see its networks, capacity and findings; list them; overlaps."""

from __future__ import annotations

from typing import Any

import pytest

from ipledger.core.errors import ConflictError, InvalidInputError, NotFoundError, StaleVersionError
from ipledger.core.findings import Severity
from ipledger.service.cluster_overlaps import cluster_overlaps
from ipledger.service.cluster_report import cluster_report
from ipledger.service.clusters import (
    ClusterFields,
    create_cluster,
    delete_cluster,
    list_clusters,
    show_cluster,
    update_cluster,
)
from ipledger.service.ledger import Ledger
from ipledger.service.spaces import create_space
from ipledger.service.sync import sync_from_objects
from ipledger.service.usage_history import UsagePoint
from ipledger.store.models import Cluster
from tests.service.factories import (
    ACTOR,
    add_address,
    add_cluster,
    add_group,
    add_prefix,
    add_range,
    all_changes,
    count_rows,
    stored_state,
)
from tests.service.k8s_dumps import NOW, prod_objects

# 3 nodes x growth 2 = 6 needed; /28 node blocks hold 16 - 3 = 13 pod IPs (host-local) >= 10 max pods.
SMALL: dict[str, Any] = {
    "max_pods": 10,
    "node_prefixlen": 28,
    "node_prefixlen_v6": 124,
    "expected_services": 10,
}


def _network(ledger: Ledger, cluster: str, cidr: str, role: str, **options: Any) -> None:
    add_prefix(ledger, cidr, role=role, managed_by=f"cluster:{cluster}", **options)


def test_create_cluster_records_fields_in_canonical_form(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")

    record = create_cluster(
        ledger,
        "prod-eu-1",
        ClusterFields(group="k8s/prod", provider="EKS", ipam_mode="kcm", expected_nodes=40, growth=1.5),
        actor=ACTOR,
    )

    assert (record.name, record.space, record.group, record.status) == (
        "prod-eu-1",
        "global",
        "k8s/prod",
        "active",
    )
    assert (record.provider, record.ipam_mode) == ("eks", "kube-controller-manager")
    assert (record.expected_nodes, record.growth, record.max_pods, record.version) == (40, 1.5, 110, 1)
    change = all_changes(ledger)[-1]
    assert (change.action, change.object_kind, change.object_label, change.actor) == (
        "create",
        "cluster",
        "prod-eu-1",
        ACTOR,
    )


@pytest.mark.parametrize(
    ("name", "fields", "expected"),
    [
        ("bad name", {}, "'bad name'"),
        ("-leading-dash", {}, "'-leading-dash'"),
        ("x" * 101, {}, "at most 100"),
        ("c", {"provider": "openstack"}, "unknown provider 'openstack': expected one of bare-metal, eks"),
        ("c", {"ipam_mode": "weave"}, "unknown ipam mode 'weave': expected one of kube-controller-manager"),
        ("c", {"growth": 0.5}, "growth 0.5"),
        ("c", {"growth": float("nan")}, "growth nan"),
        ("c", {"max_pods": 0}, "max pods 0"),
        ("c", {"expected_nodes": -1}, "expected nodes -1"),
        ("c", {"ipam_mode": "aws-vpc-cni", "node_prefixlen": 24}, "aws-vpc-cni has no per-node blocks"),
        ("c", {"node_prefixlen": 33}, "/33 is out of range for IPv4"),
        ("c", {"node_prefixlen_v6": 129}, "/129 is out of range for IPv6"),
        (
            "c",
            {"eni_count": 3, "ips_per_eni": 10},
            "ENI figures apply to the AWS VPC CNI modes, not kube-controller-manager",
        ),
        ("c", {"ipam_mode": "aws-vpc-cni", "eni_count": 3}, "eni_count and ips_per_eni go together"),
        (
            "c",
            {"ipam_mode": "aws-vpc-cni", "eni_count": 0, "ips_per_eni": 10},
            "eni count 0: must be at least 1",
        ),
        ("c", {"ipam_mode": "aws-vpc-cni", "vcpus": 2}, "vcpus 2 only counts with eni_count and ips_per_eni"),
    ],
    ids=[
        "name-with-space",
        "name-leading-dash",
        "name-too-long",
        "unknown-provider",
        "unknown-ipam-mode",
        "growth-below-1",
        "growth-nan",
        "max-pods-0",
        "expected-nodes-negative",
        "node-prefixlen-for-aws-vpc-cni",
        "node-prefixlen-v4-too-long",
        "node-prefixlen-v6-too-long",
        "eni-figures-without-aws",
        "eni-count-alone",
        "eni-count-0",
        "vcpus-alone",
    ],
)
def test_create_cluster_refuses_bad_input_naming_the_value(
    ledger: Ledger, name: str, fields: dict[str, Any], expected: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        create_cluster(ledger, name, ClusterFields(**fields), actor=ACTOR)

    assert expected in str(caught.value)
    assert count_rows(ledger, Cluster) == 0


@pytest.mark.parametrize(
    ("fields", "expected"),
    [({"space": "lab"}, "no space named 'lab'"), ({"group": "k8s/missing"}, "no group 'k8s/missing'")],
    ids=["unknown-space", "unknown-group"],
)
def test_create_cluster_unknown_space_or_group_is_not_found(
    ledger: Ledger, fields: dict[str, Any], expected: str
) -> None:
    with pytest.raises(NotFoundError, match=expected):
        create_cluster(ledger, "c", ClusterFields(**fields), actor=ACTOR)

    assert count_rows(ledger, Cluster) == 0


def test_create_cluster_duplicate_name_conflicts_with_the_existing_one(ledger: Ledger) -> None:
    first = add_cluster(ledger, "prod")

    with pytest.raises(ConflictError, match="cluster prod already exists") as caught:
        add_cluster(ledger, "prod", expected_nodes=9)

    assert caught.value.existing == first
    assert count_rows(ledger, Cluster) == 1


def test_update_cluster_changes_fields_and_records_before_and_after(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod")
    add_cluster(ledger, "prod")

    record = update_cluster(
        ledger,
        "prod",
        {"expected_nodes": 50, "ipam_mode": "Calico", "group": "k8s/prod", "status": "decommissioned"},
        actor="bob",
        expected_version=1,
    )

    assert (record.expected_nodes, record.ipam_mode, record.group) == (50, "calico", "k8s/prod")
    assert (record.status, record.version) == ("decommissioned", 2)
    assert show_cluster(ledger, "prod").cluster == record
    change = all_changes(ledger)[-1]
    assert (change.action, change.object_kind, change.actor) == ("update", "cluster", "bob")
    assert change.before is not None and change.after is not None
    assert (change.before["expected_nodes"], change.after["expected_nodes"]) == (3, 50)


def test_update_cluster_stale_version_is_refused_with_the_current_record(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")
    current = update_cluster(ledger, "prod", {"expected_nodes": 5}, actor=ACTOR)

    with pytest.raises(StaleVersionError, match="cluster prod is at version 2, not 1") as caught:
        update_cluster(ledger, "prod", {"expected_nodes": 9}, actor=ACTOR, expected_version=1)

    assert caught.value.current == current
    assert show_cluster(ledger, "prod").cluster.expected_nodes == 5


@pytest.mark.parametrize(
    ("changes", "error", "expected"),
    [
        ({"space": "lab"}, InvalidInputError, "unknown cluster field(s): space"),
        ({"name": "other"}, InvalidInputError, "unknown cluster field(s): name"),
        ({"status": "gone"}, InvalidInputError, "cluster status must be one of active, decommissioned"),
        ({"growth": 0.9}, InvalidInputError, "growth 0.9"),
        ({"provider": "vmware"}, InvalidInputError, "unknown provider 'vmware'"),
        ({"group": "k8s/missing"}, NotFoundError, "no group 'k8s/missing'"),
    ],
    ids=["space", "name", "bad-status", "growth-below-1", "unknown-provider", "unknown-group"],
)
def test_update_cluster_refuses_bad_changes_and_writes_nothing(
    ledger: Ledger, changes: dict[str, Any], error: type[Exception], expected: str
) -> None:
    add_cluster(ledger, "prod")
    before = stored_state(ledger)

    with pytest.raises(error) as caught:
        update_cluster(ledger, "prod", changes, actor=ACTOR)

    assert expected in str(caught.value)
    assert stored_state(ledger) == before


def test_update_cluster_unknown_name_is_not_found(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")

    with pytest.raises(NotFoundError, match=r"no cluster named 'dev' \(clusters: prod\)"):
        update_cluster(ledger, "dev", {"expected_nodes": 5}, actor=ACTOR)


def _managed_prefix(ledger: Ledger) -> None:
    _network(ledger, "prod", "10.0.0.0/24", "pod")


def _managed_range(ledger: Ledger) -> None:
    add_prefix(ledger, "10.9.0.0/24")
    add_range(ledger, "10.9.0.10-10.9.0.20", role="loadbalancer", managed_by="cluster:prod")


@pytest.mark.parametrize("record_network", [_managed_prefix, _managed_range], ids=["prefix", "range"])
def test_delete_cluster_is_refused_while_it_manages_networks(ledger: Ledger, record_network: Any) -> None:
    add_cluster(ledger, "prod")
    record_network(ledger)
    before = stored_state(ledger)

    with pytest.raises(ConflictError, match=r"cluster prod still manages 1 prefix\(es\) or range\(s\)"):
        delete_cluster(ledger, "prod", actor=ACTOR)

    assert stored_state(ledger) == before


def test_delete_cluster_forgets_a_cluster_without_networks(ledger: Ledger) -> None:
    record = add_cluster(ledger, "prod")
    add_prefix(ledger, "10.0.0.0/24", managed_by="cluster:prod-2")  # another cluster's, by a longer name

    assert delete_cluster(ledger, "prod", actor="bob") == record

    assert list_clusters(ledger) == []
    change = all_changes(ledger)[-1]
    assert (change.action, change.object_kind, change.object_label, change.actor) == (
        "delete",
        "cluster",
        "prod",
        "bob",
    )


def test_delete_cluster_unknown_name_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match=r"no cluster named 'prod' \(clusters: none yet\)"):
        delete_cluster(ledger, "prod", actor=ACTOR)


def test_show_cluster_lists_the_networks_it_manages(ledger: Ledger) -> None:
    add_cluster(ledger, "edge", **SMALL)
    _network(ledger, "edge", "10.0.0.0/25", "pod")
    _network(ledger, "edge", "10.0.1.0/28", "service")
    _network(ledger, "edge", "fd00::/121", "pod")
    add_prefix(ledger, "10.9.0.0/24", role="loadbalancer")
    add_range(ledger, "10.9.0.10-10.9.0.20", role="loadbalancer", managed_by="cluster:edge")
    add_prefix(ledger, "10.0.2.0/24")  # recorded by hand
    add_prefix(ledger, "10.0.3.0/24", managed_by="cluster:edge-2")

    detail = show_cluster(ledger, "edge")

    assert [(item.role, str(item.network)) for item in detail.prefixes] == [
        ("pod", "10.0.0.0/25"),
        ("service", "10.0.1.0/28"),
        ("pod", "fd00::/121"),
    ]
    assert [str(item.span) for item in detail.ranges] == ["10.9.0.10-10.9.0.20"]
    assert detail.findings == ()


def test_show_cluster_works_out_capacity_per_family(ledger: Ledger) -> None:
    add_cluster(ledger, "edge", **SMALL)
    _network(ledger, "edge", "10.0.0.0/25", "pod")
    _network(ledger, "edge", "fd00::/122", "pod")

    capacity = dict(show_cluster(ledger, "edge").capacity)

    # IPv4: a /25 split into /28 node blocks: 2^(28-25) = 8 nodes; IPv6: a /122 into /124: 2^2 = 4.
    assert sorted(capacity) == [4, 6]
    assert (capacity[4].nodes_needed, capacity[4].node_capacity, capacity[4].headroom_nodes) == (6, 8, 2)
    assert (capacity[6].nodes_needed, capacity[6].node_capacity, capacity[6].headroom_nodes) == (6, 4, -2)
    assert [finding.kind for finding in capacity[6].findings] == ["pod-cidr-too-small"]


@pytest.mark.parametrize(
    ("networks", "kind", "subject"),
    [
        (
            [("10.0.0.0/24", "pod"), ("10.0.0.128/25", "service")],
            "cluster-networks-overlap",
            "pod 10.0.0.0/24",
        ),
        ([("10.0.0.0/25", "pod"), ("172.17.0.0/28", "service")], "overlaps-special-range", "172.17.0.0/28"),
        ([("10.0.0.0/27", "pod")], "pod-cidr-too-small", "pod CIDR /27"),
    ],
    ids=["own-networks-overlap", "docker-bridge", "pod-cidr-too-small"],
)
def test_show_cluster_reports_what_is_wrong_with_its_networks(
    ledger: Ledger, networks: list[tuple[str, str]], kind: str, subject: str
) -> None:
    add_cluster(ledger, "edge", **SMALL)
    for cidr, role in networks:
        _network(ledger, "edge", cidr, role)

    findings = show_cluster(ledger, "edge").findings

    assert [(finding.severity, finding.kind) for finding in findings] == [(Severity.ERROR, kind)]
    assert subject in findings[0].subject


def test_show_cluster_unknown_name_is_not_found(ledger: Ledger) -> None:
    with pytest.raises(NotFoundError, match="no cluster named 'edge'"):
        show_cluster(ledger, "edge")


def _three_clusters(ledger: Ledger) -> None:
    create_space(ledger, "lab", actor=ACTOR)
    add_group(ledger, "k8s/prod")
    add_cluster(ledger, "prod", group="k8s/prod", **SMALL)
    add_cluster(ledger, "ops", group="k8s", **SMALL)
    add_cluster(ledger, "lab", space="lab", **SMALL)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["lab", "ops", "prod"]),
        ({"space": "global"}, ["ops", "prod"]),
        ({"space": "lab"}, ["lab"]),
        ({"group": "k8s"}, ["ops", "prod"]),
        ({"group": "k8s/prod"}, ["prod"]),
        ({"space": "lab", "group": "k8s"}, []),
    ],
    ids=["all", "space-global", "space-lab", "group-and-below", "leaf-group", "space-and-group"],
)
def test_list_clusters_filters_by_space_and_group(
    ledger: Ledger, filters: dict[str, str], expected: list[str]
) -> None:
    _three_clusters(ledger)

    assert [summary.cluster.name for summary in list_clusters(ledger, **filters)] == expected


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"space": "nowhere"}, "no space named 'nowhere'"),
        ({"group": "k8s/nowhere"}, "no group 'k8s/nowhere'"),
    ],
    ids=["space", "group"],
)
def test_list_clusters_unknown_filter_is_not_found(
    ledger: Ledger, filters: dict[str, str], expected: str
) -> None:
    with pytest.raises(NotFoundError, match=expected):
        list_clusters(ledger, **filters)


def test_list_clusters_sums_up_networks_pod_use_and_headroom(ledger: Ledger) -> None:
    add_cluster(ledger, "edge", **SMALL)
    add_cluster(ledger, "empty")
    _network(ledger, "edge", "10.0.0.0/25", "pod")
    _network(ledger, "edge", "10.0.0.128/25", "expansion-reserve", status="reserved")
    _network(ledger, "edge", "10.0.1.0/28", "service")
    for host in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        add_address(ledger, host)

    edge, empty = list_clusters(ledger)

    assert edge.networks == {
        "pod": ("10.0.0.0/25",),
        "expansion-reserve": ("10.0.0.128/25",),
        "service": ("10.0.1.0/28",),
    }
    assert edge.pod_percent == round(100 * 3 / (128 - 2), 2)  # network and broadcast are not usable
    assert edge.headroom_nodes == 2**3 - 6  # /25 into /28 blocks, 3 nodes x growth 2 needed
    assert (empty.networks, empty.pod_percent, empty.headroom_nodes) == ({}, None, None)


def test_list_clusters_pod_use_of_a_synced_cluster_is_its_last_syncs(ledger: Ledger) -> None:
    add_cluster(ledger, "prod")
    _network(ledger, "prod", "10.244.0.0/16", "pod")
    objects = [item for items in prod_objects().values() for item in items]
    sync_from_objects(ledger, "prod", objects, source="test", actor="test", now=NOW)

    [prod] = list_clusters(ledger)

    # web-1, web-2 and api-0 of the 65,534 usable addresses; no address record is in the prefix.
    assert prod.pod_percent == round(100 * 3 / 65_534, 2)
    assert cluster_report(ledger, "prod").pod_ips == UsagePoint(NOW, 65_534, 3, 5, 1)


def _overlapping_pods(ledger: Ledger, *, other_space: str) -> None:
    if other_space != "global":
        create_space(ledger, other_space, actor=ACTOR)
    add_cluster(ledger, "blue")
    add_cluster(ledger, "green", space=other_space)
    _network(ledger, "blue", "10.0.0.0/16", "pod")
    _network(ledger, "green", "10.0.1.0/24", "pod", space=other_space)


@pytest.mark.parametrize(
    ("other_space", "severity", "words"),
    [
        ("global", Severity.ERROR, "in space global: traffic between them is routed to the wrong cluster"),
        ("lab", Severity.INFO, "fine for isolated overlays"),
    ],
    ids=["same-space-error", "other-space-info"],
)
def test_cluster_overlaps_reports_nested_pod_networks(
    ledger: Ledger, other_space: str, severity: Severity, words: str
) -> None:
    _overlapping_pods(ledger, other_space=other_space)

    findings = cluster_overlaps(ledger)

    assert [(finding.severity, finding.kind) for finding in findings] == [(severity, "clusters-overlap")]
    assert findings[0].subject == "blue pod 10.0.0.0/16 / green pod 10.0.1.0/24"
    assert words in findings[0].message


def test_cluster_overlaps_space_filter_leaves_other_spaces_out(ledger: Ledger) -> None:
    _overlapping_pods(ledger, other_space="global")
    create_space(ledger, "lab", actor=ACTOR)

    assert cluster_overlaps(ledger, space="lab") == []


@pytest.mark.parametrize(
    "networks",
    [
        [("blue", "10.0.0.0/24", "pod"), ("green", "10.0.1.0/24", "pod")],
        [("blue", "10.0.0.0/24", "pod"), ("blue", "10.0.0.0/25", "service")],
    ],
    ids=["apart", "same-cluster"],
)
def test_cluster_overlaps_ignores_what_is_not_two_clusters_overlapping(
    ledger: Ledger, networks: list[tuple[str, str, str]]
) -> None:
    add_cluster(ledger, "blue")
    add_cluster(ledger, "green")
    for cluster, cidr, role in networks:
        _network(ledger, cluster, cidr, role)

    assert cluster_overlaps(ledger) == []


def _blue_with_reserve_and_range(ledger: Ledger) -> None:
    """Cluster blue: pod 10.0.0.0/24, its reserve 10.0.1.0/24, and a load-balancer range in an
    infrastructure prefix; cluster green, recorded without networks."""
    add_cluster(ledger, "blue")
    add_cluster(ledger, "green")
    _network(ledger, "blue", "10.0.0.0/24", "pod")
    _network(ledger, "blue", "10.0.1.0/24", "expansion-reserve")
    add_prefix(ledger, "192.168.0.0/24", role="infrastructure")
    add_range(ledger, "192.168.0.10-192.168.0.20", role="loadbalancer", managed_by="cluster:blue")


@pytest.mark.parametrize(
    ("cidr", "role", "kind", "subject", "words"),
    [
        pytest.param(
            "10.0.1.64/26",
            "pod",
            "overlaps-cluster-reserve",
            "blue expansion-reserve 10.0.1.0/24 / green pod 10.0.1.64/26",
            "cluster blue's expansion reserve 10.0.1.0/24 overlaps cluster green's pod network 10.0.1.64/26 in "
            "space global: cluster blue cannot grow into its reserve without colliding with the other",
            id="network-in-reserve",
        ),
        pytest.param(
            "10.0.0.0/23",
            "expansion-reserve",
            "overlaps-cluster-reserve",
            "blue expansion-reserve 10.0.1.0/24 / green expansion-reserve 10.0.0.0/23",
            "neither cluster can grow into its reserve",
            id="reserves",
        ),
        pytest.param(
            "192.168.0.0/27",
            "service",
            "clusters-overlap",
            "blue loadbalancer 192.168.0.10-192.168.0.20 / green service 192.168.0.0/27",
            "cluster blue's loadbalancer range 192.168.0.10-192.168.0.20 overlaps cluster green's service network "
            "192.168.0.0/27 in space global: traffic between them is routed to the wrong cluster",
            id="load-balancer-range",
        ),
    ],
)
def test_cluster_overlaps_include_reserves_and_load_balancer_ranges(
    ledger: Ledger, cidr: str, role: str, kind: str, subject: str, words: str
) -> None:
    _blue_with_reserve_and_range(ledger)
    _network(ledger, "green", cidr, role)

    findings = cluster_overlaps(ledger)

    overlaps = [(item.severity, item.kind, item.subject) for item in findings]
    assert (Severity.ERROR, kind, subject) in overlaps
    assert words in next(item.message for item in findings if item.subject == subject)
    for name in ("blue", "green"):
        assert subject in [item.subject for item in show_cluster(ledger, name).findings]


def test_show_cluster_leaves_out_overlaps_of_other_clusters(ledger: Ledger) -> None:
    _blue_with_reserve_and_range(ledger)
    add_cluster(ledger, "red")
    _network(ledger, "green", "10.0.1.64/26", "pod")

    assert [item.kind for item in show_cluster(ledger, "red").findings] == []
    assert [item.subject for item in show_cluster(ledger, "green").findings if "overlap" in item.kind] == [
        "blue expansion-reserve 10.0.1.0/24 / green pod 10.0.1.64/26"
    ]


def test_show_cluster_checks_its_reserves_against_the_special_ranges(ledger: Ledger) -> None:
    add_cluster(ledger, "blue")
    _network(ledger, "blue", "172.16.0.0/16", "pod")
    _network(ledger, "blue", "172.17.0.0/16", "expansion-reserve")

    findings = show_cluster(ledger, "blue").findings

    assert [(item.kind, item.subject) for item in findings] == [
        ("overlaps-special-range", "blue: expansion-reserve 172.17.0.0/16")
    ]


# --- AWS VPC CNI instance figures ----------------------------------------------------------------

# m5.large: 3 ENIs of 10 IPv4 addresses, 2 vCPUs (amazon-vpc-cni-k8s misc/eni-max-pods.txt: 29 pods).
M5_LARGE = {"eni_count": 3, "ips_per_eni": 10, "vcpus": 2}


@pytest.mark.parametrize(
    ("mode", "max_pods", "limit"),
    [
        # Secondary IPs: 3 x (10 - 1) + 2 = 29.
        ("aws-vpc-cni", 58, 29),
        # Prefix delegation: 3 x (10 - 1) x 16 + 2 = 434, capped at 110 for 2 vCPUs.
        ("aws-vpc-cni-prefix", 250, 110),
    ],
)
def test_show_cluster_warns_when_max_pods_exceeds_what_the_instance_addresses(
    ledger: Ledger, mode: str, max_pods: int, limit: int
) -> None:
    record = add_cluster(ledger, "eks-1", provider="eks", ipam_mode=mode, max_pods=max_pods, **M5_LARGE)

    detail = show_cluster(ledger, "eks-1")

    assert (record.eni_count, record.ips_per_eni, record.vcpus) == (3, 10, 2)
    [finding] = [item for item in detail.findings if item.kind == "aws-max-pods"]
    assert finding.severity is Severity.WARNING
    assert f"max pods {max_pods} exceeds the {limit} pods these ENIs can address" in finding.message
    [(_, worked)] = detail.capacity
    assert ("pods the ENIs allow", limit) in [(figure.name, figure.value) for figure in worked.figures]


def test_show_cluster_without_instance_figures_skips_the_max_pods_formula(ledger: Ledger) -> None:
    add_cluster(ledger, "eks-1", provider="eks", ipam_mode="aws-vpc-cni", max_pods=58)

    detail = show_cluster(ledger, "eks-1")

    assert [item.kind for item in detail.findings if item.kind == "aws-max-pods"] == []


def test_update_cluster_sets_instance_figures_and_records_them(ledger: Ledger) -> None:
    add_cluster(ledger, "eks-1", provider="eks", ipam_mode="aws-vpc-cni", max_pods=29)

    record = update_cluster(ledger, "eks-1", dict(M5_LARGE), actor=ACTOR)

    assert (record.eni_count, record.ips_per_eni, record.vcpus) == (3, 10, 2)
    after = all_changes(ledger)[-1].after or {}
    assert {key: after[key] for key in M5_LARGE} == M5_LARGE
    assert [item.kind for item in show_cluster(ledger, "eks-1").findings] == []
