"""Checking a cluster's configuration file before anything is provisioned (`ipledger check-config`).

The file (kubeadm, k3s / RKE2, kind or ipledger's ClusterSpec, read by ``kube.configs``) names
the cluster's pod, service and node networks. They are checked against each other and the
special ranges (``core.cluster_checks``), for capacity (``core.capacity``: node mask against max
pods, node slots against nodes x growth, service CIDR size), and against the ledger: anything
already recorded inside one of them in the same space is a collision, and so is another
cluster's network or expansion reserve around one of them. A network inside a larger recorded
prefix that no cluster manages is fine (it is carved from it) and reported as information.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ipledger.core.addresses import address_from_int
from ipledger.core.capacity import Capacity, measure_cluster
from ipledger.core.cluster_checks import ClusterNetwork, check_networks
from ipledger.core.findings import Finding, Severity
from ipledger.kube.configs import ClusterConfig, parse_cluster_config, read_cluster_config
from ipledger.service.cluster_space import cluster_of, describe_claim
from ipledger.service.clusters import ClusterFields, managed_label, sizing_of
from ipledger.service.ledger import Ledger
from ipledger.service.lookup import DEFAULT_SPACE
from ipledger.service.occupancy import network_of, span_of_range
from ipledger.store import queries
from ipledger.store.database import Session
from ipledger.store.models import Address, Prefix, Range, Space

__all__ = ["ConfigReport", "check_config", "check_config_text"]


@dataclass(frozen=True, slots=True)
class ConfigReport:
    config: ClusterConfig
    assumed: tuple[str, ...]  # sizing inputs neither the file nor the caller gave
    capacity: tuple[tuple[int, Capacity], ...]
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(1 for finding in self.findings if finding.severity is Severity.ERROR)


def check_config(
    ledger: Ledger,
    path: Path,
    *,
    kind: str | None = None,
    space: str | None = None,
    overrides: ClusterFields | None = None,
    given: tuple[str, ...] = (),
) -> ConfigReport:
    """Read the file and report every finding about its networks.

    ``overrides`` carries sizing inputs from the command line; ``given`` names those the caller
    set explicitly (they win over the file; the file wins over the other defaults).

    Raises:
        ConfigError: the file cannot be read or is malformed (file, line and field named).
    """
    config = read_cluster_config(path, kind=kind)
    return _report(ledger, config, space=space, overrides=overrides, given=given)


def check_config_text(
    ledger: Ledger,
    text: str,
    *,
    filename: str,
    kind: str | None = None,
    space: str | None = None,
    overrides: ClusterFields | None = None,
    given: tuple[str, ...] = (),
) -> ConfigReport:
    """:func:`check_config` of a file's content (an upload); ``filename`` names it in messages."""
    config = parse_cluster_config(text, path=filename, kind=kind)
    return _report(ledger, config, space=space, overrides=overrides, given=given)


def _report(
    ledger: Ledger,
    config: ClusterConfig,
    *,
    space: str | None,
    overrides: ClusterFields | None,
    given: tuple[str, ...],
) -> ConfigReport:
    values, assumed = _sizing(config, overrides or ClusterFields(), given)
    name = config.name or Path(config.path).name
    # A load-balancer pool written as a start-end range is checked as the range it is.
    networks = [
        *(ClusterNetwork("pod", item) for item in config.pod_cidrs),
        *(ClusterNetwork("service", item) for item in config.service_cidrs),
        *(ClusterNetwork("node", item) for item in config.node_cidrs),
        *(ClusterNetwork("loadbalancer", item) for item in config.load_balancer_pools),
    ]
    findings = check_networks(networks, cluster=name)
    capacity = _capacity(config, values)
    for _, worked in capacity:
        findings.extend(worked.findings)
    with ledger.reading() as session:
        space_name = space or config.space or DEFAULT_SPACE
        space_row = queries.find_space(session, space_name)
        if space_row is None:
            findings.append(
                Finding(
                    Severity.INFO,
                    "space-not-recorded",
                    space_name,
                    f"space {space_name} is not in the ledger: nothing to collide with there",
                )
            )
        else:
            for network in networks:
                findings.extend(_against_ledger(session, space_row, network, config.name))
    return ConfigReport(config, assumed, capacity, tuple(findings))


def _sizing(
    config: ClusterConfig, overrides: ClusterFields, given: tuple[str, ...]
) -> tuple[ClusterFields, tuple[str, ...]]:
    from_file = {
        "provider": config.provider,
        "ipam_mode": config.ipam_mode,
        "max_pods": config.max_pods,
        "expected_nodes": config.expected_nodes,
        "growth": config.growth,
        "node_prefixlen": config.node_prefixlen.get(4),
        "node_prefixlen_v6": config.node_prefixlen.get(6),
        "expected_services": config.expected_services,
        "eni_count": config.eni_count,
        "ips_per_eni": config.ips_per_eni,
        "vcpus": config.vcpus,
    }
    updates: dict[str, Any] = {}
    assumed = []
    for key, value in from_file.items():
        if key in given:
            continue
        if key == "ipam_mode" and "ipam_mode" in config.defaulted:
            # The file names no IPAM mode; the tool's default CNI (see the notes) decides it.
            assumed.append(f"ipam mode: {value}")
        if value is None:
            if key in ("max_pods", "expected_nodes", "growth", "ipam_mode"):
                assumed.append(f"{key.replace('_', ' ')}: {getattr(overrides, key)}")
            continue
        updates[key] = value
    return replace(overrides, **updates), tuple(assumed)


def _capacity(config: ClusterConfig, values: ClusterFields) -> tuple[tuple[int, Capacity], ...]:
    result = []
    for family in sorted({item.version for item in (*config.pod_cidrs, *config.service_cidrs)}):
        pods = [item.prefixlen for item in config.pod_cidrs if item.version == family]
        services = [item.prefixlen for item in config.service_cidrs if item.version == family]
        nodes = [item.prefixlen for item in config.node_cidrs if item.version == family]
        result.append(
            (
                family,
                measure_cluster(
                    sizing_of(values, family),
                    pod_prefixlen=min(pods, default=None),
                    service_prefixlen=min(services, default=None),
                    node_subnet_prefixlen=min(nodes, default=None),
                ),
            )
        )
    return tuple(result)


def _against_ledger(
    session: Session, space: Space, item: ClusterNetwork, cluster: str | None
) -> list[Finding]:
    """Anything recorded inside the network collides, and so does another cluster's network or
    reserve around it (``cluster_space``); a recorded prefix around it that no cluster manages is
    its parent."""
    own = None if cluster is None else managed_label(cluster)
    span = item.span
    subject = f"{item.role} {item.network}"
    found: list[Finding] = []
    for prefix in queries.list_prefixes_within(session, space.id, span):
        if prefix.managed_by == own:
            continue
        if (prefix.first, prefix.last) == (span.first, span.last):
            what = f"is already recorded in space {space.name} as {_described(prefix)}"
        else:
            what = f"holds {_described(prefix)} in space {space.name}"
        found.append(_collision(subject, f"{item.words} {what}"))
        break
    for holder in queries.list_ranges_overlapping(session, space.id, span):
        if holder.managed_by != own:
            found.append(
                _collision(subject, f"{item.words} overlaps {_described(holder)} in space {space.name}")
            )
            break
    around = queries.list_prefixes_containing(session, space.id, span)
    parents = [prefix for prefix in around if (prefix.first, prefix.last) != (span.first, span.last)]
    claims = [prefix for prefix in parents if cluster_of(prefix.managed_by) not in (None, cluster)]
    if claims:
        # The innermost claim names the network the cluster's pods would share.
        where = f"lies in {describe_claim(claims[-1])} in space {space.name}"
        found.append(_collision(subject, f"{item.words} {where}; both clusters would route its addresses"))
    # Addresses inside the cluster's own recorded network are its own nodes and pods.
    ours = own is not None and any(prefix.managed_by == own for prefix in around)
    addresses: list[Address] = [] if ours else queries.list_addresses_within(session, space.id, span, limit=1)
    if addresses and not found:
        count = queries.count_addresses_within(session, space.id, span)
        found.append(
            _collision(
                subject,
                f"{item.words} holds {count} recorded address(es) in space {space.name}, "
                f"e.g. {_address(addresses[0])}",
            )
        )
    if parents and not found:
        parent = parents[-1]
        found.append(
            Finding(
                Severity.INFO,
                "inside-recorded-prefix",
                subject,
                f"{item.words} lies inside {_described(parent)}; record it there once the cluster exists",
            )
        )
    return found


def _described(item: Prefix | Range) -> str:
    """A cluster's network by its cluster, anything else by its role and manager."""
    if cluster_of(item.managed_by) is not None:
        return describe_claim(item)
    shown = network_of(item) if isinstance(item, Prefix) else span_of_range(item)
    if isinstance(item, Prefix):
        return f"{shown} ({item.role}, managed by {item.managed_by})"
    return f"range {shown} ({item.role})"


def _collision(subject: str, message: str) -> Finding:
    return Finding(
        Severity.ERROR,
        "collides-with-ledger",
        subject,
        f"{message}: pick another range, or fix the ledger if it is stale",
    )


def _address(row: Address) -> str:
    return str(address_from_int(row.value, version=row.family))
