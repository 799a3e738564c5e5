"""Fuzzing of the observation readers (issue 6): any text gives a list of sightings or a clear error.

The nmap XML, ``ip neigh`` and CSV readers each get arbitrary text and every file in ``data/``
damaged (characters changed, deleted, repeated or inserted, the file cut short, a word replaced
by a short token); every reader reads every damaged file, not only its own kind, since detection
can send any text to any reader. Each file is also read by its own reader with each of its words
in turn replaced by a token, long runs among them. The outcome must be a list of `SeenAddress` or
an `ObservationError` whose message starts with the path it was given; anything else is a crash.

Runs are derandomized, with no example database, so that CI sees the same inputs every time. The
test marked xfail pins the crashes it found; the damage test keeps its runs short (at most 256
characters) so that it cannot stumble on those crashes, which the token test covers, and stays green.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ipledger.observe.csvfile import read_seen_csv
from ipledger.observe.neigh import read_ip_neigh
from ipledger.observe.nmap import read_nmap_xml
from ipledger.observe.seen import ObservationError, SeenAddress

FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)
PATH = "scan.txt"
SEEN_AT = datetime(2024, 3, 4, 9, 40, tzinfo=UTC)
DATA = Path(__file__).resolve().parent / "data"
FILES = tuple(
    sorted(path.name for path in DATA.iterdir() if path.suffix in (".xml", ".txt", ".json", ".csv"))
)


def _neigh(text: str, *, path: str) -> list[SeenAddress]:
    return read_ip_neigh(text, path=path, seen_at=SEEN_AT)


READERS: dict[str, Callable[..., list[SeenAddress]]] = {
    "nmap": read_nmap_xml,
    "ip-neigh": _neigh,
    "csv": read_seen_csv,
}


def reader_of(name: str) -> str:
    return "nmap" if name.endswith(".xml") else "csv" if name.endswith(".csv") else "ip-neigh"


# The words of the three formats, right and wrong: addresses, MACs, times, states, columns,
# markup that nmap never writes (entities, CDATA), and the punctuation of XML, JSON and CSV.
_WORDS = (
    "192.0.2.1", "10.0.0.300", "fe80::1%eth0", "::", "52:54:00:3a:1f:07", "52:54:00:3A:1F", "5254.003a.1f07",
    "zz:zz:zz:zz:zz:zz", "REACHABLE", "STALE", "NOARP", "Reachable", "lladdr", "dev", "router", "up", "down",
    "user-set", "ipv4", "ipv6", "mac", "open", "filtered", "1709545202", "-1", "253402300800",
    "2024-03-04T09:12:07Z", "2024-02-30", "0001-01-01T00:00+01:00", "address", "ip", "mac_address",
    "seen_at", "host", "&amp;", "&#0;", "&x;", "<!ENTITY x 'y'>", "<![CDATA[", "]]>", "<!--", "-->", "<", ">",
    "/>", "\"", "'", ",", "\n", "\r\n", "[", "]", "{", "}", "null", "\x00", "\ufeff",
)  # fmt: skip
# Long runs (up to 5,000 copies, the longest drawn often) reach the limits of the machinery:
# Python refuses to convert decimal texts of more than 4,300 digits, and deep nesting exhausts the stack.
long_runs = st.builds(
    lambda piece, count: piece * count,
    st.sampled_from(["0", "9", "[", "{", "<a>", ",", '"']),
    st.integers(1, 5000) | st.just(5000),
)
short_tokens = st.sampled_from(_WORDS) | st.text("0123456789abcdef:.-<>&;#\"'[]{},", max_size=10)
tokens = short_tokens | long_runs

# A mutation is plain data, so that a failing example prints as something to paste into @example:
# ("truncate", at), ("replace", at, character), ("delete", at, length), ("insert", at, piece,
# count), ("repeat", at, count) of the character there and ("word", at, token) in place of the
# word there. Positions wrap around the text's length.
_positions = st.integers(0, 1 << 13)
_short_counts = st.integers(1, 256)
# Any character a file decoded as UTF-8 can hold: lone surrogates have a test of their own.
_characters = st.sampled_from("\x00\t\n\r \"'<>&;#/=,-:.[]{}0") | st.characters(exclude_categories=["Cs"])
mutations = st.lists(
    st.one_of(
        st.tuples(st.just("truncate"), _positions),
        st.tuples(st.just("replace"), _positions, _characters),
        st.tuples(st.just("delete"), _positions, st.integers(1, 32)),
        st.tuples(st.just("insert"), _positions, st.text(_characters, min_size=1, max_size=3), _short_counts),
        st.tuples(st.just("repeat"), _positions, _short_counts),
        st.tuples(st.just("word"), _positions, short_tokens),
    ),
    min_size=1,
    max_size=3,
)
_DELIMITERS = frozenset(" \t\r\n,:=\"'<>[]{}")


def _word_span(text: str, at: int) -> tuple[int, int]:
    """The span of the word (a run of characters that are not delimiters) at or after ``at``."""
    start = at
    while start < len(text) and text[start] in _DELIMITERS:
        start += 1
    end = start
    while end < len(text) and text[end] not in _DELIMITERS:
        end += 1
    return start, end


def word_spans(text: str) -> list[tuple[int, int]]:
    """The first span of each distinct word of ``text`` outside XML comments."""
    comments = [(match.start(), match.end()) for match in re.finditer(r"<!--.*?-->", text, re.DOTALL)]
    spans: dict[str, tuple[int, int]] = {}
    at = 0
    while (span := _word_span(text, at))[0] < len(text):
        if not any(start <= span[0] < end for start, end in comments):
            spans.setdefault(text[span[0] : span[1]], span)
        at = span[1]
    return list(spans.values())


def mutated(text: str, changes: list[tuple[Any, ...]]) -> str:
    for name, position, *args in changes:
        at = position % (len(text) + 1)
        if name == "truncate":
            text = text[:at]
        elif name == "replace":
            text = text[:at] + args[0] + text[at + 1 :]
        elif name == "delete":
            text = text[:at] + text[at + args[0] :]
        elif name == "insert":
            text = text[:at] + args[0] * args[1] + text[at:]
        elif name == "repeat":
            text = text[:at] + text[at : at + 1] * args[0] + text[at:]
        else:
            start, end = _word_span(text, at)
            text = text[:start] + args[0] + text[end:]
    return text


def _data_text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def check_reader(kind: str, text: str) -> None:
    try:
        seen = READERS[kind](text, path=PATH)
    except ObservationError as error:
        assert error.path == PATH
        assert str(error).startswith(PATH), f"{error} does not start with {PATH!r}"
        assert error.detail, "an empty message"
        return
    assert isinstance(seen, list)
    assert all(isinstance(item, SeenAddress) for item in seen)


def test_observation_readers_fuzz_data_is_read_whole() -> None:
    # The damage starts from these files: a kind without a file, or a file its reader refuses as it
    # is, would fuzz nothing.
    assert {reader_of(name) for name in FILES} == set(READERS)
    for name in FILES:
        assert READERS[reader_of(name)](_data_text(name), path=PATH)


@FUZZ
@given(st.sampled_from(sorted(READERS)), st.text(max_size=200))
def test_observation_readers_fuzz_arbitrary_text(kind: str, text: str) -> None:
    check_reader(kind, text)


@pytest.mark.parametrize("kind", sorted(READERS))
@FUZZ
@given(st.sampled_from(FILES), mutations)
def test_observation_readers_fuzz_mutated_data(kind: str, name: str, changes: list[tuple[Any, ...]]) -> None:
    check_reader(kind, mutated(_data_text(name), changes))


@settings(FUZZ, max_examples=150)
@given(st.sampled_from(FILES), tokens)
@example("nmap-6-sn.xml", "0" * 4301)  # (1) found by this test (as "0" * 5000; 4,301 digits suffice)
@example("ip-j-neigh.json", "9" * 4301)  # (2) found by this test likewise
@example("ip-j-neigh.json", "[" * 5000)  # (2) found by this test with the nmap crash filtered out
def test_observation_readers_fuzz_each_word_of_data(name: str, token: str) -> None:
    text = _data_text(name)
    for start, end in word_spans(text):
        check_reader(reader_of(name), text[:start] + token + text[end:])


@FUZZ
@given(
    st.sampled_from(sorted(READERS)),
    st.text(st.characters(categories=["Cs"]) | st.sampled_from("<a>1 ,"), max_size=20),
)
@example("nmap", "\ud800")  # found by this test, and by the damage test under other seeds
def test_observation_readers_fuzz_text_with_lone_surrogates(kind: str, text: str) -> None:
    check_reader(kind, text)
