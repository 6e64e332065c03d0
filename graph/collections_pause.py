"""Fewer cyclic-GC passes while a long run allocates millions of acyclic objects.

Ingest and resolve runs build millions of short-lived objects that reference counting frees;
with the default thresholds the cyclic collector runs every 700 allocations and rescans
everything the run keeps: a large share of an ingest's decoding and of a resolve
(docs/ingest.md, docs/matching.md). The collector settings are process-wide and the API runs such
work on threads, so the pause is counted: the first run to enter raises the thresholds, the
last to leave restores them, whatever the order they finish in.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

RUN_THRESHOLDS = (200_000, 20, 100)


@dataclass
class _Pause:
    lock: threading.Lock = field(default_factory=threading.Lock)
    depth: int = 0
    saved: tuple[int, int, int] = (700, 10, 10)


_PAUSE = _Pause()  # the collector is one per process, so is its pause count


@contextmanager
def rare_collections() -> Iterator[None]:
    with _PAUSE.lock:
        if _PAUSE.depth == 0:
            _PAUSE.saved = gc.get_threshold()
            gc.freeze()  # what existed before the run is never rescanned by it
            gc.set_threshold(*RUN_THRESHOLDS)
        _PAUSE.depth += 1
    try:
        yield
    finally:
        with _PAUSE.lock:
            _PAUSE.depth -= 1
            if _PAUSE.depth == 0:
                gc.set_threshold(*_PAUSE.saved)
                gc.unfreeze()
