"""Fixtures of the NetBox API tests: the real pynetbox client against the real server (uvicorn
on 127.0.0.1), acting as alice (an admin everywhere) with her ipledger API token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pynetbox
import pytest

from ipledger.api.app import PREFIX
from tests.api import tokens
from tests.api.conftest import TIMEOUT


@pytest.fixture
def netbox_base(api_base: str) -> str:
    """The server's root URL (what a NetBox user passes to ``pynetbox.api``)."""
    return api_base.removesuffix(PREFIX)


@pytest.fixture
def nb(netbox_base: str) -> pynetbox.api:
    return pynetbox.api(netbox_base, token=tokens.current["alice"])


@pytest.fixture
def http(netbox_base: str) -> Iterator[httpx.Client]:
    """A plain HTTP client sending NetBox's token header, for what pynetbox hides (status codes,
    headers, exact bodies)."""
    with httpx.Client(
        base_url=netbox_base,
        timeout=TIMEOUT,
        headers={"Authorization": f"Token {tokens.current['alice']}"},
    ) as client:
        yield client
