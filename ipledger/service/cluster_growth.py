"""Planning a cluster's growth: widening one of its networks into the expansion reserve after it.

The plan checks that the reserve is empty, that the wider block lies in no other cluster's network
or reserve and that it is not recorded yet; ``plans.apply_plan`` checks all of it again and
widens the prefix in place (``widening``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ipledger.core.addresses import IPNetwork
from ipledger.core.errors import InvalidInputError
from ipledger.core.ranges import IPRange
from ipledger.service.cluster_plans import capacity_json, error_check, finding_check
from ipledger.service.cluster_space import describe_claim, find_claims_around
from ipledger.service.clusters import NETWORK_ROLES, cluster_record, load_cluster, managed_label, measure
from ipledger.service.convert import names, prefix_record
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.lookup import load_space
from ipledger.service.plans import describe_contents, save_plan
from ipledger.service.records import PlanRecord, PrefixRecord
from ipledger.store import clusters as stored
from ipledger.store import queries

__all__ = ["plan_growth"]


def plan_growth(ledger: Ledger, name: str, *, actor: Actor, role: str = "pod", family: int = 4) -> PlanRecord:
    """Plan widening a cluster's network of ``role`` into its expansion reserve (/N to /(N-1)).

    Raises:
        InvalidInputError: the cluster has no such network, or no free reserve next to it.
    """
    if role not in NETWORK_ROLES:
        raise InvalidInputError(f"role must be one of {', '.join(NETWORK_ROLES)}, not {role!r}", field="role")
    with ledger.reading() as session:
        cluster = load_cluster(session, name)
        lookup = names(session)
        mine = [
            prefix_record(item, lookup) for item in stored.list_cluster_prefixes(session, managed_label(name))
        ]
        network = _network_to_grow(mine, name, role, family)
        wider = network.network.supernet()
        halves = list(wider.subnets())
        # Only the other half of the doubled block is this network's reserve.
        reserve = next(
            (item for item in mine if item.role == "expansion-reserve" and item.network == halves[1]),
            None,
        )
        if reserve is None or int(network.network.network_address) != int(wider.network_address):
            raise InvalidInputError(
                f"{network.network} of cluster {name} has no expansion reserve after it "
                f"({wider} would be needed): plan an additional {role} network instead"
            )
        space = load_space(session, network.space)
        inside = describe_contents(session, space, reserve.network)
        claims = find_claims_around(session, space.id, IPRange.from_network(wider), apart_from=name)
        recorded = [
            describe_claim(item)
            for item in queries.list_prefixes_containing(session, space.id, IPRange.from_network(wider))
            if item.prefixlen == wider.prefixlen
        ]
        record = cluster_record(cluster, session)
    after = tuple(item for item in mine if item.network not in (network.network, reserve.network))
    grown = (*after, _replace_network(network, wider))
    capacity = measure(record, grown)
    checks = [
        error_check(
            "reserve is empty",
            not inside,
            passed=f"{reserve.network} holds nothing",
            failed=f"{reserve.network} holds {inside}",
        ),
        error_check(
            "outside other clusters",
            not claims,
            passed=f"{wider} lies in no other cluster's network or reserve",
            failed=f"{wider} lies in {describe_claim(claims[0])}" if claims else "",
        ),
        error_check(
            "wider block not recorded",
            not recorded,
            passed=f"{wider} is not recorded yet",
            failed=f"{wider} is recorded as {recorded[0]}" if recorded else "",
        ),
    ]
    for _family, worked in capacity:
        checks += [finding_check(finding) for finding in worked.findings]
    # One change: the prefix is widened in place and its reserve removed (``widening``).
    changes = [
        {
            "action": "resize",
            "kind": "prefix",
            "space": network.space,
            "prefix": str(network.network),
            "to": str(wider),
            "reserve": str(reserve.network),
        },
    ]
    body = {
        "inputs": {"cluster": name, "role": role, "family": family},
        "changes": changes,
        "checks": checks,
        "capacity": capacity_json(capacity),
    }
    summary = f"grow cluster {name}: {role} {network.network} to {wider} (its reserve {reserve.network})"
    return save_plan(ledger, "grow-cluster", name, summary, body, actor=actor)


def _network_to_grow(mine: Sequence[PrefixRecord], name: str, role: str, family: int) -> PrefixRecord:
    candidates = [item for item in mine if item.role == role and item.network.version == family]
    if not candidates:
        raise InvalidInputError(f"cluster {name} has no IPv{family} {role} network to grow")
    return min(candidates, key=lambda item: item.network.prefixlen)


def _replace_network(item: PrefixRecord, network: IPNetwork) -> PrefixRecord:
    return replace(item, network=network)
