"""Security headers on every answer, and cross-origin requests refused unless configured."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ipledger.api.app import create_app
from ipledger.service.ledger import Ledger
from tests.api.server import AppSwitch

FIXED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@pytest.mark.parametrize("path", ["/prefixes", "/spaces", "/nowhere", "/openapi.json"])
def test_security_headers_are_on_every_api_answer(api: httpx.Client, path: str) -> None:
    response = api.get(path)

    assert {name: response.headers.get(name) for name in FIXED} == FIXED
    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"


def test_security_headers_on_413_before_the_app_runs(api: httpx.Client) -> None:
    response = api.post(
        "/prefixes/bulk",
        content=b"[" + b" " * (33 << 20) + b"]",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 413
    assert response.headers["x-frame-options"] == "DENY"


def test_security_headers_docs_page_may_load_its_scripts(api: httpx.Client) -> None:
    response = api.get("/docs")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net" in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-frame-options"] == "DENY"


def test_cors_is_off_by_default(api: httpx.Client) -> None:
    preflight = api.options(
        "/prefixes",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    simple = api.get("/prefixes", headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in simple.headers


@pytest.fixture
def cors_api(
    ledger: Ledger, api_server: tuple[AppSwitch, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[httpx.Client]:
    monkeypatch.setenv("IPLEDGER_CORS_ORIGINS", "https://ipam.example.net, https://ops.example.net")
    switch, base = api_server
    switch.app = create_app(ledger)
    try:
        with httpx.Client(base_url=base + "/api/v1", trust_env=False, timeout=60) as client:
            yield client
    finally:
        switch.app = None


def test_cors_allows_only_the_configured_origins(cors_api: httpx.Client) -> None:
    allowed = cors_api.options(
        "/prefixes",
        headers={"Origin": "https://ops.example.net", "Access-Control-Request-Method": "POST"},
    )
    refused = cors_api.get("/prefixes", headers={"Origin": "https://evil.example"})

    assert allowed.headers["access-control-allow-origin"] == "https://ops.example.net"
    assert "access-control-allow-origin" not in refused.headers
