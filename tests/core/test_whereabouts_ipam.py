"""Whereabouts: the ip-reconciler's liveness test, the pool/reservation diff, bad offsets."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.liveness import build_liveness
from ipledger.core.observations import (
    Pod,
    Snapshot,
    WhereaboutsAllocation,
    WhereaboutsPool,
    WhereaboutsReservation,
)
from ipledger.core.stranded import Stranded
from ipledger.core.whereabouts_ipam import find_whereabouts_stranded
from tests.core.k8s_factories import (
    BIM_4BA2,
    BIM_D3FE,
    BIM_D29C,
    GRACE,
    IM_6B77,
    IM_AC9A,
    JUST_NOW,
    LONG_AGO,
    NOW,
    allocation,
    dualstack_pools,
    healthy_pool,
    instance_manager_6b77,
    ip,
    net,
    pod,
    reservation,
    reservations_of_step_2,
    storage_pool,
    stranded_pool,
)
from tests.core.strategies import PROPERTY

UNRELATED = pod("kube-system/coredns-0", ips=("10.52.0.2",))


def _stranded(
    pools: Sequence[WhereaboutsPool],
    pods: Sequence[Pod] = (UNRELATED,),
    reservations: Sequence[WhereaboutsReservation] = (),
    *,
    listed: frozenset[str] = frozenset(),
) -> list[Stranded]:
    snapshot = Snapshot(
        taken_at=NOW,
        pods=tuple(pods),
        whereabouts_pools=tuple(pools),
        whereabouts_reservations=tuple(reservations),
        listed=listed,
    )
    return find_whereabouts_stranded(snapshot, build_liveness(snapshot), now=NOW, grace=GRACE)


def _summary(found: Sequence[Stranded]) -> list[tuple[str, str]]:
    return [(item.rule, str(item.address)) for item in found]


# --- the ip-reconciler's liveness test ----------------------------------------------------------


def test_whereabouts_pods_of_a_deleted_node_are_stranded() -> None:
    found = _stranded([stranded_pool()])

    assert _summary(found) == [
        ("whereabouts-pod-gone", "192.168.50.4"),
        ("whereabouts-pod-gone", "192.168.50.5"),
    ]
    assert found[0].pool == "IPPool kube-system/192.168.50.0-24 (192.168.50.0/24)"
    assert found[0].owner.startswith(BIM_D29C)
    assert "no longer exists" in found[0].detail


def test_whereabouts_release_patch_tests_the_podref_before_removing() -> None:
    found = _stranded([stranded_pool()])

    assert found[0].release == (
        "kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io 192.168.50.0-24 --type=json -p "
        f'\'[{{"op":"test","path":"/spec/allocations/4/podref","value":"{BIM_D29C}"}},'
        '{"op":"remove","path":"/spec/allocations/4"}]\''
    )


def test_whereabouts_pod_carrying_the_address_on_a_secondary_interface_is_alive() -> None:
    found = _stranded([healthy_pool()], pods=[instance_manager_6b77()])

    assert _summary(found) == [("whereabouts-pod-gone", "192.168.50.3")]
    assert found[0].owner.startswith(BIM_D3FE)


def test_whereabouts_address_only_on_the_default_network_is_not_carried() -> None:
    # The reconciler ignores network-status entries marked default: 10.52.0.67 does not count.
    carrier = pod(IM_6B77, ips=("192.168.50.4",), secondary=())
    found = _stranded([storage_pool(allocation("4", "192.168.50.4", IM_6B77))], pods=[carrier])

    assert _summary(found) == [("whereabouts-ip-not-on-pod", "192.168.50.4")]
    assert "not among its Multus secondary addresses (none)" in found[0].detail


def test_whereabouts_pod_carrying_another_address_is_not_carrying_this_one() -> None:
    found = _stranded(
        [storage_pool(allocation("4", "192.168.50.4", IM_6B77))],
        pods=[instance_manager_6b77(secondary=("192.168.50.9",))],
    )

    assert _summary(found) == [("whereabouts-ip-not-on-pod", "192.168.50.4")]
    assert "(192.168.50.9)" in found[0].detail


def test_whereabouts_pod_evicted_by_the_taint_manager_counts_as_gone() -> None:
    found = _stranded(
        [storage_pool(allocation("4", "192.168.50.4", IM_6B77))], pods=[instance_manager_6b77(evicted=True)]
    )

    assert _summary(found) == [("whereabouts-pod-gone", "192.168.50.4")]
    assert "DeletionByTaintManager" in found[0].detail


@pytest.mark.parametrize("phase", ["Pending", "Running"])
def test_whereabouts_pod_younger_than_the_grace_period_is_not_judged(phase: str) -> None:
    young = instance_manager_6b77(secondary=(), phase=phase, created=JUST_NOW)

    assert _stranded([storage_pool(allocation("4", "192.168.50.4", IM_6B77))], pods=[young]) == []


def test_whereabouts_pod_pending_beyond_the_grace_period_is_judged() -> None:
    stuck = instance_manager_6b77(secondary=(), phase="Pending", created=LONG_AGO)
    found = _stranded([storage_pool(allocation("4", "192.168.50.4", IM_6B77))], pods=[stuck])

    assert _summary(found) == [("whereabouts-ip-not-on-pod", "192.168.50.4")]
    assert "pod is Pending" in found[0].detail


def test_whereabouts_pod_without_creation_time_is_judged() -> None:
    unknown_age = instance_manager_6b77(secondary=(), created=None)

    assert len(_stranded([storage_pool(allocation("4", "192.168.50.4", IM_6B77))], pods=[unknown_age])) == 1


def test_whereabouts_empty_podref_is_kept_as_the_reconciler_keeps_it() -> None:
    assert _stranded([storage_pool(allocation("7", "192.168.50.7", ""))]) == []


def test_whereabouts_without_pods_in_the_snapshot_judges_no_owner() -> None:
    assert _stranded([stranded_pool()], pods=[], reservations=reservations_of_step_2()) == []


def test_whereabouts_dual_stack_pools_are_judged_per_family() -> None:
    v4, v6 = dualstack_pools()
    survivor = pod(
        "default/whereabouts-test-1",
        ips=("10.244.1.5",),
        secondary=("192.168.40.101", "fd69:6684:61a:2::101"),
    )

    found = _stranded([v4, v6], pods=[survivor])

    assert _summary(found) == [
        ("whereabouts-pod-gone", "192.168.40.100"),
        ("whereabouts-pod-gone", "fd69:6684:61a:2::100"),
    ]
    assert "/spec/allocations/256" in found[1].release
    assert "fd69-6684-61a-2---64" in found[1].release


# --- bad offsets ---------------------------------------------------------------------------------


def test_whereabouts_bad_offset_of_issue_403_is_reported_even_without_pods() -> None:
    bogus = WhereaboutsPool(
        "kube-system",
        "1.2.3.0-24",
        net("1.2.3.0/24"),
        (allocation("18446463705355360228", None, "ns/ns-pod-9876543210-ddr9n"),),
    )

    found = _stranded([bogus], pods=[])

    assert _summary(found) == [("whereabouts-bad-offset", "None")]
    assert '"path":"/spec/allocations/18446463705355360228"' in found[0].release
    assert "issue #403" in found[0].detail


def test_whereabouts_bad_offset_key_is_escaped_as_a_json_pointer() -> None:
    found = _stranded([storage_pool(allocation("a/b~c", None, "ns/x"))])

    assert '"/spec/allocations/a~1b~0c"' in found[0].release


# --- IPPool entries against OverlappingRangeIPReservations ---------------------------------------


def test_whereabouts_stranded_allocation_release_also_deletes_its_reservation() -> None:
    found = _stranded([stranded_pool()], reservations=reservations_of_step_2())

    by_address = {str(item.address): item for item in found}
    assert by_address["192.168.50.4"].release.endswith(
        " && kubectl delete overlappingrangeipreservations.whereabouts.cni.cncf.io -n kube-system 192.168.50.4"
    )


def test_whereabouts_reservations_without_allocation_of_gone_pods_are_stranded() -> None:
    found = _stranded([stranded_pool()], reservations=reservations_of_step_2())

    orphans = [item for item in found if item.rule == "whereabouts-reservation-without-allocation"]
    assert [(str(item.address), item.owner, item.held) for item in orphans] == [
        ("192.168.50.3", BIM_4BA2, False),
        ("192.168.50.6", IM_AC9A, False),
    ]
    assert orphans[0].release == (
        "kubectl delete overlappingrangeipreservations.whereabouts.cni.cncf.io -n kube-system 192.168.50.3"
    )


def test_whereabouts_reservation_of_a_live_pod_without_allocation_is_repaired_by_re_adding_it() -> None:
    carrier = pod(IM_AC9A, secondary=("192.168.50.6",))

    found = _stranded([stranded_pool()], pods=[carrier], reservations=[reservation("192.168.50.6", IM_AC9A)])

    orphan = found[-1]
    assert (orphan.rule, orphan.held) == ("whereabouts-reservation-without-allocation", True)
    assert orphan.release == (
        "kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io 192.168.50.0-24 --type=json -p "
        f'\'[{{"op":"add","path":"/spec/allocations/6","value":{{"id":"c0ffee","podref":"{IM_AC9A}"}}}}]\''
    )


def test_whereabouts_reservation_of_a_live_pod_outside_every_pool_needs_no_release() -> None:
    carrier = pod(IM_AC9A, secondary=("10.9.9.9",))

    found = _stranded([stranded_pool()], pods=[carrier], reservations=[reservation("10.9.9.9", IM_AC9A)])

    assert found[-1].held
    assert found[-1].release.startswith("none needed while")


def test_whereabouts_reservation_held_in_two_overlapping_pools_names_both() -> None:
    named = WhereaboutsPool("kube-system", "storage-192.168.50.0-24", net("192.168.50.0/24"), ())
    carrier = pod(IM_AC9A, secondary=("192.168.50.6",))

    found = _stranded(
        [stranded_pool(), named], pods=[carrier], reservations=[reservation("192.168.50.6", IM_AC9A)]
    )

    assert "(or the same entry in kube-system/storage-192.168.50.0-24:" in found[-1].release


def test_whereabouts_reservation_of_a_live_pod_whose_offset_another_pod_holds_is_not_re_added() -> None:
    carrier = pod(IM_AC9A, secondary=("192.168.50.6",))
    pool = storage_pool(allocation("6", "192.168.50.6", IM_6B77))

    found = _stranded(
        [pool], pods=[carrier, instance_manager_6b77()], reservations=[reservation("192.168.50.6", IM_AC9A)]
    )

    assert found[-1].release.startswith(
        "none yet: kube-system/192.168.50.0-24 already gives 192.168.50.6 to another pod"
    )


def test_whereabouts_live_allocation_without_reservation_is_repaired_by_creating_one() -> None:
    found = _stranded(
        [healthy_pool()],
        pods=[instance_manager_6b77(), pod(BIM_D3FE, secondary=("192.168.50.3",))],
        reservations=[reservation("192.168.50.3", BIM_D3FE)],
    )

    assert _summary(found) == [("whereabouts-allocation-without-reservation", "192.168.50.4")]
    assert found[0].held
    assert found[0].release == (
        'echo \'{"apiVersion":"whereabouts.cni.cncf.io/v1alpha1","kind":"OverlappingRangeIPReservation",'
        '"metadata":{"name":"192.168.50.4","namespace":"kube-system"},"spec":{"containerid":'
        '"517151fa292bdcf9522e24fb05f1a99bb96db0a37fb647edb5a146c72b1a5017","podref":'
        f'"{IM_6B77}","ifname":"lhnet1"}}}}\' | kubectl create -f -'
    )


def test_whereabouts_without_reservations_in_the_snapshot_skips_the_diff() -> None:
    assert (
        _stranded(
            [healthy_pool()], pods=[instance_manager_6b77(), pod(BIM_D3FE, secondary=("192.168.50.3",))]
        )
        == []
    )


def test_whereabouts_reservations_listed_empty_by_the_api_server_run_the_diff() -> None:
    found = _stranded(
        [healthy_pool()],
        pods=[instance_manager_6b77(), pod(BIM_D3FE, secondary=("192.168.50.3",))],
        listed=frozenset({"whereabouts_reservations"}),
    )

    assert _summary(found) == [
        ("whereabouts-allocation-without-reservation", "192.168.50.3"),
        ("whereabouts-allocation-without-reservation", "192.168.50.4"),
    ]


def test_whereabouts_reservation_of_a_live_pod_is_not_judged_without_pools_in_the_snapshot() -> None:
    carrier = pod(IM_AC9A, secondary=("192.168.50.6",))

    assert _stranded([], pods=[carrier], reservations=[reservation("192.168.50.6", IM_AC9A)]) == []


def test_whereabouts_reservation_of_a_live_pod_is_judged_when_pools_are_listed_empty() -> None:
    carrier = pod(IM_AC9A, secondary=("192.168.50.6",))

    found = _stranded(
        [],
        pods=[carrier],
        reservations=[reservation("192.168.50.6", IM_AC9A)],
        listed=frozenset({"whereabouts_pools"}),
    )

    assert [(item.rule, item.held) for item in found] == [
        ("whereabouts-reservation-without-allocation", True)
    ]


@pytest.mark.parametrize(
    ("pool_name", "pool_range", "address", "expected"),
    [
        pytest.param("192.168.50.0-24", "192.168.50.0/24", "192.168.50.4", "192.168.50.4", id="ipv4"),
        pytest.param(
            "storage-192.168.50.0-24", "192.168.50.0/24", "192.168.50.4", "storage-192.168.50.4", id="named"
        ),
        pytest.param(
            "fd69-6684-61a-2---64",
            "fd69:6684:61a:2::/64",
            "fd69:6684:61a:2::101",
            "fd69-6684-61a-2--101",
            id="ipv6",
        ),
        pytest.param(
            "fd69-6684-61a-2---64",
            "fd69:6684:61a:2::/64",
            "fd69:6684:61a:2::",
            "fd69-6684-61a-2--0",
            id="ipv6-trailing-colon",
        ),
        pytest.param("node1-10.0.0.0/24", "10.0.0.0/24", "10.0.0.4", "10.0.0.4", id="unknown-name"),
    ],
)
def test_whereabouts_reservation_name_follows_whereabouts_normalisation(
    pool_name: str, pool_range: str, address: str, expected: str
) -> None:
    entry = WhereaboutsAllocation("0", ip(address), "c1", "ns/p", "")
    pool = WhereaboutsPool("kube-system", pool_name, net(pool_range), (entry,))

    found = _stranded(
        [pool], pods=[pod("ns/p", secondary=(address,))], reservations=[reservation("10.9.9.9", "ns/q")]
    )

    assert f'"name":"{expected}"' in found[0].release
    assert '"ifname"' not in found[0].release


def test_whereabouts_reservation_and_allocation_of_different_pods_do_not_match() -> None:
    found = _stranded(
        [storage_pool(allocation("4", "192.168.50.4", IM_6B77))],
        pods=[instance_manager_6b77()],
        reservations=[reservation("192.168.50.4", BIM_D29C)],
    )

    assert [(item.rule, item.held) for item in found] == [
        ("whereabouts-allocation-without-reservation", True),
        ("whereabouts-reservation-without-allocation", False),
    ]


def test_whereabouts_reservation_whose_name_does_not_parse_is_stranded_without_address() -> None:
    found = _stranded([], reservations=[reservation("", BIM_D29C, name="storage-192-168-50-4")])

    assert [(item.rule, item.address) for item in found] == [
        ("whereabouts-reservation-without-allocation", None)
    ]
    assert "storage-192-168-50-4" in found[0].detail


def test_whereabouts_reservation_whose_name_does_not_parse_never_matches_a_live_pod() -> None:
    found = _stranded(
        [],
        pods=[instance_manager_6b77()],
        reservations=[reservation("", IM_6B77, name="storage-192-168-50-4")],
    )

    assert "not among its Multus secondary addresses" in found[0].detail


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(reservation("192.168.50.9", ""), id="empty-podref"),
        pytest.param(reservation("192.168.50.4", IM_6B77), id="young-pod"),
    ],
)
def test_whereabouts_reservation_not_judged(item: WhereaboutsReservation) -> None:
    assert _stranded([], pods=[instance_manager_6b77(created=JUST_NOW)], reservations=[item]) == []


# --- property: the reconciler's verdict against a plain-set oracle ------------------------------

_REFS = ("ns/a", "ns/b", "ns/c", "")
_SPACE = (net("192.0.2.0/29"), net("2001:db8::/125"))


@st.composite
def _cases(draw: st.DrawFn) -> Snapshot:
    space = draw(st.sampled_from(_SPACE))
    addresses = st.sampled_from([ip(str(item)) for item in space])
    pods = []
    for ref in _REFS[:-1]:
        if draw(st.booleans()):
            carried = tuple(sorted(set(draw(st.lists(addresses, max_size=3)))))
            namespace, _, name = ref.partition("/")
            pods.append(
                Pod(
                    namespace,
                    name,
                    node="n1",
                    phase=draw(st.sampled_from(["Running", "Pending"])),
                    secondary_ips=carried,
                    created=draw(st.sampled_from([LONG_AGO, JUST_NOW, None])),
                    evicted_by_taint_manager=draw(st.booleans()),
                )
            )
    entries = []
    for offset in range(draw(st.integers(0, 8))):
        address = draw(addresses)
        entries.append(
            WhereaboutsAllocation(str(offset), address, f"c{offset}", draw(st.sampled_from(_REFS)))
        )
    reserved = [
        WhereaboutsReservation("kube-system", str(address), address, draw(st.sampled_from(_REFS)))
        for address in draw(st.lists(addresses, max_size=3))
    ]
    pool = WhereaboutsPool("kube-system", "pool", space, tuple(entries))
    return Snapshot(
        taken_at=NOW,
        pods=(UNRELATED, *pods),
        whereabouts_pools=(pool,),
        whereabouts_reservations=tuple(reserved),
    )


@PROPERTY
@given(_cases())
def test_whereabouts_orphans_are_exactly_the_allocations_no_live_pod_carries(snapshot: Snapshot) -> None:
    pods = {item.ref: item for item in snapshot.pods}
    carried = {
        (address, ref)
        for ref, item in pods.items()
        if not item.evicted_by_taint_manager
        for address in item.secondary_ips
    }
    young = {ref for ref, item in pods.items() if item.created == JUST_NOW}
    expected = {
        (entry.address, entry.podref)
        for entry in snapshot.whereabouts_pools[0].allocations
        if entry.podref != "" and entry.podref not in young and (entry.address, entry.podref) not in carried
    }

    found = find_whereabouts_stranded(snapshot, build_liveness(snapshot), now=NOW, grace=GRACE)

    orphans = [item for item in found if item.rule in ("whereabouts-pod-gone", "whereabouts-ip-not-on-pod")]
    assert {(item.address, item.owner.split(" ")[0]) for item in orphans} == expected
    for item in found:
        if item.rule == "whereabouts-allocation-without-reservation":
            assert (item.address, item.owner) in carried
