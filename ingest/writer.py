"""A background batch writer: the store works on one batch while the next file chunk parses.

The parse is Python on one core; the embedded store executes on the other, so writes go
through a bounded queue (memory stays flat: at most ``depth`` batches wait). A batch the store
refuses is retried record by record, and each refused record is handed to ``on_refused``.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from graph.errors import BadInput, QueryFailed
from graph.model import Entity, OwnershipEdge
from graph.store import GraphStore

Refused = Callable[[Any, str], None]


class BatchWriter:
    def __init__(self, store: GraphStore, counts: Any, on_refused: Refused, depth: int = 2) -> None:
        self.store = store
        self.on_refused = on_refused
        self.counts = counts  # has ``entities`` and ``edges``; only this thread adds to them
        self.error: BaseException | None = None
        self._queue: queue.Queue[list[Any] | None] = queue.Queue(maxsize=depth)
        self._thread = threading.Thread(target=self._loop, name="ingest-writer", daemon=True)
        self._thread.start()

    def put(self, batch: list[Entity] | list[OwnershipEdge]) -> None:
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
        while True:
            batch = self._queue.get()
            if batch is None:
                return
            if self.error is not None:
                continue  # keep draining so the producer never blocks on a dead writer
            try:
                self._write(batch)
            except BaseException as exc:  # handed to the producer on its next put/close
                self.error = exc

    def _write(self, batch: list[Any]) -> None:
        upsert = self.store.upsert_edges if isinstance(batch[0], OwnershipEdge) else self.store.upsert_entities
        try:
            written = upsert(batch)
        except (QueryFailed, BadInput):
            written = 0
            for item in batch:
                try:
                    written += upsert([item])
                except (QueryFailed, BadInput) as exc:
                    self.on_refused(item, exc.message)
        if isinstance(batch[0], OwnershipEdge):
            self.counts.edges += written
        else:
            self.counts.entities += written
