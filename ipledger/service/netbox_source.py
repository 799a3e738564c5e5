"""Reading a NetBox's IPAM objects: from its REST API (every page of VRFs, prefixes, IP ranges
and IP addresses) or from export files (the API's JSON, NetBox's JSON list export, or CSV).

The result is raw NetBox objects per kind, each with where it came from (``prefixes[3]``,
``prefixes.csv row 7``) so that the import can name the object at fault. Only the standard
library's ``urllib`` speaks HTTP here: the import needs nothing more.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipledger.core.errors import InvalidInputError

__all__ = ["KINDS", "NetBoxObjects", "read_netbox_api", "read_netbox_file"]

# NetBox's endpoint names, in the order an import applies them (containers before contents).
KINDS = ("vrfs", "prefixes", "ip-ranges", "ip-addresses")
_PAGE = 1000  # NetBox's MAX_PAGE_SIZE
_MAX_PAGES = 100_000  # a server whose `next` never ends must not keep the import running forever


@dataclass(frozen=True, slots=True)
class NetBoxObjects:
    """NetBox objects by endpoint name, each as ``(where, object)``."""

    by_kind: dict[str, list[tuple[str, dict[str, Any]]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )

    def add(self, kind: str, where: str, item: dict[str, Any]) -> None:
        self.by_kind[kind].append((where, item))


def _auth(token: str) -> str:
    # NetBox 4.5+ v2 tokens start with nbt_ and go as Bearer; v1 tokens (and ipledger's) as Token.
    return f"Bearer {token}" if token.startswith("nbt_") else f"Token {token}"


def _get(url: str, token: str, timeout: float) -> Any:
    request = urllib.request.Request(
        url, headers={"Authorization": _auth(token), "Accept": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read(500).decode("utf-8", "replace").strip()
        raise InvalidInputError(f"{url}: NetBox answered {exc.code} {exc.reason}: {detail}") from exc
    except urllib.error.URLError as exc:
        raise InvalidInputError(f"{url}: cannot reach NetBox ({exc.reason})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{url}: the answer is not JSON ({exc})") from exc
    except TimeoutError as exc:
        raise InvalidInputError(f"{url}: NetBox did not answer within {timeout:g} s") from exc
    except (OSError, http.client.HTTPException) as exc:
        raise InvalidInputError(f"{url}: the connection to NetBox failed ({exc})") from exc


def _pages(first: str, token: str, timeout: float) -> Iterator[tuple[str, list[Any]]]:
    url: str | None = first
    for _ in range(_MAX_PAGES):
        if url is None:
            return
        page = _get(url, token, timeout)
        if not isinstance(page, dict) or not isinstance(page.get("results"), list):
            raise InvalidInputError(f"{url}: expected NetBox's list answer with 'results'")
        yield url, page["results"]
        following = page.get("next")
        if following is not None and not isinstance(following, str):
            raise InvalidInputError(f"{url}: 'next' must be a URL or null")
        url = following
    raise InvalidInputError(f"{first}: more than {_MAX_PAGES} pages; stopping")


def read_netbox_api(url: str, token: str, *, timeout: float = 60.0) -> NetBoxObjects:
    """Every VRF, prefix, IP range and IP address of the NetBox at ``url`` (its root, with or
    without ``/api``), following each list's ``next`` links.

    Raises:
        InvalidInputError: NetBox is unreachable, refuses the token, or answers something else
            than its list format; the message names the URL.
    """
    root = url.rstrip("/")
    if not root.endswith("/api"):
        root += "/api"
    if urllib.parse.urlsplit(root).scheme not in ("http", "https"):
        raise InvalidInputError(f"{url}: the NetBox URL must start with http:// or https://")
    found = NetBoxObjects()
    for kind in KINDS:
        index = 0
        for _page_url, results in _pages(f"{root}/ipam/{kind}/?limit={_PAGE}", token, timeout):
            for item in results:
                if not isinstance(item, dict):
                    raise InvalidInputError(f"{kind}[{index}]: expected an object, not {item!r}")
                found.add(kind, f"{kind}[{index}] (id {item.get('id')})", item)
                index += 1
    return found


def read_netbox_file(path: Path) -> NetBoxObjects:
    """The objects of a NetBox export file: JSON (a list, a list answer with ``results``, or an
    object holding such lists under the endpoint names) or CSV (one kind per file, told by its
    columns).

    Raises:
        InvalidInputError: unreadable or malformed file, or objects of no known kind (naming the
            file and the object).
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read the file ({exc})") from exc
    found = NetBoxObjects()
    suffix = path.suffix.lower()
    if suffix == ".csv" or (suffix != ".json" and not text.lstrip().startswith(("[", "{"))):
        rows = _csv_rows(path, text)
        if rows:
            kind = _kind_of(f"{path} row 2", rows[0][1])
            for where, row in rows:
                found.add(kind, where, row)
        return found
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInputError(
            f"{path}: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc
    for kind, where, item in _json_objects(path, document):
        found.add(kind, where, item)
    return found


def _json_objects(path: Path, document: Any) -> Iterator[tuple[str, str, dict[str, Any]]]:
    if isinstance(document, dict) and isinstance(document.get("results"), list):
        document = document["results"]
    if isinstance(document, dict):
        unknown = sorted(set(document) - set(KINDS))
        if unknown:
            raise InvalidInputError(
                f"{path}: unknown section(s) {', '.join(unknown)}; known: {', '.join(KINDS)}"
            )
        for kind in KINDS:
            section = document.get(kind, [])
            if isinstance(section, dict) and isinstance(section.get("results"), list):
                section = section["results"]
            if not isinstance(section, list):
                raise InvalidInputError(f"{path}: {kind} must be a list of objects")
            for index, item in enumerate(section):
                where = f"{path} {kind}[{index}]"
                if not isinstance(item, dict):
                    raise InvalidInputError(f"{where}: expected an object, not {item!r}")
                yield kind, where, item
        return
    if not isinstance(document, list):
        raise InvalidInputError(f"{path}: expected a list of NetBox objects")
    for index, item in enumerate(document):
        where = f"{path} [{index}]"
        if not isinstance(item, dict):
            raise InvalidInputError(f"{where}: expected an object, not {item!r}")
        yield _kind_of(where, item), where, item


def _kind_of(where: str, item: dict[str, Any]) -> str:
    """Which NetBox object this is, from its key field."""
    if "prefix" in item:
        return "prefixes"
    if "start_address" in item:
        return "ip-ranges"
    if "address" in item:
        return "ip-addresses"
    if "name" in item and ("rd" in item or "enforce_unique" in item or "import_targets" in item):
        return "vrfs"
    raise InvalidInputError(
        f"{where}: not a NetBox VRF, prefix, IP range or IP address "
        "(expected a 'prefix', 'start_address', 'address' or 'name' and 'rd' field)"
    )


def _csv_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    """CSV rows keyed by NetBox's field names; the header may use the field names (bulk import
    format) or the column titles of NetBox's table export (``Prefix``, ``VRF``, ``Tenant``)."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise InvalidInputError(f"{path}: the CSV file is empty; the first row must name the columns")
    names = [_column(title) for title in header]
    rows = []
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(names):
            raise InvalidInputError(
                f"{path} row {number}: {len(cells)} cells, but the header names {len(names)}"
            )
        rows.append(
            (f"{path} row {number}", {name: cell.strip() for name, cell in zip(names, cells, strict=True)})
        )
    return rows


def _column(title: str) -> str:
    """NetBox's field name of a CSV column title (``IP Address`` -> ``address``, ``DNS Name`` -> ``dns_name``)."""
    key = title.strip().lower().replace(" ", "_")
    return {"ip_address": "address", "start_address": "start_address", "end_address": "end_address"}.get(
        key, key
    )
