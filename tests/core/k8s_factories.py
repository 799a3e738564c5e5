"""Factories for Kubernetes snapshots, built from the real objects in ``shared/fixtures/k8s``.

Core tests construct observation values directly (no reader is involved); the names, offsets,
ordinals and addresses below are copied from the fixtures the IPAM reference cites, so that the
cases are the ones users really hit:

- ``whereabouts-IPPool-list-stranded.yaml``: pool 192.168.50.0/24, offsets 4 and 5, whose pods ran
  on the powered-off and deleted node harv2;
- ``whereabouts-IPPool-list-healthy.yaml`` and ``multus-network-status-annotation.json``: offset 4
  of instance-manager-6b77fd6b..., which carries 192.168.50.4 on lhnet1 and 10.52.0.67 by default;
- ``whereabouts-IPPool-list-dualstack.yaml``: 192.168.40.0/24 offsets 100/101 and
  fd69:6684:61a:2::/64 offsets 256/257;
- ``whereabouts-OverlappingRangeIPReservation-list.yaml``: reservations 192.168.50.3 to .6;
- ``calico-IPAMBlock-crd-v1.yaml`` and ``...-after-allocation.yaml``: block 192.168.185.0/26 of
  node mac-k8s before and after ``kubectl run nginx``;
- ``calico-IPAMHandle-crd-v1.yaml`` and ``calico-BlockAffinity-list-crd-v1.yaml`` (issue #8446).
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

from ipledger.core.addresses import IPAddress, IPNetwork
from ipledger.core.observations import (
    CalicoAffinity,
    CalicoAttribute,
    CalicoBlock,
    CalicoHandle,
    Node,
    Pod,
    WhereaboutsAllocation,
    WhereaboutsPool,
    WhereaboutsReservation,
)

NOW = datetime(2025, 11, 26, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=2)
JUST_NOW = NOW - timedelta(minutes=1)
GRACE = timedelta(minutes=15)


def ip(text: str) -> IPAddress:
    return ipaddress.ip_address(text)


def net(text: str) -> IPNetwork:
    return ipaddress.ip_network(text)


def pod(
    ref: str,
    *,
    ips: tuple[str, ...] = (),
    secondary: tuple[str, ...] = (),
    node: str = "harv1",
    phase: str = "Running",
    created: datetime | None = LONG_AGO,
    host_network: bool = False,
    evicted: bool = False,
) -> Pod:
    namespace, _, name = ref.partition("/")
    return Pod(
        namespace,
        name,
        node=node,
        phase=phase,
        ips=tuple(ip(item) for item in ips),
        secondary_ips=tuple(ip(item) for item in secondary),
        host_network=host_network,
        created=created,
        evicted_by_taint_manager=evicted,
    )


# --- Whereabouts -------------------------------------------------------------------------------

BIM_D29C = "longhorn-system/bim-d29cffa6648c18cdf95fd9da32107caca582ea863f421b909ed8357193879358"
IM_F6E4 = "longhorn-system/instance-manager-f6e4865355e8386452e45fc74a445e86"
IM_6B77 = "longhorn-system/instance-manager-6b77fd6b240ff0e6d0fe88c705b51f7f"
BIM_D3FE = "longhorn-system/bim-d3feb4b38b3614c5004a123b869edfa1bad8ecfef07ef323701c4433cea8c58b"
BIM_4BA2 = "longhorn-system/bim-4ba2e66a1eda4c99916dc8ffe6a770c5a54d7602539e13e9847c0fd33d907432"
IM_AC9A = "longhorn-system/instance-manager-ac9a7c78000218e7ce4a91ad97a99787"


def allocation(
    offset: str, address: str | None, podref: str, container: str = "c0ffee"
) -> WhereaboutsAllocation:
    return WhereaboutsAllocation(
        offset, None if address is None else ip(address), container, podref, "lhnet1"
    )


def storage_pool(*allocations: WhereaboutsAllocation) -> WhereaboutsPool:
    return WhereaboutsPool("kube-system", "192.168.50.0-24", net("192.168.50.0/24"), allocations)


def stranded_pool() -> WhereaboutsPool:
    """The pool as left behind once node harv2 was powered off and deleted."""
    return storage_pool(
        allocation(
            "4", "192.168.50.4", BIM_D29C, "bbfd444f3a601e59e3780cd8ef30ed2c332e28893279b773518b8bc32d7a5f15"
        ),
        allocation(
            "5", "192.168.50.5", IM_F6E4, "dca28ab564df675a568a004a8f35edf0e49748c806a4e1180f152bbd07b5f0b7"
        ),
    )


def healthy_pool() -> WhereaboutsPool:
    return storage_pool(
        allocation(
            "3", "192.168.50.3", BIM_D3FE, "12ff38588c143881bd5e6b5b13dad5e89b869c65f311c4a3ed288cd2abfae97e"
        ),
        allocation(
            "4", "192.168.50.4", IM_6B77, "517151fa292bdcf9522e24fb05f1a99bb96db0a37fb647edb5a146c72b1a5017"
        ),
    )


def instance_manager_6b77(
    *,
    secondary: tuple[str, ...] = ("192.168.50.4",),
    phase: str = "Running",
    created: datetime | None = LONG_AGO,
    evicted: bool = False,
) -> Pod:
    """The pod whose network-status annotation the fixture shows (default network 10.52.0.67)."""
    return pod(
        IM_6B77, ips=("10.52.0.67",), secondary=secondary, phase=phase, created=created, evicted=evicted
    )


def reservation(address: str, podref: str, *, name: str | None = None) -> WhereaboutsReservation:
    parsed = None if name is not None else ip(address)
    return WhereaboutsReservation("kube-system", name or address, parsed, podref, "c0ffee")


def reservations_of_step_2() -> tuple[WhereaboutsReservation, ...]:
    return (
        reservation("192.168.50.3", BIM_4BA2),
        reservation("192.168.50.4", BIM_D29C),
        reservation("192.168.50.5", IM_F6E4),
        reservation("192.168.50.6", IM_AC9A),
    )


def dualstack_pools() -> tuple[WhereaboutsPool, WhereaboutsPool]:
    test_1, test_2 = "default/whereabouts-test-1", "default/whereabouts-test-2"
    id_1 = "edd5acc52e3065665d37a1e9df857fc728fa76db4e1351a5a371b5e65738deef"
    id_2 = "c451f9c9febef58007dd3ff8945350da924f7b2340d176acb2eb3fb32555f35e"
    v4 = WhereaboutsPool(
        "kube-system",
        "192.168.40.0-24",
        net("192.168.40.0/24"),
        (
            WhereaboutsAllocation("100", ip("192.168.40.100"), id_2, test_2, "net1"),
            WhereaboutsAllocation("101", ip("192.168.40.101"), id_1, test_1, "net1"),
        ),
    )
    v6 = WhereaboutsPool(
        "kube-system",
        "fd69-6684-61a-2---64",
        net("fd69:6684:61a:2::/64"),
        (
            WhereaboutsAllocation("256", ip("fd69:6684:61a:2::100"), id_2, test_2, "net1"),
            WhereaboutsAllocation("257", ip("fd69:6684:61a:2::101"), id_1, test_1, "net1"),
        ),
    )
    return v4, v6


# --- Calico ------------------------------------------------------------------------------------

MAC_K8S = "mac-k8s"
CSI = "calico-system/csi-node-driver-j62g7"


def _workload(handle: str, ref: str, stamp: str) -> CalicoAttribute:
    namespace, _, name = ref.partition("/")
    return CalicoAttribute(
        f"k8s-pod-network.{handle}",
        (("namespace", namespace), ("node", MAC_K8S), ("pod", name), ("timestamp", stamp)),
    )


VXLAN = CalicoAttribute("vxlan-tunnel-addr-mac-k8s", (("node", MAC_K8S), ("type", "vxlanTunnelAddress")))
_CSI_OLD = _workload(
    "4bcae222a79b7ef46f048e435d5ab62d41e3a343d00a13da40e931a3e9df1aaa",
    CSI,
    "2022-07-23 12:04:45.262852871 +0000 UTC",
)
_APISERVER_9D6DQ = _workload(
    "ecddecbd8bb0be0bbadc17c37b4ea684badc89bf88daae1920ffbbbd3363ec21",
    "calico-apiserver/calico-apiserver-5bc5cf4559-9d6dq",
    "2022-07-26 17:15:08.73997821 +0000 UTC",
)
_CSI_NEW = _workload(
    "7d6e14cf214eb0436a77a72f94030819255bdce7abb177549a078fa436d6e899",
    CSI,
    "2022-07-26 17:15:09.429526008 +0000 UTC",
)
_COREDNS_RR9DR = _workload(
    "14994dea79206eef6dca3caf2528e786aed6c882b1e03acdbac1d551c67f8909",
    "kube-system/coredns-7f6cbbb7b8-rr9dr",
    "2022-07-26 17:15:10.43794577 +0000 UTC",
)
_CONTROLLERS = _workload(
    "704b36894705f2aabb5d3802c2071e4ea14cc2963006bd3426f1b7ce6e8b0cde",
    "calico-system/calico-kube-controllers-6f6579ddff-sq7hz",
    "2022-07-26 17:15:11.43459441 +0000 UTC",
)
_COREDNS_78BWT = _workload(
    "a31bfee878b49c68c28b36ff9fe4a7e5510639337bdff0c830dc5d37f6b87377",
    "kube-system/coredns-7f6cbbb7b8-78bwt",
    "2022-07-26 17:15:13.461429435 +0000 UTC",
)
_APISERVER_L7M8R = _workload(
    "6cdce974ca5b8f5c2abc51b7cc2880df73192d440d52a964906c5437ca7eabb0",
    "calico-apiserver/calico-apiserver-5bc5cf4559-l7m8r",
    "2022-07-26 17:15:18.491248056 +0000 UTC",
)
NGINX_HANDLE = "k8s-pod-network.cb07c78e242382171ac035d9b888454f71bb393e788f7feaa7ee13d4ead5cb34"
_NGINX = _workload(
    "cb07c78e242382171ac035d9b888454f71bb393e788f7feaa7ee13d4ead5cb34",
    "default/nginx",
    "2022-07-26 17:35:23.756365378 +0000 UTC",
)


def _ordinals(mapping: dict[int, int], size: int = 64) -> tuple[int | None, ...]:
    return tuple(mapping.get(ordinal) for ordinal in range(size))


def block_before() -> CalicoBlock:
    """192.168.185.0/26 before nginx started: ordinal 1 still holds the csi pod's old address."""
    return CalicoBlock(
        "192-168-185-0-26",
        net("192.168.185.0/26"),
        "host:mac-k8s",
        _ordinals({0: 0, 1: 1, 8: 2, 9: 3, 10: 4, 11: 5, 12: 6, 13: 7}),
        (
            VXLAN,
            _CSI_OLD,
            _APISERVER_9D6DQ,
            _CSI_NEW,
            _COREDNS_RR9DR,
            _CONTROLLERS,
            _COREDNS_78BWT,
            _APISERVER_L7M8R,
        ),
        (*range(16, 64), 7, 14, 15, 5, 2, 3, 6, 4),
    )


def block_after() -> CalicoBlock:
    """The same block after ``kubectl run nginx``: ordinal 1 released, ordinal 16 for nginx."""
    return CalicoBlock(
        "192-168-185-0-26",
        net("192.168.185.0/26"),
        "host:mac-k8s",
        _ordinals({0: 0, 8: 1, 9: 2, 10: 3, 11: 4, 12: 5, 13: 6, 16: 7}),
        (
            VXLAN,
            _APISERVER_9D6DQ,
            _CSI_NEW,
            _COREDNS_RR9DR,
            _CONTROLLERS,
            _COREDNS_78BWT,
            _APISERVER_L7M8R,
            _NGINX,
        ),
        (*range(17, 64), 7, 14, 15, 5, 2, 3, 6, 4, 1),
    )


def pods_of_mac_k8s(*, created: datetime = LONG_AGO) -> tuple[Pod, ...]:
    """The pods of node mac-k8s after nginx started, each with its address in the block."""
    carried = {
        "calico-apiserver/calico-apiserver-5bc5cf4559-9d6dq": "192.168.185.8",
        CSI: "192.168.185.9",
        "kube-system/coredns-7f6cbbb7b8-rr9dr": "192.168.185.10",
        "calico-system/calico-kube-controllers-6f6579ddff-sq7hz": "192.168.185.11",
        "kube-system/coredns-7f6cbbb7b8-78bwt": "192.168.185.12",
        "calico-apiserver/calico-apiserver-5bc5cf4559-l7m8r": "192.168.185.13",
        "default/nginx": "192.168.185.16",
    }
    return tuple(pod(ref, ips=(address,), node=MAC_K8S, created=created) for ref, address in carried.items())


def mac_k8s() -> Node:
    return Node(MAC_K8S, pod_cidrs=())


def nginx_handle() -> CalicoHandle:
    return CalicoHandle(NGINX_HANDLE, (("192.168.185.0/26", 1),))


def affinities_of_issue_8446() -> tuple[CalicoAffinity, ...]:
    return (
        CalicoAffinity("dgx04-10-233-88-0-21", "dgx04", net("10.233.88.0/21"), "confirmed"),
        CalicoAffinity("dgx08-10-233-80-0-21", "dgx08", net("10.233.80.0/21"), "confirmed"),
        CalicoAffinity("gpu01-10-233-64-0-19", "gpu01", net("10.233.64.0/19"), "confirmed"),
    )
