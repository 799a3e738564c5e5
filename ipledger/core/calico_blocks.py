"""Calico IPAM blocks as Calico itself reads them: allocations, their owners, and block validity.

An IPAMBlock stores, per ordinal, an index into its attributes; the address of ordinal i is the
block's i-th address (``model/block.go: OrdinalToIP``). The owner of an allocation, its kind and
whether it is borrowed or cooling down follow libcalico-go ``lib/ipam/accounting``; the validity
rules follow ``validateBlock`` in calicoctl ``commands/ipam/check.go`` (Kubernetes IPAM
reference, section 2.2).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ipledger.core.addresses import IPAddress, IPNetwork, address_from_int
from ipledger.core.observations import CalicoAttribute, CalicoBlock

__all__ = [
    "TUNNEL_TYPES",
    "WINDOWS_RESERVED_HANDLE",
    "CalicoAllocation",
    "CalicoOwner",
    "calico_allocations",
    "calico_cidr_name",
    "calico_use",
    "parse_go_time",
    "validate_calico_block",
]

WINDOWS_RESERVED_HANDLE = "windows-reserved-ipam-handle"
TUNNEL_TYPES = frozenset(
    {
        "ipipTunnelAddress",
        "vxlanTunnelAddress",
        "vxlanV6TunnelAddress",
        "wireguardTunnelAddress",
        "wireguardV6TunnelAddress",
    }
)
_LOAD_BALANCER_AFFINITY = "virtual:load-balancer"
# Go's time.Time.String(), as Calico writes the "timestamp" attribute.
_GO_TIME = re.compile(r"(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d+))? ([+-])(\d\d)(\d\d)")


@dataclass(frozen=True, slots=True)
class CalicoOwner:
    """What one attribute of a block records about the allocations that point at it.

    ``use`` is Calico's allocation kind: ``workload``, ``tunnel``, ``loadbalancer``,
    ``windows-reserved``, ``unknown`` (a type this code does not know), or ``missing-attribute``
    when the ordinal indexes an attribute that does not exist.
    """

    handle: str | None
    namespace: str
    pod: str
    node: str  # secondary "node", else the block's host affinity ("" for neither)
    type: str
    timestamp: str
    released_at: datetime | None  # set while the address cools down after release
    borrowed: bool  # a node other than the block's affine host holds it
    use: str
    vm: str = ""  # KubeVirt: the "vmi-name" attribute of a virtual machine's address
    service: str = ""  # the LoadBalancer controller's "service" attribute (with "namespace")

    @property
    def pod_ref(self) -> str | None:
        return f"{self.namespace}/{self.pod}" if self.pod else None


@dataclass(frozen=True, slots=True)
class CalicoAllocation:
    """One allocated ordinal: address ``cidr[ordinal]`` of block ``block``."""

    block: str
    cidr: IPNetwork
    ordinal: int
    address: IPAddress
    owner: CalicoOwner


def _use(block: CalicoBlock, attribute: CalicoAttribute, values: dict[str, str]) -> str:
    # accounting.Allocation.Kind in libcalico-go, case for case.
    if attribute.handle is not None and attribute.handle.lower() == WINDOWS_RESERVED_HANDLE:
        return "windows-reserved"
    if block.affinity == _LOAD_BALANCER_AFFINITY:
        return "loadbalancer"
    kind = values.get("type", "")
    if kind == "":
        # Tunnel addresses predate attributes and handles; pod addresses always had a handle.
        return "tunnel" if not values and attribute.handle is None else "workload"
    if kind in TUNNEL_TYPES:
        return "tunnel"
    return "loadbalancer" if kind == "LoadBalancer" else "unknown"


def _owner(block: CalicoBlock, attribute: CalicoAttribute | None) -> CalicoOwner:
    host = block.host or ""
    if attribute is None:
        return CalicoOwner(None, "", "", host, "", "", None, False, "missing-attribute")
    values = dict(attribute.secondary)
    named = values.get("node", "")
    return CalicoOwner(
        handle=attribute.handle,
        namespace=values.get("namespace", ""),
        pod=values.get("pod", ""),
        node=named or host,
        type=values.get("type", ""),
        timestamp=values.get("timestamp", ""),
        released_at=attribute.released_at,
        borrowed=named != "" and named != host,
        use=_use(block, attribute, values),
        vm=values.get("vmi-name", ""),
        service=values.get("service", ""),
    )


def calico_use(block: CalicoBlock, attribute: CalicoAttribute | None) -> str:
    """The kind of the allocations that point at ``attribute`` (None: a missing attribute)."""
    if attribute is None:
        return "missing-attribute"
    return _use(block, attribute, dict(attribute.secondary))


def calico_allocations(
    block: CalicoBlock, *, ordinals: Iterable[int] | None = None
) -> tuple[CalicoAllocation, ...]:
    """The allocated ordinals of ``block`` with address and owner, cooling ones included.

    The address of ordinal i is the block's i-th address (``OrdinalToIP``). ``ordinals`` limits
    the result to those (in that order); free ordinals and ordinals past the end of the block are
    left out (``validate_calico_block`` reports the latter).
    """
    size = min(block.cidr.num_addresses, len(block.ordinals))
    base = int(block.cidr.network_address)
    version = block.cidr.version
    attributes = block.attributes
    owners: dict[int, CalicoOwner] = {}
    found = []
    for ordinal in range(size) if ordinals is None else ordinals:
        index = block.ordinals[ordinal] if 0 <= ordinal < size else None
        if index is None:
            continue
        owner = owners.get(index)
        if owner is None:
            attribute = attributes[index] if 0 <= index < len(attributes) else None
            owner = owners[index] = _owner(block, attribute)
        address = address_from_int(base + ordinal, version=version)
        found.append(CalicoAllocation(block.name, block.cidr, ordinal, address, owner))
    return tuple(found)


def validate_calico_block(block: CalicoBlock, *, now: datetime | None = None) -> tuple[str, ...]:
    """The problems ``calicoctl ipam check`` finds in a block (``validateBlock``); empty if none.

    Every allocation points at an existing attribute, every attribute is pointed at (and, given
    ``now``, was not released in the future), unallocated ordinals are in the block, unique and
    not allocated, and unallocated plus allocated ordinals make up the block. calicoctl stops at
    the first problem; all are listed here, with its wording.
    """
    problems: list[str] = []
    size = block.cidr.num_addresses
    if len(block.ordinals) != size:
        problems.append(f"allocations has {len(block.ordinals)} entries but {block.cidr} holds {size}")
    seen_attributes: set[int] = set()
    allocated: set[int] = set()
    for ordinal, index in enumerate(block.ordinals[:size]):
        if index is None:
            continue
        allocated.add(ordinal)
        if 0 <= index < len(block.attributes):
            seen_attributes.add(index)
        else:
            problems.append(f"allocation {ordinal} indexes a nonexistent attribute {index}")
    for index, attribute in enumerate(block.attributes):
        if index not in seen_attributes:
            problems.append(f"attribute index {index} exists but is not indexed by an allocation")
        released = attribute.released_at
        if now is not None and released is not None and released > now:
            problems.append(f"attribute index {index} has releasedAt in the future, suggesting clock skew")
    problems.extend(_unallocated_problems(block, allocated))
    if len(block.unallocated) + len(allocated) != size:
        problems.append(
            f"expected {size} addresses in this block, but Unallocated ({len(block.unallocated)}) + "
            f"Allocated ({len(allocated)}) = {len(block.unallocated) + len(allocated)}"
        )
    return tuple(problems)


def _unallocated_problems(block: CalicoBlock, allocated: set[int]) -> Iterator[str]:
    seen: set[int] = set()
    for ordinal in block.unallocated:
        if not 0 <= ordinal < len(block.ordinals):
            yield f"ordinal {ordinal} appears in the Unallocated array but is out of the block"
        elif ordinal in seen:
            yield f"ordinal {ordinal} appears more than once in Unallocated array"
        elif ordinal in allocated:
            yield f"ordinal {ordinal} is allocated but appears in Unallocated"
        seen.add(ordinal)


def parse_go_time(text: str) -> datetime | None:
    """The time in Go's ``time.Time.String()`` form, as Calico writes the ``timestamp`` attribute,
    or None when ``text`` is not one."""
    match = _GO_TIME.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, sign, tz_hours, tz_minutes = match.groups()
    offset = timedelta(hours=int(tz_hours), minutes=int(tz_minutes)) * (-1 if sign == "-" else 1)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        stamp = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro)
    except ValueError:
        # An impossible date says nothing about age: the grace period then rests on the pod alone.
        return None
    return stamp.replace(tzinfo=timezone(offset))


def calico_cidr_name(cidr: IPNetwork) -> str:
    """The object name Calico derives from a CIDR: ``192.168.185.0/26`` -> ``192-168-185-0-26``."""
    # libcalico-go names/cidr.go: ".", ":" and "/" become "-".
    return str(cidr).replace(".", "-").replace(":", "-").replace("/", "-")
