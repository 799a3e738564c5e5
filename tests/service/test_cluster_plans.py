"""Cluster plans: sizing and placing a new cluster's networks, applying or discarding the plan,
growing a network into its reserve, decommissioning, and two plans racing for one free block."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from itertools import combinations
from typing import Any

import pytest
from sqlalchemy import select

from ipledger.core.addresses import IPNetwork
from ipledger.core.errors import ConflictError, ExhaustedError, InvalidInputError, LedgerError, NotFoundError
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Thresholds
from ipledger.service.addresses import list_addresses
from ipledger.service.cluster_decommission import plan_decommission
from ipledger.service.cluster_growth import plan_growth
from ipledger.service.cluster_plans import plan_cluster
from ipledger.service.clusters import ClusterFields, delete_cluster, list_clusters, show_cluster
from ipledger.service.ledger import Ledger
from ipledger.service.plans import AppliedPlan, apply_plan, discard_plan, list_plans, save_plan, show_plan
from ipledger.service.prefixes import update_prefix
from ipledger.service.ranges import list_ranges
from ipledger.service.records import PlanRecord
from ipledger.store.models import UtilizationSample, WatchFinding
from tests.service.factories import (
    ACTOR,
    add_address,
    add_cluster,
    add_group,
    add_prefix,
    add_range,
    all_changes,
    error_findings,
    net,
    prefix_of,
    span,
    stored_state,
)
from tests.service.recount import check_against_recount

POOL = "10.0.0.0/22"
POOL6 = "fd00::/118"
ROLES = ("pod", "service", "node")
# Small enough for the recount. 3 nodes x growth 2 = 6 needed. IPv4: /28 node blocks hold 16 - 3 = 13
# pod IPs (host-local) >= 10, 2^(28-25) = 8 >= 6 so pod /25; 2^4 - 2 = 14 ClusterIPs >= 10 so service
# /28; 16 - 3 reserved = 13 >= 6 (a /29 leaves 5) so node /28. IPv6: /124 blocks hold 16 - 2 = 14,
# pod /121; 2^4 - 1 = 15 ClusterIPs, service /124; 8 - 2 reserved = 6 >= 6, node /125 (given as
# node_subnet_prefixlen_v6: the planner's own IPv6 node subnet is a /64).
SMALL = ClusterFields(max_pods=10, node_prefixlen=28, node_prefixlen_v6=124, expected_services=10)
# With POOL empty, largest first, each the lower half of the first free double.
PLANNED = [
    ("pod", "10.0.0.0/25"),
    ("expansion-reserve", "10.0.0.128/25"),
    ("service", "10.0.1.0/28"),
    ("expansion-reserve", "10.0.1.16/28"),
    ("node", "10.0.1.32/28"),
    ("expansion-reserve", "10.0.1.48/28"),
]


def _pools(*cidrs: str) -> dict[str, tuple[IPNetwork, ...]]:
    return {role: tuple(net(cidr) for cidr in cidrs) for role in ROLES}


def _plan(
    ledger: Ledger,
    name: str = "alpha",
    fields: ClusterFields = SMALL,
    *,
    pools: Mapping[str, Sequence[IPNetwork]] | None = None,
    **options: Any,
) -> PlanRecord:
    chosen = _pools(POOL) if pools is None else pools
    return plan_cluster(ledger, name, fields, actor=ACTOR, pools=chosen, **options)


def _planned(plan: PlanRecord) -> list[tuple[str, str]]:
    """The prefixes a plan creates, as (role, CIDR), each network followed by its reserve."""
    return [
        (change["role"], change["prefix"]) for change in plan.body["changes"] if change["kind"] == "prefix"
    ]


def _lengths(plan: PlanRecord) -> dict[tuple[str, int], int]:
    """(role, family) -> prefix length of the planned networks, reserves left out."""
    return {
        (role, net(cidr).version): net(cidr).prefixlen
        for role, cidr in _planned(plan)
        if role != "expansion-reserve"
    }


def _networks_of(ledger: Ledger, cluster: str) -> list[tuple[str, str, str]]:
    return [(item.role, str(item.network), item.status) for item in show_cluster(ledger, cluster).prefixes]


def _new_cluster(ledger: Ledger, name: str = "alpha") -> AppliedPlan:
    """POOL recorded, and a SMALL cluster planned and applied in it (see PLANNED)."""
    add_prefix(ledger, POOL)
    return apply_plan(ledger, _plan(ledger, name).id, actor="bob")


# --- sizes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            # 200 nodes: /24 blocks, 2^(24-16) = 256 >= 200 (a /17 holds 128); node subnet 256 - 3 = 253
            # (a /25 holds 125); no expected Services: the planner's /20.
            ClusterFields(expected_nodes=100, growth=2),
            {("pod", 4): 16, ("service", 4): 20, ("node", 4): 24},
            id="kcm-100-nodes-x2",
        ),
        pytest.param(
            # 15 nodes: /26 Calico blocks of 64 IPs, ceil(110 / 64) = 2 a node, 30 blocks: 2^(26-21) = 32
            # (a /22 holds 16); node subnet 32 - 3 = 29 >= 15 (a /28 holds 13); 2^7 - 2 = 126 >= 100.
            ClusterFields(ipam_mode="calico", expected_nodes=10, growth=1.5, expected_services=100),
            {("pod", 4): 21, ("service", 4): 25, ("node", 4): 27},
            id="calico-10-nodes-x1.5",
        ),
        pytest.param(
            # 100 nodes: /24 blocks of 252 IPs, 2^(24-17) = 128 >= 100; node subnet 128 - 3 = 125.
            ClusterFields(ipam_mode="cilium-cluster-pool", expected_nodes=50),
            {("pod", 4): 17, ("service", 4): 20, ("node", 4): 25},
            id="cilium-cluster-pool-50-nodes",
        ),
        pytest.param(
            # 6 nodes x 110 pods: (1024 - 2) // 110 = 9 >= 6, (512 - 2) // 110 = 4; node subnet /28.
            ClusterFields(ipam_mode="whereabouts"),
            {("pod", 4): 22, ("service", 4): 20, ("node", 4): 28},
            id="whereabouts-range",
        ),
        pytest.param(
            # 20 nodes, EKS keeps 5 a subnet: pods (1024 - 5) // 29 = 35 >= 20, (512 - 5) // 29 = 17;
            # node subnet (pods in it) (1024 - 5) // (1 + 29) = 33, (512 - 5) // 30 = 16.
            ClusterFields(provider="eks", ipam_mode="aws-vpc-cni", max_pods=29, expected_nodes=10),
            {("pod", 4): 22, ("service", 4): 20, ("node", 4): 22},
            id="eks-aws-vpc-cni",
        ),
        pytest.param(
            # GKE: 2 x 32 pods = 64 addresses, a /26 a node; 60 nodes: 2^(26-20) = 64; node subnet 64 - 4.
            ClusterFields(provider="gke", max_pods=32, expected_nodes=30),
            {("pod", 4): 20, ("service", 4): 20, ("node", 4): 26},
            id="gke-flexible-pod-cidr",
        ),
    ],
)
def test_plan_cluster_sizes_networks_by_the_capacity_rules(
    ledger: Ledger, fields: ClusterFields, expected: dict[tuple[str, int], int]
) -> None:
    plan = _plan(ledger, fields=fields, pools=_pools("10.0.0.0/8"))

    assert _lengths(plan) == expected
    assert all(check["ok"] for check in plan.body["checks"])


def test_plan_cluster_sizes_ipv6_networks_from_an_ipv6_pool(ledger: Ledger) -> None:
    # 200 nodes in /64 blocks: 2^(64-56) = 256; /112 services. A /120 node subnet would hold them
    # (256 - 2 = 254), but SLAAC and the clouds need a /64.
    plan = _plan(ledger, fields=ClusterFields(expected_nodes=100), pools=_pools("fd00::/48"))

    assert _lengths(plan) == {("pod", 6): 56, ("service", 6): 112, ("node", 6): 64}
    assert plan.body["capacity"]["IPv6"]["nodes_needed"] == 200
    assert plan.body["capacity"]["IPv6"]["node_capacity"] == 256
    assert (
        "IPv6 node subnet: /64 (default: a /64 at the longest, as SLAAC and the clouds' IPv6 subnets need; "
        "give another length with --node-subnet-prefixlen-v6)"
    ) in plan.body["inputs"]["notes"]


@pytest.mark.parametrize(("given", "expected"), [(120, 120), (100, 100)], ids=["longer", "shorter"])
def test_plan_cluster_ipv6_node_subnet_takes_the_length_given(
    ledger: Ledger, given: int, expected: int
) -> None:
    plan = _plan(
        ledger,
        fields=ClusterFields(expected_nodes=100),
        pools=_pools("fd00::/48"),
        node_subnet_prefixlen_v6=given,
    )

    assert _lengths(plan)[("node", 6)] == expected
    assert plan.body["inputs"]["node_subnet_prefixlen_v6"] == given
    assert not [note for note in plan.body["inputs"]["notes"] if note.startswith("IPv6 node subnet")]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (121, "a /121 IPv6 node subnet holds fewer than the 200 nodes needed: give /120 or shorter"),
        (129, "node subnet prefix length /129 is out of range for IPv6 (0 to 128)"),
    ],
    ids=["too-small", "out-of-range"],
)
def test_plan_cluster_ipv6_node_subnet_too_small_is_refused(
    ledger: Ledger, given: int, expected: str
) -> None:
    before = stored_state(ledger)

    with pytest.raises(InvalidInputError, match=re.escape(expected)):
        _plan(
            ledger,
            fields=ClusterFields(expected_nodes=100),
            pools=_pools("fd00::/48"),
            node_subnet_prefixlen_v6=given,
        )

    assert stored_state(ledger) == before


def test_plan_cluster_sizes_the_load_balancer_pool_by_addresses(ledger: Ledger) -> None:
    pools = {**_pools(POOL), "loadbalancer": (net("192.168.50.0/24"),)}

    plan = _plan(ledger, pools=pools, lb_addresses=20)

    # 20 addresses need 5 host bits (32); the pool is placed with its reserve like the others.
    assert ("loadbalancer", "192.168.50.0/27") in _planned(plan)
    assert ("expansion-reserve", "192.168.50.32/27") in _planned(plan)


def test_plan_cluster_saves_a_proposed_plan_with_inputs_checks_and_capacity(ledger: Ledger) -> None:
    plan = _plan(ledger)

    assert (plan.kind, plan.cluster, plan.status, plan.created_by) == (
        "create-cluster",
        "alpha",
        "proposed",
        ACTOR,
    )
    assert (plan.decided_at, plan.decided_by) == (None, None)
    assert _planned(plan) == PLANNED
    assert plan.body["inputs"]["pools"] == {role: [POOL] for role in ROLES}
    assert [check["ok"] for check in plan.body["checks"]] == [True] * len(plan.body["checks"])
    capacity = plan.body["capacity"]["IPv4"]
    assert (capacity["nodes_needed"], capacity["node_capacity"], capacity["headroom_nodes"]) == (6, 8, 2)
    assert list_plans(ledger) == [plan] == [show_plan(ledger, plan.id)]
    assert [(change.action, change.object_kind) for change in all_changes(ledger)] == [("create", "plan")]


def test_plan_cluster_states_each_defaulted_field_and_why(ledger: Ledger) -> None:
    plan = _plan(
        ledger,
        fields=ClusterFields(),
        pools=_pools("10.0.0.0/8"),
        defaulted=("growth", "node_prefixlen", "node_prefixlen_v6"),
    )

    # IPv6 is not planned (single stack), so its node block is not stated.
    assert plan.body["inputs"]["notes"] == [
        "growth: 2.0 (default: room to double the cluster)",
        "node prefixlen: /24 (default: the IPAM mode's default per-node block)",
    ]


def test_plan_cluster_checks_max_pods_against_the_instances_enis(ledger: Ledger) -> None:
    # m5.large: 3 ENIs of 10 IPv4 addresses. The plan gives pods their own network, which is custom
    # networking: the node's first ENI stays in the node subnet, (3 - 1) x (10 - 1) + 2 = 20 pods.
    fields = ClusterFields(provider="eks", ipam_mode="aws-vpc-cni", max_pods=58, eni_count=3, ips_per_eni=10)
    plan = _plan(ledger, fields=fields, pools=_pools("10.0.0.0/8"))

    [check] = [check for check in plan.body["checks"] if check["check"] == "aws-max-pods"]
    assert (check["ok"], check["severity"]) == (True, "warning")
    assert "max pods 58 exceeds the 20 pods these ENIs can address" in check["detail"]
    figures = {figure["name"]: figure["value"] for figure in plan.body["capacity"]["IPv4"]["figures"]}
    assert figures["pods the ENIs allow"] == 20
    apply_plan(ledger, plan.id, actor="bob")
    cluster = show_cluster(ledger, "alpha").cluster
    assert (cluster.eni_count, cluster.ips_per_eni, cluster.vcpus) == (3, 10, None)


# --- placement -----------------------------------------------------------------------------------

OCCUPIED = ("10.0.0.0/26", "10.0.1.100-10.0.1.110", "10.0.2.7")


def _occupy(ledger: Ledger) -> None:
    add_prefix(ledger, POOL)
    add_prefix(ledger, OCCUPIED[0])
    add_range(ledger, OCCUPIED[1])
    add_address(ledger, OCCUPIED[2])


def test_plan_cluster_places_each_network_with_its_reserve_in_free_space(ledger: Ledger) -> None:
    _occupy(ledger)

    planned = _planned(_plan(ledger))

    networks, reserves = planned[0::2], planned[1::2]
    assert [role for role, _ in networks] == list(ROLES)
    assert {role for role, _ in reserves} == {"expansion-reserve"}
    doubles = []
    for (_, network_text), (_, reserve_text) in zip(networks, reserves, strict=True):
        network, reserve = net(network_text), net(reserve_text)
        double = network.supernet()
        assert list(double.subnets()) == [network, reserve]  # aligned, the reserve the half after it
        assert double.subnet_of(net(POOL))  # type: ignore[arg-type]
        assert not any(IPRange.from_network(double).overlaps(span(taken)) for taken in OCCUPIED)
        doubles.append(double)
    assert not any(one.overlaps(other) for one, other in combinations(doubles, 2))


def test_plan_cluster_takes_the_lowest_free_blocks_largest_first(ledger: Ledger) -> None:
    _occupy(ledger)

    # The pod's /24 double: 10.0.0-2.0/24 each hold something, so 10.0.3.0/24; then the /27 doubles
    # in the lowest free space, right after 10.0.0.0/26.
    assert _planned(_plan(ledger)) == [
        ("pod", "10.0.3.0/25"),
        ("expansion-reserve", "10.0.3.128/25"),
        ("service", "10.0.0.64/28"),
        ("expansion-reserve", "10.0.0.80/28"),
        ("node", "10.0.0.96/28"),
        ("expansion-reserve", "10.0.0.112/28"),
    ]


def test_plan_cluster_never_overlaps_itself_across_overlapping_pools(ledger: Ledger) -> None:
    pools = {
        "pod": (net(POOL),),
        "service": (net("10.0.0.128/25"),),
        "node": (net("10.0.3.0/24"),),
    }

    planned = [net(cidr) for _, cidr in _planned(_plan(ledger, pools=pools))]

    assert not any(one.overlaps(other) for one, other in combinations(planned, 2))


@pytest.mark.parametrize(
    ("dual_stack", "sizes"),
    [
        (False, "/20 for IPv4, 4,094 ClusterIPs"),
        (True, "/20 for IPv4, 4,094 ClusterIPs; /112 for IPv6, 65,535 ClusterIPs"),
    ],
    ids=["ipv4", "dual-stack"],
)
def test_plan_cluster_states_the_service_cidr_it_picks_without_expected_services(
    ledger: Ledger, dual_stack: bool, sizes: str
) -> None:
    plan = _plan(
        ledger,
        fields=ClusterFields(dual_stack=dual_stack),
        pools=_pools("10.0.0.0/8", "fd00::/48"),
        defaulted=("expected_services",),
    )

    assert plan.body["inputs"]["notes"][0] == (
        f"expected services: not given (default: the planner's service CIDR, {sizes})"
    )
    assert _lengths(plan)[("service", 4)] == 20


# --- other clusters' space -----------------------------------------------------------------------

CLAIM_ROLES = ("pod", "service", "node", "loadbalancer", "expansion-reserve")


def _other_cluster(ledger: Ledger, *networks: tuple[str, str]) -> None:
    """Cluster prod-eu-2 with the given (CIDR, role) networks."""
    add_cluster(ledger, "prod-eu-2")
    for cidr, role in networks:
        add_prefix(ledger, cidr, role=role, managed_by="cluster:prod-eu-2")


@pytest.mark.parametrize("role", CLAIM_ROLES)
@pytest.mark.parametrize("claim", ["10.0.0.0/15", POOL], ids=["around-the-pool", "equal-to-the-pool"])
def test_plan_cluster_never_places_in_another_clusters_network(ledger: Ledger, role: str, claim: str) -> None:
    _other_cluster(ledger, (claim, role))
    before = stored_state(ledger)

    with pytest.raises(ExhaustedError) as caught:
        _plan(ledger)

    what = "the expansion reserve" if role == "expansion-reserve" else f"the {role} network"
    assert f"{POOL} has no free space left" in str(caught.value)
    assert f"({POOL} lies in {what} {claim} of cluster prod-eu-2, which no other cluster may use)" in str(
        caught.value
    )
    assert stored_state(ledger) == before


def test_plan_cluster_pod_pool_inside_another_clusters_pod_network_is_refused(ledger: Ledger) -> None:
    # The audit's case: prod-eu-2's pod network is 10.0.0.0/15 and the pod pool 10.0.4.0/22 lies in it.
    _other_cluster(ledger, ("10.0.0.0/15", "pod"), ("10.2.0.0/15", "expansion-reserve"))
    pools = {**_pools("192.168.0.0/22"), "pod": (net("10.0.4.0/22"),)}

    with pytest.raises(ExhaustedError, match=re.escape("the pod network 10.0.0.0/15 of cluster prod-eu-2")):
        _plan(ledger, "c", pools=pools)

    assert list_plans(ledger) == []


def test_plan_cluster_service_pool_in_another_clusters_reserve_leaves_it_room_to_grow(ledger: Ledger) -> None:
    _other_cluster(
        ledger,
        ("10.0.0.0/22", "pod"),
        ("10.96.0.0/24", "service"),
        ("10.96.1.0/24", "expansion-reserve"),
    )
    pools = {**_pools("192.168.0.0/22"), "service": (net("10.96.1.0/26"),)}

    with pytest.raises(
        ExhaustedError, match=re.escape("the expansion reserve 10.96.1.0/24 of cluster prod-eu-2")
    ):
        _plan(ledger, "c", pools=pools)

    grow = plan_growth(ledger, "prod-eu-2", actor=ACTOR, role="service")
    first = grow.body["checks"][0]
    assert (first["check"], first["ok"]) == ("reserve is empty", True)


def test_plan_cluster_skips_a_claimed_pool_for_the_next_and_says_so(ledger: Ledger) -> None:
    _other_cluster(ledger, ("10.0.0.0/16", "pod"))
    pools = _pools("10.0.4.0/22", "10.1.0.0/22")

    plan = _plan(ledger, pools=pools)

    assert all(net(cidr).subnet_of(net("10.1.0.0/22")) for _, cidr in _planned(plan))  # type: ignore[arg-type]
    assert (
        "pool 10.0.4.0/22 lies in the pod network 10.0.0.0/16 of cluster prod-eu-2: nothing is placed there"
        in (plan.body["inputs"]["notes"])
    )


@pytest.mark.parametrize("role", ["infrastructure", "general"])
def test_plan_cluster_places_inside_a_parent_no_cluster_manages(ledger: Ledger, role: str) -> None:
    add_prefix(ledger, "10.0.0.0/8", role=role, managed_by="terraform")
    add_prefix(ledger, POOL, role=role, tags=("pool:pod",))

    plan = _plan(ledger)

    assert _planned(plan) == PLANNED
    apply_plan(ledger, plan.id, actor="bob")
    assert _networks_of(ledger, "alpha")[0] == ("pod", "10.0.0.0/25", "active")


@pytest.mark.parametrize("role", CLAIM_ROLES)
@pytest.mark.parametrize(
    "claim", ["10.0.0.0/16", POOL, "10.0.0.0/25"], ids=["around-pool", "pool", "network"]
)
def test_apply_plan_refuses_a_network_that_now_lies_in_another_clusters(
    ledger: Ledger, role: str, claim: str
) -> None:
    add_prefix(ledger, "10.0.0.0/8", role="infrastructure")
    plan = _plan(ledger)
    _other_cluster(ledger, (claim, role))
    before = stored_state(ledger)

    with pytest.raises(ConflictError) as caught:
        apply_plan(ledger, plan.id, actor="bob")

    what = "the expansion reserve" if role == "expansion-reserve" else f"the {role} network"
    assert str(caught.value) == (
        f"plan {plan.id} cannot be applied, nothing was changed: 10.0.0.0/25 is no longer free in space "
        f"global: it lies in {what} {claim} of cluster prod-eu-2"
    )
    assert stored_state(ledger) == before


# --- pools ---------------------------------------------------------------------------------------


def test_plan_cluster_uses_pools_tagged_in_the_nearest_group_above(ledger: Ledger) -> None:
    add_group(ledger, "k8s/prod/eu")
    add_group(ledger, "k8s/dev")
    add_prefix(ledger, "10.0.0.0/22", group="k8s", tags=("pool:pod", "pool:service", "pool:node"))
    add_prefix(ledger, "10.4.0.0/22", group="k8s/prod", tags=("pool:pod",))
    add_prefix(ledger, "10.8.0.0/22", group="k8s/dev", tags=("pool:pod", "pool:service", "pool:node"))

    plan = plan_cluster(ledger, "alpha", replace(SMALL, group="k8s/prod/eu"), actor=ACTOR, pools={})

    pools = [
        (change["role"], change["pool"])
        for change in plan.body["changes"][1:]
        if change["role"] != "expansion-reserve"
    ]
    assert pools == [("pod", "10.4.0.0/22"), ("service", POOL), ("node", POOL)]
    assert _planned(plan)[0] == ("pod", "10.4.0.0/25")
    assert plan.body["inputs"]["notes"] == [
        "pod pools for IPv4 from group k8s/prod (tagged pool:pod)",
        "service pools for IPv4 from group k8s (tagged pool:service)",
        "node pools for IPv4 from group k8s (tagged pool:node)",
    ]


@pytest.mark.parametrize(
    ("fields", "pools", "expected"),
    [
        ({}, {}, "no IPv4 pool for the pod network: give --pod-pool CIDR"),
        ({}, {"pod": (POOL,)}, "no IPv4 pool for the service network"),
        ({}, {"pod": (POOL,), "service": (POOL,)}, "no IPv4 pool for the node network"),
        ({"dual_stack": True}, {role: (POOL,) for role in ROLES}, "no IPv6 pool for the pod network"),
        ({"group": "k8s"}, {}, "or tag a prefix of group k8s (or a group above it) with pool:pod"),
    ],
    ids=["none", "no-service-pool", "no-node-pool", "dual-stack-without-ipv6", "group-without-tags"],
)
def test_plan_cluster_without_a_pool_names_the_role_and_family(
    ledger: Ledger, fields: dict[str, Any], pools: dict[str, tuple[str, ...]], expected: str
) -> None:
    add_group(ledger, "k8s")
    add_prefix(ledger, POOL, group="k8s")  # in the group, but not tagged as a pool
    before = stored_state(ledger)
    given = {role: tuple(net(cidr) for cidr in cidrs) for role, cidrs in pools.items()}

    with pytest.raises(InvalidInputError) as caught:
        _plan(ledger, fields=replace(SMALL, **fields), pools=given)

    assert expected in str(caught.value)
    assert stored_state(ledger) == before


def test_plan_cluster_dual_stack_plans_both_families(ledger: Ledger) -> None:
    plan = _plan(
        ledger,
        fields=replace(SMALL, dual_stack=True),
        pools=_pools(POOL, POOL6),
        node_subnet_prefixlen_v6=125,
    )

    assert _lengths(plan) == {
        ("pod", 4): 25,
        ("service", 4): 28,
        ("node", 4): 28,
        ("pod", 6): 121,
        ("service", 6): 124,
        ("node", 6): 125,
    }
    assert all(net(cidr).subnet_of(net(POOL if ":" not in cidr else POOL6)) for _, cidr in _planned(plan))  # type: ignore[arg-type]
    assert sorted(plan.body["capacity"]) == ["IPv4", "IPv6"]


@pytest.mark.parametrize(
    ("name", "fields", "options", "expected"),
    [
        ("alpha", SMALL, {"pools": {"storage": (net(POOL),)}}, "pools for unknown role(s) storage"),
        ("alpha", SMALL, {"lb_addresses": 0}, "load-balancer addresses must be at least 1, not 0"),
        ("alpha", ClusterFields(growth=0.5), {}, "growth 0.5"),
        ("alpha", ClusterFields(ipam_mode="weave"), {}, "unknown ipam mode 'weave'"),
        ("no/slash", SMALL, {}, "cluster name 'no/slash'"),
    ],
    ids=["unknown-role", "no-lb-addresses", "growth-below-1", "unknown-ipam-mode", "bad-name"],
)
def test_plan_cluster_refuses_bad_input_and_saves_nothing(
    ledger: Ledger, name: str, fields: ClusterFields, options: dict[str, Any], expected: str
) -> None:
    before = stored_state(ledger)

    with pytest.raises(InvalidInputError) as caught:
        _plan(ledger, name, fields, **options)

    assert expected in str(caught.value)
    assert stored_state(ledger) == before


# --- exhaustion and existing clusters ------------------------------------------------------------


def _full_pool(ledger: Ledger) -> None:
    add_prefix(ledger, POOL)
    for third in range(4):
        add_prefix(ledger, f"10.0.{third}.0/25")


@pytest.mark.parametrize(
    ("setup", "pool", "expected"),
    [
        (lambda ledger: None, "10.0.0.0/26", "10.0.0.0/26 is smaller than a /24"),
        (_full_pool, POOL, "10.0.0.0/22 has no free /24 (largest free block: /25)"),
    ],
    ids=["pool-too-small", "pool-filled"],
)
def test_plan_cluster_exhausted_pool_saves_nothing(
    ledger: Ledger, setup: Callable[[Ledger], None], pool: str, expected: str
) -> None:
    setup(ledger)
    before = stored_state(ledger)

    with pytest.raises(ExhaustedError) as caught:
        _plan(ledger, pools=_pools(pool))

    assert "the pod network (/25 with its expansion reserve) fits in no pool" in str(caught.value)
    assert expected in str(caught.value)
    assert list_plans(ledger) == []
    assert stored_state(ledger) == before  # no plan row, no audit entry


def test_plan_cluster_for_an_existing_cluster_conflicts(ledger: Ledger) -> None:
    add_cluster(ledger, "alpha")
    before = stored_state(ledger)

    with pytest.raises(ConflictError, match="cluster alpha already exists: plan its growth"):
        _plan(ledger)

    assert stored_state(ledger) == before


# --- apply and discard ---------------------------------------------------------------------------


def test_apply_plan_creates_the_cluster_and_its_networks(ledger: Ledger) -> None:
    add_prefix(ledger, POOL)
    plan = _plan(ledger)

    applied = apply_plan(ledger, plan.id, actor="bob")

    assert show_cluster(ledger, "alpha").cluster.status == "active"
    assert _networks_of(ledger, "alpha") == [
        (role, cidr, "reserved" if role == "expansion-reserve" else "active") for role, cidr in PLANNED
    ]
    assert {prefix_of(ledger, cidr).managed_by for _, cidr in PLANNED} == {"cluster:alpha"}
    assert (applied.plan.status, applied.plan.decided_by) == ("applied", "bob")
    assert show_plan(ledger, plan.id) == applied.plan
    assert applied.done[0] == "created cluster alpha"
    assert len(applied.done) == 1 + len(PLANNED)


def test_apply_plan_records_every_change_in_the_audit_log(ledger: Ledger) -> None:
    add_prefix(ledger, POOL)
    plan = _plan(ledger)

    apply_plan(ledger, plan.id, actor="bob")

    changes = [(change.action, change.object_kind, change.actor) for change in all_changes(ledger)[1:]]
    assert changes == [
        ("create", "plan", ACTOR),
        ("create", "cluster", "bob"),
        *[("create", "prefix", "bob")] * len(PLANNED),
        ("apply", "plan", "bob"),
    ]
    labels = [change.object_label for change in all_changes(ledger) if change.object_kind == "prefix"]
    assert labels == [f"{POOL} (global)", *[f"{cidr} (global)" for _, cidr in PLANNED]]


def test_apply_plan_keeps_counters_and_free_space_consistent(ledger: Ledger) -> None:
    _occupy(ledger)

    apply_plan(ledger, _plan(ledger).id, actor="bob")

    check_against_recount(ledger, "after applying a cluster plan")


@pytest.mark.parametrize(
    ("record", "in_the_way"),
    [
        (
            lambda ledger: add_address(ledger, "10.0.0.5"),
            "10.0.0.0/25 is no longer free in space global: address 10.0.0.5 was recorded in it",
        ),
        (
            lambda ledger: add_address(ledger, "10.0.0.200"),
            "10.0.0.128/25 is no longer free in space global: address 10.0.0.200",
        ),
        (
            lambda ledger: add_address(ledger, "10.0.1.40"),
            "10.0.1.32/28 is no longer free in space global: address 10.0.1.40",
        ),
        (
            lambda ledger: add_range(ledger, "10.0.0.10-10.0.0.20"),
            "range 10.0.0.10-10.0.0.20 (general, manual) was recorded in it",
        ),
        (
            lambda ledger: add_prefix(ledger, "10.0.0.64/26"),
            "prefix 10.0.0.64/26 (general, manual) was recorded inside it",
        ),
        (
            lambda ledger: add_prefix(ledger, "10.0.0.0/25"),
            "prefix 10.0.0.0/25 (general, manual) now covers it",
        ),
        (
            lambda ledger: add_prefix(ledger, "10.0.0.0/23"),
            "prefix 10.0.0.0/23 (general, manual) now covers it",
        ),
    ],
    ids=[
        "address-in-pod",
        "address-in-reserve",
        "address-in-node",
        "range-in-pod",
        "prefix-inside-pod",
        "same-prefix-as-pod",
        "prefix-around-pod",
    ],
)
def test_apply_plan_rechecks_planned_blocks_and_changes_nothing(
    ledger: Ledger, record: Callable[[Ledger], object], in_the_way: str
) -> None:
    add_prefix(ledger, POOL)
    plan = _plan(ledger)
    record(ledger)
    before = stored_state(ledger)

    with pytest.raises(ConflictError) as caught:
        apply_plan(ledger, plan.id, actor="bob")

    assert str(caught.value).startswith(f"plan {plan.id} cannot be applied, nothing was changed: ")
    assert in_the_way in str(caught.value)
    assert stored_state(ledger) == before  # no cluster, no prefix, no audit entry
    assert show_plan(ledger, plan.id).status == "proposed"


def test_apply_plan_when_the_cluster_was_recorded_meanwhile_conflicts(ledger: Ledger) -> None:
    add_prefix(ledger, POOL)
    plan = _plan(ledger)
    add_cluster(ledger, "alpha")
    before = stored_state(ledger)

    with pytest.raises(ConflictError, match="nothing was changed: cluster alpha already exists"):
        apply_plan(ledger, plan.id, actor="bob")

    assert stored_state(ledger) == before


def test_apply_plan_refuses_a_plan_whose_checks_failed(ledger: Ledger) -> None:
    plan = _plan(ledger, pools={**_pools(POOL), "service": (net("172.17.0.0/24"),)})
    assert [check["check"] for check in plan.body["checks"] if not check["ok"]] == ["overlaps-special-range"]
    before = stored_state(ledger)

    with pytest.raises(ConflictError, match=f"plan {plan.id} failed 1 check\\(s\\) when it was made"):
        apply_plan(ledger, plan.id, actor="bob")

    assert stored_state(ledger) == before


def _apply(ledger: Ledger, plan_id: int) -> object:
    return apply_plan(ledger, plan_id, actor="bob")


def _discard(ledger: Ledger, plan_id: int) -> object:
    return discard_plan(ledger, plan_id, actor="bob")


@pytest.mark.parametrize(
    ("first", "then", "status"),
    [
        (_apply, _apply, "applied"),
        (_discard, _apply, "discarded"),
        (_apply, _discard, "applied"),
        (_discard, _discard, "discarded"),
    ],
    ids=["apply-twice", "apply-discarded", "discard-applied", "discard-twice"],
)
def test_apply_plan_only_a_proposed_plan_can_be_decided(
    ledger: Ledger, first: Callable[[Ledger, int], object], then: Callable[[Ledger, int], object], status: str
) -> None:
    add_prefix(ledger, POOL)
    plan = _plan(ledger)
    first(ledger, plan.id)
    before = stored_state(ledger)

    with pytest.raises(ConflictError, match=f"plan {plan.id} was {status} by bob at .*only a proposed plan"):
        then(ledger, plan.id)

    assert stored_state(ledger) == before


def test_discard_plan_sets_it_aside_and_is_audited(ledger: Ledger) -> None:
    plan = _plan(ledger)

    discarded = discard_plan(ledger, plan.id, actor="bob")

    assert (discarded.status, discarded.decided_by, discarded.version) == ("discarded", "bob", 2)
    assert discarded.decided_at is not None
    assert list_plans(ledger, status="discarded") == [discarded]
    assert list_plans(ledger, status="proposed") == []
    assert list_clusters(ledger) == []
    change = all_changes(ledger)[-1]
    assert (change.action, change.object_kind, change.object_id, change.actor) == (
        "discard",
        "plan",
        plan.id,
        "bob",
    )


@pytest.mark.parametrize(
    "call",
    [_apply, _discard, lambda ledger, plan_id: show_plan(ledger, plan_id)],
    ids=["apply", "discard", "show"],
)
def test_plan_unknown_id_is_not_found(ledger: Ledger, call: Callable[[Ledger, int], object]) -> None:
    with pytest.raises(NotFoundError, match="no plan with id 99"):
        call(ledger, 99)


# --- growth --------------------------------------------------------------------------------------

GROWTH_CHECKS_OK = [
    ("reserve is empty", True),
    ("outside other clusters", True),
    ("wider block not recorded", True),
]


@pytest.mark.parametrize(
    ("role", "inside", "old", "wider"),
    [
        ("pod", "10.0.0.5", "10.0.0.0/25", "10.0.0.0/24"),
        ("service", "10.0.1.5", "10.0.1.0/28", "10.0.1.0/27"),
        ("node", "10.0.1.35", "10.0.1.32/28", "10.0.1.32/27"),
    ],
    ids=["pod", "service", "node"],
)
def test_plan_growth_widens_a_network_into_its_reserve(
    ledger: Ledger, role: str, inside: str, old: str, wider: str
) -> None:
    _new_cluster(ledger)
    add_address(ledger, inside)

    plan = plan_growth(ledger, "alpha", actor=ACTOR, role=role)
    assert [(check["check"], check["ok"]) for check in plan.body["checks"]] == GROWTH_CHECKS_OK
    apply_plan(ledger, plan.id, actor="bob")

    networks = _networks_of(ledger, "alpha")
    assert (role, wider, "active") in networks
    assert all(cidr != old and not net(cidr).overlaps(net(wider)) for _, cidr, _ in networks if cidr != wider)
    assert [str(item.address) for item in list_addresses(ledger)] == [inside]
    assert prefix_of(ledger, wider).usage.used == 1
    check_against_recount(ledger, f"after growing the {role} network")


def _samples_of(ledger: Ledger, prefix_id: int) -> list[tuple[datetime, int, int]]:
    with ledger.reading() as session:
        rows = session.scalars(
            select(UtilizationSample)
            .where(UtilizationSample.subject_kind == "prefix", UtilizationSample.subject_id == prefix_id)
            .order_by(UtilizationSample.id)
        )
        return [(row.at, row.used, row.total) for row in rows]


def open_finding_of(ledger: Ledger, prefix_id: int) -> WatchFinding:
    with ledger.reading() as session:
        return session.scalars(
            select(WatchFinding).where(
                WatchFinding.subject_kind == "prefix",
                WatchFinding.subject_id == prefix_id,
                WatchFinding.closed_at.is_(None),
            )
        ).one()


def _fill_with_a_range(ledger: Ledger) -> None:
    add_range(ledger, "10.0.0.10-10.0.0.20", role="loadbalancer", managed_by="cluster:alpha")
    add_address(ledger, "10.0.0.12")


def _fill_with_addresses(ledger: Ledger) -> None:
    add_address(ledger, "10.0.0.5")
    add_address(ledger, "10.0.0.6")


@pytest.mark.parametrize("fill", [_fill_with_a_range, _fill_with_addresses], ids=["range", "addresses"])
@pytest.mark.parametrize("pool", [None, POOL], ids=["outermost", "in-a-recorded-pool"])
def test_apply_plan_growth_widens_the_same_prefix_in_place(
    ledger: Ledger, fill: Callable[[Ledger], None], pool: str | None
) -> None:
    if pool is not None:
        add_prefix(ledger, pool)
    apply_plan(ledger, _plan(ledger).id, actor="bob")
    # Two addresses of 126 are 1.6 %, of 254 still 0.8 %: the warning stays open across the growth.
    update_prefix(ledger, net("10.0.0.0/25"), actor=ACTOR, changes={"thresholds": Thresholds(0.5, 90, 95)})
    fill(ledger)
    before = prefix_of(ledger, "10.0.0.0/25")
    reserve = prefix_of(ledger, "10.0.0.128/25")
    history = _samples_of(ledger, before.id)
    finding = open_finding_of(ledger, before.id)
    logged = len(all_changes(ledger))

    plan = plan_growth(ledger, "alpha", actor=ACTOR)
    applied = apply_plan(ledger, plan.id, actor="bob")

    assert [(check["check"], check["ok"]) for check in plan.body["checks"]] == GROWTH_CHECKS_OK
    assert applied.done == ("widened 10.0.0.0/25 to 10.0.0.0/24 (its reserve 10.0.0.128/25)",)
    after = prefix_of(ledger, "10.0.0.0/24")
    assert (after.id, after.version, after.role, after.managed_by) == (
        before.id,
        before.version + 1,
        "pod",
        "cluster:alpha",
    )
    assert (after.usage.used, after.usage.size, after.usage.usable) == (before.usage.used, 256, 254)
    with pytest.raises(NotFoundError):
        prefix_of(ledger, "10.0.0.128/25")
    changes = [(item.action, item.object_kind, item.object_id) for item in all_changes(ledger)[logged:]]
    assert changes == [
        ("create", "plan", plan.id),
        ("delete", "prefix", reserve.id),
        ("update", "prefix", before.id),
        ("apply", "plan", plan.id),
    ]
    update = all_changes(ledger)[logged + 2]
    assert (update.before or {})["prefix"] == "10.0.0.0/25"
    assert (update.after or {})["prefix"] == "10.0.0.0/24"
    assert _samples_of(ledger, before.id)[: len(history)] == history  # kept, and sampled again
    assert len(_samples_of(ledger, before.id)) == len(history) + 1
    grown = open_finding_of(ledger, before.id)
    assert (grown.id, grown.subject) == (finding.id, "10.0.0.0/24")
    assert [str(item.span) for item in list_ranges(ledger)] == (
        ["10.0.0.10-10.0.0.20"] if fill is _fill_with_a_range else []
    )
    assert error_findings(ledger) == []
    check_against_recount(ledger, "after widening a prefix in place")


def test_plan_growth_into_another_clusters_network_fails_its_check(ledger: Ledger) -> None:
    _new_cluster(ledger)
    add_prefix(ledger, "10.0.0.0/23", role="pod", managed_by="cluster:beta")

    plan = plan_growth(ledger, "alpha", actor=ACTOR)
    before = stored_state(ledger)

    failed = [(check["check"], check["detail"]) for check in plan.body["checks"] if not check["ok"]]
    assert failed == [
        ("outside other clusters", "10.0.0.0/24 lies in the pod network 10.0.0.0/23 of cluster beta")
    ]
    with pytest.raises(ConflictError, match=r"failed 1 check\(s\) when it was made"):
        apply_plan(ledger, plan.id, actor="bob")
    assert stored_state(ledger) == before


@pytest.mark.parametrize(
    ("record", "in_the_way"),
    [
        (
            lambda ledger: add_prefix(ledger, "10.0.0.0/24", role="pod", managed_by="cluster:beta"),
            "10.0.0.0/25 cannot widen to 10.0.0.0/24: the pod network 10.0.0.0/24 of cluster beta is recorded there",
        ),
        (
            lambda ledger: add_prefix(
                ledger, "10.0.0.0/23", role="expansion-reserve", managed_by="cluster:beta"
            ),
            "10.0.0.0/25 cannot widen to 10.0.0.0/24: it would lie in the expansion reserve 10.0.0.0/23 "
            "of cluster beta",
        ),
        (
            lambda ledger: add_prefix(ledger, "10.0.0.0/24"),
            "10.0.0.0/25 cannot widen to 10.0.0.0/24: prefix 10.0.0.0/24 (general, manual) is recorded there",
        ),
        (
            lambda ledger: add_address(ledger, "10.0.0.129"),
            "10.0.0.128/25 is no longer empty: it now holds 1 address(es)",
        ),
    ],
    ids=[
        "other-cluster-at-the-wider-block",
        "other-cluster-reserve-around",
        "wider-block-recorded",
        "address",
    ],
)
def test_apply_plan_growth_rechecks_the_wider_block_under_its_locks(
    ledger: Ledger, record: Callable[[Ledger], object], in_the_way: str
) -> None:
    _new_cluster(ledger)
    plan = plan_growth(ledger, "alpha", actor=ACTOR)
    record(ledger)
    before = stored_state(ledger)

    with pytest.raises(ConflictError) as caught:
        apply_plan(ledger, plan.id, actor="bob")

    assert str(caught.value) == f"plan {plan.id} cannot be applied, nothing was changed: {in_the_way}"
    assert stored_state(ledger) == before


def test_apply_plan_growth_saved_as_delete_then_resize_still_widens_in_place(ledger: Ledger) -> None:
    # Growth plans saved before widening in place deleted the reserve first, then resized.
    _new_cluster(ledger)
    _fill_with_a_range(ledger)
    pod = prefix_of(ledger, "10.0.0.0/25")
    changes = [
        {"action": "delete", "kind": "prefix", "space": "global", "prefix": "10.0.0.128/25", "empty": True},
        {
            "action": "resize",
            "kind": "prefix",
            "space": "global",
            "prefix": "10.0.0.0/25",
            "to": "10.0.0.0/24",
        },
    ]
    body = {"inputs": {"cluster": "alpha"}, "changes": changes, "checks": [], "capacity": {}}
    plan = save_plan(ledger, "grow-cluster", "alpha", "grow cluster alpha", body, actor=ACTOR)

    applied = apply_plan(ledger, plan.id, actor="bob")

    assert applied.done == ("released 10.0.0.128/25", "widened 10.0.0.0/25 to 10.0.0.0/24")
    assert prefix_of(ledger, "10.0.0.0/24").id == pod.id
    assert error_findings(ledger) == []
    check_against_recount(ledger, "after an old growth plan")


def test_plan_growth_improves_the_capacity_of_the_plan(ledger: Ledger) -> None:
    _new_cluster(ledger)

    plan = plan_growth(ledger, "alpha", actor=ACTOR)

    # A /24 into /28 node blocks: 2^4 = 16 nodes, against 8 before.
    assert plan.body["capacity"]["IPv4"]["node_capacity"] == 16
    assert plan.summary == "grow cluster alpha: pod 10.0.0.0/25 to 10.0.0.0/24 (its reserve 10.0.0.128/25)"


@pytest.mark.parametrize(
    ("networks", "role", "expected"),
    [
        (
            [("10.0.0.0/24", "pod")],
            "pod",
            "10.0.0.0/24 of cluster edge has no expansion reserve after it (10.0.0.0/23",
        ),
        (
            [("10.0.1.0/24", "pod"), ("10.0.0.0/24", "expansion-reserve")],
            "pod",
            "10.0.1.0/24 of cluster edge has no expansion reserve after it",
        ),
        ([("10.0.0.0/24", "pod")], "service", "cluster edge has no IPv4 service network to grow"),
        ([("10.0.0.0/24", "pod")], "storage", "role must be one of pod, service, node, loadbalancer"),
    ],
    ids=["no-reserve", "reserve-before-the-network", "no-such-network", "unknown-role"],
)
def test_plan_growth_without_a_reserve_is_refused(
    ledger: Ledger, networks: list[tuple[str, str]], role: str, expected: str
) -> None:
    add_cluster(ledger, "edge")
    for cidr, network_role in networks:
        add_prefix(ledger, cidr, role=network_role, managed_by="cluster:edge")
    before = stored_state(ledger)

    with pytest.raises(InvalidInputError) as caught:
        plan_growth(ledger, "edge", actor=ACTOR, role=role)

    assert expected in str(caught.value)
    assert stored_state(ledger) == before


def test_plan_growth_twice_finds_no_reserve_left(ledger: Ledger) -> None:
    _new_cluster(ledger)
    apply_plan(ledger, plan_growth(ledger, "alpha", actor=ACTOR).id, actor="bob")
    before = stored_state(ledger)

    with pytest.raises(
        InvalidInputError, match=re.escape("10.0.0.0/24 of cluster alpha has no expansion reserve")
    ):
        plan_growth(ledger, "alpha", actor=ACTOR)

    assert stored_state(ledger) == before


@pytest.mark.parametrize(
    ("record", "holds"),
    [
        (lambda ledger: add_address(ledger, "10.0.0.130"), "10.0.0.128/25 holds 1 address(es)"),
        (
            lambda ledger: add_prefix(ledger, "10.0.0.192/26"),
            "10.0.0.128/25 holds 1 prefix(es), e.g. 10.0.0.192/26",
        ),
        (
            lambda ledger: add_range(ledger, "10.0.0.140-10.0.0.150"),
            "holds 1 range(s), e.g. 10.0.0.140-10.0.0.150",
        ),
    ],
    ids=["address", "prefix", "range"],
)
def test_plan_growth_reserve_in_use_fails_its_check_and_apply_refuses(
    ledger: Ledger, record: Callable[[Ledger], object], holds: str
) -> None:
    _new_cluster(ledger)
    record(ledger)

    plan = plan_growth(ledger, "alpha", actor=ACTOR)
    before = stored_state(ledger)

    check = plan.body["checks"][0]
    assert (check["check"], check["ok"]) == ("reserve is empty", False)
    assert holds in check["detail"]
    with pytest.raises(ConflictError, match=r"failed 1 check\(s\) when it was made"):
        apply_plan(ledger, plan.id, actor="bob")
    assert stored_state(ledger) == before


def test_apply_plan_growth_rechecks_that_the_reserve_is_still_empty(ledger: Ledger) -> None:
    _new_cluster(ledger)
    plan = plan_growth(ledger, "alpha", actor=ACTOR)
    add_prefix(ledger, "10.0.0.192/26")
    before = stored_state(ledger)

    with pytest.raises(ConflictError, match="nothing was changed"):
        apply_plan(ledger, plan.id, actor="bob")

    assert stored_state(ledger) == before


def test_plan_growth_widens_the_ipv6_pod_network_of_a_dual_stack_cluster(ledger: Ledger) -> None:
    add_prefix(ledger, POOL)
    add_prefix(ledger, POOL6)
    fields = replace(SMALL, dual_stack=True)
    planned = _plan(ledger, fields=fields, pools=_pools(POOL, POOL6), node_subnet_prefixlen_v6=125)
    apply_plan(ledger, planned.id, actor="bob")

    add_address(ledger, "fd00::7")
    pod = prefix_of(ledger, "fd00::/121")

    plan = plan_growth(ledger, "alpha", actor=ACTOR, family=6)
    apply_plan(ledger, plan.id, actor="bob")

    assert plan.summary == "grow cluster alpha: pod fd00::/121 to fd00::/120 (its reserve fd00::80/121)"
    assert prefix_of(ledger, "fd00::/120").id == pod.id
    check_against_recount(ledger, "after widening an IPv6 prefix in place")


# --- decommissioning -----------------------------------------------------------------------------


def _cluster_in_use(ledger: Ledger) -> None:
    """A SMALL cluster with addresses in its pod and node networks, a range of its own in the
    service network with an address in it, and an address outside the cluster."""
    _new_cluster(ledger)
    add_address(ledger, "10.0.0.5")
    add_address(ledger, "10.0.1.35")
    add_range(ledger, "10.0.1.2-10.0.1.6", role="loadbalancer", managed_by="cluster:alpha")
    add_address(ledger, "10.0.1.3")
    add_address(ledger, "10.0.2.9")


def test_plan_decommission_release_deletes_networks_ranges_and_their_addresses(ledger: Ledger) -> None:
    _cluster_in_use(ledger)

    plan = plan_decommission(ledger, "alpha", actor=ACTOR, release=True)
    apply_plan(ledger, plan.id, actor="bob")

    detail = show_cluster(ledger, "alpha")
    assert (detail.cluster.status, detail.prefixes, detail.ranges) == ("decommissioned", (), ())
    assert [str(item.address) for item in list_addresses(ledger)] == ["10.0.2.9"]
    assert list_ranges(ledger) == []
    assert prefix_of(ledger, POOL).usage.covered == 0
    check_against_recount(ledger, "after releasing a cluster")


def test_plan_decommission_without_release_marks_networks_deprecated(ledger: Ledger) -> None:
    _cluster_in_use(ledger)

    apply_plan(ledger, plan_decommission(ledger, "alpha", actor=ACTOR, release=False).id, actor="bob")

    detail = show_cluster(ledger, "alpha")
    assert detail.cluster.status == "decommissioned"
    assert _networks_of(ledger, "alpha") == [(role, cidr, "deprecated") for role, cidr in PLANNED]
    assert [item.status for item in detail.ranges] == ["deprecated"]
    assert len(list_addresses(ledger)) == 4
    check_against_recount(ledger, "after deprecating a cluster")


def test_plan_decommission_release_deletes_the_addresses_of_its_ranges(ledger: Ledger) -> None:
    add_prefix(ledger, "10.9.0.0/24", role="loadbalancer")
    add_cluster(ledger, "edge")
    add_range(ledger, "10.9.0.10-10.9.0.20", role="loadbalancer", managed_by="cluster:edge")
    add_address(ledger, "10.9.0.12")

    apply_plan(ledger, plan_decommission(ledger, "edge", actor=ACTOR, release=True).id, actor="bob")

    assert list_addresses(ledger) == []


def test_plan_decommission_twice_conflicts(ledger: Ledger) -> None:
    _new_cluster(ledger)
    apply_plan(ledger, plan_decommission(ledger, "alpha", actor=ACTOR, release=False).id, actor="bob")

    with pytest.raises(ConflictError, match="cluster alpha is already decommissioned"):
        plan_decommission(ledger, "alpha", actor=ACTOR, release=True)


def test_plan_decommission_release_lets_the_cluster_be_deleted(ledger: Ledger) -> None:
    _new_cluster(ledger)
    with pytest.raises(ConflictError, match="still manages 6 prefix"):
        delete_cluster(ledger, "alpha", actor=ACTOR)

    apply_plan(ledger, plan_decommission(ledger, "alpha", actor=ACTOR, release=True).id, actor="bob")

    assert delete_cluster(ledger, "alpha", actor=ACTOR).status == "decommissioned"
    assert list_clusters(ledger) == []


# --- concurrency ---------------------------------------------------------------------------------


def test_apply_plan_two_plans_for_one_free_block_only_one_wins(ledger: Ledger) -> None:
    add_prefix(ledger, POOL)
    plans = [_plan(ledger, "alpha"), _plan(ledger, "beta")]
    assert _planned(plans[0]) == _planned(plans[1]) == PLANNED  # both placed in the same free block
    start = threading.Barrier(len(plans))

    def apply(plan: PlanRecord) -> AppliedPlan | LedgerError:
        start.wait(timeout=60)
        try:
            return apply_plan(ledger, plan.id, actor=f"applier-{plan.cluster}")
        except LedgerError as error:
            return error

    with ThreadPoolExecutor(len(plans)) as pool:
        results = list(pool.map(apply, plans))

    won = [result for result in results if isinstance(result, AppliedPlan)]
    lost = [result for result in results if isinstance(result, LedgerError)]
    assert (len(won), len(lost)) == (1, 1)
    assert isinstance(lost[0], ConflictError)
    assert "nothing was changed" in str(lost[0])
    winner, loser = won[0].plan.cluster, ({"alpha", "beta"} - {won[0].plan.cluster}).pop()
    assert [summary.cluster.name for summary in list_clusters(ledger)] == [winner]
    assert _networks_of(ledger, winner) == [
        (role, cidr, "reserved" if role == "expansion-reserve" else "active") for role, cidr in PLANNED
    ]
    assert list_plans(ledger, cluster=loser)[0].status == "proposed"
    check_against_recount(ledger, "after two plans raced for one block")
