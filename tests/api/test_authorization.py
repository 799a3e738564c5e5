"""Who may do what over HTTP: every operation of the OpenAPI schema called by every kind of principal.

Each case builds the ledger of ``authz_routes.build_targets`` (the targets lie in group ``team``),
signs one principal in, makes one valid request and checks the status class it must get: 401 with
``WWW-Authenticate`` without a valid token (and on the browser-session routes, which answer to a
session cookie only), 2xx for reads with any grant, 2xx for writes only with
editor on team (admin for spaces and roles), 403 otherwise. A refused request, and any read,
leaves every stored row as it was; an allowed write changes some.
"""

from __future__ import annotations

from enum import Enum

import httpx
import pytest

from ipledger.api.app import PREFIX
from ipledger.core.permissions import AccessRole
from ipledger.service.ledger import Ledger
from tests.api.authz_routes import OPERATIONS, TEAM, Access, build_targets
from tests.api.conftest import client_of, sign_in
from tests.service.factories import stored_state


class Who(Enum):
    ANONYMOUS = "no-token"
    BAD_TOKEN = "bad-token"
    VIEWER = "viewer"
    EDITOR_OF_OTHER = "editor-of-other"
    EDITOR_OF_TEAM = "editor-of-team"
    READ_ONLY_ADMIN = "read-only-admin"
    ADMIN = "admin"


_GRANTS: dict[Who, tuple[tuple[AccessRole, str | None], ...]] = {
    Who.VIEWER: ((AccessRole.VIEWER, None),),
    Who.EDITOR_OF_OTHER: ((AccessRole.EDITOR, "other"),),
    Who.EDITOR_OF_TEAM: ((AccessRole.EDITOR, TEAM),),
    Who.READ_ONLY_ADMIN: ((AccessRole.ADMIN, None),),
    Who.ADMIN: ((AccessRole.ADMIN, None),),
}

# Who gets 2xx for each access; every other principal with a valid token gets 403.
_ALLOWED = {
    Access.READ: {Who.VIEWER, Who.EDITOR_OF_OTHER, Who.EDITOR_OF_TEAM, Who.READ_ONLY_ADMIN, Who.ADMIN},
    Access.WRITE: {Who.EDITOR_OF_TEAM, Who.ADMIN},
    Access.ADMIN: {Who.ADMIN},
    Access.ADMIN_READ: {Who.READ_ONLY_ADMIN, Who.ADMIN},
}

# (METHOD, path, principal) -> a known bug in ipledger/ that makes the case fail (none now).
_KNOWN_BUGS: dict[tuple[str, str, Who], str] = {}
# Writes of objects without a group: only a global editor (here: the admin) may make them.
_UNGROUPED = {
    "prefix": ("/prefixes", {"prefix": "198.19.0.0/24"}),
    "range": ("/ranges", {"range": "198.18.5.1-198.18.5.9"}),
    "address": ("/addresses", {"address": "198.19.2.1"}),
}


def _expected(access: Access, who: Who) -> int:
    """The status class: 401, 403 or 200 (meaning any 2xx)."""
    if who in (Who.ANONYMOUS, Who.BAD_TOKEN) or access is Access.SESSION:
        return 401
    return 200 if who in _ALLOWED[access] else 403


def _cases() -> list[object]:
    cases: list[object] = []
    for method, path in OPERATIONS:
        for who in Who:
            bug = _KNOWN_BUGS.get((method, path, who))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug is not None else []
            cases.append(pytest.param(method, path, who, id=f"{method} {path} {who.value}", marks=marks))
    return cases


def _client(ledger: Ledger, base: str, who: Who) -> httpx.Client:
    if who is Who.ANONYMOUS:
        client = client_of(base)
        del client.headers["Authorization"]
        return client
    if who is Who.BAD_TOKEN:
        return client_of(base, "not-a-token-of-this-ledger")
    return client_of(
        base, sign_in(ledger, who.value, grants=_GRANTS[who], read_only=who is Who.READ_ONLY_ADMIN)
    )


def test_authorization_table_covers_every_operation(api: httpx.Client) -> None:
    schema = api.get("/openapi.json").json()
    operations = {
        (method.upper(), path.removeprefix(PREFIX))
        for path, methods in schema["paths"].items()
        for method in methods
    }

    assert set(OPERATIONS) == operations


# SQLite only: the matrix takes about 2.5 minutes per engine, and every rule it checks is applied
# above the store (deps.py, Transaction.authorize), so PostgreSQL would double the time and add nothing.
@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("method", "path", "who"), _cases())
def test_authorization_matrix_gives_each_principal_its_status(
    api_base: str, ledger: Ledger, method: str, path: str, who: Who
) -> None:
    operation = OPERATIONS[(method, path)]
    targets = build_targets(ledger)
    expected = _expected(operation.access, who)
    with _client(ledger, api_base, who) as client:
        before = stored_state(ledger)

        response = client.request(
            method,
            operation.url(path, targets),
            params=operation.params,
            json=None if operation.body is None else operation.body(targets),
        )

    assert response.status_code // 100 == expected // 100, response.text
    if expected == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if expected != 200 or operation.access in (Access.READ, Access.ADMIN_READ):
        assert stored_state(ledger) == before
    else:
        assert stored_state(ledger) != before


@pytest.mark.parametrize("ledger_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("who", "expected"),
    [pytest.param(Who.EDITOR_OF_TEAM, 403, id="editor-of-team"), pytest.param(Who.ADMIN, 201, id="admin")],
)
@pytest.mark.parametrize("kind", list(_UNGROUPED))
def test_authorization_objects_without_a_group_need_a_global_editor(
    api_base: str, ledger: Ledger, kind: str, who: Who, expected: int
) -> None:
    path, body = _UNGROUPED[kind]
    build_targets(ledger)
    with _client(ledger, api_base, who) as client:
        before = stored_state(ledger)

        response = client.post(path, json=body)

    assert response.status_code == expected, response.text
    assert (stored_state(ledger) == before) is (expected == 403)
