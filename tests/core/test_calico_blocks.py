"""Calico IPAM blocks: ordinals to addresses, owners and kinds, validateBlock, Go timestamps."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ipledger.core.calico_blocks import (
    CalicoOwner,
    calico_allocations,
    calico_cidr_name,
    calico_use,
    parse_go_time,
    validate_calico_block,
)
from ipledger.core.observations import CalicoAttribute, CalicoBlock
from tests.core.k8s_factories import CSI, MAC_K8S, NOW, block_after, block_before, net


def _block(
    cidr: str = "192.168.185.0/26",
    *,
    affinity: str | None = "host:mac-k8s",
    ordinals: dict[int, int] | None = None,
    attributes: tuple[CalicoAttribute, ...] = (),
    unallocated: tuple[int, ...] | None = None,
    size: int | None = None,
) -> CalicoBlock:
    network = net(cidr)
    count = network.num_addresses if size is None else size
    mapping = {} if ordinals is None else ordinals
    free = tuple(o for o in range(count) if o not in mapping) if unallocated is None else unallocated
    return CalicoBlock("b", network, affinity, tuple(mapping.get(o) for o in range(count)), attributes, free)


# --- allocations and owners ----------------------------------------------------------------------


def test_calico_allocations_map_ordinals_to_the_blocks_addresses() -> None:
    allocations = calico_allocations(block_before())

    assert [(item.ordinal, str(item.address)) for item in allocations] == [
        (0, "192.168.185.0"),
        (1, "192.168.185.1"),
        (8, "192.168.185.8"),
        (9, "192.168.185.9"),
        (10, "192.168.185.10"),
        (11, "192.168.185.11"),
        (12, "192.168.185.12"),
        (13, "192.168.185.13"),
    ]


def test_calico_allocation_owner_reads_the_attribute() -> None:
    tunnel, old_csi, *_ = calico_allocations(block_before())

    assert tunnel.owner == CalicoOwner(
        handle="vxlan-tunnel-addr-mac-k8s",
        namespace="",
        pod="",
        node=MAC_K8S,
        type="vxlanTunnelAddress",
        timestamp="",
        released_at=None,
        borrowed=False,
        use="tunnel",
    )
    assert old_csi.owner.pod_ref == CSI
    assert (
        old_csi.owner.handle
        == "k8s-pod-network.4bcae222a79b7ef46f048e435d5ab62d41e3a343d00a13da40e931a3e9df1aaa"
    )
    assert old_csi.owner.timestamp == "2022-07-23 12:04:45.262852871 +0000 UTC"
    assert old_csi.owner.use == "workload"
    assert tunnel.owner.pod_ref is None


@pytest.mark.parametrize(
    ("secondary", "affinity", "node", "borrowed"),
    [
        pytest.param((), "host:mac-k8s", MAC_K8S, False, id="node-from-affinity"),
        pytest.param((("node", "other"),), "host:mac-k8s", "other", True, id="borrowed"),
        pytest.param((("node", "other"),), None, "other", True, id="unaffine-block"),
        pytest.param((), "virtual:load-balancer", "", False, id="virtual"),
    ],
)
def test_calico_allocation_node_and_borrowed(
    secondary: tuple[tuple[str, str], ...], affinity: str | None, node: str, borrowed: bool
) -> None:
    block = _block(affinity=affinity, ordinals={3: 0}, attributes=(CalicoAttribute("h", secondary),))

    (only,) = calico_allocations(block)

    assert (only.owner.node, only.owner.borrowed) == (node, borrowed)


@pytest.mark.parametrize(
    ("handle", "secondary", "affinity", "use"),
    [
        pytest.param("k8s-pod-network.1", (("pod", "p"),), "host:n", "workload", id="pod"),
        pytest.param("k8s-pod-network.1", (), "host:n", "workload", id="handle-only"),
        pytest.param(None, (), "host:n", "tunnel", id="tunnel-before-attributes"),
        pytest.param(None, (("type", "ipipTunnelAddress"),), "host:n", "tunnel", id="ipip"),
        pytest.param(None, (("type", "vxlanTunnelAddress"),), "host:n", "tunnel", id="vxlan"),
        pytest.param(None, (("type", "vxlanV6TunnelAddress"),), "host:n", "tunnel", id="vxlan-v6"),
        pytest.param(None, (("type", "wireguardTunnelAddress"),), "host:n", "tunnel", id="wireguard"),
        pytest.param(None, (("type", "wireguardV6TunnelAddress"),), "host:n", "tunnel", id="wireguard-v6"),
        pytest.param("lb-1", (("type", "LoadBalancer"),), "host:n", "loadbalancer", id="lb-type"),
        pytest.param("lb-1", (), "virtual:load-balancer", "loadbalancer", id="lb-block"),
        pytest.param("windows-reserved-ipam-handle", (), "host:n", "windows-reserved", id="windows"),
        pytest.param("Windows-Reserved-IPAM-Handle", (), "host:n", "windows-reserved", id="windows-any-case"),
        pytest.param("h", (("type", "somethingNew"),), "host:n", "unknown", id="unknown-type"),
    ],
)
def test_calico_use_follows_libcalico_kinds(
    handle: str | None, secondary: tuple[tuple[str, str], ...], affinity: str, use: str
) -> None:
    attribute = CalicoAttribute(handle, secondary)

    assert calico_use(_block(affinity=affinity), attribute) == use


def test_calico_allocation_with_a_missing_attribute_has_a_placeholder_owner() -> None:
    block = _block(ordinals={2: 5})

    (only,) = calico_allocations(block)

    assert only.owner.use == "missing-attribute"
    assert only.owner.node == MAC_K8S
    assert calico_use(block, None) == "missing-attribute"


def test_calico_allocations_of_an_ipv6_block() -> None:
    block = _block(
        "fd00:10:244::/122", ordinals={0: 0, 63: 0}, attributes=(CalicoAttribute("h", (("pod", "p"),)),)
    )

    assert [str(item.address) for item in calico_allocations(block)] == ["fd00:10:244::", "fd00:10:244::3f"]


def test_calico_allocations_skip_ordinals_past_the_block() -> None:
    block = _block("10.0.0.0/30", ordinals={1: 0, 5: 0}, attributes=(CalicoAttribute("h"),), size=6)

    assert [item.ordinal for item in calico_allocations(block)] == [1]


def test_calico_allocations_limited_to_given_ordinals() -> None:
    selected = calico_allocations(block_before(), ordinals=[13, 2, 1, 99, -1])

    assert [item.ordinal for item in selected] == [13, 1]


# --- validateBlock -------------------------------------------------------------------------------


@pytest.mark.parametrize("block", [block_before(), block_after()], ids=["before-nginx", "after-nginx"])
def test_calico_fixture_blocks_are_valid(block: CalicoBlock) -> None:
    assert validate_calico_block(block, now=NOW) == ()


_ONE = (CalicoAttribute("h"),)


@pytest.mark.parametrize(
    ("block", "problems"),
    [
        pytest.param(
            _block("10.0.0.0/30", ordinals={0: 1}, attributes=_ONE),
            [
                "allocation 0 indexes a nonexistent attribute 1",
                "attribute index 0 exists but is not indexed by an allocation",
            ],
            id="nonexistent-attribute",
        ),
        pytest.param(
            _block("10.0.0.0/30", ordinals={0: 0}, attributes=(*_ONE, CalicoAttribute("x"))),
            ["attribute index 1 exists but is not indexed by an allocation"],
            id="unreferenced-attribute",
        ),
        pytest.param(
            _block(
                "10.0.0.0/30",
                ordinals={0: 0},
                attributes=(CalicoAttribute("h", released_at=NOW + timedelta(hours=1)),),
            ),
            ["attribute index 0 has releasedAt in the future, suggesting clock skew"],
            id="released-in-future",
        ),
        pytest.param(
            _block("10.0.0.0/30", unallocated=(0, 1, 2, 4)),
            ["ordinal 4 appears in the Unallocated array but is out of the block"],
            id="unallocated-out-of-block",
        ),
        pytest.param(
            _block("10.0.0.0/30", unallocated=(0, 1, 2, 2)),
            ["ordinal 2 appears more than once in Unallocated array"],
            id="unallocated-twice",
        ),
        pytest.param(
            _block("10.0.0.0/30", ordinals={0: 0}, attributes=_ONE, unallocated=(0, 1, 2, 3)),
            [
                "ordinal 0 is allocated but appears in Unallocated",
                "expected 4 addresses in this block, but Unallocated (4) + Allocated (1) = 5",
            ],
            id="allocated-and-unallocated",
        ),
        pytest.param(
            _block("10.0.0.0/30", unallocated=(0, 1)),
            ["expected 4 addresses in this block, but Unallocated (2) + Allocated (0) = 2"],
            id="lost-ordinals",
        ),
        pytest.param(
            _block("10.0.0.0/30", unallocated=(0, 1, 2), size=3),
            [
                "allocations has 3 entries but 10.0.0.0/30 holds 4",
                "expected 4 addresses in this block, but Unallocated (3) + Allocated (0) = 3",
            ],
            id="short-allocations",
        ),
    ],
)
def test_calico_validate_block_reports_each_broken_variant(block: CalicoBlock, problems: list[str]) -> None:
    assert list(validate_calico_block(block, now=NOW)) == problems


def test_calico_validate_block_without_now_skips_the_clock_check() -> None:
    block = _block("10.0.0.0/30", ordinals={0: 0}, attributes=(CalicoAttribute("h", released_at=NOW),))

    assert validate_calico_block(block) == ()


def test_calico_validate_real_block_with_one_ordinal_lost() -> None:
    before = block_before()
    broken = dataclasses.replace(before, unallocated=before.unallocated[:-1])

    assert validate_calico_block(broken) == (
        "expected 64 addresses in this block, but Unallocated (55) + Allocated (8) = 63",
    )


# --- names and timestamps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "name"),
    [
        pytest.param("192.168.185.0/26", "192-168-185-0-26", id="ipv4"),
        pytest.param("fd00:10:244::/122", "fd00-10-244---122", id="ipv6"),
    ],
)
def test_calico_cidr_name(cidr: str, name: str) -> None:
    assert calico_cidr_name(net(cidr)) == name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "2022-07-26 17:35:23.756365378 +0000 UTC",
            datetime(2022, 7, 26, 17, 35, 23, 756365, tzinfo=UTC),
            id="nanoseconds",
        ),
        pytest.param(
            "2022-07-26 17:35:23 +0000 UTC", datetime(2022, 7, 26, 17, 35, 23, tzinfo=UTC), id="whole"
        ),
        pytest.param(
            "2022-07-26 19:35:23.5 +0200 CEST",
            datetime(2022, 7, 26, 19, 35, 23, 500000, tzinfo=timezone(timedelta(hours=2))),
            id="offset",
        ),
        pytest.param(
            "2022-07-26 12:35:23 -0500 EST",
            datetime(2022, 7, 26, 17, 35, 23, tzinfo=UTC),
            id="negative-offset",
        ),
        pytest.param("2022-02-30 00:00:00 +0000 UTC", None, id="impossible-date"),
        pytest.param("yesterday", None, id="not-a-time"),
        pytest.param("", None, id="empty"),
    ],
)
def test_calico_parse_go_time(text: str, expected: datetime | None) -> None:
    assert parse_go_time(text) == expected
