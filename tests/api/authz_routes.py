"""The operations of the authorization matrix: for every path and method of the API, who may call
it, a valid request whose target lies in group ``team``, and the ledger those requests act on.

``build_targets`` records the objects with the service factories (as the system, so that no grant
is checked); ``OPERATIONS`` says, per ``(METHOD, path)`` of the OpenAPI schema, which access the
operation needs and how to fill its path and body from the targets. A new route without a row
fails ``test_authorization_table_covers_every_operation``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ipledger.core.permissions import AccessRole
from ipledger.service.auth import create_user, grant
from ipledger.service.cluster_plans import plan_cluster
from ipledger.service.clusters import ClusterFields
from ipledger.service.ledger import Ledger
from ipledger.service.plans import apply_plan
from ipledger.service.roles import create_role
from ipledger.service.spaces import create_space
from ipledger.service.standing_findings import list_standing_findings
from ipledger.service.webhooks import create_webhook
from tests.service.factories import add_address, add_cluster, add_group, add_prefix, add_range, net

__all__ = ["OPERATIONS", "Access", "Operation", "Targets", "build_targets"]

SETUP = "test-setup"
TEAM = "team"
# Where the planned clusters take their networks: away from team's prefix (198.18.0.0/16).
_POOLS = {"pod": (net("10.0.0.0/8"),), "service": (net("172.16.0.0/12"),), "node": (net("192.168.0.0/16"),)}
_POOL_FIELDS = {
    "pod_pools": ["10.0.0.0/8"],
    "service_pools": ["172.16.0.0/12"],
    "node_pools": ["192.168.0.0/16"],
}
_KIND_CONFIG = "kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\n"


class Access(Enum):
    """What an operation needs: any grant (READ), editor on team (WRITE), global admin (ADMIN),
    a browser session (SESSION)."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    # Reads that need an admin grant everywhere (a read-only token of one will do): webhooks.
    ADMIN_READ = "admin-read"
    # Answers by the browser session cookie (or, to sign in, a password), never by the token:
    # the matrix's principals hold neither, so every one of them gets 401.
    SESSION = "session"


@dataclass(frozen=True, slots=True)
class Targets:
    """The ids and names of the objects the requests act on; all but ``lab`` belong to team."""

    lab_space_id: int
    role: str
    team_group_id: int
    spare_group_id: int
    prefix_id: int
    doomed_prefix_id: int
    range_id: int
    doomed_range_id: int
    address_id: int
    doomed_address_id: int
    address: str
    cluster: str
    idle_cluster: str
    plan_id: int
    finding_id: int
    webhook_id: int
    doomed_webhook_id: int


def build_targets(ledger: Ledger) -> Targets:
    """Space ``lab`` (empty), groups ``team``, ``team/spare`` and ``other``, and in team: a prefix
    with addresses and ranges, a planned cluster with its networks, an idle cluster and a plan."""
    lab = create_space(ledger, "lab", actor=SETUP)
    create_role(ledger, "authz-role", actor=SETUP)
    team = add_group(ledger, TEAM, actor=SETUP)
    spare = add_group(ledger, "team/spare", actor=SETUP)
    add_group(ledger, "other", actor=SETUP)
    grouped = {"actor": SETUP, "group": TEAM}
    prefix = add_prefix(ledger, "198.18.0.0/16", **grouped)
    doomed_prefix = add_prefix(ledger, "198.18.9.0/24", **grouped)
    span = add_range(ledger, "198.18.1.10-198.18.1.99", **grouped)
    doomed_range = add_range(ledger, "198.18.3.0-198.18.3.9", **grouped)
    address = add_address(ledger, "198.18.0.5", **grouped)
    doomed_address = add_address(ledger, "198.18.0.6", **grouped)
    apply_plan(ledger, _plan(ledger, "c1").id, actor=SETUP)
    add_cluster(ledger, "c3", group=TEAM, actor=SETUP)
    full = add_prefix(ledger, "198.18.8.0/30", is_pool=True, **grouped)
    for host in range(3):  # 75 %: a warning finding in team
        add_address(ledger, f"198.18.8.{host}", **grouped)
    create_user(ledger, "hook-owner", actor=SETUP)
    grant(ledger, "hook-owner", AccessRole.VIEWER, actor=SETUP)
    # Port 9 (discard) on loopback: nothing listens, so the test button records a failed attempt.
    webhook, _ = create_webhook(ledger, "http://127.0.0.1:9/hook", actor=SETUP, owner="hook-owner")
    doomed_webhook, _ = create_webhook(ledger, "http://127.0.0.1:9/old", actor=SETUP, owner="hook-owner")
    [finding] = list_standing_findings(ledger)[0]
    assert finding.subject_id == full.id
    return Targets(
        lab_space_id=lab.id,
        role="authz-role",
        team_group_id=team.id,
        spare_group_id=spare.id,
        prefix_id=prefix.id,
        doomed_prefix_id=doomed_prefix.id,
        range_id=span.id,
        doomed_range_id=doomed_range.id,
        address_id=address.id,
        doomed_address_id=doomed_address.id,
        address="198.18.0.5",
        cluster="c1",
        idle_cluster="c3",
        plan_id=_plan(ledger, "c2").id,
        finding_id=finding.id,
        webhook_id=webhook.id,
        doomed_webhook_id=doomed_webhook.id,
    )


def _plan(ledger: Ledger, name: str) -> Any:
    return plan_cluster(ledger, name, ClusterFields(group=TEAM), actor=SETUP, pools=_POOLS)


Body = Callable[[Targets], Any]


@dataclass(frozen=True, slots=True)
class Operation:
    """``args`` maps each path parameter to the attribute of Targets that fills it."""

    access: Access
    args: Mapping[str, str] = field(default_factory=dict)
    body: Body | None = None
    params: Mapping[str, str] = field(default_factory=dict)

    def url(self, path: str, targets: Targets) -> str:
        return path.format(**{name: getattr(targets, attribute) for name, attribute in self.args.items()})


def _const(value: Any) -> Body:
    return lambda _targets: value


_READ, _WRITE, _ADMIN = Access.READ, Access.WRITE, Access.ADMIN
_IN_TEAM = {"group": TEAM}
_CHANGED = _const({"description": "changed"})
_SPACE = {"space_id": "lab_space_id"}
_GROUP = {"group_id": "team_group_id"}
_PREFIX = {"prefix_id": "prefix_id"}
_RANGE = {"range_id": "range_id"}
_ADDRESS = {"address_id": "address_id"}
_CLUSTER = {"name": "cluster"}
_PLAN = {"plan_id": "plan_id"}
_WEBHOOK = {"webhook_id": "webhook_id"}

# (METHOD, path as in the OpenAPI schema) -> who may call it and with what.
OPERATIONS: dict[tuple[str, str], Operation] = {
    ("GET", "/spaces"): Operation(_READ),
    ("POST", "/spaces"): Operation(_ADMIN, body=_const({"name": "lab2"})),
    ("GET", "/spaces/{space_id}"): Operation(_READ, _SPACE),
    ("DELETE", "/spaces/{space_id}"): Operation(_ADMIN, _SPACE),
    ("GET", "/roles"): Operation(_READ),
    ("POST", "/roles"): Operation(_ADMIN, body=_const({"name": "authz-new"})),
    ("DELETE", "/roles/{name}"): Operation(_ADMIN, {"name": "role"}),
    ("GET", "/groups"): Operation(_READ, params={"under": TEAM}),
    ("POST", "/groups"): Operation(_WRITE, body=_const({"path": "team/new"})),
    ("GET", "/groups/tree"): Operation(_READ),
    ("GET", "/groups/{group_id}"): Operation(_READ, _GROUP),
    ("PATCH", "/groups/{group_id}"): Operation(_WRITE, _GROUP, _CHANGED),
    ("DELETE", "/groups/{group_id}"): Operation(_WRITE, {"group_id": "spare_group_id"}),
    ("GET", "/prefixes"): Operation(_READ, params={"group": TEAM}),
    ("POST", "/prefixes"): Operation(_WRITE, body=_const({"prefix": "198.18.200.0/24", **_IN_TEAM})),
    ("POST", "/prefixes/bulk"): Operation(_WRITE, body=_const([{"prefix": "198.18.201.0/24", **_IN_TEAM}])),
    ("POST", "/prefixes/bulk-delete"): Operation(_WRITE, body=lambda t: {"ids": [t.doomed_prefix_id]}),
    ("GET", "/prefixes/{prefix_id}"): Operation(_READ, _PREFIX),
    ("PATCH", "/prefixes/{prefix_id}"): Operation(_WRITE, _PREFIX, _CHANGED),
    ("DELETE", "/prefixes/{prefix_id}"): Operation(_WRITE, {"prefix_id": "doomed_prefix_id"}),
    ("GET", "/ranges"): Operation(_READ, params={"group": TEAM}),
    ("POST", "/ranges"): Operation(_WRITE, body=_const({"range": "198.18.2.10-198.18.2.20", **_IN_TEAM})),
    ("POST", "/ranges/bulk"): Operation(
        _WRITE, body=_const([{"range": "198.18.4.1-198.18.4.9", **_IN_TEAM}])
    ),
    ("POST", "/ranges/bulk-delete"): Operation(_WRITE, body=lambda t: {"ids": [t.doomed_range_id]}),
    ("GET", "/ranges/{range_id}"): Operation(_READ, _RANGE),
    ("PATCH", "/ranges/{range_id}"): Operation(_WRITE, _RANGE, _CHANGED),
    ("DELETE", "/ranges/{range_id}"): Operation(_WRITE, {"range_id": "doomed_range_id"}),
    ("GET", "/addresses"): Operation(_READ, params={"group": TEAM}),
    ("POST", "/addresses"): Operation(_WRITE, body=_const({"address": "198.18.0.77", **_IN_TEAM})),
    ("POST", "/addresses/bulk"): Operation(_WRITE, body=_const([{"address": "198.18.0.78", **_IN_TEAM}])),
    ("POST", "/addresses/bulk-delete"): Operation(_WRITE, body=lambda t: {"ids": [t.doomed_address_id]}),
    ("GET", "/addresses/{address_id}"): Operation(_READ, _ADDRESS),
    ("PATCH", "/addresses/{address_id}"): Operation(_WRITE, _ADDRESS, _CHANGED),
    ("DELETE", "/addresses/{address_id}"): Operation(_WRITE, {"address_id": "doomed_address_id"}),
    ("GET", "/prefixes/{prefix_id}/available-prefixes"): Operation(
        _READ, _PREFIX, params={"prefixlen": "24"}
    ),
    ("POST", "/prefixes/{prefix_id}/available-prefixes"): Operation(
        _WRITE, _PREFIX, _const({"prefixlen": 28, **_IN_TEAM})
    ),
    ("GET", "/prefixes/{prefix_id}/available-addresses"): Operation(_READ, _PREFIX),
    ("POST", "/prefixes/{prefix_id}/available-addresses"): Operation(_WRITE, _PREFIX, _const(_IN_TEAM)),
    ("GET", "/ranges/{range_id}/available-addresses"): Operation(_READ, _RANGE),
    ("POST", "/ranges/{range_id}/available-addresses"): Operation(_WRITE, _RANGE, _const(_IN_TEAM)),
    ("GET", "/whois/{ip}"): Operation(_READ, {"ip": "address"}),
    ("GET", "/utilization"): Operation(_READ),
    ("GET", "/findings"): Operation(_READ),
    ("GET", "/changes"): Operation(_READ),
    ("GET", "/events"): Operation(_READ, params={"once": "true", "last_event_id": "0"}),
    ("GET", "/clusters"): Operation(_READ, params={"group": TEAM}),
    ("POST", "/clusters"): Operation(_WRITE, body=_const({"name": "c9", **_IN_TEAM})),
    ("GET", "/clusters/overlaps"): Operation(_READ),
    ("GET", "/clusters/{name}"): Operation(_READ, _CLUSTER),
    ("PATCH", "/clusters/{name}"): Operation(_WRITE, _CLUSTER, _CHANGED),
    ("DELETE", "/clusters/{name}"): Operation(_WRITE, {"name": "idle_cluster"}),
    ("POST", "/cluster-plans"): Operation(_WRITE, body=_const({"name": "c4", **_IN_TEAM, **_POOL_FIELDS})),
    ("POST", "/clusters/{name}/growth-plans"): Operation(_WRITE, _CLUSTER, _const({})),
    ("POST", "/clusters/{name}/decommission-plans"): Operation(_WRITE, _CLUSTER, _const({})),
    ("GET", "/plans"): Operation(_READ),
    ("GET", "/plans/{plan_id}"): Operation(_READ, _PLAN),
    ("POST", "/plans/{plan_id}/apply"): Operation(_WRITE, _PLAN),
    ("POST", "/plans/{plan_id}/discard"): Operation(_WRITE, _PLAN),
    # A POST that only reads: it checks a config file against the ledger and records nothing.
    ("POST", "/config-checks"): Operation(_READ, body=_const({"text": _KIND_CONFIG})),
    ("POST", "/clusters/{name}/syncs"): Operation(
        _WRITE, _CLUSTER, _const({"kind": "List", "apiVersion": "v1", "items": []})
    ),
    ("GET", "/clusters/{name}/syncs"): Operation(_READ, _CLUSTER),
    ("GET", "/clusters/{name}/report"): Operation(_READ, _CLUSTER),
    # The scan sees team's address 198.18.0.5, so it updates its last-seen time: a write.
    ("POST", "/scans"): Operation(
        _WRITE, body=_const({"text": "address,seen_at\n198.18.0.5,2024-01-01T00:00:00+00:00\n"})
    ),
    ("GET", "/stale"): Operation(_READ),
    ("POST", "/session"): Operation(
        Access.SESSION, body=_const({"name": "nobody", "password": "not the password"})
    ),
    ("GET", "/session"): Operation(Access.SESSION),
    ("GET", "/prefixes/{prefix_id}/history"): Operation(_READ, _PREFIX),
    ("GET", "/prefixes/{prefix_id}/forecast"): Operation(_READ, _PREFIX),
    ("GET", "/ranges/{range_id}/history"): Operation(_READ, _RANGE),
    ("GET", "/clusters/{name}/history"): Operation(_READ, _CLUSTER),
    ("GET", "/clusters/{name}/forecast"): Operation(_READ, _CLUSTER),
    ("GET", "/forecast"): Operation(_READ),
    ("GET", "/utilization/findings"): Operation(_READ, params={"group": TEAM}),
    ("POST", "/utilization/findings/{finding_id}/ack"): Operation(
        _WRITE, {"finding_id": "finding_id"}, _const({"note": "seen"})
    ),
    ("GET", "/webhooks"): Operation(Access.ADMIN_READ),
    ("POST", "/webhooks"): Operation(_ADMIN, body=_const({"url": "http://127.0.0.1:9/new"})),
    ("DELETE", "/webhooks/{webhook_id}"): Operation(_ADMIN, {"webhook_id": "doomed_webhook_id"}),
    ("GET", "/webhooks/{webhook_id}/deliveries"): Operation(Access.ADMIN_READ, _WEBHOOK),
    ("POST", "/webhooks/{webhook_id}/test"): Operation(_ADMIN, _WEBHOOK),
    ("DELETE", "/session"): Operation(Access.SESSION),
}
