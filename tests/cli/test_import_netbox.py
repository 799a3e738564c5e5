"""`ipledger import netbox`: from a recorded NetBox API on loopback and from export files, run
through the real entry point; `ipledger import FILE` keeps loading ledger documents."""

from __future__ import annotations

from pathlib import Path

from tests.cli.invocation import Cli, assert_error
from tests.netbox.recorded import FIXTURES, TOKEN, serve_recorded_netbox

EXPORTS = FIXTURES / "export"


def test_import_netbox_from_the_api_then_again_changes_nothing(cli: Cli) -> None:
    with serve_recorded_netbox() as netbox:
        first = cli.ok("import", "netbox", "--url", netbox.base, "--token", TOKEN)
        second = cli.ok("import", "netbox", "--url", netbox.base, "--token", TOKEN)
    assert first.startswith("imported: 1 spaces, 1 groups, 1 roles created; prefixes 4 created")
    assert "ranges 1 created" in first and "addresses 3 created" in first
    assert second.startswith(
        "imported: 0 spaces, 0 groups, 0 roles created; prefixes 0 created, 0 updated, 4 unchanged"
    )
    assert cli.json("prefix", "list")["total"] == 4


def test_import_netbox_from_files(cli: Cli) -> None:
    out = cli.ok(
        "import",
        "netbox",
        "--file",
        str(EXPORTS / "prefixes.csv"),
        "--file",
        str(EXPORTS / "ip-addresses.csv"),
    )
    assert "prefixes 4 created" in out and "addresses 3 created" in out
    assert "10.20.0.0/16" in cli.ok("prefix", "list", "--space", "Customer-A")


def test_import_netbox_dry_run_writes_nothing(cli: Cli) -> None:
    out = cli.ok("import", "netbox", "--file", str(EXPORTS / "prefixes.json"), "--dry-run")
    assert out.startswith("would import: 1 spaces")
    assert "10.20.0.0/16" not in cli.ok("prefix", "list")


def test_import_netbox_needs_a_source(cli: Cli) -> None:
    assert_error(cli("import", "netbox"), "give either --url (with --token) or --file")
    assert_error(cli("import", "netbox", "--url", "http://127.0.0.1:9"), "--url needs --token")


def test_import_netbox_with_a_refused_token_is_one_error_line(cli: Cli) -> None:
    with serve_recorded_netbox() as netbox:
        assert_error(cli("import", "netbox", "--url", netbox.base, "--token", "wrong"), "NetBox answered 403")


def test_import_of_a_ledger_document_still_works(cli: Cli, tmp_path: Path) -> None:
    cli.ok("prefix", "create", "10.0.0.0/16")
    document = str(tmp_path / "ledger.json")
    cli.ok("export", document)
    other = cli.copy(tmp_path / "other.db")
    other.ok("prefix", "delete", "10.0.0.0/16")
    assert other.ok("import", document).startswith("imported 0 spaces, 0 groups, 1 prefixes")
