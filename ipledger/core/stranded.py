"""Stranded addresses: allocations a cluster still records although nothing uses them any more.

A ``Stranded`` value says what holds the address, why it is stranded, and the exact command that
would release it; ipledger never runs that command. Each rule follows the checker its owner
ships, as described with sources in the Kubernetes IPAM reference (``kubernetes-ipam.md``). This
module holds the value and the two small rule sets: the API server's IPAddress repair loop
(section 4.5) and, for Cilium, which ships no checker, the inference of section 3. Whereabouts
lives in ``whereabouts_ipam``, Calico in ``calico_ipam``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ipledger.core.addresses import IPAddress
from ipledger.core.cidr_index import CIDRIndex
from ipledger.core.findings import Finding, Severity
from ipledger.core.liveness import Liveness, is_finished, is_recent
from ipledger.core.observations import CiliumNode, Snapshot

__all__ = ["Stranded", "cilium_owner_carries", "find_cilium_stranded", "find_service_ip_orphans"]

# Rules whose objects are corrupt rather than merely unused: a person has to look at them.
_CORRUPT_RULES = frozenset({"whereabouts-bad-offset", "calico-invalid-block"})
_REPAIR_RULES = frozenset({"calico-invalid-block", "calico-missing-handle"})


@dataclass(frozen=True, slots=True)
class Stranded:
    """One address (or object) that a CNI's records hold although nothing uses it.

    ``held`` marks an inconsistency whose address a live owner still uses (an IPPool entry without
    its OverlappingRangeIPReservation, or the reverse): nothing is to be reclaimed, and
    ``release`` then names the repair instead.
    """

    cni: str  # "whereabouts" | "calico" | "kubernetes" | "cilium"
    rule: str
    address: IPAddress | None
    pool: str  # the pool, block or object that holds it, with its CIDR
    owner: str  # what the record names as owner
    detail: str  # why it is stranded, in words a person can act on
    release: str  # the command or patch that would release (or repair) it
    held: bool = False

    def finding(self) -> Finding:
        """The finding a check reports: errors for corrupt records, warnings otherwise."""
        severity = Severity.ERROR if self.rule in _CORRUPT_RULES else Severity.WARNING
        where = self.pool if self.address is None else f"{self.address} in {self.pool}"
        verb = "Repair" if self.held or self.rule in _REPAIR_RULES else "Release"
        return Finding(severity, self.rule, f"{self.cni}: {where}", f"{self.detail} {verb}: {self.release}")


# --- Kubernetes ServiceCIDR / IPAddress (reference section 4.5) --------------------------------


def find_service_ip_orphans(snapshot: Snapshot, *, now: datetime, grace: timedelta) -> list[Stranded]:
    """IPAddress objects of services that are gone or no longer have that ClusterIP.

    The API server's repair loop (``repairip.go``) deletes an IPAddress whose parent Service is
    missing after 60 s, and one whose Service lacks that ClusterIP at once; here both wait for
    ``grace`` after the IPAddress was created. Parents other than services are not judged, and
    nothing is judged when the snapshot holds no services at all (there is always ``kubernetes``).
    """
    if not snapshot.is_listed("services"):
        return []
    services = {service.ref: service for service in snapshot.services}
    ranges = CIDRIndex(
        (cidr, f"ServiceCIDR {item.name} ({cidr})") for item in snapshot.service_cidrs for cidr in item.cidrs
    )
    found = []
    for item in snapshot.service_ip_addresses:
        if item.parent_resource != "services" or is_recent(item.created, now=now, grace=grace):
            continue
        ref = f"{item.parent_namespace}/{item.parent_name}"
        service = services.get(ref)
        if service is not None and item.address in service.cluster_ips:
            continue
        if service is None:
            why = f"Service {ref}, which no longer exists"
        elif service.cluster_ips:
            why = f"Service {ref}, whose ClusterIPs are {', '.join(map(str, service.cluster_ips))}"
        else:
            why = f"Service {ref}, which has no ClusterIP (headless)"
        holders = ranges.holders(item.address)
        found.append(
            Stranded(
                cni="kubernetes",
                rule="service-ipaddress-orphan",
                address=item.address,
                pool=holders[0] if holders else "no ServiceCIDR",
                owner=f"services/{ref}",
                detail=(
                    f"IPAddress {item.address} names {why}; the API server's repair loop deletes "
                    "such objects itself (MultiCIDRServiceAllocator), so one that stays points at a "
                    "repair loop that is not running."
                ),
                release=f"kubectl delete ipaddress {item.address}",
            )
        )
    return found


# --- Cilium (reference section 3, an inference: Cilium ships no checker) ---------------------


def find_cilium_stranded(
    snapshot: Snapshot, live: Liveness, *, now: datetime, grace: timedelta
) -> list[Stranded]:
    """CiliumNodes without their Node, and ``status.ipam.used`` entries of pods that are gone.

    A used entry owned by ``namespace/pod`` is in use while that pod exists, is not finished or
    host-networked, and lists the address in ``status.podIPs``. Owners ``router`` and ``health``
    (and any other owner without a ``/``) are not judged. Node rules need nodes in the snapshot,
    owner rules need pods.
    """
    found: list[Stranded] = []
    for node in snapshot.cilium_nodes:
        gone = live.has_nodes and node.name not in live.node_names
        if gone:
            found.append(
                Stranded(
                    cni="cilium",
                    rule="cilium-node-gone",
                    address=None,
                    pool=_cilium_text(node),
                    owner=f"node {node.name}",
                    detail=(
                        f"CiliumNode {node.name} has no Node of that name; the operator normally "
                        "deletes it with its Node, and until then its pod CIDRs stay allocated."
                    ),
                    release=f"kubectl delete ciliumnode {node.name}",
                )
            )
        if live.has_pods:
            found.extend(_cilium_owners(node, live, gone=gone, now=now, grace=grace))
    return found


def cilium_owner_carries(live: Liveness, owner: str, address: IPAddress) -> bool:
    """Whether pod ``owner`` (namespace/name) exists, runs in the pod network and lists ``address``
    in status.podIPs."""
    pod = live.pods_by_ref.get(owner)
    return pod is not None and not pod.host_network and not is_finished(pod) and address in pod.ips


def _cilium_text(node: CiliumNode) -> str:
    cidrs = ", ".join(str(cidr) for cidr in (*node.pod_cidrs, *(cidr for _, cidr in node.pool_cidrs)))
    return f"CiliumNode {node.name} ({cidrs or 'no pod CIDR'})"


def _cilium_owners(
    node: CiliumNode, live: Liveness, *, gone: bool, now: datetime, grace: timedelta
) -> list[Stranded]:
    found = []
    for address, owner in node.used:
        if "/" not in owner:
            continue
        pod = live.pods_by_ref.get(owner)
        if cilium_owner_carries(live, owner, address) or (
            pod is not None and is_recent(pod.created, now=now, grace=grace)
        ):
            continue
        why = "no longer exists" if pod is None else f"does not carry it (phase {pod.phase or 'unknown'})"
        if gone:
            release = f"kubectl delete ciliumnode {node.name}"
        else:
            release = (
                f"restart the Cilium agent on {node.name} so that it rebuilds status.ipam.used from its "
                f"endpoints: kubectl -n kube-system delete pod -l k8s-app=cilium "
                f"--field-selector spec.nodeName={node.name}"
            )
        found.append(
            Stranded(
                cni="cilium",
                rule="cilium-ip-owner-gone",
                address=address,
                pool=_cilium_text(node),
                owner=owner,
                detail=(
                    f"status.ipam.used gives {address} to pod {owner}, which {why}. This is an "
                    "inference (Cilium documents no leak check): confirm with cilium-dbg endpoint list "
                    f"on {node.name} before acting."
                ),
                release=release,
            )
        )
    return found
