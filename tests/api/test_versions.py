"""Versions over HTTP: GET answers with an ETag; PATCH and DELETE with If-Match refuse a stale one
(412 with the current object) so that two editors never silently overwrite each other."""

from __future__ import annotations

import httpx
import pytest

from ipledger.service.ledger import Ledger
from tests.api.kinds import Kind, kind_params
from tests.api.problems import assert_problem

pytestmark = pytest.mark.parametrize("kind", kind_params())


def _etag(kind: Kind, key: int, version: int) -> str:
    return f'"{kind.name}-{key}-v{version}"'


def test_version_patch_with_fresh_if_match_answers_new_etag(
    api: httpx.Client, ledger: Ledger, kind: Kind
) -> None:
    key = kind.record(ledger)
    tag = api.get(f"{kind.path}/{key}").headers["ETag"]
    assert tag == _etag(kind, key, 1)

    response = api.patch(
        f"{kind.path}/{key}", json={"description": "edited", "tags": ["a"]}, headers={"If-Match": tag}
    )

    assert response.status_code == 200
    assert (response.json()["description"], response.json()["tags"], response.json()["version"]) == (
        "edited",
        ["a"],
        2,
    )
    assert response.headers["ETag"] == _etag(kind, key, 2)
    stored = kind.stored(ledger, key)
    assert (stored.description, stored.version) == ("edited", 2)


def test_version_patch_with_stale_if_match_is_refused_with_current(
    api: httpx.Client, ledger: Ledger, kind: Kind
) -> None:
    key = kind.record(ledger)
    stale = api.get(f"{kind.path}/{key}").headers["ETag"]
    assert api.patch(f"{kind.path}/{key}", json={"description": "first"}).status_code == 200

    body = assert_problem(
        api.patch(f"{kind.path}/{key}", json={"description": "second"}, headers={"If-Match": stale}),
        412,
        detail_has=("version 2",),
    )

    assert (body["current"]["id"], body["current"]["description"], body["current"]["version"]) == (
        key,
        "first",
        2,
    )
    assert kind.stored(ledger, key).description == "first"


def test_version_delete_with_stale_if_match_is_refused(api: httpx.Client, ledger: Ledger, kind: Kind) -> None:
    key = kind.record(ledger)
    stale = api.get(f"{kind.path}/{key}").headers["ETag"]
    api.patch(f"{kind.path}/{key}", json={"description": "edited"})

    body = assert_problem(api.delete(f"{kind.path}/{key}", headers={"If-Match": stale}), 412)

    assert body["current"]["version"] == 2
    assert kind.exists(ledger, key)


def test_version_delete_with_fresh_if_match_removes(api: httpx.Client, ledger: Ledger, kind: Kind) -> None:
    key = kind.record(ledger)
    tag = api.get(f"{kind.path}/{key}").headers["ETag"]

    assert api.delete(f"{kind.path}/{key}", headers={"If-Match": tag}).status_code == 204
    assert_problem(api.get(f"{kind.path}/{key}"), 404, detail_has=(str(key),))
    assert not kind.exists(ledger, key)
