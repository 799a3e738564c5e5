"""Reading NetBox export files: the formats accepted, and malformed files refused naming the file
and the object."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.service.netbox_source import read_netbox_file
from tests.netbox.recorded import FIXTURES


@pytest.mark.parametrize(
    ("name", "counts"),
    [
        ("prefixes.csv", {"prefixes": 4}),
        ("ip-addresses.csv", {"ip-addresses": 3}),
        ("prefixes-table.csv", {"prefixes": 2}),
        ("prefixes.json", {"prefixes": 4}),
        ("ranges-and-addresses.json", {"ip-ranges": 1, "ip-addresses": 3}),
    ],
)
def test_read_netbox_file_sorts_objects_by_kind(name: str, counts: dict[str, int]) -> None:
    found = read_netbox_file(FIXTURES / "export" / name)
    assert {kind: len(items) for kind, items in found.by_kind.items() if items} == counts


def test_read_netbox_file_reads_a_list_answer_and_vrfs(tmp_path: Path) -> None:
    path = tmp_path / "vrfs.json"
    path.write_text((FIXTURES / "api" / "vrfs.json").read_text())
    found = read_netbox_file(path)
    assert [item["name"] for _, item in found.by_kind["vrfs"]] == ["Customer A"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("{not json", "not JSON", id="not-json"),
        pytest.param('{"aggregates": []}', "unknown section(s) aggregates", id="unknown-section"),
        pytest.param('{"prefixes": {"a": 1}}', "prefixes must be a list", id="section-not-list"),
        pytest.param('{"prefixes": [7]}', "prefixes[0]: expected an object", id="item-not-object"),
        pytest.param("[7]", "[0]: expected an object", id="list-item-not-object"),
        pytest.param('"text"', "expected a list of NetBox objects", id="not-a-list"),
        pytest.param('[{"colour": "red"}]', "[0]: not a NetBox VRF, prefix", id="unknown-object"),
    ],
)
def test_read_netbox_file_refuses_malformed_json(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "netbox.json"
    path.write_text(text)
    with pytest.raises(InvalidInputError) as refused:
        read_netbox_file(path)
    assert str(path) in str(refused.value)
    assert message in str(refused.value)


def test_read_netbox_file_refuses_a_ragged_csv_row(tmp_path: Path) -> None:
    path = tmp_path / "prefixes.csv"
    path.write_text("prefix,status\n10.0.0.0/8,active,extra\n")
    with pytest.raises(InvalidInputError, match="row 2: 3 cells, but the header names 2"):
        read_netbox_file(path)


def test_read_netbox_file_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot read the file"):
        read_netbox_file(tmp_path / "missing.csv")
