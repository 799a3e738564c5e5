"""Mapped classes: what the ledger keeps, and nothing else (no queries, no rules, no presentation).

Nesting of prefixes is never stored: it is derived by containment when read. What is stored per
prefix besides its own fields is its measured utilization, which the service keeps current on
every write so that listings can filter and sort by it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ipledger.store.types import AddressValue, BigCount, UTCDateTime

__all__ = [
    "Address",
    "ApiToken",
    "Base",
    "BrowserSession",
    "Change",
    "Cluster",
    "ClusterFinding",
    "ClusterSync",
    "FreeBlock",
    "Group",
    "IdempotencyKey",
    "ObservedAddress",
    "ObservedBlock",
    "Plan",
    "Prefix",
    "Range",
    "Role",
    "Space",
    "UsageSample",
    "User",
    "UserGrant",
    "UtilizationSample",
    "WatchFinding",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
]

_NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=_NAMING)


class Space(Base):
    __tablename__ = "spaces"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Group(Base):
    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(2000), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    environment: Mapped[str] = mapped_column(String(100), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Role(Base):
    __tablename__ = "roles"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    description: Mapped[str] = mapped_column(Text, default="")


class Prefix(Base):
    __tablename__ = "prefixes"
    __table_args__ = (
        UniqueConstraint("space_id", "family", "first", "prefixlen"),
        Index("ix_prefixes_space_family_first", "space_id", "family", "first"),
        Index("ix_prefixes_utilization", "utilization_percent"),
        Index("ix_prefixes_managed_by", "managed_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"))
    family: Mapped[int] = mapped_column(Integer)
    first: Mapped[int] = mapped_column(AddressValue)
    last: Mapped[int] = mapped_column(AddressValue)
    prefixlen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(ForeignKey("roles.name"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    managed_by: Mapped[str] = mapped_column(String(200), default="manual")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_pool: Mapped[bool] = mapped_column(Boolean, default=False)
    warning: Mapped[float] = mapped_column(Float, default=70.0)
    critical: Mapped[float] = mapped_column(Float, default=85.0)
    emergency: Mapped[float] = mapped_column(Float, default=95.0)
    unit_prefixlen: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(BigCount)
    usable: Mapped[int] = mapped_column(BigCount)
    used: Mapped[int] = mapped_column(BigCount, default=0)
    covered: Mapped[int] = mapped_column(BigCount, default=0)
    units_total: Mapped[int] = mapped_column(BigCount, default=0)
    units_used: Mapped[int] = mapped_column(BigCount, default=0)
    utilization_percent: Mapped[float] = mapped_column(Float, default=0.0)
    level: Mapped[str] = mapped_column(String(20), default="ok")
    # The level of its threshold finding, with hysteresis (ok: none open); kept beside ``level``
    # so that a write learns whether the finding moves without reading the findings.
    finding_level: Mapped[str] = mapped_column(String(20), default="ok", server_default="ok")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Range(Base):
    __tablename__ = "ranges"
    __table_args__ = (
        UniqueConstraint("space_id", "family", "first"),
        Index("ix_ranges_space_family_last", "space_id", "family", "last"),
        Index("ix_ranges_managed_by", "managed_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"))
    family: Mapped[int] = mapped_column(Integer)
    first: Mapped[int] = mapped_column(AddressValue)
    last: Mapped[int] = mapped_column(AddressValue)
    status: Mapped[str] = mapped_column(String(20))
    role: Mapped[str] = mapped_column(ForeignKey("roles.name"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    managed_by: Mapped[str] = mapped_column(String(200), default="manual")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    size: Mapped[int] = mapped_column(BigCount)
    used: Mapped[int] = mapped_column(BigCount, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Address(Base):
    __tablename__ = "addresses"
    __table_args__ = (UniqueConstraint("space_id", "family", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"))
    family: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(AddressValue)
    status: Mapped[str] = mapped_column(String(20))
    holder_kind: Mapped[str] = mapped_column(String(20), default="other")
    holder_name: Mapped[str] = mapped_column(String(300), default="")
    dns_name: Mapped[str] = mapped_column(String(300), default="")
    mac: Mapped[str] = mapped_column(String(17), default="")
    source: Mapped[str] = mapped_column(String(100), default="manual")
    last_seen: Mapped[datetime | None] = mapped_column(UTCDateTime)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class FreeBlock(Base):
    """One of the largest CIDR blocks covering the free space of a prefix or a range.

    Free space is what no direct child prefix, range or address takes. Keeping it as blocks makes
    the next free address or prefix of any policy a single indexed query, however large the parent.
    """

    __tablename__ = "free_blocks"
    __table_args__ = (
        Index("ix_free_blocks_owner_prefixlen_first", "owner_kind", "owner_id", "prefixlen", "first"),
    )

    owner_kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    owner_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first: Mapped[int] = mapped_column(AddressValue, primary_key=True)
    last: Mapped[int] = mapped_column(AddressValue)
    prefixlen: Mapped[int] = mapped_column(Integer)


class Change(Base):
    """One entry of the audit log, written in the same transaction as the change it records."""

    __tablename__ = "changes"
    __table_args__ = (
        Index("ix_changes_object", "object_kind", "object_id"),
        Index("ix_changes_at", "at"),
        # The webhook dispatcher reads the few entries not yet fanned out.
        Index(
            "ix_changes_undispatched",
            "id",
            sqlite_where=text("dispatched = 0"),
            postgresql_where=text("NOT dispatched"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))
    object_kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int | None] = mapped_column(Integer)
    object_label: Mapped[str] = mapped_column(String(300))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Whether the webhook dispatcher has turned it into deliveries (see service/webhooks.py).
    dispatched: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class IdempotencyKey(Base):
    """A request made with an ``Idempotency-Key``: claimed while it runs, then its response,
    so that a retried request gets the first response instead of running twice."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Cluster(Base):
    """A Kubernetes cluster: how it hands out addresses and how big it is meant to grow. Its
    networks are the prefixes and ranges whose ``managed_by`` is ``cluster:<name>``."""

    __tablename__ = "clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("spaces.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    provider: Mapped[str] = mapped_column(String(20))
    ipam_mode: Mapped[str] = mapped_column(String(40))
    max_pods: Mapped[int] = mapped_column(Integer)
    node_prefixlen: Mapped[int | None] = mapped_column(Integer)
    node_prefixlen_v6: Mapped[int | None] = mapped_column(Integer)
    expected_nodes: Mapped[int] = mapped_column(Integer)
    growth: Mapped[float] = mapped_column(Float)
    expected_services: Mapped[int | None] = mapped_column(Integer)
    # The instance type's limits, for the AWS VPC CNI max-pods formula (None: not checked).
    eni_count: Mapped[int | None] = mapped_column(Integer)
    ips_per_eni: Mapped[int | None] = mapped_column(Integer)
    vcpus: Mapped[int | None] = mapped_column(Integer)
    dual_stack: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    # Periodic syncs by the server: the kubeconfig (a path on the server), context and interval.
    sync_kubeconfig: Mapped[str | None] = mapped_column(String(1000))
    sync_context: Mapped[str | None] = mapped_column(String(200))
    sync_every_minutes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class Plan(Base):
    """A set of proposed changes with the checks they passed, saved for review: applied in one
    transaction or discarded, never half-way."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    cluster: Mapped[str] = mapped_column(String(100), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    summary: Mapped[str] = mapped_column(String(500))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)


class ClusterSync(Base):
    """One sync of a cluster (from a dump or its API server): when, from where, how it ended."""

    __tablename__ = "cluster_syncs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20))  # running | ok | failed
    error: Mapped[str] = mapped_column(Text, default="")
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ObservedAddress(Base):
    """An address a cluster held at its last good sync, and what held it (replaced every sync)."""

    __tablename__ = "observed_addresses"
    __table_args__ = (
        Index("ix_observed_addresses_value", "family", "value"),
        Index("ix_observed_addresses_cluster", "cluster_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    sync_id: Mapped[int] = mapped_column(Integer)
    family: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(AddressValue)
    kind: Mapped[str] = mapped_column(String(20))  # pod | node | service | loadbalancer | tunnel | ...
    # namespace/name (at most 63 + 1 + 253 characters) or a node name
    holder: Mapped[str] = mapped_column(String(320))
    uid: Mapped[str] = mapped_column(
        String(64), default=""
    )  # the holder's uid: a re-created pod is a new holder
    node: Mapped[str] = mapped_column(String(300), default="")
    since: Mapped[datetime] = mapped_column(UTCDateTime)  # first sync that saw this holder here


class ObservedBlock(Base):
    """A block of a cluster's address space at its last good sync: a node's pod CIDR, a CNI
    block or pool, a service CIDR; with how much of it is allocated, in use and stranded."""

    __tablename__ = "observed_blocks"
    __table_args__ = (Index("ix_observed_blocks_cluster", "cluster_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    sync_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(300))
    cidr: Mapped[str | None] = mapped_column(String(50))
    node: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int] = mapped_column(BigCount)
    allocated: Mapped[int] = mapped_column(BigCount)
    in_use: Mapped[int] = mapped_column(BigCount)
    stranded: Mapped[int] = mapped_column(BigCount)


class UsageSample(Base):
    """Pod-IP usage of a cluster's pools at one sync, kept as history for trends and forecasts."""

    __tablename__ = "usage_samples"
    __table_args__ = (Index("ix_usage_samples_cluster_at", "cluster_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    sync_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(300))
    size: Mapped[int] = mapped_column(BigCount)
    allocated: Mapped[int] = mapped_column(BigCount)
    in_use: Mapped[int] = mapped_column(BigCount)
    stranded: Mapped[int] = mapped_column(BigCount)


class ClusterFinding(Base):
    """A finding of a cluster's last good sync: stranded allocation, drift or rogue address."""

    __tablename__ = "cluster_findings"
    __table_args__ = (
        Index("ix_cluster_findings_cluster", "cluster_id", "kind"),
        Index("ix_cluster_findings_address", "address"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("clusters.id"))
    sync_id: Mapped[int] = mapped_column(Integer)
    severity: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(500))
    message: Mapped[str] = mapped_column(Text)
    address: Mapped[str | None] = mapped_column(String(50))
    pool: Mapped[str] = mapped_column(String(300), default="")
    owner: Mapped[str] = mapped_column(String(500), default="")
    release: Mapped[str] = mapped_column(Text, default="")


class User(Base):
    """A person (password login) or a service account (API tokens only) that may use the ledger."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # human | service
    # An argon2id hash in its encoded form (parameters and salt included); None until set.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class UserGrant(Base):
    """An access role (viewer, editor, admin) of a user on a group's subtree, or everywhere."""

    __tablename__ = "user_grants"
    __table_args__ = (UniqueConstraint("user_id", "role", "group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApiToken(Base):
    """An API token of a user: only its SHA-256 hash is kept, with a short prefix to find and show it."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(20), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(20))  # read-only | read-write
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class BrowserSession(Base):
    """A browser signed in with a password: only the SHA-256 of its cookie's secret is kept.

    The CSRF token is kept in clear: it is worthless without the cookie, and a reloaded page
    must be able to ask for it again (it cannot read the HttpOnly cookie to derive anything).
    """

    __tablename__ = "browser_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The absolute end; the idle timeout counts from last_seen_at.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UtilizationSample(Base):
    """Utilization of a prefix, range or cluster at one time; it holds until the next sample.

    ``subject_id`` is the id of the prefix, range or cluster (no foreign key: history outlives
    the object only until retention drops it, and deleting an object also deletes its series).
    """

    __tablename__ = "utilization_samples"
    __table_args__ = (Index("ix_utilization_samples_subject_at", "subject_kind", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(10))  # prefix | range | cluster
    subject_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    used: Mapped[int] = mapped_column(BigCount)
    total: Mapped[int] = mapped_column(BigCount)
    percent: Mapped[float] = mapped_column(Float)


class WatchFinding(Base):
    """A finding that stays open while its condition lasts: a prefix over a threshold, with the
    level it is at now; closed when the condition clears."""

    __tablename__ = "watch_findings"
    __table_args__ = (Index("ix_watch_findings_subject", "kind", "subject_kind", "subject_id", "closed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # threshold
    subject_kind: Mapped[str] = mapped_column(String(10))
    subject_id: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(300))  # the prefix in words, e.g. 10.0.0.0/24 (global)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))  # warning | critical | emergency
    percent: Mapped[float] = mapped_column(Float)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(200))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class WebhookSubscription(Base):
    """Where to send which events, signed with ``secret``, on behalf of ``owner``."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    kinds: Mapped[list[str]] = mapped_column(JSON, default=list)  # object kinds; empty: all
    min_severity: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(Base):
    """One event to send to one subscription, until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_subscription", "subscription_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    change_id: Mapped[int | None] = mapped_column(Integer)  # None for a test event
    event: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20))  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebhookAttempt(Base):
    """One attempt of a delivery: when, and what the receiver answered (or what went wrong)."""

    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(String(20))  # delivered | retry | failed
