"""Periodic cluster syncs run by the server, for clusters given a kubeconfig and an interval.

Each round claims the clusters whose last sync started longer ago than their interval by
recording a running sync for them, in one transaction that locks their rows (PostgreSQL) or
the database (SQLite). Several server processes on one PostgreSQL database therefore never run
the same sync twice: the second one sees the first one's claim. Each sync also runs under an
advisory lock of its cluster (PostgreSQL), held from before the claim until it ends: a sync that
outlasts its interval is not started a second time beside itself by the next round of another
process, and a process killed mid-sync releases the lock with its connection. One that fails is
recorded as failed with its error, and the round goes on.

A server runs each sync in a child process of its own: reading 150,000 pods takes most of a
gigabyte and ten seconds of CPU, which a server thread would hold on to (Python keeps freed
memory) and spend under the GIL while API requests wait. The child's memory goes back to the
system when it exits, and a crash there costs one sync, not the server.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ipledger.core.errors import InvalidInputError
from ipledger.core.permissions import AccessRole
from ipledger.service.auth import ensure_service_account
from ipledger.service.clusters import cluster_record, load_cluster
from ipledger.service.convert import names, snapshot
from ipledger.service.ledger import Actor, Ledger
from ipledger.service.records import ClusterRecord
from ipledger.service.sync import LiveSource, sync_live
from ipledger.store import clusters as stored
from ipledger.store import locks, observed
from ipledger.store.models import ClusterSync

__all__ = ["Claim", "SyncScheduler", "claim_due_syncs", "run_due_syncs", "schedule_sync"]

_log = logging.getLogger("ipledger.scheduler")
ACTOR = "scheduler"


@dataclass(frozen=True, slots=True)
class Claim:
    cluster: str
    cluster_id: int
    sync_id: int
    source: LiveSource


def schedule_sync(
    ledger: Ledger,
    name: str,
    *,
    actor: Actor,
    kubeconfig: Path | None,
    context: str | None = None,
    every_minutes: int = 15,
) -> ClusterRecord:
    """Have the server sync the cluster every ``every_minutes`` with this kubeconfig (a path on
    the server's machine), or stop that with ``kubeconfig=None``."""
    if kubeconfig is not None and every_minutes < 1:
        raise InvalidInputError(
            f"the sync interval must be at least 1 minute, not {every_minutes}", field="every"
        )
    with ledger.transaction(actor) as tx:
        row = load_cluster(tx.session, name)
        before = snapshot(row, names(tx.session))
        # The server reads it later, from its own working directory: keep an absolute path.
        row.sync_kubeconfig = None if kubeconfig is None else str(kubeconfig.expanduser().resolve())
        row.sync_context = None if kubeconfig is None else context
        row.sync_every_minutes = None if kubeconfig is None else every_minutes
        row.updated_at = tx.now
        row.version += 1
        tx.record("update", "cluster", row.id, name, before=before, after=snapshot(row, names(tx.session)))
        return cluster_record(row, tx.session)


def claim_due_syncs(ledger: Ledger, *, now: datetime, only: int | None = None) -> list[Claim]:
    """Record a running sync for every scheduled cluster that is due (or only for the cluster
    with the id ``only``, if due), and return them."""
    claims = []
    with ledger.transaction(ACTOR) as tx:
        session = tx.session
        for cluster in stored.list_scheduled_clusters(session):
            if only is not None and cluster.id != only:
                continue
            locks.lock_cluster(session, cluster.id)
            last = observed.find_last_sync(session, cluster.id)
            every = timedelta(minutes=cluster.sync_every_minutes or 15)
            if last is not None and last.started_at > now - every:
                continue
            assert cluster.sync_kubeconfig is not None
            source = LiveSource(kubeconfig=Path(cluster.sync_kubeconfig), context=cluster.sync_context)
            row = ClusterSync(
                cluster_id=cluster.id,
                started_at=now,
                source=f"scheduled: kubeconfig {cluster.sync_kubeconfig}"[:1000],
                status="running",
                error="",
                counts={},
            )
            session.add(row)
            session.flush()
            claims.append(Claim(cluster.name, cluster.id, row.id, source))
    return claims


def run_due_syncs(
    ledger: Ledger, *, now: datetime | None = None, in_child: bool = True
) -> list[tuple[str, str]]:
    """One round: claim the due clusters and sync each, in a child process unless ``in_child``
    is false or the database lives only in this process; returns (cluster, "ok" or the error)."""
    moment = now or datetime.now(UTC)
    url = _shareable_url(ledger) if in_child else None
    with ledger.reading() as session:
        scheduled = [cluster.id for cluster in stored.list_scheduled_clusters(session)]
    outcomes = []
    for cluster_id in scheduled:
        with locks.hold_exclusive(ledger.engine, locks.SYNC_LOCK, cluster_id) as ours:
            if not ours:  # another server process is syncing it right now
                continue
            for claim in claim_due_syncs(ledger, now=moment, only=cluster_id):
                if url is None:
                    outcomes.append(_run(ledger, claim, moment))
                else:
                    outcomes.append(_run_in_child(ledger, url, claim, moment))
    return outcomes


def _shareable_url(ledger: Ledger) -> str | None:
    """The URL another process opens the same database with, or None for an in-memory one."""
    url = ledger.engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


def _run_in_child(ledger: Ledger, url: str, claim: Claim, moment: datetime) -> tuple[str, str]:
    # Spawned, not forked: a fork would copy this process's open connections and threads.
    child = multiprocessing.get_context("spawn").Process(
        target=_sync_in_child, args=(url, claim, moment), name=f"ipledger-sync-{claim.cluster}", daemon=True
    )
    child.start()
    child.join()
    with ledger.reading() as session:
        row = session.get(ClusterSync, claim.sync_id)
        status, error = (None, "") if row is None else (row.status, row.error)
    if status == "running":  # it died before it could record anything (killed, out of memory)
        error = f"the sync process ended with exit code {child.exitcode} before it finished"
        with ledger.transaction(ACTOR) as tx:
            failed = tx.session.get(ClusterSync, claim.sync_id)
            if failed is not None:
                failed.status, failed.error, failed.finished_at = "failed", error, datetime.now(UTC)
    for hook in ledger.commit_hooks:  # the child's commits: wake this process's event streams
        hook()
    if status == "ok":
        return claim.cluster, "ok"
    _log.warning("scheduled sync of cluster %s failed: %s", claim.cluster, error)
    return claim.cluster, error or f"exit code {child.exitcode}"


def _sync_in_child(url: str, claim: Claim, moment: datetime) -> None:
    ledger = Ledger.open(url)
    try:
        _sync(ledger, claim, moment)
    except Exception:  # recorded on the sync's row, which the parent reads
        pass
    finally:
        ledger.close()


def _run(ledger: Ledger, claim: Claim, moment: datetime) -> tuple[str, str]:
    try:
        _sync(ledger, claim, moment)
    except Exception as error:  # recorded as failed by the sync; the round goes on
        _log.warning("scheduled sync of cluster %s failed: %s", claim.cluster, error)
        return claim.cluster, str(error) or type(error).__name__
    return claim.cluster, "ok"


def _sync(ledger: Ledger, claim: Claim, moment: datetime) -> None:
    sync_live(
        ledger,
        claim.cluster,
        claim.source,
        actor=ACTOR,
        now=moment,
        claimed=(claim.cluster_id, claim.sync_id),
    )


class SyncScheduler:
    """A daemon thread that runs a round every ``tick_seconds`` until stopped."""

    def __init__(self, ledger: Ledger, *, tick_seconds: float = 30.0) -> None:
        self._ledger = ledger
        self._tick = tick_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ipledger-sync-scheduler", daemon=True)

    def start(self) -> None:
        # The syncs act as their own service account, so the audit log names a real account.
        ensure_service_account(self._ledger, ACTOR, role=AccessRole.EDITOR)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                run_due_syncs(self._ledger)
            except Exception:  # the database itself failed, say: try again next round
                _log.exception("sync scheduler round failed")
            self._stop.wait(self._tick)
