"""Liveness: address keys, the grace-period test, and the owner indexes built from a snapshot."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from ipledger.core.liveness import IPV6_KEY_FLAG, address_key, build_liveness, is_recent
from ipledger.core.observations import Node, Service, Snapshot
from tests.core.k8s_factories import NOW, ip, pod


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("0.0.0.0", 0, id="ipv4-zero"),
        pytest.param("255.255.255.255", (1 << 32) - 1, id="ipv4-top"),
        pytest.param("::", IPV6_KEY_FLAG, id="ipv6-zero"),
        pytest.param("::1.2.3.4", IPV6_KEY_FLAG | 0x01020304, id="ipv4-compatible"),
        pytest.param(
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IPV6_KEY_FLAG | ((1 << 128) - 1), id="ipv6-top"
        ),
    ],
)
def test_address_key_keeps_the_families_apart(text: str, key: int) -> None:
    assert address_key(ip(text)) == key


@pytest.mark.parametrize(
    ("created", "recent"),
    [
        pytest.param(None, False, id="unknown"),
        pytest.param(NOW - timedelta(minutes=14, seconds=59), True, id="inside"),
        pytest.param(NOW - timedelta(minutes=15), False, id="exactly-grace"),
        pytest.param(NOW + timedelta(minutes=1), True, id="future-clock-skew"),
    ],
)
def test_is_recent_against_a_15_minute_grace(created: datetime | None, recent: bool) -> None:
    assert is_recent(created, now=NOW, grace=timedelta(minutes=15)) is recent


def test_liveness_indexes_workload_addresses_as_calico_would() -> None:
    snapshot = Snapshot(
        taken_at=NOW,
        pods=(
            pod("ns/running", ips=("10.0.0.1", "fd00::1"), secondary=("192.168.50.4",), node="n1"),
            pod("ns/host", ips=("172.18.0.7",), host_network=True, node="n1"),
            pod("ns/done", ips=("10.0.0.2",), phase="Succeeded", node="n1"),
            pod("ns/unscheduled", ips=("10.0.0.3",), node=""),
        ),
        services=(Service("ns", "lb", type="LoadBalancer", load_balancer_ips=(ip("192.168.10.1"),)),),
        nodes=(Node("n1"),),
    )

    live = build_liveness(snapshot)

    assert sorted(live.workload_keys.values()) == ["ns/running"] * 3
    assert live.load_balancer_keys == {address_key(ip("192.168.10.1")): "ns/lb"}
    assert set(live.pods_by_ref) == {"ns/running", "ns/host", "ns/done", "ns/unscheduled"}
    assert (live.has_pods, live.has_nodes, live.has_services) == (True, True, True)
    assert live.node_names == frozenset({"n1"})


def test_liveness_of_an_empty_snapshot_judges_nothing() -> None:
    live = build_liveness(Snapshot(taken_at=NOW))

    assert (live.has_pods, live.has_nodes, live.has_services) == (False, False, False)


def test_liveness_of_kinds_listed_empty_judges_their_absence() -> None:
    # A live cluster whose API server served nodes, pods and services, and none of them exist.
    live = build_liveness(Snapshot(taken_at=NOW, listed=frozenset({"pods", "nodes", "services"})))

    assert (live.has_pods, live.has_nodes, live.has_services) == (True, True, True)
