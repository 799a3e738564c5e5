"""Reader of nmap's XML output (``nmap -sn -oX -``, or any scan's ``-oX``): the hosts found up.

Each ``<host>`` whose ``<status state="up">`` is one observation: its ``ipv4`` or ``ipv6``
``<address>``, the ``mac`` one beside it (present when the host answered on the local link), and a
``<hostname>`` (the PTR name, else the one the user typed). Hosts that are down are skipped, and so
are the ``<hosthint>`` elements that ``-v`` adds while scanning (they repeat hosts reported
later). With ``-Pn`` nmap marks every target up without asking it (reason ``user-set``): such a
host is seen only if something answered for it, a MAC address or a port found open, closed or
unfiltered (a SYN-ACK or a reset). A host's time is its ``endtime`` (else ``starttime``), which
port scans write; a ping scan writes neither, so its hosts take the scan's ``<runstats><finished
time>``, else the run's ``start``.

The XML is parsed with expat, which reports lines, and never fetches the external DTD. nmap's
output has a bare ``<!DOCTYPE nmaprun>`` and declares no entities, so any entity declaration is
refused outright: entities are how the "billion laughs" and external-entity attacks work.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from xml.parsers import expat

from ipledger.core.addresses import IPAddress, parse_address
from ipledger.core.errors import InvalidInputError
from ipledger.observe.seen import ObservationError, SeenAddress, check_text_size, merge_seen, parse_mac

__all__ = ["read_nmap_xml"]

_ADDRESS_TYPES = ("ipv4", "ipv6", "mac")
# Port states that only an answer from the host produces (a SYN-ACK, a reset); "filtered" and
# "open|filtered" are what silence looks like.
_ANSWERED_PORT_STATES = frozenset(("open", "closed", "unfiltered"))
# What <status reason> says when -Pn told nmap to take the host as up without probing it.
_ASSUMED_UP = "user-set"
# What expat says of a document cut short, as an interrupted nmap leaves its report.
_TRUNCATED = frozenset(
    expat.errors.codes[message]
    for message in (
        expat.errors.XML_ERROR_NO_ELEMENTS,
        expat.errors.XML_ERROR_UNCLOSED_TOKEN,
        expat.errors.XML_ERROR_PARTIAL_CHAR,
    )
)
_MAX_UNIX_TIME = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a datetime can hold
# The PTR name says what DNS calls the address; the "user" name is what was typed on the command line.
_HOSTNAME_PREFERENCE = ("PTR", "user")


@dataclass(slots=True)
class _Host:
    """A ``<host>`` element while it is read."""

    line: int
    time: datetime | None = None
    state: str | None = None
    assumed_up: bool = False
    answered: bool = False  # a port answered
    addresses: list[IPAddress] = field(default_factory=list)
    mac: str = ""
    hostnames: dict[str, str] = field(default_factory=dict)


def read_nmap_xml(text: str, *, path: str) -> list[SeenAddress]:
    """The addresses of the hosts an nmap XML report found up, one value per address.

    ``path`` names the input in messages. Both families; a host's MAC and host name when nmap
    gives them; ``state`` is ``up`` and ``source`` is ``nmap``.

    Raises:
        ObservationError: more than 256 MiB, not well-formed XML (a truncated report too), an
            entity declaration, a root other than ``<nmaprun>``, a host without status or IP
            address, or a malformed address, MAC or time (naming the line, the element and the
            attribute).
    """
    check_text_size(text, path=path)
    reader = _NmapReader(path)
    try:
        reader.parser.Parse(text, True)
    except expat.ExpatError as exc:
        hint = "; the report ends early: was the scan interrupted?" if exc.code in _TRUNCATED else ""
        raise ObservationError(
            f"not well-formed XML ({expat.ErrorString(exc.code)}, column {exc.offset + 1}){hint}",
            path=path,
            line=exc.lineno,
        ) from exc
    except UnicodeError as exc:  # text that cannot be UTF-8 (a lone surrogate) never came from a file
        raise ObservationError(f"not text an XML parser can read: {exc}", path=path) from exc
    scan_time = reader.finished if reader.finished is not None else reader.started
    return merge_seen(
        SeenAddress(
            address=address,
            mac=mac,
            hostname=hostname,
            seen_at=time if time is not None else scan_time,
            source="nmap",
            state="up",
        )
        for address, mac, hostname, time in reader.seen
    )


class _NmapReader:
    """Expat handlers that collect the hosts found up and the scan's times."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        # Every entity, internal or external, general or parameter, must be declared before it is
        # used, so refusing the declarations leaves nothing to expand and nothing to fetch.
        self.parser.EntityDeclHandler = self._entity
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.stack: list[str] = []
        self.host: _Host | None = None
        self.started: datetime | None = None
        self.finished: datetime | None = None
        self.seen: list[tuple[IPAddress, str, str, datetime | None]] = []

    def error(
        self, detail: str, *, line: int | None = None, element: str | None = None, field: str | None = None
    ) -> ObservationError:
        """An error placed at ``line``, by default the line the parser is on."""
        return ObservationError(
            detail,
            path=self.path,
            line=self.parser.CurrentLineNumber if line is None else line,
            element=element,
            field=field,
        )

    def _entity(self, name: str, *_: object) -> None:
        raise self.error(f"the entity declaration {name!r} is refused: nmap output declares no entities")

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        parent = self.stack[-1] if self.stack else None
        self.stack.append(name)
        if parent is None:
            self._root(name, attrs)
        elif name == "host" and parent == "nmaprun":
            self.host = _Host(self.parser.CurrentLineNumber)
            self.host.time = self._time(attrs, "endtime", "<host>")
            if self.host.time is None:
                self.host.time = self._time(attrs, "starttime", "<host>")
        elif name == "finished" and parent == "runstats":
            self.finished = self._time(attrs, "time", "<finished>")
        elif self.host is not None:
            self._inside_host(self.host, name, attrs)

    def _end(self, name: str) -> None:
        self.stack.pop()
        if name == "host" and self.host is not None and self.stack == ["nmaprun"]:
            self._finish_host(self.host)
            self.host = None

    def _root(self, name: str, attrs: dict[str, str]) -> None:
        if name != "nmaprun":
            raise self.error(f"the root element is <{name}>, not <nmaprun>: not nmap XML output")
        self.started = self._time(attrs, "start", "<nmaprun>")

    def _inside_host(self, host: _Host, name: str, attrs: dict[str, str]) -> None:
        parents = self.stack[-3:-1]
        if parents[-1] == "host" and name == "status":
            if not attrs.get("state"):
                raise self.error("no host state given", element="<status>", field="state")
            host.state = attrs["state"]
            host.assumed_up = attrs.get("reason") == _ASSUMED_UP
        elif parents[-1] == "host" and name == "address":
            kind = attrs.get("addrtype", "ipv4")  # the DTD's default
            if kind not in _ADDRESS_TYPES:
                raise self.error(
                    f"{kind!r}: expected one of {', '.join(_ADDRESS_TYPES)}",
                    element="<address>",
                    field="addrtype",
                )
            if kind == "mac":
                host.mac = self._mac(attrs.get("addr", ""))
            else:
                host.addresses.append(self._address(attrs.get("addr", "")))
        elif parents == ["host", "hostnames"] and name == "hostname":
            host.hostnames.setdefault(attrs.get("type", ""), attrs.get("name", "").strip())
        elif (parents, name) in ((["host", "ports"], "extraports"), (["ports", "port"], "state")):
            host.answered = host.answered or attrs.get("state") in _ANSWERED_PORT_STATES

    def _finish_host(self, host: _Host) -> None:
        if host.state is None:
            raise self.error("the host has no <status>", line=host.line, element="<host>")
        if not host.addresses:
            raise self.error("the host has no IPv4 or IPv6 <address>", line=host.line, element="<host>")
        if host.state != "up" or (host.assumed_up and not host.mac and not host.answered):
            return
        hostname = next(
            (host.hostnames[kind] for kind in _HOSTNAME_PREFERENCE if host.hostnames.get(kind)), ""
        )
        self.seen.extend((address, host.mac, hostname, host.time) for address in host.addresses)

    def _address(self, text: str) -> IPAddress:
        try:
            return parse_address(text)
        except InvalidInputError as exc:
            raise self.error(str(exc), element="<address>", field="addr") from exc

    def _mac(self, text: str) -> str:
        try:
            return parse_mac(text)
        except InvalidInputError as exc:
            raise self.error(str(exc), element='<address addrtype="mac">', field="addr") from exc

    def _time(self, attrs: dict[str, str], name: str, element: str) -> datetime | None:
        text = attrs.get(name)
        if text is None:
            return None
        if text.isascii() and text.isdigit() and len(text) <= 12 and int(text) <= _MAX_UNIX_TIME:
            return datetime.fromtimestamp(int(text), tz=UTC)
        raise self.error(
            f"{text!r} is not a Unix time (whole seconds since 1970)", element=element, field=name
        )
