"""The web UI's pages over HTTP (no browser): who may see them, what they show, how they fail.

The browser tests (tests/web) drive the same pages in Chromium; these check the server's side
on both engines: sign-in redirect, escaping, the content security policy, errors as pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from ipledger.api.app import create_app
from ipledger.core.permissions import AccessRole
from ipledger.kube.dump import DumpError
from ipledger.service.auth import create_user, grant
from ipledger.service.ledger import Ledger
from ipledger.service.sync import sync_from_dump
from ipledger.web.app import install_web
from tests.api.conftest import SYSTEM, TIMEOUT, QueryCounter
from tests.api.server import AppSwitch
from tests.service.factories import add_address, add_cluster, add_group, add_prefix
from tests.service.k8s_dumps import (
    LEAKED_IP,
    NOW,
    STRANDED_IP,
    CalicoEntry,
    calico_affinity,
    calico_block,
    calico_handle,
    prod_objects,
    write_dump,
)

PASSWORD = "a long enough passphrase"


@pytest.fixture
def site(ledger: Ledger, api_server: tuple[AppSwitch, str]) -> Iterator[str]:
    switch, base = api_server
    app = create_app(ledger)
    install_web(app)
    switch.app = app
    try:
        yield base
    finally:
        switch.app = None


def _browser(
    site: str, ledger: Ledger, name: str = "ada", role: AccessRole = AccessRole.ADMIN
) -> httpx.Client:
    create_user(ledger, name, actor=SYSTEM, password=PASSWORD)
    grant(ledger, name, role, actor=SYSTEM)
    client = httpx.Client(base_url=site, timeout=TIMEOUT, follow_redirects=False)
    answer = client.post("/api/v1/session", json={"name": name, "password": PASSWORD})
    assert answer.status_code == 201, answer.text
    return client


@pytest.fixture
def browser(site: str, ledger: Ledger) -> Iterator[httpx.Client]:
    client = _browser(site, ledger)
    try:
        yield client
    finally:
        client.close()


def test_web_pages_without_a_session_lead_to_the_login_page(site: str) -> None:
    with httpx.Client(base_url=site, timeout=TIMEOUT) as anonymous:
        answer = anonymous.get("/prefixes?sort=utilization", follow_redirects=False)
        login = anonymous.get("/login")

    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=%2Fprefixes%3Fsort%3Dutilization"
    assert login.status_code == 200
    assert '<label for="username">User name</label>' in login.text
    assert '<label for="password">Password</label>' in login.text


def test_web_login_never_sends_the_browser_to_another_site(site: str) -> None:
    with httpx.Client(base_url=site, timeout=TIMEOUT) as anonymous:
        page = anonymous.get("/login", params={"next": "//evil.example/steal"})

    assert 'data-next="/"' in page.text


@pytest.mark.parametrize(
    "path", ["/", "/groups", "/prefixes", "/prefixes/{id}", "/clusters", "/search?q=web", "/changes"]
)
def test_web_every_page_renders_under_a_strict_content_security_policy(
    ledger: Ledger, browser: httpx.Client, path: str
) -> None:
    prefix = add_prefix(ledger, "10.0.0.0/24", group=add_group(ledger, "dc/rack1").path)
    add_address(ledger, "10.0.0.5", holder_kind="vm", holder_name="web-01")

    answer = browser.get(path.format(id=prefix.id))

    assert answer.status_code == 200, answer.text
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    # No inline script or style anywhere: the policy would block it.
    assert re.search(r"<script(?![^>]*\bsrc=)", answer.text) is None
    assert "<style" not in answer.text and " style=" not in answer.text
    assert answer.headers["x-frame-options"] == "DENY"


def test_web_text_from_the_ledger_is_escaped(ledger: Ledger, browser: httpx.Client) -> None:
    prefix = add_prefix(ledger, "10.1.0.0/24", description='<script>alert("x")</script>')

    page = browser.get(f"/prefixes/{prefix.id}").text
    listing = browser.get("/prefixes").text

    for text in (page, listing):
        assert '<script>alert("x")</script>' not in text
        assert "&lt;script&gt;alert(" in text


def test_web_prefix_page_shows_the_map_the_next_address_and_the_addresses(
    ledger: Ledger, browser: httpx.Client
) -> None:
    prefix = add_prefix(ledger, "10.2.0.0/16")
    add_prefix(ledger, "10.2.255.0/24")
    add_address(ledger, "10.2.0.1", holder_kind="vm", holder_name="db-01")

    page = browser.get(f"/prefixes/{prefix.id}").text

    cells = re.findall(r'role="listitem" class="cell state-(\w+)', page)
    assert len(cells) == 256
    assert cells[0] == "partly" and cells[-1] == "child"
    assert "Next free address: <strong>10.2.0.2</strong>" in page
    assert "db-01" in page
    # The samples taken at each change draw the history; seconds of it forecast nothing yet.
    assert '<polyline class="series"' in page
    assert "No forecast: too little history" in page


def test_web_a_missing_prefix_is_a_not_found_page(browser: httpx.Client) -> None:
    answer = browser.get("/prefixes/999999")

    assert answer.status_code == 404
    assert "no prefix with id 999999" in answer.text


def test_web_a_bad_filter_is_explained_on_the_page(browser: httpx.Client) -> None:
    answer = browser.get("/prefixes", params={"within": "10.0.0.1/24"})

    assert answer.status_code == 400
    assert "10.0.0.1/24" in answer.text and "host bits" in answer.text


def test_web_search_an_address_answers_whois_and_a_cidr_opens_its_prefix(
    ledger: Ledger, browser: httpx.Client
) -> None:
    prefix = add_prefix(ledger, "10.3.0.0/24")
    add_address(ledger, "10.3.0.7", holder_kind="server", holder_name="mail-01")

    whois = browser.get("/search", params={"q": "10.3.0.7"}).text
    cidr = browser.get("/search", params={"q": "10.3.0.0/24"})
    nothing = browser.get("/search", params={"q": "10.3.0.0/33"}).text

    assert "mail-01" in whois and f'href="/prefixes/{prefix.id}"' in whois
    assert cidr.status_code == 303 and cidr.headers["location"] == f"/prefixes/{prefix.id}"
    assert "10.3.0.0/33" in nothing and "problem" in nothing


def test_web_change_log_shows_before_and_after_and_hides_user_changes_from_viewers(
    site: str, ledger: Ledger, browser: httpx.Client
) -> None:
    prefix = add_prefix(ledger, "10.4.0.0/24", description="old")
    csrf = browser.get("/api/v1/session").json()["csrf_token"]
    changed = browser.patch(
        f"/api/v1/prefixes/{prefix.id}", json={"description": "new"}, headers={"X-CSRF-Token": csrf}
    )
    assert changed.status_code == 200, changed.text

    viewer = _browser(site, ledger, "vic", AccessRole.VIEWER)
    try:
        viewer_log = viewer.get("/changes").text
    finally:
        viewer.close()
    admin_log = browser.get("/changes").text

    assert re.search(
        r'<tr class="changed"><th scope="row">description</th><td>old</td><td>new</td></tr>', admin_log
    )
    assert "create user vic" in admin_log
    assert "user vic" not in viewer_log and "description" in viewer_log


def test_web_search_a_stranded_address_names_the_record_that_still_holds_it(
    ledger: Ledger, browser: httpx.Client, tmp_path: Path
) -> None:
    add_cluster(ledger, "prod")
    sync_from_dump(ledger, "prod", write_dump(tmp_path / "dump", prod_objects()), actor=SYSTEM)

    page = browser.get("/search", params={"q": STRANDED_IP}).text

    assert (
        "Stranded in cluster prod: IPPool kube-system/192.168.50.0-24 (192.168.50.0/24) still holds it"
        in page
    )
    assert "<code>kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io" in page
    assert "&#39;[{&#34;op&#34;:&#34;test&#34;" in page  # the patch is escaped, not markup


# -- a cluster's page after a sync ---------------------------------------------------------------

# What the ledger documents for cluster prod of `prod_objects`: its pod networks (the Calico pool
# and the Whereabouts range of the pods' second interfaces) and its service network.
PROD_NETWORKS = (("10.244.0.0/16", "pod"), ("192.168.50.0/24", "pod"), ("10.96.0.0/16", "service"))
LEAKY_BLOCK = "10.244.3.0/25"


def _sync_prod(ledger: Ledger, folder: Path, *, now: datetime = NOW) -> None:
    sync_from_dump(ledger, "prod", folder, actor=SYSTEM, now=now)


def _prod(ledger: Ledger, tmp_path: Path, *, leaked: int = 0) -> Path:
    """Cluster prod with its networks, synced from a dump of `prod_objects` and ``leaked`` more
    Calico allocations of gone pods in a block of node-b; the dump's folder."""
    add_cluster(ledger, "prod")
    for cidr, role in PROD_NETWORKS:
        add_prefix(ledger, cidr, role=role, managed_by="cluster:prod")
    files = prod_objects()
    if leaked:
        entries = [
            CalicoEntry(ordinal, f"k8s-pod-network.gone{ordinal}", f"default/gone-{ordinal}")
            for ordinal in range(leaked)
        ]
        files["calico.json"] += [
            calico_block(LEAKY_BLOCK, host="node-b", entries=entries),
            calico_affinity("node-b", LEAKY_BLOCK),
            *(calico_handle(entry.handle, block=LEAKY_BLOCK) for entry in entries),
        ]
    folder = write_dump(tmp_path / "dump", files)
    _sync_prod(ledger, folder)
    return folder


def test_web_cluster_page_shows_the_last_sync_findings_release_commands_and_block_usage(
    ledger: Ledger, browser: httpx.Client, tmp_path: Path
) -> None:
    folder = _prod(ledger, tmp_path)

    answer = browser.get("/clusters/prod")

    assert answer.status_code == 200, answer.text
    page = answer.text
    # The last sync: when, from where, how it ended, what it saw.
    last = _section(page, "last-sync")
    assert "Sync 1 succeeded" in last and '<time datetime="2026-11-01T12:00:00+00:00">' in last
    assert f"<code>dump {folder}</code>" in last
    assert "<strong>2</strong> nodes" in last and "<strong>4</strong> pods" in last
    # The cluster's pod IPs, each address once (not the 12 of 131,904 of the rows added up).
    assert re.search(
        r"<strong>4</strong> of 65,788 pod IPs in use by running pods, <strong>7</strong> allocated, "
        r"<strong>2</strong> stranded",
        _section(page, "pod-ips"),
    )
    # Each finding with its address, pool, owner, why, and the command that releases it.
    findings = _section(page, "findings")
    leaked = _row(findings, f'<code class="address">{LEAKED_IP}</code>')
    assert "IPAM block 10-244-1-0-26 (10.244.1.0/26)" in leaked and "pod default/batch-7" in leaked
    assert "calicoctl ipam check counts it leaked" in leaked
    assert f'<pre class="command"><code>calicoctl ipam release --ip={LEAKED_IP}</code></pre>' in leaked
    stranded = _row(findings, f'<code class="address">{STRANDED_IP}</code>')
    assert "kubectl -n kube-system patch ippools.whereabouts.cni.cncf.io 192.168.50.0-24" in stranded
    assert "&#34;op&#34;:&#34;test&#34;" in stranded  # the JSON patch, escaped
    assert "data-copy" in stranded
    # Block by block: the Calico block's row.
    block = _row(_section(page, "blocks"), 'data-block="calico-block/10-244-1-0-26"')
    assert re.findall(r'<td class="num[^"]*">([\d,]+)</td>', block) == ["64", "4", "3", "1"]
    assert " style=" not in page and "<style" not in page


def test_web_cluster_page_filters_findings_by_kind(
    ledger: Ledger, browser: httpx.Client, tmp_path: Path
) -> None:
    _prod(ledger, tmp_path)

    findings = _section(
        browser.get("/clusters/prod", params={"kind": "whereabouts-pod-gone"}).text, "findings"
    )

    assert STRANDED_IP in findings and LEAKED_IP not in findings
    assert '<option value="whereabouts-pod-gone" selected>' in findings
    assert re.search(r'<a href="\?kind=whereabouts-pod-gone#findings" aria-current="true">', findings)


def test_web_cluster_page_pages_its_findings_and_blocks(
    ledger: Ledger, browser: httpx.Client, tmp_path: Path, queries: QueryCounter
) -> None:
    _prod(ledger, tmp_path, leaked=120)
    browser.get("/clusters/prod")  # the first request of the app builds its stack

    def statements(kind: str) -> tuple[int, str]:
        before = queries.count
        text = browser.get("/clusters/prod", params={"kind": kind}).text
        return queries.count - before, text

    one, _ = statements("whereabouts-pod-gone")
    many, first = statements("calico-leaked-ip")
    last = browser.get("/clusters/prod", params={"kind": "calico-leaked-ip", "offset": 100}).text
    blocks = _section(
        browser.get("/clusters/prod", params={"block_limit": 2, "block_sort": "stranded"}).text, "blocks"
    )

    assert first.count('<tr class="finding">') == 50
    assert "1 to 50 of 121" in first
    assert 'href="?kind=calico-leaked-ip&amp;offset=50&amp;limit=50#findings" rel="next"' in first
    assert last.count('<tr class="finding">') == 21 and "101 to 121 of 121" in last
    # Most stranded first: the pool (121 with LEAKED_IP), then the block of the 120 gone pods.
    assert re.findall(r'data-block="([^"]+)"', blocks) == [
        "calico-pool/default-ipv4-ippool",
        "calico-block/10-244-3-0-25",
    ]
    assert 'href="?block_sort=stranded&amp;block_offset=2&amp;block_limit=2#blocks" rel="next"' in blocks
    # A page reads a page: its statements do not grow with the findings.
    assert one == many, f"{one} statements for 1 finding, {many} for 121"


def test_web_cluster_page_after_a_failed_sync_shows_its_error_and_the_good_one(
    ledger: Ledger, browser: httpx.Client, tmp_path: Path
) -> None:
    _prod(ledger, tmp_path)
    broken = write_dump(tmp_path / "broken", prod_objects())
    core = broken / "core.json"
    core.write_text(core.read_text(encoding="utf-8")[:200], encoding="utf-8")
    with pytest.raises(DumpError):
        _sync_prod(ledger, broken, now=NOW + timedelta(hours=1))

    page = browser.get("/clusters/prod").text

    last = _section(page, "last-sync")
    assert "Sync 2 failed" in last and f"{core}: not valid JSON" in last
    assert "what this page shows comes from sync 1 of" in last
    assert LEAKED_IP in _section(page, "findings")


def test_web_cluster_page_before_any_sync_says_how_to_sync(ledger: Ledger, browser: httpx.Client) -> None:
    add_cluster(ledger, "prod")

    page = browser.get("/clusters/prod").text

    assert "Never synced" in _section(page, "last-sync")
    assert "None yet: no sync has succeeded." in _section(page, "findings")
    assert "Nothing synced yet." in _section(page, "blocks")


def _section(page: str, name: str) -> str:
    """The HTML of the page's section with this id."""
    found = re.search(rf'<section id="{name}".*?</section>', page, re.DOTALL)
    assert found is not None, f"no section {name}"
    return found.group(0)


def _row(html: str, marker: str) -> str:
    """The table row that holds ``marker``."""
    found = re.search(rf"<tr(?:(?!<tr).)*?{re.escape(marker)}.*?</tr>", html, re.DOTALL)
    assert found is not None, f"no row with {marker}"
    return found.group(0)
