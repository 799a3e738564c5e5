"""`ipledger cluster`: record Kubernetes clusters, see their capacity, and plan their networks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import PREFIX, format_option, optional_space_option, version_option
from ipledger.cli.plans import echo_plan
from ipledger.cli.render import echo_fields, echo_json, echo_table, text_or_dash, usage_text
from ipledger.core.addresses import IPNetwork
from ipledger.core.capacity import IPAMMode, Provider, aws_max_pods
from ipledger.service.cluster_decommission import plan_decommission
from ipledger.service.cluster_growth import plan_growth
from ipledger.service.cluster_overlaps import cluster_overlaps
from ipledger.service.cluster_plans import plan_cluster
from ipledger.service.clusters import (
    ClusterDetail,
    ClusterFields,
    create_cluster,
    delete_cluster,
    list_clusters,
    show_cluster,
    update_cluster,
)

__all__ = ["cluster"]

_F = TypeVar("_F", bound=Callable[..., Any])
_PROVIDERS = [item.value for item in Provider]
_MODES = [item.value for item in IPAMMode]

# The sizing options of `create`, `update` and `plan`, with the defaults a new cluster gets.
_SIZING: list[tuple[str, str, Any, str]] = [
    ("provider", "--provider", "other", f"Where it runs: {', '.join(_PROVIDERS)}."),
    ("ipam_mode", "--ipam-mode", "kube-controller-manager", f"How pods get addresses: {', '.join(_MODES)}."),
    ("max_pods", "--max-pods", 110, "Pods per node (the kubelet's default is 110)."),
    ("expected_nodes", "--nodes", 3, "Nodes the cluster is expected to have."),
    ("growth", "--growth", 2.0, "Growth factor on the node count the networks must hold (at least 1)."),
    ("node_prefixlen", "--node-prefixlen", None, "IPv4 per-node block (node CIDR mask, Calico block size)."),
    ("node_prefixlen_v6", "--node-prefixlen-v6", None, "IPv6 per-node block length."),
    ("expected_services", "--services", None, "Services expected (sizes the service CIDR)."),
    ("eni_count", "--enis", None, "ENIs of the nodes' instance type (AWS VPC CNI modes; checks max pods)."),
    ("ips_per_eni", "--ips-per-eni", None, "IPv4 addresses per ENI of the instance type (with --enis)."),
    ("vcpus", "--vcpus", None, "vCPUs of the instance type: caps the AWS max-pods formula at 110 or 250."),
]
_TYPES = {"max_pods": int, "expected_nodes": int, "growth": float, "node_prefixlen": int,
          "node_prefixlen_v6": int, "expected_services": int, "eni_count": int, "ips_per_eni": int,
          "vcpus": int}  # fmt: skip


def _sizing_options(*, with_defaults: bool) -> Callable[[_F], _F]:
    def decorate(function: _F) -> _F:
        for name, flag, default, text in reversed(_SIZING):
            shown = with_defaults and default is not None
            function = click.option(
                flag,
                name,
                type=_TYPES.get(name, str),
                default=default if with_defaults else None,
                show_default=shown,
                help=text,
            )(function)
        return function

    return decorate


@click.group("cluster")
def cluster() -> None:
    """Kubernetes clusters: their pod, service and node networks, capacity and plans.

    A cluster's networks are prefixes (and ranges) of the ledger with managed-by
    cluster:NAME and the role pod, service, node, loadbalancer or expansion-reserve.
    New clusters are best planned (`cluster plan`), reviewed (`plan show`) and applied
    (`plan apply`): the planner sizes and places the networks so that nothing overlaps.
    """


@cluster.command("create")
@click.argument("name")
@click.option("--space", default="global", show_default=True, help="Space its networks live in.")
@click.option("--group", default=None, metavar="PATH", help="Owning group, e.g. kubernetes/prod.")
@_sizing_options(with_defaults=True)
@click.option("--dual-stack", is_flag=True, help="IPv4 and IPv6 networks.")
@click.option("--description", default="", help="Free text.")
@format_option
@pass_state
def create(state: CliState, /, name: str, output: str, **values: Any) -> None:
    """Record an existing cluster (record its networks with --managed-by cluster:NAME).

    \b
    Example:
      ipledger cluster create prod-eu-1 --provider eks --ipam-mode aws-vpc-cni --nodes 40
    """
    record = create_cluster(state.ledger(), name, ClusterFields(**values), actor=state.actor)
    if output == "json":
        echo_json(record)
    else:
        click.echo(f"recorded cluster {record.name} (version {record.version})")


@cluster.command("show")
@click.argument("name")
@format_option
@pass_state
def show(state: CliState, name: str, output: str) -> None:
    """One cluster: its settings, networks with utilization, capacity worked out, findings."""
    detail = show_cluster(state.ledger(), name)
    if output == "json":
        echo_json(detail)
        return
    _echo_detail(detail)


def _echo_detail(detail: ClusterDetail) -> None:
    item = detail.cluster
    echo_fields(
        [
            ("cluster", f"{item.name} ({item.status})"),
            ("space / group", f"{_spaces(detail)} / {text_or_dash(item.group)}"),
            ("provider", item.provider),
            ("IPAM mode", item.ipam_mode),
            ("max pods per node", item.max_pods),
            ("node block (IPv4)", _block(item.node_prefixlen)),
            ("node block (IPv6)", _block(item.node_prefixlen_v6)),
            ("expected nodes x growth", f"{item.expected_nodes} x {item.growth:g}"),
            ("expected Services", "not given" if item.expected_services is None else item.expected_services),
            ("instance (AWS)", _instance(detail)),
            ("dual-stack", "yes" if item.dual_stack else "no"),
            ("description", text_or_dash(item.description)),
            ("last sync", _last_sync(detail)),
            ("version", item.version),
        ]
    )
    click.echo("\nNetworks:")
    rows: list[tuple[object, ...]] = [
        (
            prefix.role,
            prefix.network,
            prefix.space,
            prefix.status,
            usage_text(prefix.usage, prefix.level.value),
        )
        for prefix in detail.prefixes
    ]
    rows += [
        (span.role, span.span, span.space, span.status, f"{span.used} of {span.span.num_addresses} used")
        for span in detail.ranges
    ]
    headers = ["role", "network", "space", "status", "utilization"]
    if {row[2] for row in rows} <= {item.space}:  # the space column only says something when it varies
        headers.remove("space")
        rows = [(row[0], row[1], *row[3:]) for row in rows]
    echo_table(headers, rows, empty="  none recorded")
    for family, worked in detail.capacity:
        click.echo(f"\nCapacity (IPv{family}):")
        echo_table(
            ["figure", "value", "working", "source"],
            [(figure.name, f"{figure.value:,}", figure.working, figure.source) for figure in worked.figures],
            empty="  nothing to work out yet",
        )
    click.echo("\nFindings:" if detail.findings else "\nFindings: none")
    for finding in detail.findings:
        click.echo(f"  {finding.severity.value}: {finding.message}")


def _spaces(detail: ClusterDetail) -> str:
    """The cluster's space, and the other spaces its networks are recorded in (an IPv6 VRF, say)."""
    home = detail.cluster.space
    spaces = {prefix.space for prefix in detail.prefixes} | {span.space for span in detail.ranges}
    others = sorted(spaces - {home})
    return f"{home} (networks also in {', '.join(others)})" if others else home


def _block(prefixlen: int | None) -> str:
    return "mode default" if prefixlen is None else f"/{prefixlen}"


def _instance(detail: ClusterDetail) -> str:
    item = detail.cluster
    if item.eni_count is None:
        return "not given (no max-pods check against ENIs)"
    vcpus = "" if item.vcpus is None else f", {item.vcpus} vCPUs"
    return f"{item.eni_count} ENIs x {item.ips_per_eni} IPv4 addresses{vcpus}"


def _last_sync(detail: ClusterDetail) -> str:
    last = detail.last_sync
    if last is None:
        return "never (`ipledger cluster sync`)"
    text = f"{last.started_at:%Y-%m-%d %H:%M} UTC, {last.status}"
    return text + (f": {last.error}" if last.error else "")


@cluster.command("list")
@optional_space_option("Only clusters of this space.")
@click.option("--group", default=None, metavar="PATH", help="Only clusters of this group and below.")
@format_option
@pass_state
def list_command(state: CliState, space: str | None, group: str | None, output: str) -> None:
    """Every cluster with its networks, pod utilization and headroom in nodes."""
    summaries = list_clusters(state.ledger(), space=space, group=group)
    if output == "json":
        echo_json(summaries)
        return
    echo_table(
        ["cluster", "status", "mode", "pod", "service", "node", "pod used", "headroom"],
        [
            (
                item.cluster.name,
                item.cluster.status,
                item.cluster.ipam_mode,
                text_or_dash(item.networks.get("pod", ())),
                text_or_dash(item.networks.get("service", ())),
                text_or_dash(item.networks.get("node", ())),
                "-" if item.pod_percent is None else f"{item.pod_percent:.1f}%",
                text_or_dash(item.headroom_nodes) + (" nodes" if item.headroom_nodes is not None else ""),
            )
            for item in summaries
        ],
        empty="no clusters",
    )


@cluster.command("update")
@click.argument("name")
@click.option("--group", default=None, metavar="PATH", help="Owning group.")
@_sizing_options(with_defaults=False)
@click.option("--dual-stack/--single-stack", default=None, help="IPv4 and IPv6, or one family.")
@click.option("--description", default=None, help="Free text.")
@version_option
@pass_state
def update(state: CliState, /, name: str, expected_version: int | None, **values: Any) -> None:
    """Change a cluster's settings (its name and space stay)."""
    changes = {key: value for key, value in values.items() if value is not None}
    if not changes:
        raise click.UsageError("nothing to change: give at least one field option")
    record = update_cluster(
        state.ledger(), name, changes, actor=state.actor, expected_version=expected_version
    )
    click.echo(f"updated cluster {record.name} (version {record.version})")


@cluster.command("delete")
@click.argument("name")
@pass_state
def delete(state: CliState, name: str) -> None:
    """Forget a cluster that manages no network any more (decommission it first)."""
    delete_cluster(state.ledger(), name, actor=state.actor)
    click.echo(f"deleted cluster {name}")


@cluster.command("plan")
@click.argument("name")
@click.option("--space", default="global", show_default=True, help="Space the networks go in.")
@click.option(
    "--group",
    default=None,
    metavar="PATH",
    help="Owning group; its pool:<role> prefixes are the default pools.",
)
@_sizing_options(with_defaults=True)
@click.option("--dual-stack", is_flag=True, help="Plan IPv4 and IPv6 networks.")
@click.option("--description", default="", help="Free text.")
@click.option(
    "--pod-pool", "pod_pools", type=PREFIX, multiple=True, help="Where pod networks may go; repeat."
)
@click.option(
    "--service-pool", "service_pools", type=PREFIX, multiple=True, help="Where service networks may go."
)
@click.option("--node-pool", "node_pools", type=PREFIX, multiple=True, help="Where node subnets may go.")
@click.option("--lb-pool", "lb_pools", type=PREFIX, multiple=True, help="Where a load-balancer pool may go.")
@click.option(
    "--lb-addresses", type=click.IntRange(min=1), default=None, help="Size of the load-balancer pool."
)
@click.option(
    "--node-subnet-prefixlen-v6",
    type=int,
    default=None,
    help="IPv6 node subnet length  [default: /64, or shorter when the nodes need it]",
)
@format_option
@pass_state
def plan(
    state: CliState,
    /,
    name: str,
    pod_pools: tuple[IPNetwork, ...],
    service_pools: tuple[IPNetwork, ...],
    node_pools: tuple[IPNetwork, ...],
    lb_pools: tuple[IPNetwork, ...],
    lb_addresses: int | None,
    node_subnet_prefixlen_v6: int | None,
    output: str,
    **values: Any,
) -> None:
    """Plan a new cluster's networks and save the plan for review (nothing is allocated yet).

    Sizes the pod, service and node networks for nodes x growth, places each in free space of
    its pools with the block after it kept free to double it later, checks everything, and
    prints the plan. Apply it with `ipledger plan apply ID`.

    \b
    Example:
      ipledger cluster plan prod-eu-2 --nodes 100 --max-pods 110 --growth 2 \\
        --pod-pool 10.0.0.0/8 --service-pool 172.20.0.0/14 --node-pool 192.168.0.0/16
    """
    context = click.get_current_context()
    defaulted = [
        key for key in values if context.get_parameter_source(key) is click.core.ParameterSource.DEFAULT
    ]
    pools = {"pod": pod_pools, "service": service_pools, "node": node_pools, "loadbalancer": lb_pools}
    record = plan_cluster(
        state.ledger(),
        name,
        ClusterFields(**values),
        actor=state.actor,
        pools={role: given for role, given in pools.items() if given},
        lb_addresses=lb_addresses,
        node_subnet_prefixlen_v6=node_subnet_prefixlen_v6,
        defaulted=defaulted,
    )
    echo_plan(record, output)


@cluster.command("grow")
@click.argument("name")
@click.option(
    "--role", default="pod", show_default=True, type=click.Choice(["pod", "service", "node", "loadbalancer"])
)
@click.option(
    "--family", default=4, show_default=True, type=click.Choice(["4", "6"]), callback=lambda _c, _p, v: int(v)
)
@format_option
@pass_state
def grow(state: CliState, name: str, role: str, family: int, output: str) -> None:
    """Plan widening a network of the cluster into its expansion reserve (/N to /N-1)."""
    echo_plan(plan_growth(state.ledger(), name, actor=state.actor, role=role, family=family), output)


@cluster.command("decommission")
@click.argument("name")
@click.option("--release/--deprecate", default=False, show_default=True,
              help="Delete its networks (and the addresses in them), or keep them marked deprecated.")  # fmt: skip
@format_option
@pass_state
def decommission(state: CliState, name: str, release: bool, output: str) -> None:
    """Plan the end of a cluster: its networks released or marked deprecated."""
    echo_plan(plan_decommission(state.ledger(), name, actor=state.actor, release=release), output)


@cluster.command("overlaps")
@optional_space_option("Only overlaps involving this space.")
@format_option
@pass_state
def overlaps(state: CliState, space: str | None, output: str) -> None:
    """Networks of different clusters that overlap. Exits with 1 when two share a space."""
    findings = cluster_overlaps(state.ledger(), space=space)
    if output == "json":
        echo_json(findings)
    else:
        echo_table(
            ["severity", "subject", "message"],
            [(item.severity.value, item.subject, item.message) for item in findings],
            empty="no overlapping cluster networks",
        )
    if any(item.severity.value == "error" for item in findings):
        click.get_current_context().exit(1)


@cluster.command("aws-max-pods")
@click.option("--enis", "eni_count", type=int, required=True, help="ENIs the instance type can attach.")
@click.option("--ips-per-eni", type=int, required=True, help="IPv4 addresses per ENI of the instance type.")
@click.option("--prefix-delegation", is_flag=True, help="ENABLE_PREFIX_DELEGATION=true (/28 prefixes).")
@click.option("--vcpus", type=int, default=None, help="vCPUs: caps the result at 110 (<= 30) or 250.")
@click.option("--custom-networking", is_flag=True, help="Pods in an ENIConfig subnet: one ENI fewer.")
def aws_max_pods_command(
    eni_count: int, ips_per_eni: int, prefix_delegation: bool, vcpus: int | None, custom_networking: bool
) -> None:
    """Max pods per node under the AWS VPC CNI for an instance type's ENI limits.

    Secondary IPs: ENIs x (IPs per ENI - 1) + 2 (amazon-vpc-cni-k8s, misc/eni-max-pods.txt).
    Prefix delegation: ENIs x ((IPs per ENI - 1) x 16) + 2, capped at 110 for up to 30 vCPUs
    and 250 above (amazon-eks-ami max-pods-calculator.sh).

    \b
    Example (m5.large):
      ipledger cluster aws-max-pods --enis 3 --ips-per-eni 10     # 29
    """
    pods = aws_max_pods(
        eni_count=eni_count,
        ips_per_eni=ips_per_eni,
        prefix_delegation=prefix_delegation,
        vcpus=vcpus,
        custom_networking=custom_networking,
    )
    enis = eni_count - 1 if custom_networking else eni_count
    per_eni = f"({ips_per_eni} - 1) x 16" if prefix_delegation else f"({ips_per_eni} - 1)"
    capped = "" if vcpus is None else f", capped at {250 if vcpus > 30 else 110} for {vcpus} vCPUs"
    click.echo(f"{pods} pods per node: {enis} ENIs x {per_eni} + 2{capped}")
