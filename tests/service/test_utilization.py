"""Utilization counters and free space: exact after each write, and equal to a from-scratch recount.

The last test drives the service with seeded random sequences of writes on small prefixes and,
after each one, recounts every prefix and range with plain Python sets (and with the core's
``measure_prefixes``) and compares the result with the stored counters and free blocks.
"""

from __future__ import annotations

import ipaddress
import random
from collections.abc import Callable

import pytest
from sqlalchemy import select

from ipledger.core.addresses import network_from_ints
from ipledger.core.allocation import FitPolicy
from ipledger.core.errors import LedgerError
from ipledger.core.ranges import IPRange
from ipledger.core.thresholds import Level, Thresholds
from ipledger.core.utilization import Usage
from ipledger.service.addresses import delete_address
from ipledger.service.allocation import allocate_addresses, allocate_prefixes
from ipledger.service.ledger import Ledger
from ipledger.service.prefixes import delete_prefix, update_prefix
from ipledger.service.ranges import delete_range, list_ranges
from ipledger.service.reports import group_usage, utilization_report
from ipledger.service.spaces import create_space
from ipledger.store.models import Space
from tests.service.factories import (
    ACTOR,
    add_address,
    add_group,
    add_prefix,
    add_range,
    ip,
    net,
    prefix_of,
    span,
    usage_of,
)
from tests.service.recount import Item, Stored, check_against_recount, load_state


def test_utilization_used_counts_address_in_range_once(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_range(ledger, "10.0.0.10-10.0.0.19")
    add_address(ledger, "10.0.0.15")
    add_address(ledger, "10.0.0.30")

    assert usage_of(ledger, "10.0.0.0/24").used == 11
    assert list_ranges(ledger)[0].used == 1


def test_utilization_covered_counts_direct_children_only(ledger: Ledger) -> None:
    for cidr in ["10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/24", "10.0.128.0/24"]:
        add_prefix(ledger, cidr)

    assert usage_of(ledger, "10.0.0.0/16").covered == 4096 + 256
    assert usage_of(ledger, "10.0.0.0/20").covered == 256


def test_utilization_nested_addresses_count_in_every_parent(ledger: Ledger) -> None:
    for cidr in ["10.0.0.0/16", "10.0.0.0/24"]:
        add_prefix(ledger, cidr)
    add_address(ledger, "10.0.0.1")
    add_address(ledger, "10.0.1.1")

    assert (usage_of(ledger, "10.0.0.0/16").used, usage_of(ledger, "10.0.0.0/24").used) == (2, 1)


_UNIT_STEPS: list[tuple[str, Callable[[Ledger], object], int]] = [
    (
        "two-in-one-64",
        lambda ledger: (add_address(ledger, "2001:db8::1"), add_address(ledger, "2001:db8::2")),
        1,
    ),
    ("second-64", lambda ledger: add_address(ledger, "2001:db8:0:1::5"), 2),
    ("range-over-two-64s", lambda ledger: add_range(ledger, "2001:db8:0:2::ffff-2001:db8:0:3::10"), 4),
    ("range-in-used-64", lambda ledger: add_range(ledger, "2001:db8::100-2001:db8::1ff"), 4),
    ("address-in-range", lambda ledger: add_address(ledger, "2001:db8:0:3::5"), 4),
    ("delete-address", lambda ledger: delete_address(ledger, ip("2001:db8:0:1::5"), actor=ACTOR), 3),
    (
        "delete-range-keeps-address-64",
        lambda ledger: delete_range(ledger, span("2001:db8:0:2::ffff-2001:db8:0:3::10"), actor=ACTOR),
        2,
    ),
]


@pytest.mark.parametrize("upto", range(len(_UNIT_STEPS)), ids=[name for name, _, _ in _UNIT_STEPS])
def test_utilization_ipv6_units_count_touched_64s(ledger: Ledger, upto: int) -> None:
    add_prefix(ledger, "2001:db8::/56")
    add_prefix(ledger, "2001:db8::/64")

    for _, step, _ in _UNIT_STEPS[: upto + 1]:
        step(ledger)

    usage = usage_of(ledger, "2001:db8::/56")
    assert (usage.units_total, usage.units_used) == (256, _UNIT_STEPS[upto][2])


def test_utilization_ipv6_prefix_smaller_than_unit_is_one_unit(ledger: Ledger) -> None:
    add_prefix(ledger, "2001:db8::/120")
    assert (
        usage_of(ledger, "2001:db8::/120").units_total,
        usage_of(ledger, "2001:db8::/120").units_used,
    ) == (1, 0)

    add_address(ledger, "2001:db8::7")

    assert usage_of(ledger, "2001:db8::/120").units_used == 1


@pytest.mark.parametrize(
    ("thresholds", "taken", "level"),
    [
        (Thresholds(50, 75, 100), 31, Level.OK),
        (Thresholds(50, 75, 100), 32, Level.WARNING),
        (Thresholds(50, 75, 100), 47, Level.WARNING),
        (Thresholds(50, 75, 100), 48, Level.CRITICAL),
        (Thresholds(50, 75, 100), 63, Level.CRITICAL),
        (Thresholds(50, 75, 100), 64, Level.EMERGENCY),
        (Thresholds(), 44, Level.OK),
        (Thresholds(), 45, Level.WARNING),
        (Thresholds(), 55, Level.CRITICAL),
        (Thresholds(), 61, Level.EMERGENCY),
    ],
    ids=["below-warning", "at-warning", "below-critical", "at-critical", "below-emergency", "at-emergency",
         "default-ok", "default-warning", "default-critical", "default-emergency"],
)  # fmt: skip
def test_utilization_level_changes_at_thresholds(
    ledger: Ledger, thresholds: Thresholds, taken: int, level: Level
) -> None:
    add_prefix(ledger, "10.0.0.0/26", is_pool=True, thresholds=thresholds)

    add_range(ledger, f"10.0.0.0-10.0.0.{taken - 1}")

    record = prefix_of(ledger, "10.0.0.0/26")
    assert (record.usage.used, record.usage.percent, record.level) == (
        taken,
        pytest.approx(taken / 64 * 100),
        level,
    )


def test_utilization_level_counts_coverage(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/24")
    add_prefix(ledger, "10.0.0.0/25")
    add_prefix(ledger, "10.0.0.128/26")

    record = prefix_of(ledger, "10.0.0.0/24")

    assert (record.usage.percent, record.level) == (75.0, Level.WARNING)


def test_utilization_level_falls_after_deletes(ledger: Ledger) -> None:
    add_prefix(ledger, "10.0.0.0/29")
    for text in ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"]:
        add_address(ledger, text)
    assert prefix_of(ledger, "10.0.0.0/29").level == Level.EMERGENCY

    for text in ["10.0.0.6", "10.0.0.5", "10.0.0.4"]:
        delete_address(ledger, ip(text), actor=ACTOR)

    record = prefix_of(ledger, "10.0.0.0/29")
    assert (record.usage.used, record.level) == (3, Level.OK)


def test_utilization_counters_right_after_deletes(ledger: Ledger) -> None:
    for cidr in ["10.0.0.0/16", "10.0.0.0/20", "10.0.1.0/24"]:
        add_prefix(ledger, cidr)
    add_range(ledger, "10.0.1.10-10.0.1.19")
    add_address(ledger, "10.0.1.12")
    add_address(ledger, "10.0.1.40")
    add_address(ledger, "10.0.2.1")

    delete_prefix(ledger, net("10.0.0.0/20"), actor=ACTOR)
    delete_range(ledger, span("10.0.1.10-10.0.1.19"), actor=ACTOR)

    assert usage_of(ledger, "10.0.0.0/16") == Usage(65536, 65534, used=3, covered=256)
    assert usage_of(ledger, "10.0.1.0/24") == Usage(256, 254, used=2, covered=0)


_ROOTS = [
    ("global", "10.0.0.0/24", {}),
    ("global", "10.0.1.0/25", {"is_pool": True}),
    ("global", "2001:db8::/120", {"unit_prefixlen": 124}),
    ("lab", "10.0.0.0/24", {}),
]
_WRAPPERS = [("global", "10.0.0.0/23"), ("lab", "10.0.0.0/22")]


class _Driver:
    """Draws one write at a time from a seeded generator, within the roots, never deleting a root."""

    def __init__(self, ledger: Ledger, seed: int) -> None:
        self.ledger = ledger
        self.rng = random.Random(seed)
        self.spaces: dict[int, str] = {}
        self.roots: list[tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]] = []

    def setup(self) -> None:
        create_space(self.ledger, "lab", actor=ACTOR)
        for space, cidr, options in _ROOTS:
            add_prefix(self.ledger, cidr, space=space, **options)
            self.roots.append((space, net(cidr)))
        with self.ledger.reading() as session:
            self.spaces = {row.id: row.name for row in session.scalars(select(Space))}

    def step(self, state: Stored) -> str:
        actions = [self._create_prefix, self._create_range, self._create_address, self._allocate_addresses,
                   self._allocate_prefixes, self._delete_prefix, self._delete_range, self._delete_address,
                   self._update_prefix]  # fmt: skip
        action = self.rng.choices(actions, weights=[4, 3, 5, 3, 2, 2, 2, 3, 1])[0]
        return action(state)

    def _root(self) -> tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return self.rng.choice(self.roots)

    def _subnet(self, state: Stored) -> tuple[str, ipaddress.IPv4Network | ipaddress.IPv6Network]:
        space, root = self._root()
        bits = root.max_prefixlen
        length = self.rng.randint(root.prefixlen + 1, min(root.prefixlen + 6, bits))
        first = self._near(state, space, root)
        first &= ~((1 << (bits - length)) - 1)
        return space, network_from_ints(first, length, version=root.version)

    def _span(self, state: Stored) -> tuple[str, IPRange]:
        space, root = self._root()
        first = self._near(state, space, root)
        last = min(first + self.rng.randint(0, 11), int(root.broadcast_address))
        return space, IPRange(root.version, first, last)

    def _near(self, state: Stored, space: str, root: ipaddress.IPv4Network | ipaddress.IPv6Network) -> int:
        """An address of ``root``: often next to an edge of something recorded, so that writes collide."""
        low, high = int(root.network_address), int(root.broadcast_address)
        edges = [
            edge + self.rng.randint(-2, 2)
            for item in [*state.prefixes, *state.ranges, *state.addresses]
            if self.spaces[item.space_id] == space and item.family == root.version
            for edge in (item.first, item.last)
        ]
        edges = [edge for edge in edges if low <= edge <= high]
        if edges and self.rng.random() < 0.6:
            return self.rng.choice(edges)
        return low + self.rng.randrange(root.num_addresses)

    def _existing(self, items: list[Item], *, skip_roots: bool = False) -> Item | None:
        roots = {(space, str(root)) for space, root in self.roots}
        choices = [
            item
            for item in items
            if not (skip_roots and (self.spaces[item.space_id], str(self._network(item))) in roots)
        ]
        return self.rng.choice(choices) if choices else None

    @staticmethod
    def _network(item: Item) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
        return network_from_ints(item.first, item.prefixlen, version=item.family)

    def _create_prefix(self, state: Stored) -> str:
        if self.rng.random() < 0.1:
            space, cidr = self.rng.choice(_WRAPPERS)
            add_prefix(self.ledger, cidr, space=space)
            return f"create prefix {cidr} in {space}"
        space, network = self._subnet(state)
        is_pool = self.rng.random() < 0.2
        add_prefix(self.ledger, str(network), space=space, is_pool=is_pool)
        return f"create prefix {network} in {space} (pool {is_pool})"

    def _create_range(self, state: Stored) -> str:
        space, item = self._span(state)
        add_range(self.ledger, f"{item.first_address}-{item.last_address}", space=space)
        return f"create range {item} in {space}"

    def _create_address(self, state: Stored) -> str:
        space, item = self._span(state)
        add_address(self.ledger, str(item.first_address), space=space)
        return f"create address {item.first_address} in {space}"

    def _allocate_addresses(self, state: Stored) -> str:
        count = self.rng.randint(1, 3)
        use_range = state.ranges and self.rng.random() < 0.4
        item = self._existing(state.ranges if use_range else state.prefixes)
        assert item is not None
        space = self.spaces[item.space_id]
        parent = IPRange(item.family, item.first, item.last) if use_range else self._network(item)
        allocate_addresses(self.ledger, parent, actor=ACTOR, space=space, count=count)
        return f"allocate {count} address(es) in {parent} in {space}"

    def _allocate_prefixes(self, state: Stored) -> str:
        item = self._existing(state.prefixes)
        assert item is not None
        parent, space = self._network(item), self.spaces[item.space_id]
        if parent.prefixlen == parent.max_prefixlen:
            return f"nothing to allocate in {parent}"
        prefixlen = self.rng.randint(parent.prefixlen + 1, min(parent.prefixlen + 3, parent.max_prefixlen))
        count, policy = self.rng.randint(1, 2), self.rng.choice(list(FitPolicy))
        allocate_prefixes(
            self.ledger, parent, actor=ACTOR, space=space, prefixlen=prefixlen, count=count, policy=policy
        )
        return f"allocate {count} /{prefixlen} {policy} in {parent} in {space}"

    def _delete_prefix(self, state: Stored) -> str:
        item = self._existing(state.prefixes, skip_roots=True)
        if item is None:
            return "no prefix to delete"
        delete_prefix(self.ledger, self._network(item), actor=ACTOR, space=self.spaces[item.space_id])
        return f"delete prefix {self._network(item)} in {self.spaces[item.space_id]}"

    def _delete_range(self, state: Stored) -> str:
        item = self._existing(state.ranges)
        if item is None:
            return "no range to delete"
        target = IPRange(item.family, item.first, item.last)
        delete_range(self.ledger, target, actor=ACTOR, space=self.spaces[item.space_id])
        return f"delete range {target} in {self.spaces[item.space_id]}"

    def _delete_address(self, state: Stored) -> str:
        item = self._existing(state.addresses)
        if item is None:
            return "no address to delete"
        address = IPRange(item.family, item.first, item.last).first_address
        delete_address(self.ledger, address, actor=ACTOR, space=self.spaces[item.space_id])
        return f"delete address {address} in {self.spaces[item.space_id]}"

    def _update_prefix(self, state: Stored) -> str:
        item = self._existing(state.prefixes)
        assert item is not None
        network, space = self._network(item), self.spaces[item.space_id]
        changes: dict[str, object] = {"is_pool": not item.is_pool}
        if item.family == 6 and self.rng.random() < 0.5:
            changes = {"unit_prefixlen": self.rng.randint(118, 128)}
        update_prefix(self.ledger, network, actor=ACTOR, space=space, changes=changes)
        return f"update prefix {network} in {space}: {changes}"


@pytest.mark.parametrize("seed", range(3))
def test_utilization_matches_recount_after_random_writes(ledger: Ledger, seed: int) -> None:
    driver = _Driver(ledger, seed)
    driver.setup()
    state = check_against_recount(ledger, "after setup")
    history: list[str] = []
    for _ in range(60):
        try:
            history.append(driver.step(state))
        except LedgerError as exc:
            history.append(f"refused: {exc}")
            assert load_state(ledger) == state, "\n".join(history)
        state = check_against_recount(ledger, "\n".join(history))


def test_group_usage_rolls_up_each_group_once_and_matches_the_full_report(ledger: Ledger) -> None:
    add_group(ledger, "dc/fra1")
    add_group(ledger, "dc/ams1")
    add_prefix(ledger, "10.0.0.0/24", group="dc/fra1")
    add_prefix(ledger, "10.0.0.0/25", group="dc/fra1")  # nested in the same group: counted once
    add_prefix(ledger, "10.1.0.0/24", group="dc/ams1")
    add_prefix(ledger, "10.9.0.0/24")  # no group
    for host in range(1, 11):
        add_address(ledger, f"10.0.0.{host}")
    add_address(ledger, "10.1.0.1")

    rolled = {item.path: item for item in group_usage(ledger)}

    assert rolled == {item.path: item for item in utilization_report(ledger).groups}
    assert rolled["dc/fra1"].prefixes == 2 and rolled["dc/fra1"].usage.usable == 254
    # The /24 counts its ten addresses and the /25 inside it (covered), never the /25 again.
    assert (rolled["dc/fra1"].usage.used, rolled["dc/fra1"].usage.covered) == (10, 128)
    assert rolled["dc"].prefixes == 3 and rolled["dc"].usage.usable == 508
    assert (rolled["dc"].usage.used, rolled["dc"].usage.covered) == (11, 128)
