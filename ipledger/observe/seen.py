"""The value every observation reader returns, the error they raise, and what they share.

A `SeenAddress` is one address seen in use outside Kubernetes (by an nmap ping scan, in a
neighbour table, in a spreadsheet), with what was seen alongside it: the MAC address, a host
name, when, by which source, and the source's own word for the state. Readers return at most one
value per address: `merge_seen` folds repeats into one, keeping the latest time and the non-empty
MAC and host name. An `ObservationError` names the file, the line (or the element or entry) and
the field at fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from ipledger.core.addresses import IPAddress
from ipledger.core.errors import InvalidInputError
from ipledger.core.mac import parse_mac

__all__ = [
    "MAX_OBSERVATION_BYTES",
    "ObservationError",
    "SeenAddress",
    "check_text_size",
    "merge_seen",
    "parse_mac",
]

# A ping scan of a /16 with every host listed is a few tens of MiB; far beyond that is not a scan.
MAX_OBSERVATION_BYTES = 256 << 20


@dataclass(frozen=True, slots=True)
class SeenAddress:
    """One address seen in use; ``mac`` and ``hostname`` are "" when unknown.

    ``mac`` is six lower-case pairs joined by colons; ``seen_at`` is timezone-aware UTC, or None
    when the source does not say; ``source`` is ``nmap``, ``ip-neigh`` or ``csv``; ``state`` is the
    source's word (nmap's ``up``, a neighbour state such as ``REACHABLE``), "" when it has none.
    """

    address: IPAddress
    mac: str = ""
    hostname: str = ""
    seen_at: datetime | None = None
    source: str = ""
    state: str = ""


class ObservationError(InvalidInputError):
    """An observation file that cannot be read as given.

    The message names the file, then the line and the element or entry where known, then the
    field: ``scan.csv, line 7, mac: 'zz' is not a MAC address (expected e.g. 52:54:00:12:34:56)``.
    """

    def __init__(
        self,
        detail: str,
        *,
        path: str,
        line: int | None = None,
        element: str | None = None,
        field: str | None = None,
    ) -> None:
        place = [path]
        place += [f"line {line}"] if line is not None else []
        place += [element] if element else []
        place += [field] if field else []
        super().__init__(f"{', '.join(place)}: {detail}", field=field)
        self.path = path
        self.line = line
        self.element = element
        self.detail = detail


def check_text_size(text: str, *, path: str) -> None:
    """Refuse text longer than `MAX_OBSERVATION_BYTES` characters, before any parsing starts.

    Raises:
        ObservationError: the text is over the limit.
    """
    if len(text) > MAX_OBSERVATION_BYTES:
        raise ObservationError(
            f"{len(text)} characters is more than the {MAX_OBSERVATION_BYTES >> 20} MiB an observation "
            "file may hold; split it",
            path=path,
        )


def merge_seen(seen: Iterable[SeenAddress]) -> list[SeenAddress]:
    """One value per address, sorted by family and then address.

    Of the values of one address the latest ``seen_at`` wins (a time beats None; on a tie the
    later one in ``seen``), keeping the other's MAC and host name where its own are "".
    """
    merged: dict[IPAddress, SeenAddress] = {}
    for item in seen:
        earlier = merged.get(item.address)
        merged[item.address] = item if earlier is None else _merge_pair(earlier, item)
    return sorted(merged.values(), key=lambda item: (item.address.version, int(item.address)))


def _merge_pair(earlier: SeenAddress, later: SeenAddress) -> SeenAddress:
    if _is_older(later.seen_at, earlier.seen_at):
        earlier, later = later, earlier
    return replace(later, mac=later.mac or earlier.mac, hostname=later.hostname or earlier.hostname)


def _is_older(first: datetime | None, second: datetime | None) -> bool:
    if first is None:
        return second is not None
    return second is not None and first < second
