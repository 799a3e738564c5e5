"""Property of the cluster planner on a real ledger: whatever it places is aligned, lies in its
pool, has its reserve free, and overlaps nothing recorded that it must not overlap: no other
cluster's network or reserve (around or inside), no prefix inside the pool, no range, no address.
Only a parent prefix that no cluster manages may hold it. The plan then applies as planned.

Each example works in a space of its own in the one ledger of the test, so that examples do not
see each other's objects (the ledger fixture is per test, not per example).
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from itertools import combinations, count
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ipledger.core.addresses import IPNetwork
from ipledger.core.errors import ConflictError, ExhaustedError, InvalidInputError
from ipledger.service.cluster_plans import plan_cluster
from ipledger.service.clusters import ClusterFields
from ipledger.service.ledger import Ledger
from ipledger.service.plans import apply_plan, list_plans
from ipledger.service.spaces import create_space
from tests.service.factories import ACTOR, add_address, add_prefix, add_range, error_findings

UNIVERSE = {4: ipaddress.ip_network("10.0.0.0/20"), 6: ipaddress.ip_network("fd00::/116")}
ROLES = ("pod", "service", "node")
CLAIM_ROLES = ("pod", "service", "node", "loadbalancer", "expansion-reserve")
_SPACES = count()
# Small enough that several networks fit in a universe: IPv4 pod /25, service /28, node /28;
# IPv6 pod /121, service /124, node /125 (given: the planner's own IPv6 node subnet is a /64), as
# worked out in test_cluster_plans.SMALL.
SMALL = ClusterFields(max_pods=10, node_prefixlen=28, node_prefixlen_v6=124, expected_services=10)


def _block(family: int, host_bits: int, index: int) -> IPNetwork:
    """The ``index``-th aligned block with ``host_bits`` host bits in the family's universe."""
    universe = UNIVERSE[family]
    size = 1 << host_bits
    first = int(universe.network_address) + (index * size) % universe.num_addresses
    return ipaddress.ip_network((first, universe.max_prefixlen - host_bits))


def _prefixes(host_bits: st.SearchStrategy[int]) -> st.SearchStrategy[tuple[int, int]]:
    return st.tuples(host_bits, st.integers(0, 4095))


_OBJECT = st.one_of(
    st.tuples(
        st.just("claim"), _prefixes(st.integers(3, 12)), st.sampled_from(CLAIM_ROLES), st.sampled_from("xy")
    ),
    st.tuples(
        st.just("parent"), _prefixes(st.integers(3, 12)), st.sampled_from(("general", "infrastructure"))
    ),
    st.tuples(st.just("range"), st.integers(0, 4095), st.integers(0, 40)),
    st.tuples(st.just("address"), st.integers(0, 4095)),
)
_POOLS = st.lists(_prefixes(st.integers(6, 12)), min_size=1, max_size=2)


def _record(ledger: Ledger, space: str, family: int, item: tuple[Any, ...]) -> dict[str, Any] | None:
    """Record one drawn object; None when the ledger refuses it (a duplicate, a cut range)."""
    universe = UNIVERSE[family]
    kind = item[0]
    try:
        if kind in ("claim", "parent"):
            network = _block(family, *item[1])
            managed = f"cluster:{item[3]}{space}" if kind == "claim" else "manual"
            add_prefix(ledger, str(network), space=space, role=item[2], managed_by=managed)
            return {"kind": "prefix", "span": network, "cluster": kind == "claim"}
        first = int(universe.network_address) + item[1]
        if kind == "range":
            last = min(first + item[2], int(universe.broadcast_address))
            text = f"{ipaddress.ip_address(first)}-{ipaddress.ip_address(last)}"
            add_range(ledger, text, space=space)
            return {"kind": "range", "first": first, "last": last}
        add_address(ledger, str(ipaddress.ip_address(first)), space=space)
        return {"kind": "address", "first": first, "last": first}
    except (ConflictError, InvalidInputError):  # a range needs a prefix around it
        return None


def _may_overlap(recorded: dict[str, Any], double: IPNetwork, pool: IPNetwork) -> bool:
    """Whether a recorded object may share addresses with a planned network and its reserve."""
    if recorded["kind"] != "prefix":
        first, last = int(double.network_address), int(double.broadcast_address)
        return recorded["last"] < first or last < recorded["first"]
    span: IPNetwork = recorded["span"]
    if not span.overlaps(double):
        return True
    return not recorded["cluster"] and span.supernet_of(pool)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    family=st.sampled_from((4, 6)),
    universe_recorded=st.booleans(),
    objects=st.lists(_OBJECT, max_size=12),
    pools=st.fixed_dictionaries({role: _POOLS for role in ROLES}),
)
def test_plan_cluster_places_only_where_nothing_recorded_is_in_the_way(
    ledger: Ledger,
    family: int,
    universe_recorded: bool,
    objects: list[tuple[Any, ...]],
    pools: dict[str, list[tuple[int, int]]],
) -> None:
    space = f"p{next(_SPACES)}"
    create_space(ledger, space, actor=ACTOR)
    if universe_recorded:  # a data-centre block around every pool, as in most ledgers
        objects = [("parent", (12, 0), "infrastructure"), *objects]
    recorded = [found for item in objects if (found := _record(ledger, space, family, item)) is not None]
    given_pools = {role: tuple(_block(family, *pool) for pool in drawn) for role, drawn in pools.items()}
    name = f"new-{space}"

    try:
        plan = plan_cluster(
            ledger,
            name,
            replace(SMALL, space=space),
            actor=ACTOR,
            pools=given_pools,
            node_subnet_prefixlen_v6=125,
        )
    except ExhaustedError:
        assert list_plans(ledger, cluster=name) == []
        return

    created = [change for change in plan.body["changes"] if change["kind"] == "prefix"]
    doubles = []
    for network_change, reserve_change in zip(created[0::2], created[1::2], strict=True):
        network = ipaddress.ip_network(network_change["prefix"])  # strict: aligned, or it raises
        reserve = ipaddress.ip_network(reserve_change["prefix"])
        pool = ipaddress.ip_network(network_change["pool"])
        double = network.supernet()
        assert reserve_change["role"] == "expansion-reserve"
        assert list(double.subnets()) == [network, reserve]
        assert double.subnet_of(pool)  # type: ignore[arg-type]
        assert pool in given_pools[network_change["role"]]
        in_the_way = [item for item in recorded if not _may_overlap(item, double, pool)]
        assert in_the_way == [], (network, reserve, in_the_way)
        doubles.append(double)
    assert not any(one.overlaps(other) for one, other in combinations(doubles, 2))

    applied = apply_plan(ledger, plan.id, actor=ACTOR)
    assert applied.plan.status == "applied"
    assert error_findings(ledger) == []
