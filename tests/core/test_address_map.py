"""The address map against an oracle that walks every address with Python's ``ipaddress``."""

from __future__ import annotations

import ipaddress
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from ipledger.core.address_map import MAX_CELLS, CellState, Occupant, map_prefix
from ipledger.core.ipset import IPSet
from ipledger.core.ranges import IPRange
from tests.core.strategies import PROPERTY


@st.composite
def maps(draw: st.DrawFn) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, IPSet, list[Occupant]]:
    """A prefix of 2 to 1,024 addresses (IPv4 or IPv6) with random free spans and children."""
    version = draw(st.sampled_from((4, 6)))
    bits = 32 if version == 4 else 128
    host_bits = draw(st.integers(1, 10))
    base = draw(st.integers(0, (1 << (bits - host_bits)) - 1)) << host_bits
    network = (
        ipaddress.ip_network((base, bits - host_bits))
        if version == 4
        else ipaddress.IPv6Network((base, bits - host_bits))
    )
    size = 1 << host_bits
    offsets = sorted(draw(st.lists(st.integers(0, size - 1), max_size=8, unique=True)))
    free = IPSet.of(
        version,
        [
            IPRange(version, base + first, base + min(size - 1, first + draw(st.integers(0, 40))))
            for first in offsets
        ],
    )
    children = []
    if host_bits >= 3 and draw(st.booleans()):
        child_bits = draw(st.integers(0, host_bits - 1))
        index = draw(st.integers(0, (1 << (host_bits - child_bits)) - 1))
        first = base + (index << child_bits)
        children.append(Occupant(IPRange(version, first, first + (1 << child_bits) - 1), "child"))
    return network, free, children


@given(maps())
@PROPERTY
def test_address_map_cells_tile_the_prefix_and_count_what_is_taken(
    case: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, IPSet, list[Occupant]],
) -> None:
    network, free, children = case
    cells = map_prefix(network, free=free, children=children)

    assert len(cells) == min(network.num_addresses, MAX_CELLS)
    assert cells[0].span.first == int(network.network_address)
    assert cells[-1].span.last == int(network.broadcast_address)
    for before, after in pairwise(cells):
        assert after.span.first == before.span.last + 1
    free_values = {value for span in free for value in range(span.first, span.last + 1)}
    for cell in cells:
        addresses = range(cell.span.first, cell.span.last + 1)
        assert cell.taken == sum(1 for value in addresses if value not in free_values)
        inside_child = any(child.span.contains(cell.span) for child in children)
        if inside_child:
            assert cell.state is CellState.CHILD
        elif cell.size == 1:
            assert cell.state is (CellState.FREE if cell.taken == 0 else CellState.RESERVED)
        else:
            expected = (
                CellState.FREE
                if cell.taken == 0
                else CellState.FULL
                if cell.taken == cell.size
                else CellState.PARTLY
            )
            assert cell.state is expected


def test_address_map_a_small_prefix_shows_each_holder() -> None:
    network = ipaddress.ip_network("192.0.2.0/29")
    free = IPSet.of(4, [IPRange(4, int(network[3]), int(network[6]))])
    held = {int(network[1]): Occupant(IPRange(4, int(network[1]), int(network[1])), "vm web-01", "vm")}

    cells = map_prefix(network, free=free, addresses=held)

    assert [cell.state for cell in cells] == [
        CellState.RESERVED,
        CellState.HELD,
        CellState.RESERVED,
        *[CellState.FREE] * 4,
        CellState.RESERVED,
    ]
    assert cells[1].label == "192.0.2.1: vm web-01" and cells[1].kind == "vm"


def test_address_map_a_large_prefix_gets_256_sub_blocks_named_as_cidrs() -> None:
    network = ipaddress.ip_network("10.0.0.0/8")
    free = IPSet.of(4, [IPRange(4, int(network[1 << 16]), int(network.broadcast_address))])
    child = Occupant(IPRange.from_network(ipaddress.ip_network("10.255.0.0/16")), "10.255.0.0/16")

    cells = map_prefix(network, free=free, children=[child])

    assert len(cells) == 256 and cells[0].size == 1 << 16
    assert cells[0].state is CellState.FULL and cells[0].label.startswith("10.0.0.0/16: 65536 of 65536")
    assert cells[1].state is CellState.FREE
    assert cells[-1].state is CellState.CHILD and cells[-1].label == "10.255.0.0/16: in 10.255.0.0/16"


def test_address_map_of_an_ipv6_prefix_names_ipv6_blocks() -> None:
    network = ipaddress.ip_network("2001:db8::/120")

    cells = map_prefix(network, free=IPSet.of(6, [IPRange.from_network(network)]))

    assert len(cells) == 256
    assert cells[0].label == "2001:db8::: free"
    assert all(cell.state is CellState.FREE for cell in cells)
