"""`ipledger cluster sync`, `cluster report` and `cluster role`: what a cluster really holds."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import click

from ipledger.cli.context import CliState, pass_state
from ipledger.cli.params import format_option
from ipledger.cli.render import echo_fields, echo_json, echo_table
from ipledger.service.cluster_report import ClusterReport, cluster_report

__all__ = ["register"]


def register(cluster: click.Group) -> None:
    for command in (sync, report, role, schedule):
        cluster.add_command(command)


@click.command("sync")
@click.argument("name")
@click.option("--from-dump", "dump", type=click.Path(path_type=Path, exists=True), default=None,
              help="A file or folder of `kubectl get -o json` (or YAML) output.")  # fmt: skip
@click.option("--kubeconfig", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Read the cluster's API server with this kubeconfig (read-only; see `cluster role`).")  # fmt: skip
@click.option("--context", default=None, help="The kubeconfig context (default: its current context).")
@click.option(
    "--grace-minutes",
    type=click.IntRange(min=0),
    default=15,  # service.sync.GRACE, Calico's leakGracePeriod
    show_default=True,
    help="Allocations of pods younger than this are never called stranded.",
)
@click.option(
    "--calico-report",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the report `calicoctl ipam check -o` writes, for `calicoctl ipam release --from-report` "
    "(what keeps calicoctl from using it is printed as notes on stderr).",
)
@format_option
@pass_state
def sync(
    state: CliState,
    name: str,
    dump: Path | None,
    kubeconfig: Path | None,
    context: str | None,
    grace_minutes: int,
    calico_report: Path | None,
    output: str,
) -> None:
    """Read what the cluster really holds and compare it with the ledger.

    Records node, pod, service and load-balancer addresses, node pod CIDRs and CNI blocks and
    pools (Calico, Cilium, Whereabouts, MetalLB, ServiceCIDR) as the cluster's observations,
    and reports stranded allocations (with the CNI's own rules), drift from the CIDRs the
    ledger documents, and pod-IP usage per block. ipledger never changes the cluster.

    \b
    A complete dump:
      kubectl get nodes,pods,services -A -o json > core.json
      kubectl get ippools.crd.projectcalico.org,ipamblocks.crd.projectcalico.org,\\
        blockaffinities.crd.projectcalico.org,ipamhandles.crd.projectcalico.org,\\
        clusterinformations.crd.projectcalico.org -o json > calico.json
      ipledger cluster sync prod-eu-1 --from-dump .
    """
    # Imported here: the Kubernetes client takes a noticeable part of a second to import,
    # which every other command would pay at startup.
    from ipledger.service.sync import LiveSource, sync_from_dump, sync_live

    if (dump is None) == (kubeconfig is None):
        raise click.UsageError("give --from-dump PATH or --kubeconfig FILE (one of them)")
    grace = timedelta(minutes=grace_minutes)
    if dump is not None:
        result = sync_from_dump(
            state.ledger(),
            name,
            dump,
            actor=state.actor,
            grace=grace,
            with_calico_report=calico_report is not None,
        )
    else:
        assert kubeconfig is not None
        source = LiveSource(kubeconfig=kubeconfig, context=context)
        result = sync_live(
            state.ledger(),
            name,
            source,
            actor=state.actor,
            grace=grace,
            with_calico_report=calico_report is not None,
        )
    if calico_report is not None and result.calico_report is not None:
        try:
            calico_report.write_text(json.dumps(result.calico_report, indent=2) + "\n", encoding="utf-8")
        except OSError as error:
            raise click.ClickException(
                f"the sync is recorded, but the Calico report cannot be written to {calico_report}: "
                f"{error.strerror or error}"
            ) from error
    for note in result.calico_report_notes:
        click.echo(f"note: {calico_report}: {note}", err=True)
    if output == "json":
        echo_json(result)
        return
    counts = ", ".join(
        f"{count:,} {what.replace('_', ' ')}" for what, count in result.counts.items() if count
    )
    click.echo(f"synced cluster {name} (sync {result.sync_id}): {counts or 'nothing found'}")
    for kind, count in sorted(result.findings.items()):
        click.echo(f"  {count:,} x {kind}")
    if result.skipped:
        kinds = sorted({item.kind or "(no kind)" for item in result.skipped})
        click.echo(
            f"  {len(result.skipped)} object(s) skipped or read in part ({', '.join(kinds)}); "
            "--format json gives the reason of each"
        )
    if calico_report is not None:
        click.echo(f"  wrote {calico_report}")
    click.echo(f"see `ipledger cluster report {name}`")


@click.command("report")
@click.argument("name")
@click.option("--kind", default=None, help="Only findings of this kind, e.g. whereabouts-pod-gone.")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True, help="Findings to show.")
@format_option
@pass_state
def report(state: CliState, name: str, kind: str | None, limit: int, output: str) -> None:
    """The cluster's last sync: findings with the commands that would fix them, pod-IP usage
    per block and pool, and when it last synced (or why the last sync failed)."""
    found = cluster_report(state.ledger(), name, kind=kind, limit=limit)
    if output == "json":
        echo_json(found)
        return
    _echo_report(found)


def _echo_report(found: ClusterReport) -> None:
    last, good = found.last_sync, found.last_good_sync
    echo_fields(
        [
            ("cluster", found.cluster),
            (
                "last sync",
                "never"
                if last is None
                else f"{last.started_at:%Y-%m-%d %H:%M} UTC, {last.status}, {last.source}",
            ),
            ("last sync error", "-" if last is None or not last.error else last.error),
            (
                "observations from",
                "-" if good is None else f"sync {good.id} at {good.started_at:%Y-%m-%d %H:%M} UTC",
            ),
            ("pod IPs", _pod_ips(found)),
        ]
    )
    click.echo("\nFindings:")
    echo_table(
        ["count", "severity/kind"],
        [(count, key) for key, count in found.finding_counts.items()],
        empty="  none",
    )
    for item in found.findings:
        click.echo(f"\n{item.severity}: {item.kind}: {item.subject}\n  {item.message}")
        if item.release and item.release not in item.message:
            click.echo(f"  release: {item.release}")
    if len(found.findings) < found.total_findings:
        click.echo(f"\n({len(found.findings)} of {found.total_findings} shown; --limit or --kind for more)")
    click.echo("\nPod-IP usage:")
    echo_table(
        ["kind", "name", "cidr", "size", "allocated", "in use", "stranded"],
        [
            (
                b.kind,
                b.name,
                b.cidr or "-",
                f"{b.size:,}",
                f"{b.allocated:,}",
                f"{b.in_use:,}",
                f"{b.stranded:,}",
            )
            for b in found.blocks
        ],
        empty="  nothing synced yet",
    )


def _pod_ips(found: ClusterReport) -> str:
    usage = found.pod_ips
    if usage is None:
        return "-"
    return (
        f"{usage.in_use:,} of {usage.size:,} in use ({usage.percent:.1f} %), "
        f"{usage.allocated:,} allocated, {usage.stranded:,} stranded"
    )


@click.command("role")
def role() -> None:
    """Print the read-only ClusterRole that `cluster sync --kubeconfig` needs (list only)."""
    from ipledger.service.sync import CLUSTER_ROLE

    click.echo(CLUSTER_ROLE.rstrip())


@click.command("schedule")
@click.argument("name")
@click.option("--kubeconfig", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="The kubeconfig the server reads the cluster with (a path on the server).")  # fmt: skip
@click.option("--context", default=None, help="Its context (default: the kubeconfig's current context).")
@click.option("--every", "every_minutes", type=click.IntRange(min=1), default=15, show_default=True,
              help="Minutes between syncs.")  # fmt: skip
@click.option("--off", is_flag=True, help="Stop the periodic syncs of this cluster.")
@pass_state
def schedule(
    state: CliState, name: str, kubeconfig: Path | None, context: str | None, every_minutes: int, off: bool
) -> None:
    """Have `ipledger serve` sync the cluster from its API server every few minutes.

    \b
    Example:
      ipledger cluster schedule prod-eu-1 --kubeconfig /etc/ipledger/prod-eu-1.kubeconfig --every 15
    """
    from ipledger.service.scheduler import schedule_sync

    if off == (kubeconfig is not None):
        raise click.UsageError("give --kubeconfig FILE to schedule syncs, or --off to stop them")
    if off and (
        context is not None
        or click.get_current_context().get_parameter_source("every_minutes")
        is not click.core.ParameterSource.DEFAULT
    ):
        raise click.UsageError("--off takes no --context or --every")
    record = schedule_sync(
        state.ledger(),
        name,
        actor=state.actor,
        kubeconfig=kubeconfig,
        context=context,
        every_minutes=every_minutes,
    )
    if record.sync_kubeconfig is None:
        click.echo(f"cluster {name} is no longer synced by the server")
    else:
        click.echo(
            f"the server syncs cluster {name} every {record.sync_every_minutes} minutes with {record.sync_kubeconfig}"
        )
