"""Calico blocks still affine to nodes that no longer exist, and the fix Calico itself applies.

Source: libcalico-go ``releaseBlockAffinity`` (``lib/ipam/ipam_block_reader_writer.go``), which
kube-controllers' node controller calls for a deleted node (Kubernetes IPAM reference, section
2.5). It releases the block's leaked addresses first; then an empty block is deleted, while a
block that still holds addresses keeps them and only loses its affinity; last the BlockAffinity
object goes. A pending BlockAffinity is no claim yet (issue #6867) and counts as absent. Only
real objects are named: a block whose affinity has no BlockAffinity object gets the fix for the
block alone.
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta

from ipledger.core.addresses import IPNetwork
from ipledger.core.calico_blocks import calico_allocations
from ipledger.core.calico_ipam import CalicoState, judge_calico_allocation
from ipledger.core.liveness import Liveness
from ipledger.core.observations import CalicoAffinity, CalicoBlock, Snapshot
from ipledger.core.stranded import Stranded

__all__ = ["find_gone_node_blocks"]

# More leaked addresses than this are left to the --from-report flow (the report `ipledger cluster
# sync --calico-report` writes) rather than listed one by one.
_LISTED_RELEASES = 8


def find_gone_node_blocks(
    snapshot: Snapshot, live: Liveness, *, now: datetime, grace: timedelta
) -> list[Stranded]:
    """``calico-block-of-gone-node``: host affinities (a block's own, or a BlockAffinity that is
    not pending) of nodes the snapshot does not hold. Nothing is judged without nodes."""
    if not live.has_nodes:
        return []
    claims: dict[tuple[str, IPNetwork], tuple[CalicoBlock | None, CalicoAffinity | None]] = {}
    for block in snapshot.calico_blocks:
        if not block.deleted and block.host is not None:
            claims[(block.host, block.cidr)] = (block, None)
    for item in snapshot.calico_affinities:
        if not item.deleted and item.state != "pending":
            known, _ = claims.get((item.node, item.cidr), (None, None))
            claims[(item.node, item.cidr)] = (known, item)
    return [
        _gone_node_claim(node, cidr, block, affinity, live, now=now, grace=grace)
        for (node, cidr), (block, affinity) in claims.items()
        if node not in live.node_names
    ]


def _gone_node_claim(
    node: str,
    cidr: IPNetwork,
    block: CalicoBlock | None,
    affinity: CalicoAffinity | None,
    live: Liveness,
    *,
    now: datetime,
    grace: timedelta,
) -> Stranded:
    if block is None:
        assert affinity is not None  # every claim has a block or an affinity
        held = "no IPAMBlock exists for it (issue #4471: the affinity alone keeps the route)"
        pool = f"BlockAffinity {affinity.name} ({cidr})"
        steps: list[str] = []
    else:
        held, steps = _block_steps(block, node, live, now=now, grace=grace)
        pool = f"IPAM block {block.name} ({block.cidr})"
    if affinity is not None:
        steps.append(f"kubectl delete blockaffinities.{affinity.group} {affinity.name}")
    return Stranded(
        cni="calico",
        rule="calico-block-of-gone-node",
        address=None,
        pool=pool,
        owner=f"node {node}",
        detail=(
            f"{cidr} is affine to node {node}, which no longer exists; {held}. kube-controllers "
            "releases the affinity of a gone node once its block holds only leaks."
        ),
        release=" && ".join(steps),
    )


def _block_steps(
    block: CalicoBlock, node: str, live: Liveness, *, now: datetime, grace: timedelta
) -> tuple[str, list[str]]:
    """What the block holds, in words, and the commands that release it as Calico would."""
    allocations = calico_allocations(block)
    leaked = [
        item.address
        for item in allocations
        if judge_calico_allocation(item, live, now=now, grace=grace)[0] is CalicoState.LEAKED
    ]
    kept = len(allocations) - len(leaked)
    if len(leaked) > _LISTED_RELEASES:
        steps = [f"calicoctl ipam release --from-report=report.json (its {len(leaked)} leaked addresses)"]
    else:
        steps = [f"calicoctl ipam release --ip={address}" for address in leaked]
    if kept:
        # Calico keeps a block that still holds addresses and only drops its affinity.
        patch = [
            {"op": "test", "path": "/spec/affinity", "value": f"host:{node}"},
            {"op": "remove", "path": "/spec/affinity"},
        ]
        steps.append(
            f"kubectl patch ipamblocks.{block.group} {block.name} --type=json "
            f"-p {shlex.quote(json.dumps(patch, separators=(',', ':')))}"
        )
        held = (
            f"{kept} of its {len(allocations)} allocated addresses are in use, cooling down or too "
            "recent to judge, so the block stays and only loses its affinity"
        )
    elif allocations:
        steps.append(f"kubectl delete ipamblocks.{block.group} {block.name}")
        held = (
            f"its {len(allocations)} allocated addresses are all leaked: release them, then delete the block"
        )
    else:
        steps.append(f"kubectl delete ipamblocks.{block.group} {block.name}")
        held = "the block is empty"
    return held, steps
