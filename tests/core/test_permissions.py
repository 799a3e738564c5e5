"""Who may do what: roles ordered by rank, grants over group subtrees, tokens that only read,
the password policy and the lockout window, with a brute-force oracle over a small group tree."""

from __future__ import annotations

import operator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.errors import InvalidInputError
from ipledger.core.permissions import (
    LOCKOUT_DURATION,
    AccessRole,
    Grant,
    PermissionDeniedError,
    Principal,
    UserKind,
    can_administer,
    can_read,
    can_write,
    check_password_policy,
    covers,
    effective_role,
    is_locked,
)
from tests.core.strategies import PROPERTY

VIEWER, EDITOR, ADMIN = AccessRole.VIEWER, AccessRole.EDITOR, AccessRole.ADMIN

# A small tree, written as child -> parent so that the oracle never looks at path text; "k8s-lab"
# and "k8s/prod-old" share a text prefix with groups they are not below.
PARENTS: dict[str, str | None] = {
    "k8s": None,
    "k8s/prod": "k8s",
    "k8s/prod/eu": "k8s/prod",
    "k8s/prod-old": "k8s",
    "k8s/dev": "k8s",
    "k8s-lab": None,
    "dc1": None,
    "dc1/rack1": "dc1",
}
GROUPS = sorted(PARENTS)
WHERE = st.sampled_from([None, *GROUPS])
GRANTS = st.lists(st.builds(Grant, st.sampled_from(list(AccessRole)), WHERE), max_size=5)


def _oracle_role(grants: list[Grant], group: str | None) -> AccessRole | None:
    reached: set[str | None] = {None}
    node = group
    while node is not None:
        reached.add(node)
        node = PARENTS[node]
    ranks = {VIEWER: 1, EDITOR: 2, ADMIN: 3}
    roles = [grant.role for grant in grants if grant.group in reached]
    return max(roles, key=ranks.__getitem__, default=None)


@pytest.mark.parametrize(
    ("low", "high"),
    [(VIEWER, EDITOR), (EDITOR, ADMIN), (VIEWER, ADMIN)],
    ids=["viewer<editor", "editor<admin", "viewer<admin"],
)
def test_access_role_orders_by_rank_not_by_text(low: AccessRole, high: AccessRole) -> None:
    assert low < high and low <= high and high > low and high >= low
    assert not (high < low) and max(low, high) is high


def test_access_role_refuses_comparison_with_text() -> None:
    with pytest.raises(TypeError, match="compares only with another"):
        assert VIEWER < "zzz"
    with pytest.raises(TypeError, match="compares only with another"):
        operator.gt("zzz", VIEWER)  # the reflected comparison reaches AccessRole first


@pytest.mark.parametrize(
    ("grant_group", "group", "expected"),
    [
        pytest.param(None, None, True, id="global-reaches-no-group"),
        pytest.param(None, "k8s/prod", True, id="global-reaches-a-group"),
        pytest.param("k8s", None, False, id="group-misses-no-group"),
        pytest.param("k8s/prod", "k8s/prod", True, id="itself"),
        pytest.param("k8s/prod", "k8s/prod/eu", True, id="child"),
        pytest.param("k8s", "k8s/prod/eu", True, id="grandchild"),
        pytest.param("k8s/prod", "k8s", False, id="parent"),
        pytest.param("k8s/prod", "k8s/prod-old", False, id="text-prefix-sibling"),
        pytest.param("k8s", "k8s-lab", False, id="text-prefix-top-level"),
        pytest.param("k8s/prod", "k8s/dev", False, id="sibling"),
    ],
)
def test_covers_whole_subtree_by_segments(grant_group: str | None, group: str | None, expected: bool) -> None:
    assert covers(grant_group, group) is expected


@pytest.mark.parametrize(
    ("grants", "group", "expected"),
    [
        pytest.param([], "k8s", None, id="no-grants"),
        pytest.param([Grant(VIEWER)], "k8s/prod", VIEWER, id="global-viewer"),
        pytest.param([Grant(VIEWER), Grant(EDITOR, "k8s/prod")], "k8s/prod/eu", EDITOR, id="scoped-editor"),
        pytest.param([Grant(VIEWER), Grant(EDITOR, "k8s/prod")], "dc1", VIEWER, id="editor-elsewhere"),
        pytest.param([Grant(EDITOR, "k8s/prod")], None, None, id="no-group-needs-global"),
        pytest.param([Grant(ADMIN, "k8s"), Grant(EDITOR)], "k8s/dev", ADMIN, id="highest-wins"),
        pytest.param([Grant(EDITOR, "k8s/prod"), Grant(VIEWER, "k8s")], "k8s/prod", EDITOR, id="order-free"),
    ],
)
def test_effective_role_takes_highest_covering_grant(
    grants: list[Grant], group: str | None, expected: AccessRole | None
) -> None:
    assert effective_role(grants, group) is expected


@pytest.mark.parametrize(
    ("grants", "read", "write_prod", "write_dc1", "write_no_group", "administer"),
    [
        pytest.param([], False, False, False, False, False, id="nobody"),
        pytest.param([Grant(VIEWER, "dc1")], True, False, False, False, False, id="scoped-viewer"),
        pytest.param([Grant(EDITOR, "k8s/prod")], True, True, False, False, False, id="team-editor"),
        pytest.param([Grant(EDITOR)], True, True, True, True, False, id="global-editor"),
        pytest.param([Grant(ADMIN, "k8s")], True, True, False, False, False, id="group-admin-edits-only"),
        pytest.param([Grant(ADMIN)], True, True, True, True, True, id="global-admin"),
    ],
)
def test_rules_for_each_kind_of_grant(
    grants: list[Grant], read: bool, write_prod: bool, write_dc1: bool, write_no_group: bool, administer: bool
) -> None:
    assert can_read(grants) is read
    assert [can_write(grants, group) for group in ("k8s/prod/eu", "dc1", None)] == [
        write_prod,
        write_dc1,
        write_no_group,
    ]
    assert can_administer(grants) is administer


def _principal(grants: list[Grant], *, token: str | None = None, read_only: bool = False) -> Principal:
    return Principal("alice", UserKind.HUMAN, tuple(grants), token=token, read_only=read_only)


@pytest.mark.parametrize(
    ("token", "actor"),
    [pytest.param(None, "alice", id="password"), pytest.param("deploy", "alice (token deploy)", id="token")],
)
def test_principal_actor_names_user_and_token(token: str | None, actor: str) -> None:
    assert _principal([], token=token).actor == actor


def test_principal_read_only_token_reads_but_never_writes() -> None:
    principal = _principal([Grant(ADMIN)], token="ro", read_only=True)

    assert principal.can_read()
    assert not principal.can_write("k8s") and not principal.can_write(None)
    assert not principal.can_administer()


def test_principal_require_write_checks_every_group_of_a_move() -> None:
    principal = _principal([Grant(EDITOR, "k8s/prod")])
    principal.require_write("k8s/prod/eu", "k8s/prod")

    with pytest.raises(PermissionDeniedError, match=r"^alice may not write in group dc1$"):
        principal.require_write("k8s/prod", "dc1")


@pytest.mark.parametrize(
    ("principal", "check", "message"),
    [
        pytest.param(_principal([]), "read", "alice has no grant; reading needs viewer or higher", id="read"),
        pytest.param(
            _principal([Grant(EDITOR)], token="ci", read_only=True),
            "write",
            r"alice \(token ci\) may not write in objects without a group \(read-only token\)",
            id="write",
        ),
        pytest.param(
            _principal([Grant(ADMIN, "k8s")]),
            "administer",
            "alice is not an admin everywhere",
            id="administer",
        ),
    ],
)
def test_principal_require_names_actor_and_need(principal: Principal, check: str, message: str) -> None:
    checks = {
        "read": principal.require_read,
        "write": lambda: principal.require_write(None),
        "administer": principal.require_administer,
    }
    with pytest.raises(PermissionDeniedError, match=message):
        checks[check]()


def test_principal_require_passes_with_global_admin() -> None:
    principal = _principal([Grant(ADMIN)])
    principal.require_read()
    principal.require_write(None, "dc1")
    principal.require_administer()


def test_grant_str_says_where() -> None:
    assert [str(Grant(ADMIN)), str(Grant(VIEWER, "k8s/prod"))] == ["admin everywhere", "viewer on k8s/prod"]


@given(grants=GRANTS, group=WHERE)
@PROPERTY
def test_effective_role_matches_tree_walk(grants: list[Grant], group: str | None) -> None:
    expected = _oracle_role(grants, group)
    assert effective_role(grants, group) is expected
    assert can_write(grants, group) is (expected in (EDITOR, ADMIN))
    assert can_read(grants) is bool(grants)


@given(grants=GRANTS, extra=st.builds(Grant, st.sampled_from(list(AccessRole)), WHERE), group=WHERE)
@PROPERTY
def test_effective_role_never_drops_when_granting_more(
    grants: list[Grant], extra: Grant, group: str | None
) -> None:
    before = effective_role(grants, group)
    after = effective_role([*grants, extra], group)
    assert before is None or (after is not None and after >= before)


@given(grants=GRANTS, group=st.sampled_from(GROUPS))
@PROPERTY
def test_can_write_reaches_every_group_below(grants: list[Grant], group: str) -> None:
    if can_write(grants, group):
        below = [other for other in GROUPS if _oracle_role([Grant(VIEWER, group)], other) is not None]
        assert all(can_write(grants, other) for other in below)


@given(grants=GRANTS)
@PROPERTY
def test_can_administer_means_admin_on_objects_without_a_group(grants: list[Grant]) -> None:
    assert can_administer(grants) is (effective_role(grants, None) is ADMIN)


@given(grants=GRANTS, group=WHERE)
@PROPERTY
def test_read_only_principal_never_writes(grants: list[Grant], group: str | None) -> None:
    principal = _principal(grants, token="t", read_only=True)
    assert not principal.can_write(group) and not principal.can_administer()
    assert principal.can_read() is can_read(grants)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        pytest.param("short-pass1", "password too short: 11 characters, at least 12 needed", id="11-chars"),
        pytest.param("x" * 1025, "password too long: 1025 characters, at most 1024", id="1025-chars"),
        pytest.param("my-Alice-is-long", "must not contain the user name 'alice'", id="name-any-case"),
    ],
)
def test_check_password_policy_refuses(password: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message) as caught:
        check_password_policy(password, user_name="alice")
    assert caught.value.field == "password"


@pytest.mark.parametrize(
    "password", ["twelve-chars", "x" * 1024, "correct horse battery"], ids=["12", "1024", "phrase"]
)
def test_check_password_policy_accepts(password: str) -> None:
    check_password_policy(password, user_name="alice")


NOW = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locked_until", "expected"),
    [
        pytest.param(None, False, id="never-locked"),
        pytest.param(NOW + LOCKOUT_DURATION, True, id="inside-window"),
        pytest.param(NOW, False, id="ends-at-the-instant"),
        pytest.param(NOW - timedelta(seconds=1), False, id="past"),
    ],
)
def test_is_locked_until_the_window_ends(locked_until: datetime | None, expected: bool) -> None:
    assert is_locked(locked_until, NOW) is expected
