"""Speed of a cluster sync at the size issue 5 names: 5,000 nodes and 150,000 pods.

Generates a dump in the real `kubectl get -o json` formats (v1 Lists of Nodes, Pods and
Services, plus the CNI's objects) for two variants:
- calico: an IPAM block (/26) per node with an allocation, attribute and IPAMHandle per pod,
  block affinities, and 1 % of the allocations left behind by pods that are gone;
- whereabouts: every pod also has a secondary interface from a Whereabouts IPPool (listed in
  its Multus network-status), OverlappingRangeIPReservations, and 1 % stranded allocations.

For each variant it records a cluster with its pod, service and node CIDRs in a fresh SQLite
ledger, then runs `ipledger cluster sync NAME --from-dump DIR` in a child process and prints
the wall time and the child's peak memory (targets: under 15 s and under 1 GiB), and times the
stranded-IP detection alone over the snapshot (target: under 2 s).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NODES = 5_000
PODS_PER_NODE = 30
SERVICES = 2_000
STRANDED_EVERY = 100  # one allocation in a hundred belongs to a pod that is gone
CREATED = "2026-11-01T00:00:00Z"


def _node(index: int) -> dict[str, Any]:
    name = f"node-{index:05d}"
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "uid": f"uid-node-{index}", "creationTimestamp": CREATED},
        "spec": {"podCIDR": _node_cidr(index), "podCIDRs": [_node_cidr(index)]},
        "status": {
            "addresses": [
                {"type": "InternalIP", "address": f"10.128.{index // 250}.{index % 250 + 1}"},
                {"type": "Hostname", "address": name},
            ],
            "capacity": {"pods": "110"},
        },
    }


def _node_cidr(index: int) -> str:
    # /24 per node out of 10.0.0.0/12 (4,096 /24s would not do for 5,000 nodes: use 10.0.0.0/11).
    return f"10.{index // 256}.{index % 256}.0/24"


def _block_cidr(index: int) -> str:
    return f"10.{index // 256}.{index % 256}.0/26"


def _pod_ip(node: int, slot: int) -> str:
    return f"10.{node // 256}.{node % 256}.{slot + 1}"


def _secondary_ip(node: int, slot: int) -> str:
    number = node * PODS_PER_NODE + slot
    return (
        f"192.168.{number // 250 % 256}.{number % 250 + 1}"
        if number < 64_000
        else (f"172.{16 + number // 64_000}.{number // 250 % 256}.{number % 250 + 1}")
    )


def _pod(node: int, slot: int, *, secondary: bool) -> dict[str, Any]:
    name = f"app-{node:05d}-{slot:02d}"
    annotations = {}
    if secondary:
        annotations["k8s.v1.cni.cncf.io/network-status"] = json.dumps(
            [
                {"name": "k8s-pod-network", "ips": [_pod_ip(node, slot)], "default": True},
                {"name": "kube-system/storage", "interface": "net1", "ips": [_secondary_ip(node, slot)]},
            ]
        )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": f"team-{node % 50}",
            "uid": f"uid-{node}-{slot}",
            "creationTimestamp": CREATED,
            "annotations": annotations,
        },
        "spec": {"nodeName": f"node-{node:05d}", "containers": [{"name": "app", "image": "nginx"}]},
        "status": {"phase": "Running", "podIP": _pod_ip(node, slot), "podIPs": [{"ip": _pod_ip(node, slot)}]},
    }


def _is_gone(node: int, slot: int) -> bool:
    return (node * PODS_PER_NODE + slot) % STRANDED_EVERY == 0


def _service(index: int) -> dict[str, Any]:
    ip = f"10.96.{index // 250}.{index % 250 + 1}"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": f"svc-{index}", "namespace": f"team-{index % 50}", "uid": f"uid-svc-{index}"},
        "spec": {"type": "ClusterIP", "clusterIP": ip, "clusterIPs": [ip]},
        "status": {"loadBalancer": {}},
    }


def _calico(nodes: int) -> list[dict[str, Any]]:
    objects: list[dict[str, Any]] = [
        {
            "apiVersion": "crd.projectcalico.org/v1",
            "kind": "IPPool",
            "metadata": {"name": "default-ipv4-ippool"},
            "spec": {"cidr": "10.0.0.0/11", "blockSize": 26, "ipipMode": "Always", "natOutgoing": True},
        }
    ]
    for node in range(nodes):
        host = f"node-{node:05d}"
        allocations: list[int | None] = [None] * 64
        attributes = []
        for slot in range(PODS_PER_NODE):
            allocations[slot] = len(attributes)
            handle = f"k8s-pod-network.{node:05d}{slot:02d}"
            attributes.append(
                {
                    "handle_id": handle,
                    "secondary": {
                        "namespace": f"team-{node % 50}",
                        "node": host,
                        "pod": f"app-{node:05d}-{slot:02d}",
                        "timestamp": "2026-11-01 00:00:00 +0000 UTC",
                    },
                }
            )
            objects.append(
                {
                    "apiVersion": "crd.projectcalico.org/v1",
                    "kind": "IPAMHandle",
                    "metadata": {"name": handle},
                    "spec": {"handleID": handle, "block": {_block_cidr(node): 1}, "deleted": False},
                }
            )
        objects.append(
            {
                "apiVersion": "crd.projectcalico.org/v1",
                "kind": "IPAMBlock",
                "metadata": {"name": _block_cidr(node).replace(".", "-").replace("/", "-")},
                "spec": {
                    "cidr": _block_cidr(node),
                    "affinity": f"host:{host}",
                    "allocations": [None, *allocations[:63]],  # ordinal 0 is the network address: left free
                    "unallocated": [0, *range(PODS_PER_NODE + 1, 64)],
                    "attributes": attributes,
                    "deleted": False,
                },
            }
        )
        objects.append(
            {
                "apiVersion": "crd.projectcalico.org/v1",
                "kind": "BlockAffinity",
                "metadata": {"name": f"{host}-{_block_cidr(node).replace('.', '-').replace('/', '-')}"},
                "spec": {"node": host, "cidr": _block_cidr(node), "state": "confirmed", "deleted": "false"},
            }
        )
    return objects


def _whereabouts(nodes: int) -> list[dict[str, Any]]:
    pools: dict[str, dict[str, Any]] = {}
    reservations = []
    for node in range(nodes):
        for slot in range(PODS_PER_NODE):
            ip = _secondary_ip(node, slot)
            octets = ip.split(".")
            network = f"{octets[0]}.{octets[1]}.0.0/16"
            pool = pools.setdefault(network, {})
            offset = int(octets[2]) * 256 + int(octets[3])
            podref = f"team-{node % 50}/app-{node:05d}-{slot:02d}"
            pool[str(offset)] = {"id": f"{node:05d}{slot:02d}" * 4, "podref": podref, "ifname": "net1"}
            reservations.append(
                {
                    "apiVersion": "whereabouts.cni.cncf.io/v1alpha1",
                    "kind": "OverlappingRangeIPReservation",
                    "metadata": {"name": ip, "namespace": "kube-system"},
                    "spec": {"podref": podref, "ifname": "net1"},
                }
            )
    objects = [
        {
            "apiVersion": "whereabouts.cni.cncf.io/v1alpha1",
            "kind": "IPPool",
            "metadata": {"name": network.replace("/", "-"), "namespace": "kube-system"},
            "spec": {"range": network, "allocations": allocations},
        }
        for network, allocations in pools.items()
    ]
    return objects + reservations


def write_dump(folder: Path, variant: str, nodes: int) -> dict[str, int]:
    """Write the dump files; pods that are gone keep their CNI allocations (the stranded ones)."""
    folder.mkdir(parents=True, exist_ok=True)
    secondary = variant == "whereabouts"
    live_pods = [
        _pod(node, slot, secondary=secondary)
        for node in range(nodes)
        for slot in range(PODS_PER_NODE)
        if not _is_gone(node, slot)
    ]
    lists = {
        "nodes.json": [_node(index) for index in range(nodes)],
        "pods.json": live_pods,
        "services.json": [_service(index) for index in range(SERVICES)],
        f"{variant}.json": _calico(nodes) if variant == "calico" else _whereabouts(nodes),
    }
    for name, items in lists.items():
        with (folder / name).open("w", encoding="utf-8") as handle:
            json.dump(
                {"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items},
                handle,
            )
    size = sum((folder / name).stat().st_size for name in lists)
    return {"pods": len(live_pods), "stranded": nodes * PODS_PER_NODE - len(live_pods), "bytes": size}


def _run(args: list[str], database: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "ipledger", "--database", database, *args]
    return subprocess.run(
        command, capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parent.parent
    )


def _prepare(database: str, name: str) -> None:
    for args in (
        ["init"],
        ["cluster", "create", name, "--ipam-mode", "calico", "--nodes", "5000", "--growth", "1"],
        ["prefix", "create", "10.0.0.0/11", "--role", "pod", "--managed-by", f"cluster:{name}"],
        ["prefix", "create", "10.96.0.0/12", "--role", "service", "--managed-by", f"cluster:{name}"],
        ["prefix", "create", "10.128.0.0/16", "--role", "node", "--managed-by", f"cluster:{name}"],
    ):
        done = _run(args, database)
        if done.returncode != 0:
            raise RuntimeError(f"ipledger {' '.join(args)} failed: {done.stderr}")


_SYNC_CHILD = """
import resource, sys, time
from pathlib import Path
from ipledger.service.ledger import Ledger
from ipledger.service.sync import sync_from_dump
ledger = Ledger.open(sys.argv[1])
start = time.perf_counter()
result = sync_from_dump(ledger, sys.argv[2], Path(sys.argv[3]), actor="bench")
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{elapsed:.3f} {peak} {sum(result.findings.values())} {result.counts['pods']}")
"""

_STRANDED_CHILD = """
import sys, time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from ipledger.kube.dump import read_dump
from ipledger.core.reconcile import find_stranded
snapshot = read_dump(Path(sys.argv[1]), taken_at=datetime.now(UTC))
samples = []
for _ in range(3):
    start = time.perf_counter()
    stranded = find_stranded(snapshot, now=datetime.now(UTC), grace=timedelta(minutes=15))
    samples.append(time.perf_counter() - start)
allocations = sum(len(pool.allocations) for pool in snapshot.whereabouts_pools) + sum(
    sum(1 for ordinal in block.ordinals if ordinal is not None) for block in snapshot.calico_blocks)
print(f"{min(samples):.3f} {sorted(samples)[1]:.3f} {len(stranded)} {allocations}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=NODES, help="nodes (30 pods each)")
    parser.add_argument(
        "--variant", action="append", choices=("calico", "whereabouts"), help="run only these"
    )
    options = parser.parse_args()
    variants = options.variant or ["calico", "whereabouts"]
    verdicts = []
    print(
        f"machine: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; {options.nodes:,} nodes x {PODS_PER_NODE} pods"
    )
    with tempfile.TemporaryDirectory(prefix="ipledger-sync-bench-") as temporary:
        for variant in variants:
            folder = Path(temporary) / variant
            start = time.perf_counter()
            written = write_dump(folder / "dump", variant, options.nodes)
            print(f"\n{variant}: dump of {written['pods']:,} live pods, {written['stranded']:,} stranded allocations, "
                  f"{written['bytes'] / 1e6:.0f} MB, written in {time.perf_counter() - start:.1f} s")  # fmt: skip
            database = f"sqlite+pysqlite:///{folder / 'ledger.db'}"
            _prepare(database, "bench")
            done = subprocess.run(
                [sys.executable, "-c", _SYNC_CHILD, database, "bench", str(folder / "dump")],
                capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parent.parent,
            )  # fmt: skip
            if done.returncode != 0:
                print(done.stderr[-3000:])
                return 2
            elapsed, peak_kib, findings, pods = done.stdout.split()
            peak_mib = int(peak_kib) / 1024
            sync_ok = float(elapsed) < 15 and peak_mib < 1024
            verdicts.append(sync_ok)
            verdict = "MET" if sync_ok else "MISSED"
            print(
                f"  sync from the dump: {float(elapsed):.2f} s, peak memory {peak_mib:.0f} MiB, "
                f"{int(pods):,} pods, {int(findings):,} findings  [target < 15 s and < 1 GiB: {verdict}]"
            )
            done = subprocess.run(
                [sys.executable, "-c", _STRANDED_CHILD, str(folder / "dump")],
                capture_output=True, text=True, check=False, cwd=Path(__file__).resolve().parent.parent,
            )  # fmt: skip
            if done.returncode != 0:
                print(done.stderr[-3000:])
                return 2
            best, median, stranded, allocations = done.stdout.split()
            detect_ok = float(median) < 2
            verdicts.append(detect_ok)
            verdict = "MET" if detect_ok else "MISSED"
            print(
                f"  stranded detection over {int(allocations):,} allocations: median {float(median):.3f} s "
                f"(best {float(best):.3f} s), {int(stranded):,} stranded  [target < 2 s: {verdict}]"
            )
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
