"""Audit log of screening requests: who asked about what, and what we answered.

One JSON line per screen in ``<home>/audit/screen-YYYY-MM-DD.jsonl`` (UTC day). Files older
than the retention setting are deleted when the log rolls to a new day and at start-up.
Request handlers only put a line on a queue; one writer thread does the file I/O, so a screen
never waits on the disk.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from pathlib import Path
from typing import IO, Any

import orjson

log = logging.getLogger(__name__)

WRITE_INTERVAL_S = 0.05  # audit lines reach the disk within this (plus the write itself)


class AuditLog:
    def __init__(self, directory: Path, retention_days: int) -> None:
        self.directory = directory
        self.retention_days = retention_days
        self._lock = threading.Lock()
        self._day = ""
        self._fh: IO[bytes] | None = None
        self._queue: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
        directory.mkdir(parents=True, exist_ok=True)
        self.prune()
        self._writer = threading.Thread(target=self._drain, name="audit-writer", daemon=True)
        self._writer.start()

    def record(self, *, key_id: str, query: dict[str, Any], verdict: str,
               entity_id: str | None, policy: str, generation: str) -> None:
        now = dt.datetime.now(dt.UTC)
        line = orjson.dumps({
            "at": now.isoformat(timespec="milliseconds"), "key_id": key_id, "query": query,
            "policy": policy, "verdict": verdict, "entity_id": entity_id,
            "generation": generation,
        }) + b"\n"
        self._queue.put((now.date().isoformat(), line))

    def _drain(self) -> None:
        """Write whatever has queued, then nap: batching keeps the writer off the GIL
        between screens instead of waking it for every line."""
        while True:
            item = self._queue.get()
            batch = [item]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            with self._lock:
                for entry in batch:
                    if entry is None:
                        if self._fh is not None:
                            self._fh.flush()
                        return
                    if entry[0]:  # an empty day is a flush marker
                        self._file_for(entry[0]).write(entry[1])
                if self._fh is not None:
                    self._fh.flush()
            time.sleep(WRITE_INTERVAL_S)

    def _file_for(self, day: str) -> IO[bytes]:
        if day != self._day or self._fh is None:
            if self._fh is not None:
                self._fh.close()
            self._fh = (self.directory / f"screen-{day}.jsonl").open("ab")
            self._day = day
            self.prune()
        return self._fh

    def prune(self, today: dt.date | None = None) -> int:
        """Delete day files older than the retention; returns how many were removed."""
        today = today or dt.datetime.now(dt.UTC).date()
        cutoff = today - dt.timedelta(days=self.retention_days)
        removed = 0
        for path in self.directory.glob("screen-*.jsonl"):
            try:
                day = dt.date.fromisoformat(path.stem.removeprefix("screen-"))
            except ValueError:
                continue  # not ours; leave it alone
            if day < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        if removed:
            log.info("audit files pruned", extra={"removed": removed, "cutoff": cutoff.isoformat()})
        return removed

    def flush(self, timeout_s: float = 5.0) -> None:
        """Wait until every queued line is on disk (tests, shutdown)."""
        done = threading.Event()
        self._queue.put(("", b""))  # a marker behind everything queued so far
        deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=timeout_s)
        while not self._queue.empty() and dt.datetime.now(dt.UTC) < deadline:
            done.wait(0.01)
        with self._lock:
            if self._fh is not None:
                self._fh.flush()

    def read_day(self, day: str) -> list[dict[str, Any]]:
        path = self.directory / f"screen-{day}.jsonl"
        if not path.exists():
            return []
        return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._writer.join(timeout=5)
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None
