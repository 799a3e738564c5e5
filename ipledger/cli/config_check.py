"""`ipledger check-config`: check a cluster's configuration file before provisioning it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option
from ipledger.cli.render import echo_json, echo_table, text_or_dash
from ipledger.service.clusters import ClusterFields
from ipledger.service.config_check import check_config

__all__ = ["check_config_command"]

_OVERRIDES = (
    "expected_nodes", "max_pods", "growth", "provider", "ipam_mode", "expected_services", "eni_count",
    "ips_per_eni", "vcpus",
)  # fmt: skip


@click.command("check-config")
@click.argument("path", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--kind",
    type=click.Choice(["kubeadm", "k3s", "rke2", "kind", "ipledger"]),
    default=None,
    help="The file's format; by default it is recognised from its content.",
)
@click.option("--space", default=None, help="Space to check against  [default: the file's, else global]")
@click.option(
    "--nodes",
    "expected_nodes",
    type=int,
    default=3,
    show_default=True,
    help="Nodes expected, if the file does not say.",
)
@click.option(
    "--max-pods", type=int, default=110, show_default=True, help="Pods per node, if the file does not say."
)
@click.option("--growth", type=float, default=2.0, show_default=True, help="Growth factor on the node count.")
@click.option("--provider", default="other", show_default=True, help="bare-metal, eks, gke, aks or other.")
@click.option(
    "--ipam-mode", default="kube-controller-manager", show_default=True, help="If the file does not say."
)
@click.option(
    "--services",
    "expected_services",
    type=int,
    default=None,
    help="Services expected: a service CIDR with fewer ClusterIPs is reported.",
)
@click.option(
    "--enis",
    "eni_count",
    type=int,
    default=None,
    help="ENIs of the nodes' instance type (aws-vpc-cni modes): max pods is checked against them.",
)
@click.option("--ips-per-eni", type=int, default=None, help="IPv4 addresses per ENI of the instance type.")
@click.option(
    "--vcpus", type=int, default=None, help="vCPUs of the instance type (caps the max-pods formula)."
)
@format_option
@pass_state
def check_config_command(
    state: CliState, /, path: Path, kind: str | None, space: str | None, output: str, **values: Any
) -> None:
    """Check a kubeadm ClusterConfiguration, a k3s / RKE2 config.yaml, a kind cluster config
    or an ipledger ClusterSpec before the cluster is built.

    Reports pod, service, node and load-balancer networks that overlap each other, special
    ranges (loopback, link-local and the cloud metadata addresses, multicast, Docker's
    172.17.0.0/16) or anything recorded in the ledger, or that lie in another cluster's
    network or reserve; a node mask too small for the max pods; a pod network with fewer
    node slots than nodes x growth; a service network too small or too large for the API
    server. Exits with 1 when any finding is an error, so it fits in a CI pipeline.

    \b
    Examples:
      ipledger check-config kubeadm-config.yaml --nodes 50 --services 3000
      ipledger check-config eks.yaml --ipam-mode aws-vpc-cni --max-pods 58 --enis 3 --ips-per-eni 10
    """
    context = click.get_current_context()
    given = tuple(
        key
        for key in _OVERRIDES
        if context.get_parameter_source(key) is not click.core.ParameterSource.DEFAULT
    )
    report = check_config(
        state.ledger(), path, kind=kind, space=space, overrides=ClusterFields(**values), given=given
    )
    if output == "json":
        echo_json(
            {
                "errors": report.errors,
                **{key: getattr(report, key) for key in ("config", "assumed", "capacity", "findings")},
            }
        )
    else:
        config = report.config
        click.echo(
            f"{path}: {config.source} configuration{'' if config.name is None else ' of ' + config.name}"
        )
        for role, networks in (
            ("pod", config.pod_cidrs),
            ("service", config.service_cidrs),
            ("node", config.node_cidrs),
        ):
            click.echo(f"  {role} networks: {text_or_dash(tuple(str(item) for item in networks))}")
        for note in (*config.notes, *(f"assumed {item} (not in the file)" for item in report.assumed)):
            click.echo(f"  note: {note}")
        for family, worked in report.capacity:
            click.echo(f"\nCapacity (IPv{family}):")
            echo_table(
                ["figure", "value", "working"],
                [(figure.name, f"{figure.value:,}", figure.working) for figure in worked.figures],
                empty="  nothing to work out",
            )
        click.echo()
        echo_table(
            ["severity", "kind", "subject", "message"],
            [(item.severity.value, item.kind, item.subject, item.message) for item in report.findings],
            empty="no findings",
        )
        click.echo(f"{len(report.findings)} findings, {report.errors} errors")
    if report.errors:
        context.exit(1)
