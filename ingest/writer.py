"""A background batch writer: the store works on one batch while the next file chunk parses.

The parse is Python on one core; the embedded store executes on the other, so writes go
through a bounded queue (memory stays flat: at most ``depth`` batches wait). Consecutive
batches of one kind (entities, or edges) reach the store as one stream of up to
``STREAM_BATCHES`` batches, so the store encodes the next batch while it executes this one
(one upsert call per batch left the server idle while rows were built, and Python idle while
the server ran). A stream the store refuses is retried record by record (upserts are
idempotent, so what it had written is only written again), and each refused record is
handed to ``on_refused``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import Any

from graph.errors import BadInput, QueryFailed
from graph.model import OwnershipEdge
from graph.store import GraphStore

Refused = Callable[[Any, str], None]
# Batches per upsert call: the written counts move on (and a refused stream is redone record
# by record) per stream, so streams stay short.
STREAM_BATCHES = 8


class BatchWriter:
    def __init__(self, store: GraphStore, counts: Any, on_refused: Refused, depth: int = 2) -> None:
        self.store = store
        self.on_refused = on_refused
        self.counts = counts  # has ``entities`` and ``edges``; only this thread adds to them
        self.error: BaseException | None = None
        self._queue: queue.Queue[list[Any] | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._loop, name="ingest-writer", daemon=True)
        self._thread.start()

    def put(self, batch: list[Any]) -> None:
        if self.error is not None:
            raise self.error
        self._queue.put(list(batch))

    def close(self) -> None:
        """Wait until every queued batch is written; re-raise a writer failure."""
        self._queue.put(None)
        self._thread.join()
        if self.error is not None:
            raise self.error

    def _loop(self) -> None:
        batch = self._queue.get()
        while batch is not None:
            if self.error is not None:  # keep draining so the producer never blocks on a dead writer
                batch = self._queue.get()
                continue
            try:
                batch = self._write_stream(batch)
            except BaseException as exc:  # handed to the producer on its next put/close
                self.error = exc
                batch = self._queue.get()

    def _write_stream(self, first: list[Any]) -> list[Any] | None:
        """Write ``first`` and the queued batches of its kind after it; returns the batch
        that ended the stream (the other kind, or None at the end)."""
        edges = isinstance(first[0], OwnershipEdge)
        upsert = self.store.upsert_edges if edges else self.store.upsert_entities
        taken = [first]
        following: list[list[Any] | None] = []

        def stream() -> Iterator[Any]:
            yield from first
            while len(taken) < STREAM_BATCHES:
                batch = self._queue.get()
                if batch is None or isinstance(batch[0], OwnershipEdge) is not edges:
                    following.append(batch)
                    return
                taken.append(batch)
                yield from batch

        try:
            written = upsert(stream())
        except (QueryFailed, BadInput):
            written = self._one_by_one(upsert, taken)
        if edges:
            self.counts.edges += written
        else:
            self.counts.entities += written
        if following:
            return following[0]
        return self._queue.get()

    def _one_by_one(self, upsert: Callable[[Any], int], batches: list[list[Any]]) -> int:
        written = 0
        for batch in batches:
            for item in batch:
                try:
                    written += upsert([item])
                except (QueryFailed, BadInput) as exc:
                    self.on_refused(item, exc.message)
        return written
