"""Group commit: requests that queue up for the same parent are served by one transaction.

Allocations from one prefix are serialised anyway (they must not hand out the same address), so
while one transaction runs, the requests arriving behind it wait. Instead of each then paying
for its own transaction (begin, lock the parent, load it, commit), the first of them to get its
turn serves all that are waiting, each in its own savepoint so that one request's failure
(an exhausted prefix, an unknown group) does not undo the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["Batches", "Request"]

_Result = TypeVar("_Result")


@dataclass(slots=True)
class Request(Generic[_Result]):
    """One caller's request in a batch; the batch sets its ``result`` or its ``error``."""

    payload: Any
    result: _Result | None = None
    error: BaseException | None = None
    done: bool = False

    def outcome(self) -> _Result:
        if self.error is not None:
            raise self.error
        assert self.result is not None
        return self.result


@dataclass(slots=True)
class _Queue:
    turn: threading.Lock = field(default_factory=threading.Lock)
    waiting: list[Request[Any]] = field(default_factory=list)


class Batches:
    """Per-key queues of waiting requests (the key names the parent they are serialised on)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._queues: dict[Hashable, _Queue] = {}

    def pending(self, key: Hashable) -> int:
        """How many requests under ``key`` wait for a batch to take them."""
        with self._guard:
            queue = self._queues.get(key)
            return 0 if queue is None else len(queue.waiting)

    def submit(self, key: Hashable, payload: Any, serve: Callable[[list[Request[_Result]]], None]) -> _Result:
        """Queue ``payload`` under ``key`` and return its result once a batch has served it.

        ``serve`` is given the whole batch (this request included) and must set every request's
        result or error; an exception escaping it becomes the error of each request in the batch.
        """
        request: Request[_Result] = Request(payload)
        with self._guard:
            queue = self._queues.setdefault(key, _Queue())
            queue.waiting.append(request)
        with queue.turn:
            if not request.done:
                with self._guard:
                    batch, queue.waiting = queue.waiting, []
                try:
                    serve(batch)
                except BaseException as error:
                    for item in batch:
                        item.result, item.error = None, error
                finally:
                    for item in batch:
                        item.done = True
        return request.outcome()
