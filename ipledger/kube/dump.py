"""Reading a cluster's objects, from dump files or from an API listing, into one `Snapshot`.

`read_dump` takes what ``kubectl get ... -o json`` or ``-o yaml`` prints (a v1 ``List`` with
``items``, a typed list such as ``PodList``, or single objects; YAML streams of ``---``
documents; JSON documents written one after another) or a directory of such files, read
recursively in sorted order (``*.json``, ``*.yaml``, ``*.yml``). `snapshot_from_objects` takes
(source, object) pairs and is what both the file reader and the live API reader feed.

Kinds are told apart by API group and kind; each known one is read by `k8s_objects` or
`cni_objects`, anything else becomes a `Skipped` entry. A value the readers need that is
malformed, a file that is not JSON or YAML, or a truncated one is a `DumpError` naming the file,
the object and the field; nothing is returned half-read. JSON goes through the standard
library's C decoder and YAML through libyaml where installed: the bench syncs 150,000 pods.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from ipledger.core.observations import Skipped, Snapshot
from ipledger.kube.cni_objects import CNI_READERS
from ipledger.kube.k8s_objects import CORE_READERS
from ipledger.kube.kubeobject import DumpError, KubeObject, Reader, describe

__all__ = ["MAX_DUMP_BYTES", "DumpError", "read_dump", "snapshot_field", "snapshot_from_objects"]

MAX_DUMP_BYTES = 512 << 20
_SUFFIXES = (".json", ".yaml", ".yml")
_SPACE = re.compile(r"\s*")
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
READERS: dict[tuple[str, str], Reader] = {**CORE_READERS, **CNI_READERS}

# (source, object, kind and apiVersion to assume when the object names none)
_Entry = tuple[str, Any, str, str]


def read_dump(path: Path, *, taken_at: datetime) -> Snapshot:
    """The objects of a dump file, or of every dump file under a directory, as one snapshot.

    Raises:
        DumpError: the path is missing or holds no dump file; a file is unreadable, larger than
            512 MiB, not UTF-8, not valid JSON or YAML, or truncated; an object is malformed
            where a reader needs it (the message names file, object and field).
    """
    with _collection_paused():
        return _build(_file_entries(path), taken_at=taken_at)


def snapshot_from_objects(objects: Iterable[tuple[str, dict[str, Any]]], *, taken_at: datetime) -> Snapshot:
    """The snapshot of already decoded objects; each pair's source (a file and position, or an
    API path) names the object in messages and in `Skipped`. Lists among them are expanded; the
    objects are not changed.

    Raises:
        DumpError: an object is not a mapping or is malformed where a reader needs it.
    """
    with _collection_paused():
        return _build(
            (entry for source, raw in objects for entry in _expand(source, raw, release=False)),
            taken_at=taken_at,
        )


@contextmanager
def _collection_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a dump is read.

    Decoding and reading a 150,000-pod dump makes millions of containers, none of them in a
    cycle, and each few thousand of them would trigger a collection that walks all the others:
    measured, that makes the read three times slower. Reference counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build(entries: Iterable[_Entry], *, taken_at: datetime) -> Snapshot:
    found: dict[str, list[Any]] = {}
    notes: list[Skipped] = []
    # A dump holds few distinct (apiVersion, kind) pairs: look each up once, not once per pod.
    readers: dict[tuple[str, str], tuple[Reader, list[Any]] | None] = {}
    for source, raw, default_kind, default_api in entries:
        if type(raw) is not dict:
            raise DumpError(f"expected a Kubernetes object (a mapping), got {describe(raw)}", source=source)
        kind = raw.get("kind", default_kind) or ""
        api = raw.get("apiVersion", default_api) or ""
        try:
            known = readers[api, kind]
        except KeyError:
            known = readers[api, kind] = _reader_for(source, api, kind, found)
        except TypeError:  # a kind or apiVersion that is a list or a mapping
            known = _reader_for(source, api, kind, found)
        if known is None:
            notes.append(_skipped(source, raw, kind, api))
            continue
        reader, values = known
        values.append(reader.read(KubeObject(source, raw, kind, notes, api_version=api)))
    fields: dict[str, Any] = {name: tuple(values) for name, values in found.items()}
    return Snapshot(taken_at=taken_at, skipped=tuple(notes), listed=frozenset(found), **fields)


def snapshot_field(api_version: str, kind: str) -> str | None:
    """The `Snapshot` field that objects of ``kind`` under ``api_version`` go to, or None when
    they are not read."""
    group, _, version = api_version.rpartition("/")
    reader = READERS.get((group, kind))
    return reader.field if reader is not None and version in reader.versions else None


def _reader_for(
    source: str, api: object, kind: object, found: dict[str, list[Any]]
) -> tuple[Reader, list[Any]] | None:
    """The reader of objects of ``kind`` and ``api`` with the list its values go to, or None."""
    if type(kind) is not str or type(api) is not str:
        field, value = ("kind", kind) if type(kind) is not str else ("apiVersion", api)
        raise DumpError(f"expected a string, got {describe(value)}", source=source, field=field)
    group, _, version = api.rpartition("/")
    reader = READERS.get((group, kind))
    if reader is None or version not in reader.versions:
        return None
    return reader, found.setdefault(reader.field, [])


def _skipped(source: str, raw: dict[str, Any], kind: str, api: str) -> Skipped:
    metadata = raw.get("metadata")
    fields = metadata if type(metadata) is dict else {}
    name, namespace = (
        value if type(value := fields.get(key)) is str else "" for key in ("name", "namespace")
    )
    group = api.rpartition("/")[0]
    reader = READERS.get((group, kind))
    if not kind:
        reason = "no kind: not a Kubernetes object"
    elif reader is None:
        reason = f"{kind} ({api or 'no apiVersion'}) holds nothing ipledger reads"
    else:
        versions = ", ".join(f"{group}/{known}" if group else known for known in sorted(reader.versions))
        reason = f"{kind} of apiVersion {api or '(none)'} is not read: ipledger reads {versions}"
    return Skipped(source, kind, f"{namespace}/{name}" if namespace else name, reason)


def _expand(source: str, raw: Any, *, release: bool) -> Iterator[_Entry]:
    """The objects of one decoded document: the items of a List, else the document itself.

    A typed list (``PodList``, as the API server returns it) lends its kind and apiVersion to
    items without their own. With ``release`` each item is dropped from the list once handed
    out, so that a 150,000-pod dump is not kept whole beside the values read from it.
    """
    kind = raw.get("kind") if type(raw) is dict else None
    if type(kind) is not str or not kind.endswith("List") or "items" not in raw:
        yield source, raw, "", ""
        return
    items = raw["items"]
    if items is None:
        return
    if type(items) is not list:
        raise DumpError(f"expected a list, got {describe(items)}", source=source, label=kind, field="items")
    item_kind = "" if kind == "List" else kind.removesuffix("List")
    item_api = raw.get("apiVersion", "") if item_kind else ""
    for index in range(len(items)):
        item = items[index]
        if release:
            items[index] = None
        yield f"{source}, items[{index}]", item, item_kind, item_api


def _file_entries(path: Path) -> Iterator[_Entry]:
    for file in _dump_files(path):
        name = str(file)
        for source, document in _documents(_read_text(file, name), name, suffix=file.suffix.lower()):
            yield from _expand(source, document, release=True)


def _dump_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise DumpError("no such file or directory", source=str(path))
    files = sorted(file for file in path.rglob("*") if file.suffix.lower() in _SUFFIXES and file.is_file())
    if not files:
        raise DumpError(
            f"no {', '.join('*' + suffix for suffix in _SUFFIXES)} files in the directory", source=str(path)
        )
    return files


def _read_text(file: Path, name: str) -> str:
    try:
        size = file.stat().st_size
        if size > MAX_DUMP_BYTES:
            raise DumpError(
                f"{size / (1 << 20):.0f} MiB is more than the {MAX_DUMP_BYTES >> 20} MiB a dump file may hold",
                source=name,
            )
        raw = file.read_bytes()
    except OSError as exc:
        raise DumpError(f"cannot read the file: {exc.strerror or exc}", source=name) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DumpError(f"not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})", source=name) from exc


def _documents(text: str, name: str, *, suffix: str) -> Iterator[tuple[str, Any]]:
    """The documents of a file, each with its source; a top-level list gives its elements."""
    try:
        if suffix == ".json" or (suffix not in _SUFFIXES and text.lstrip()[:1] in ("{", "[")):
            documents = _json_documents(text, name)
        else:
            documents = _yaml_documents(text, name)
    except RecursionError as exc:
        raise DumpError("nested too deeply to be a Kubernetes object", source=name) from exc
    for number, document in enumerate(documents, start=1):
        source = f"{name}, document {number}" if len(documents) > 1 else name
        if type(document) is list:  # a bare list of objects, as some tools write
            for index, item in enumerate(document):
                yield f"{source}, [{index}]", item
        elif document is not None:
            yield source, document


def _json_documents(text: str, name: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except json.JSONDecodeError as exc:
        if exc.msg != "Extra data":
            raise _json_error(exc, text, name) from exc
    except RecursionError as exc:
        raise DumpError("nested too deeply to be a Kubernetes object", source=name) from exc
    except ValueError as exc:  # a number of thousands of digits
        raise DumpError(f"not valid JSON: {exc}", source=name) from exc
    # Several documents one after another, as `kubectl get ... -o json >> dump.json` leaves them.
    decoder = json.JSONDecoder()
    documents = []
    position = _skip_space(text, 0)
    while position < len(text):
        try:
            document, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise _json_error(exc, text, name) from exc
        except RecursionError as exc:
            raise DumpError("nested too deeply to be a Kubernetes object", source=name) from exc
        except ValueError as exc:
            raise DumpError(f"not valid JSON: {exc}", source=name) from exc
        documents.append(document)
        position = _skip_space(text, position)
    return documents


def _skip_space(text: str, position: int) -> int:
    match = _SPACE.match(text, position)
    return match.end() if match else position


def _json_error(exc: json.JSONDecodeError, text: str, name: str) -> DumpError:
    where = f"line {exc.lineno}, column {exc.colno}"
    # A string cannot hold a raw line break, so an unterminated one runs into the end of the text.
    if exc.msg.startswith("Unterminated string") or not text[exc.pos :].strip():
        return DumpError(
            f"not valid JSON: the text ends inside a value begun at {where} (truncated?)", source=name
        )
    return DumpError(f"not valid JSON: {exc.msg} ({where})", source=name)


_YAML_VALUE_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    OverflowError,
    RecursionError,
)


def _yaml_documents(text: str, name: str) -> list[Any]:
    try:
        return list(yaml.load_all(text, Loader=_YAML_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        detail = ": ".join(part for part in (exc.context, exc.problem) if part)
        raise DumpError(f"not valid YAML: {detail}{where}", source=name) from exc
    except yaml.YAMLError as exc:
        raise DumpError(f"not valid YAML: {exc}", source=name) from exc
    except _YAML_VALUE_ERRORS as exc:
        # PyYAML's constructors fail with plain exceptions on values like `0000-00-00` or `!!int`.
        raise DumpError(
            f"not valid YAML: a value cannot be read ({type(exc).__name__}: {exc})", source=name
        ) from exc
