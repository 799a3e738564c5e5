"""`ipledger export`, `import` and `import-csv`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.invocation import Cli, assert_error


@pytest.fixture
def filled(cli: Cli) -> Cli:
    cli.ok("space", "create", "lab", "--description", "Lab VRF")
    cli.ok("group", "create", "dc1/servers", "--parents", "--owner", "netops")
    cli.ok("prefix", "create", "10.0.0.0/24", "--group", "dc1/servers", "--tag", "pci")
    cli.ok("prefix", "create", "2001:db8::/48", "--space", "lab")
    cli.ok("range", "create", "10.0.0.100-10.0.0.150", "--role", "loadbalancer")
    cli.ok("address", "create", "10.0.0.10", "--holder", "db-01", "--last-seen", "2024-05-01T12:00:00Z")
    return cli


def test_export_writes_the_document_to_stdout(filled: Cli) -> None:
    document = json.loads(filled.ok("export"))
    assert document["format"] == "ipledger-export"
    assert [item["prefix"] for item in document["prefixes"]] == ["10.0.0.0/24", "2001:db8::/48"]


def test_export_writes_a_file_and_says_what(filled: Cli, tmp_path: Path) -> None:
    target = tmp_path / "backup.json"
    out = filled.ok("export", str(target))
    assert out == f"exported 2 spaces, 2 groups, 2 prefixes, 1 ranges, 1 addresses to {target}\n"
    assert json.loads(target.read_text())["addresses"][0]["address"] == "10.0.0.10"


def test_import_into_an_empty_ledger_gives_the_same_export(filled: Cli, tmp_path: Path) -> None:
    target = tmp_path / "backup.json"
    filled.ok("export", str(target))
    fresh = Cli(tmp_path / "fresh.db", filled.runner)
    assert (
        fresh.ok("import", str(target)) == "imported 1 spaces, 2 groups, 2 prefixes, 1 ranges, 1 addresses\n"
    )
    assert fresh.ok("export") == filled.ok("export")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "{not json",
            "not a JSON document (Expecting property name enclosed in double quotes at line 1",
            id="json",
        ),
        pytest.param("[]", "the document must be a JSON object", id="shape"),
        pytest.param(
            '{"format": "ipledger-export", "version": 1, "prefixes": [{"prefix": "10.0.0.1/24"}]}',
            "prefixes[0]: 10.0.0.1/24: host bits set; did you mean 10.0.0.0/24?",
            id="entry",
        ),
    ],
)
def test_import_refuses_a_bad_document_and_writes_nothing(
    cli: Cli, tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "bad.json"
    source.write_text(content)
    before = cli.change_ids()
    assert_error(cli("import", str(source)), message)
    assert cli.change_ids() == before


def test_import_refuses_a_missing_file(cli: Cli, tmp_path: Path) -> None:
    assert_error(cli("import", str(tmp_path / "none.json")), "No such file or directory", exit_code=2)


def test_import_csv_of_prefixes(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "subnets.csv"
    source.write_text(
        "Prefix,Role,Description,Tags\n10.0.0.0/24,pod,cluster-a pods,k8s;prod\n10.0.1.0/24,,,\n"
    )
    assert (
        cli.ok("import-csv", "prefixes", str(source))
        == "imported 0 spaces, 0 groups, 2 prefixes, 0 ranges, 0 addresses\n"
    )
    listed = cli.json("prefix", "list")["prefixes"]
    assert [(item["network"], item["role"], item["tags"]) for item in listed] == [
        ("10.0.0.0/24", "pod", ["k8s", "prod"]),
        ("10.0.1.0/24", "general", []),
    ]


def test_import_csv_of_addresses_from_stdin_into_a_space(cli: Cli) -> None:
    cli.ok("space", "create", "lab")
    out = cli.ok("import-csv", "addresses", "-", "--space", "lab", stdin="ip,hostname\n192.0.2.1,web-01\n")
    assert out == "imported 0 spaces, 0 groups, 0 prefixes, 0 ranges, 1 addresses\n"
    assert cli.json("address", "show", "192.0.2.1", "--space", "lab")["holder_name"] == "web-01"


def test_import_csv_accepts_a_spreadsheet_byte_order_mark(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "excel.csv"
    source.write_bytes("\ufeffAddress\r\n192.0.2.1\r\n".encode())
    cli.ok("import-csv", "addresses", str(source))
    assert cli.json("address", "show", "192.0.2.1")["source"] == "import"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(
            "prefix\n10.0.0.0/24\n10.0.1.1/24\n",
            "row 3: 10.0.1.1/24: host bits set; did you mean 10.0.1.0/24?",
            id="row",
        ),
        pytest.param("prefix,colour\n10.0.0.0/24,red\n", "unknown column(s) 'colour'", id="column"),
        pytest.param("", "the CSV file is empty", id="empty"),
    ],
)
def test_import_csv_refuses_a_bad_file_and_writes_nothing(
    cli: Cli, tmp_path: Path, content: str, message: str
) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(content)
    before = cli.change_ids()
    assert_error(cli("import-csv", "prefixes", str(source)), message)
    assert cli.change_ids() == before
    assert cli.json("prefix", "list")["total"] == 0


def test_import_csv_refuses_an_unknown_kind(cli: Cli, tmp_path: Path) -> None:
    assert_error(
        cli("import-csv", "routers", str(tmp_path / "x.csv")),
        "Invalid value for '{prefixes|addresses}'",
        exit_code=2,
    )


def test_import_csv_shows_progress_of_a_long_import(cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "many.csv"
    rows = "".join(f"10.0.{index // 250}.{index % 250 + 1}\n" for index in range(600))
    source.write_text("address\n" + rows)
    result = cli("import-csv", "addresses", str(source))
    assert result.exit_code == 0
    assert result.stdout == "imported 0 spaces, 0 groups, 0 prefixes, 0 ranges, 600 addresses\n"
    assert "importing 600 rows" in result.stderr
