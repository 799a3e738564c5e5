"""Reading observation files: the kind told from the content, the file's time, and file errors."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from ipledger.core.errors import InvalidInputError
from ipledger.observe import files as files_module
from ipledger.observe.files import detect_kind, read_observations
from ipledger.observe.seen import ObservationError
from tests.observe.factories import DATA, data_text, seen, utc

_MODIFIED = utc("2024-03-04 10:00:00")


def _copy(name: str, tmp_path: Path) -> Path:
    """A copy of a data file, dated `_MODIFIED`, for tests that rely on the file's time."""
    path = Path(shutil.copy(DATA / name, tmp_path / name))
    os.utime(path, (_MODIFIED.timestamp(), _MODIFIED.timestamp()))
    return path


def _error(path: Path, **options: Any) -> str:
    with pytest.raises(ObservationError) as caught:
        read_observations(path, **options)
    return str(caught.value)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("nmap-sn-ipv4.xml", "nmap", id="nmap-ping-scan"),
        pytest.param("nmap-fast-scan.xml", "nmap", id="nmap-port-scan"),
        pytest.param("ip-neigh.txt", "ip-neigh", id="ip-neigh-text"),
        pytest.param("ip-s-neigh.txt", "ip-neigh", id="ip-s-neigh-text"),
        pytest.param("ip-j-neigh.json", "ip-neigh", id="ip-j-neigh-json"),
        pytest.param("seen.csv", "csv", id="csv-canonical"),
        pytest.param("seen-export.csv", "csv", id="csv-export-with-bom"),
        pytest.param("seen-ip-only.csv", "csv", id="csv-ip-only"),
    ],
)
def test_detect_kind_tells_the_data_files_apart(name: str, expected: str) -> None:
    assert detect_kind(data_text(name)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("\n  <?xml version='1.0'?><nmaprun/>", "nmap", id="xml-after-blank-lines"),
        pytest.param("\ufeffIP Address\r\n192.0.2.1\r\n", "csv", id="csv-with-bom-and-crlf"),
        pytest.param('"hostname","ip"\n', "csv", id="csv-quoted-header"),
        pytest.param("192.0.2.1,52:54:00:00:00:01\n", "ip-neigh", id="headerless-csv-goes-to-ip-neigh"),
        pytest.param("", "ip-neigh", id="empty"),
    ],
)
def test_detect_kind_reads_the_start_only(text: str, expected: str) -> None:
    assert detect_kind(text) == expected


@pytest.mark.parametrize(
    ("name", "count"),
    [
        pytest.param("nmap-6-sn.xml", 3, id="nmap"),
        pytest.param("ip-neigh.txt", 9, id="ip-neigh"),
        pytest.param("ip-j-neigh.json", 5, id="ip-j-neigh"),
        pytest.param("seen-export.csv", 3, id="csv"),
    ],
)
def test_read_observations_detects_and_reads_each_kind(name: str, count: int) -> None:
    found = read_observations(DATA / name)

    assert len(found) == count
    assert found == sorted(found, key=lambda item: (item.address.version, int(item.address)))


def test_read_observations_dates_ip_neigh_by_the_file_time(tmp_path: Path) -> None:
    found = read_observations(_copy("ip-neigh.txt", tmp_path))

    assert {item.seen_at for item in found} == {_MODIFIED}


def test_read_observations_dates_ip_neigh_by_seen_at_when_given(tmp_path: Path) -> None:
    found = read_observations(_copy("ip-neigh.txt", tmp_path), seen_at=utc("2024-03-05 08:00"))

    assert {item.seen_at for item in found} == {utc("2024-03-05 08:00")}


def test_read_observations_fills_only_undated_rows_with_seen_at() -> None:
    found = read_observations(DATA / "seen.csv", seen_at=utc("2024-03-05 08:00"))

    assert [item.seen_at for item in found] == [
        utc("2024-03-04 09:40:09.250"),
        utc("2024-03-04 09:12:07"),
        utc("2024-03-04 09:00:00"),
        utc("2024-03-04 09:31:43"),
        utc("2024-03-05 08:00"),
    ]


def test_read_observations_leaves_undated_csv_rows_undated_by_default(tmp_path: Path) -> None:
    found = read_observations(_copy("seen-ip-only.csv", tmp_path))

    assert {item.seen_at for item in found} == {None}


def test_read_observations_honours_the_kind_given(tmp_path: Path) -> None:
    path = tmp_path / "neigh.csv"
    path.write_text("address\n", encoding="utf-8")

    assert _error(path, kind="ip-neigh").startswith(
        f"{path}, line 1, address: 'address' is not a valid IPv4 or IPv6 address"
    )
    assert read_observations(path, kind="csv") == []


def test_read_observations_names_the_file_in_a_reader_error(tmp_path: Path) -> None:
    path = tmp_path / "scan.csv"
    path.write_text("address,mac\n192.0.2.1,52:54:00:00:00:01\n192.0.2.2,zz\n", encoding="utf-8")

    assert _error(path).startswith(f"{path}, line 3, mac: 'zz' is not a MAC address")


def test_read_observations_refuses_an_unknown_kind() -> None:
    assert _error(DATA / "seen.csv", kind="arp") == (
        f"{DATA / 'seen.csv'}: unknown kind 'arp': expected one of nmap, ip-neigh, csv"
    )


def test_read_observations_refuses_a_naive_seen_at() -> None:
    with pytest.raises(InvalidInputError, match="has no time zone"):
        read_observations(DATA / "seen.csv", seen_at=datetime(2024, 3, 4, 10, 0))


def test_read_observations_refuses_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.xml"

    assert _error(path) == f"{path}: cannot read the file: No such file or directory"


def test_read_observations_refuses_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "scan.csv"
    path.write_bytes(b"\xef\xbb\xbfaddress,hostname\n192.0.2.1,caf\xe9\n")

    assert _error(path) == f"{path}, line 2: not UTF-8 text (byte 33 is 0xe9)"


def test_read_observations_refuses_a_file_over_the_size_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"\n" * ((1 << 20) + 1))
    monkeypatch.setattr(files_module, "MAX_OBSERVATION_BYTES", 1 << 20)

    assert _error(path) == f"{path}: 1048577 bytes is more than the 1 MiB an observation file may hold"


def test_read_observations_reads_ip_neigh_of_both_families(tmp_path: Path) -> None:
    found = read_observations(_copy("ip-j-neigh.json", tmp_path))

    assert found[0] == seen(
        "192.168.122.1", mac="52:54:00:3a:1f:07", seen_at=_MODIFIED, source="ip-neigh", state="REACHABLE"
    )
    assert {item.address.version for item in found} == {4, 6}
