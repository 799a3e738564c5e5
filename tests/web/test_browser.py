"""The web UI in a real browser: headless Chromium signs in, fills the forms, follows the live
updates of the event stream and meets the content security policy, on both engines.

Every test waits for what the page shows (Playwright's ``expect`` retries until its timeout) and
never for a fixed time. The screenshots of docs/screenshots/ are taken here, on the SQLite run.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Dialog, Locator, Page, Route, expect

from ipledger.core.addresses import parse_prefix
from ipledger.service.addresses import AddressFields
from ipledger.service.allocation import PrefixFields, allocate_addresses, allocate_prefixes
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import update_prefix
from ipledger.service.sync import sync_from_objects
from ipledger.store.models import Address, Group, Prefix
from tests.service.factories import (
    add_address,
    add_cluster,
    add_group,
    add_prefix,
    add_range,
    count_rows,
    prefix_of,
)
from tests.service.k8s_dumps import (
    LEAKED_IP,
    STRANDED_IP,
    WEB_1_NET1_IP,
    prod_objects,
    prod_pods,
    whereabouts_pool,
    whereabouts_reservation,
)
from tests.web.conftest import (
    PASSWORD,
    USER,
    SignIn,
    Site,
    add_user,
    log_in,
    wait_until_live,
    watch,
)

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
HOLDERS = (
    ("vm", "web-01"),
    ("server", "db-01"),
    ("node", "node-a"),
    ("pod", "api-7f9c"),
    ("service", "ingress"),
    ("loadbalancer", "lb-edge"),
    ("gateway", "gw"),
)


def _populate(ledger: Ledger) -> dict[str, int]:
    """A small but lived-in ledger: a /24 with holders of every kind, a child prefix and a
    range; a /16 with children, a range and some hundred addresses; a cluster with its networks."""
    add_group(ledger, "Datacenter/fra1", description="Frankfurt")
    add_group(ledger, "Kubernetes/prod/eu-west")
    small = add_prefix(ledger, "10.20.0.0/24", group="Datacenter/fra1", description="fra1 servers")
    for number, (kind, name) in enumerate(HOLDERS, start=1):
        add_address(ledger, f"10.20.0.{number * 3}", holder_kind=kind, holder_name=name)
    add_prefix(ledger, "10.20.0.128/26", role="loadbalancer", description="VIPs")
    add_range(ledger, "10.20.0.64-10.20.0.95", role="infrastructure", description="desks")
    big = add_prefix(ledger, "10.30.0.0/16", group="Kubernetes/prod/eu-west", description="pods")
    add_prefix(ledger, "10.30.0.0/20", role="node")
    add_range(ledger, "10.30.64.0-10.30.71.255", role="expansion-reserve", description="later")
    allocate_addresses(
        ledger,
        parse_prefix("10.30.0.0/16"),
        actor="alice",
        count=600,
        fields=AddressFields(holder_kind="pod"),
    )
    for third in (40, 41, 100, 200, 250):
        add_address(ledger, f"10.30.{third}.7", holder_kind="vm", holder_name=f"vm-{third}")
    add_cluster(ledger, "prod-eu", group="Kubernetes/prod/eu-west", provider="eks", expected_nodes=12)
    allocate_prefixes(
        ledger,
        parse_prefix("10.30.0.0/16"),
        actor="alice",
        prefixlen=18,
        fields=PrefixFields(role="pod", managed_by="cluster:prod-eu"),
    )
    _synced_prod(ledger)
    return {"small": small.id, "big": big.id}


# What the ledger documents for cluster prod of `prod_objects`: its pod networks (the Calico pool
# and the Whereabouts range of the pods' second interfaces) and its service network.
PROD_NETWORKS = (("10.244.0.0/16", "pod"), ("192.168.50.0/24", "pod"), ("10.96.0.0/16", "service"))


def _objects(files: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [item for items in files.values() for item in items]


def _synced_prod(ledger: Ledger) -> None:
    """Cluster prod (Calico and Whereabouts) synced twice, yesterday with two pods and now with
    all of them and their leftovers: a leaked Calico address, a stranded Whereabouts one."""
    add_cluster(ledger, "prod", ipam_mode="calico", expected_nodes=2)
    for cidr, role in PROD_NETWORKS:
        add_prefix(ledger, cidr, role=role, managed_by="cluster:prod")
    now = datetime.now(UTC)
    for moment, pods in ((now - timedelta(days=1), prod_pods()[1:3]), (now, prod_pods())):
        sync_from_objects(
            ledger, "prod", _objects(prod_objects(pods=pods)), source="upload", actor="alice", now=moment
        )


def _is_sqlite(ledger: Ledger) -> bool:
    return ledger.engine.dialect.name == "sqlite"


def _mark_document(page: Page) -> None:
    """Tag the loaded document; ``_same_document`` tells whether it was replaced since."""
    page.evaluate("() => { window.notReloaded = true; }")


def _same_document(page: Page) -> bool:
    return bool(page.evaluate("() => window.notReloaded === true"))


# Signing in


def test_login_form_signs_in_to_the_dashboard(page: Page) -> None:
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.locator("header .who")).to_have_text(USER)


def test_login_wrong_password_shows_the_error_and_stays_on_login(anonymous: Page, site: Site) -> None:
    anonymous.goto("/login")
    log_in(anonymous, USER, PASSWORD + " but wrong")

    expect(anonymous.locator("[data-form-error]")).to_have_text(re.compile("Wrong user name or password"))
    assert anonymous.url == f"{site.base}/login"
    expect(anonymous.get_by_label("Password")).to_be_focused()
    assert anonymous.context.cookies() == []


def test_login_returns_to_the_page_first_asked_for(anonymous: Page, site: Site) -> None:
    anonymous.goto("/prefixes?sort=utilization")
    anonymous.wait_for_url(re.compile(r"/login\?next="))
    log_in(anonymous, USER, PASSWORD)

    anonymous.wait_for_url(f"{site.base}/prefixes?sort=utilization")
    expect(anonymous.get_by_label("Sort")).to_have_value("utilization")


def test_sign_out_ends_the_session(page: Page, site: Site) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.base}/login")

    page.goto("/groups")
    assert page.url == f"{site.base}/login?next=%2Fgroups"
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


# Creating through the forms


def test_forms_create_group_and_prefix_and_take_an_address_without_reload(page: Page, site: Site) -> None:
    page.goto("/groups")
    page.get_by_text("New group").click()
    page.get_by_label("Path").fill("Datacenter/fra1")
    page.get_by_role("button", name="Create group").click()
    expect(page.locator("#group-tree")).to_contain_text("fra1")

    page.goto("/prefixes")
    page.get_by_text("New prefix").click()
    form = page.locator("#new-prefix")
    form.get_by_label("CIDR").fill("10.20.0.0/24")
    form.get_by_label("Group").fill("Datacenter/fra1")
    form.get_by_label("Description").fill("fra1 servers")
    form.get_by_role("button", name="Create prefix").click()
    page.wait_for_url(re.compile(r"/prefixes/\d+$"))
    assert page.url == f"{site.base}/prefixes/{prefix_of(site.ledger, '10.20.0.0/24').id}"
    expect(page.locator("#summary h1")).to_contain_text("Datacenter/fra1")

    _mark_document(page)
    page.get_by_text("Take the next free address").click()
    take = page.locator("#take-address-form")
    take.get_by_label("Holder name").fill("web-01")
    take.get_by_label("Holder kind").select_option("vm")
    take.get_by_role("button", name="Take 10.20.0.1").click()

    expect(take.locator("[data-form-result]")).to_have_text("Took 10.20.0.1")
    cell = page.locator('.map .cell[title^="10.20.0.1:"]')
    expect(cell).to_have_class(re.compile(r"\bstate-held\b.*\bkind-vm\b"))
    expect(page.locator("#addresses tbody tr").first).to_contain_text("vm web-01")
    expect(page.locator("#free")).to_contain_text("Next free address: 10.20.0.2")
    expect(take.locator("button[type=submit]")).to_have_text("Take 10.20.0.2")
    assert _same_document(page)


def test_group_delete_asks_first_then_removes_the_row(page: Page, site: Site) -> None:
    add_group(site.ledger, "Lab")
    page.goto("/groups")
    asked: list[str] = []

    def accept(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.accept()

    page.once("dialog", accept)
    page.locator('#group-tree tr[data-path="Lab"]').get_by_role("button", name="Delete").click()

    expect(page.locator("#group-tree")).to_have_text("No group yet.")
    assert asked == ["Delete group Lab? Only an empty group can be deleted."]
    assert count_rows(site.ledger, Group) == 0


def test_take_address_form_offers_only_holder_kinds_the_api_accepts(page: Page, site: Site) -> None:
    prefix = add_prefix(site.ledger, "10.20.0.0/24")
    page.goto(f"/prefixes/{prefix.id}")
    page.get_by_text("Take the next free address").click()
    form = page.locator("#take-address-form")
    kinds = form.get_by_label("Holder kind").locator("option").all_inner_texts()

    for number, kind in enumerate(kinds, start=1):
        form.get_by_label("Holder name").fill(f"host-{kind}")
        form.get_by_label("Holder kind").select_option(kind)
        form.locator("button[type=submit]").click()
        expect(form.locator("[data-form-result]")).to_have_text(f"Took 10.20.0.{number}")
        expect(page.locator(f'.map .cell[title^="10.20.0.{number}:"]')).to_have_class(
            re.compile(rf"\bkind-{kind}\b")
        )

    expect(form.locator("[data-form-error]")).to_be_empty()
    assert count_rows(site.ledger, Address) == len(kinds)


def test_prefix_form_with_host_bits_shows_the_error_at_the_field(page: Page, site: Site) -> None:
    page.goto("/prefixes")
    page.get_by_text("New prefix").click()
    form = page.locator("#new-prefix")
    form.get_by_label("CIDR").fill("10.0.0.1/24")
    form.get_by_role("button", name="Create prefix").click()

    expect(form.locator('[data-error-for="prefix"]')).to_contain_text("host bits set")
    expect(form.get_by_label("CIDR")).to_have_attribute("aria-invalid", "true")
    assert page.url == f"{site.base}/prefixes"
    assert count_rows(site.ledger, Prefix) == 0


# Live updates between two browsers


def _edit_description(page: Page, text: str) -> None:
    page.get_by_text("Edit", exact=True).click()
    form = page.locator("#edit-form")
    form.get_by_label("Description").fill(text)
    form.get_by_role("button", name="Save").click()


def _take_address(page: Page, holder: str) -> None:
    page.get_by_text("Take the next free address").click()
    form = page.locator("#take-address-form")
    form.get_by_label("Holder name").fill(holder)
    form.locator("button[type=submit]").click()


@pytest.mark.parametrize(
    ("change", "region", "text"),
    [
        pytest.param(
            lambda page: _edit_description(page, "moved to rack 7"), "#summary", "moved to rack 7", id="edit"
        ),
        pytest.param(lambda page: _take_address(page, "db-02"), "#addresses", "db-02", id="allocate"),
    ],
)
def test_live_prefix_page_shows_another_users_change_without_reload(
    sign_in: SignIn, site: Site, change: Callable[[Page], None], region: str, text: str
) -> None:
    prefix = add_prefix(site.ledger, "10.20.0.0/24")
    add_user(site.ledger, "bob")
    watcher, actor = sign_in(), sign_in("bob")
    for tab in (watcher, actor):
        tab.goto(f"/prefixes/{prefix.id}")
    wait_until_live(watcher)
    _mark_document(watcher)

    change(actor)

    expect(watcher.locator(region)).to_contain_text(text)
    expect(watcher.locator("#live-status")).to_contain_text("after bob")
    assert _same_document(watcher)


def test_live_prefix_page_shows_a_change_made_while_it_was_loading(page: Page, site: Site) -> None:
    prefix = add_prefix(site.ledger, "10.20.0.0/24", description="old")

    def change_then_connect(route: Route) -> None:
        if prefix_of(site.ledger, "10.20.0.0/24").description == "old":
            update_prefix(site.ledger, prefix.network, actor="bob", changes={"description": "new"})
        route.continue_()

    page.route("**/api/v1/events*", change_then_connect)
    page.goto(f"/prefixes/{prefix.id}")
    wait_until_live(page)

    expect(page.locator("#summary .description")).to_have_text("new", timeout=3_000)


def test_edit_conflict_names_the_first_change_and_the_second_save_wins(sign_in: SignIn, site: Site) -> None:
    prefix = add_prefix(site.ledger, "10.20.0.0/24", description="old")
    first, second = sign_in(), sign_in()
    for tab in (first, second):
        tab.goto(f"/prefixes/{prefix.id}")
        tab.get_by_text("Edit", exact=True).click()

    first.locator("#edit-form").get_by_label("Description").fill("A")
    first.locator("#edit-form").get_by_role("button", name="Save").click()
    expect(first.locator("#summary .description")).to_have_text("A")
    form = second.locator("#edit-form")
    form.get_by_label("Description").fill("B")
    form.get_by_role("button", name="Save").click()

    conflict = form.locator("[data-conflict]")
    expect(conflict).to_be_visible()
    expect(conflict).to_contain_text("now version 2")
    expect(conflict).to_contain_text("description: “old” → “A”")
    assert prefix_of(site.ledger, "10.20.0.0/24").description == "A"

    form.get_by_role("button", name="Save").click()
    expect(second.locator("#summary .description")).to_have_text("B")
    expect(conflict).to_be_hidden()
    assert prefix_of(site.ledger, "10.20.0.0/24").description == "B"


def test_edit_form_with_the_group_emptied_takes_the_prefix_out_of_it(page: Page, site: Site) -> None:
    add_group(site.ledger, "Datacenter/fra1")
    prefix = add_prefix(site.ledger, "10.20.0.0/24", group="Datacenter/fra1")
    page.goto(f"/prefixes/{prefix.id}")
    page.get_by_text("Edit", exact=True).click()
    form = page.locator("#edit-form")

    form.get_by_label("Group").fill("")
    form.get_by_role("button", name="Save").click()

    expect(page.locator("#summary")).to_contain_text("version 2")
    expect(page.locator("#summary h1 small")).not_to_contain_text("Datacenter/fra1")
    expect(form.locator("[data-form-error]")).to_be_empty()
    assert prefix_of(site.ledger, "10.20.0.0/24").group is None


def test_prefix_page_shows_network_and_broadcast_as_not_for_hosts(page: Page, site: Site) -> None:
    prefix = add_prefix(site.ledger, "10.20.0.0/24")
    add_address(site.ledger, "10.20.0.5", holder_kind="vm", holder_name="web-01")

    page.goto(f"/prefixes/{prefix.id}")

    expect(page.locator("#summary")).to_contain_text(
        "1 of 254 usable addresses taken; 253 free.", timeout=2_000
    )
    for address in ("10.20.0.0", "10.20.0.255"):
        expect(page.locator(f'.map .cell[title^="{address}:"]')).to_have_class(
            re.compile(r"\bstate-reserved\b")
        )


# Search


def test_search_by_ip_shows_the_whois_answer(page: Page, site: Site) -> None:
    add_prefix(site.ledger, "10.20.0.0/24")
    add_address(site.ledger, "10.20.0.9", holder_kind="vm", holder_name="web-01", dns_name="web-01.example")

    page.get_by_label("Search an IP, CIDR, name or tag").fill("10.20.0.9")
    page.get_by_label("Search an IP, CIDR, name or tag").press("Enter")

    answer = page.locator("section.whois")
    expect(answer.locator(".holder")).to_contain_text("vm web-01")
    expect(answer).to_contain_text("In prefixes: 10.20.0.0/24")


def test_search_by_cidr_of_a_prefix_goes_to_its_page(page: Page, site: Site) -> None:
    prefix = add_prefix(site.ledger, "10.20.0.0/24")

    page.get_by_label("Search an IP, CIDR, name or tag").fill("10.20.0.0/24")
    page.get_by_role("button", name="Search").click()

    page.wait_for_url(f"{site.base}/prefixes/{prefix.id}")
    expect(page.locator("#summary h1")).to_contain_text("10.20.0.0/24")


# Change log


def test_change_log_shows_an_edit_before_and_after(page: Page, site: Site) -> None:
    prefix = add_prefix(site.ledger, "10.20.0.0/24", description="old")
    page.goto(f"/prefixes/{prefix.id}")
    _edit_description(page, "new")
    expect(page.locator("#summary .description")).to_have_text("new")

    page.get_by_role("link", name="Change log").click()

    change = page.locator("article.change", has_text="update prefix 10.20.0.0/24")
    row = change.locator("table.diff tr.changed", has=page.locator("th", has_text="description"))
    expect(row.locator("td")).to_have_text(["old", "new"])
    expect(change.locator("h2")).to_contain_text(USER)


# A cluster's page after a sync


def _finding(page: Page, address: str) -> Locator:
    return page.locator("#findings tr.finding", has=page.locator("code.address", has_text=address))


def test_cluster_page_filters_findings_by_kind_and_follows_a_new_sync_live(page: Page, site: Site) -> None:
    _synced_prod(site.ledger)
    page.goto("/clusters/prod")
    findings = page.locator("#findings")
    expect(findings.locator("tr.finding")).to_have_count(6)

    findings.get_by_label("Kind of finding").select_option("whereabouts-pod-gone")
    findings.get_by_role("button", name="Show").click()

    page.wait_for_url(re.compile(r"\?kind=whereabouts-pod-gone#findings$"))
    expect(findings.locator("tr.finding")).to_have_count(1)
    expect(_finding(page, STRANDED_IP)).to_contain_text("pod default/db-0 no longer exists")
    expect(findings).not_to_contain_text(LEAKED_IP)
    wait_until_live(page)
    _mark_document(page)

    # A second sync: pod db-1 is gone too, and Whereabouts still holds its address.
    files = prod_objects()
    files["whereabouts.json"] = [
        whereabouts_pool(
            "kube-system", "192.168.50.0/24", {4: "default/web-1", 5: "default/db-0", 6: "default/db-1"}
        ),
        whereabouts_reservation("kube-system", WEB_1_NET1_IP, podref="default/web-1"),
        whereabouts_reservation("kube-system", STRANDED_IP, podref="default/db-0"),
        whereabouts_reservation("kube-system", "192.168.50.6", podref="default/db-1"),
    ]
    sync_from_objects(site.ledger, "prod", _objects(files), source="upload", actor="bob")

    expect(findings.locator("tr.finding")).to_have_count(2)
    expect(_finding(page, "192.168.50.6")).to_contain_text("pod default/db-1 no longer exists")
    expect(findings).not_to_contain_text(LEAKED_IP)  # still filtered
    expect(page.locator("#last-sync")).to_contain_text("Sync 3 succeeded")
    expect(page.locator("#pod-ips")).to_contain_text("3 stranded")
    pool = page.locator('#blocks tr[data-block="whereabouts-pool/kube-system/192.168.50.0-24"]')
    expect(pool.locator("td.num")).to_have_text(["256", "3", "1", "2"])  # size, allocated, in use, stranded
    expect(page.locator("#live-status")).to_contain_text("after bob sync cluster prod")
    assert _same_document(page)


def test_cluster_page_copies_a_release_command(page: Page, site: Site) -> None:
    _synced_prod(site.ledger)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.base)
    page.goto("/clusters/prod")
    row = _finding(page, LEAKED_IP)
    expect(row.locator("pre.command")).to_have_text(f"calicoctl ipam release --ip={LEAKED_IP}")

    row.get_by_role("button", name=f"Copy the command for {LEAKED_IP}").click()

    expect(row.get_by_role("button", name=f"Copy the command for {LEAKED_IP}")).to_have_text("Copied")
    assert page.evaluate("() => navigator.clipboard.readText()") == f"calicoctl ipam release --ip={LEAKED_IP}"


# The content security policy and accessibility

MAIN_PAGES = (
    "/",
    "/groups",
    "/prefixes",
    "/prefixes/{small}",
    "/prefixes/{big}",
    "/clusters",
    "/clusters/prod-eu",
    "/clusters/prod",
    "/search?q=web",
    "/changes",
)


def test_pages_show_no_console_error_nor_policy_violation(page: Page, site: Site) -> None:
    ids = _populate(site.ledger)
    watched = watch(page)

    for path in ("/login", *MAIN_PAGES):
        page.goto(path.format(**ids))
        expect(page.locator("main h1")).to_be_visible()
        if page.locator("[data-live]").count():
            wait_until_live(page)
    # A live refresh, too, replaces parts of the page within the policy.
    page.goto(f"/prefixes/{ids['small']}")
    _take_address(page, "web-02")
    expect(page.locator("#addresses")).to_contain_text("web-02")

    assert watched.problems == []


def test_policy_violation_is_reported_and_blocked(page: Page) -> None:
    """The check above can see a violation: an inline script is refused and reported."""
    watch(page)
    page.goto("/groups")

    page.evaluate(
        """() => { const s = document.createElement("script"); s.textContent = "window.ran = true";
        document.body.append(s); }"""
    )

    page.wait_for_function("() => window.policyViolations.length > 0")
    assert page.evaluate("() => window.ran") is None
    assert page.evaluate("() => window.policyViolations") == ["script-src-elem blocked inline"]


def test_every_form_field_has_a_label(page: Page, site: Site) -> None:
    ids = _populate(site.ledger)
    unlabelled = {}

    for path in ("/login", *MAIN_PAGES):
        page.goto(path.format(**ids))
        for summary in page.locator("details > summary").all():
            summary.click()
        unlabelled[path] = page.evaluate(
            """() => [...document.querySelectorAll("input, select, textarea")]
                .filter((field) => field.type !== "hidden" && field.labels.length === 0)
                .map((field) => field.outerHTML)"""
        )

    assert unlabelled == {path: [] for path in ("/login", *MAIN_PAGES)}


def test_skip_link_is_the_first_stop_and_leads_to_the_content(page: Page) -> None:
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


# Screenshots for the documentation


def test_screenshots_of_the_main_pages(page: Page, site: Site) -> None:
    ids = _populate(site.ledger)
    update_prefix(
        site.ledger, parse_prefix("10.20.0.0/24"), actor="alice", changes={"description": "fra1 rack 7"}
    )
    shots = {
        "dashboard": "/",
        "groups": "/groups",
        "prefixes": "/prefixes",
        "prefix-24": f"/prefixes/{ids['small']}",
        "prefix-16": f"/prefixes/{ids['big']}",
        "cluster": "/clusters/prod",
        "changes": "/changes",
    }
    for name, path in shots.items():
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        if name == "cluster":
            expect(page.locator("#findings tr.finding")).to_have_count(6)
        if name == "prefix-24":
            expect(page.locator(".map .cell.state-held")).to_have_count(len(HOLDERS))
            expect(page.locator(".map .cell.state-child")).to_have_count(64)
        if name == "prefix-16":
            expect(page.locator(".map .cell")).to_have_count(256)
            expect(page.locator(".map .cell.state-full").first).to_be_visible()
        if _is_sqlite(site.ledger):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            # The cluster page's findings and blocks are below the fold: the whole page.
            page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=name == "cluster")
