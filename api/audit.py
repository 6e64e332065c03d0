"""Audit log of screening requests: who asked about what, and what we answered.

One JSON line per screen in ``<home>/audit/screen-YYYY-MM-DD.jsonl`` (UTC day); a day file
that reaches the per-file cap continues in ``screen-YYYY-MM-DD.1.jsonl``, ``.2`` and so on.
The lines name customers, so the folder is 0700 and the files 0600. Files older than the
retention setting are deleted when the log rolls over and at start-up, and so are the oldest
files while all of them together exceed the total cap (a warning says so).
Request handlers only put a line on a queue; one writer thread does the file I/O, so a screen
never waits on the disk.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import IO, Any

import orjson

log = logging.getLogger(__name__)

WRITE_INTERVAL_S = 0.05  # audit lines reach the disk within this (plus the write itself)
FILE_MAX_BYTES = 64 * 2**20  # one file; then the day continues in the next part
TOTAL_MAX_BYTES = 2 * 2**30  # every file together; then the oldest go


class AuditLog:
    def __init__(self, directory: Path, retention_days: int, *,
                 file_max_bytes: int = FILE_MAX_BYTES,
                 total_max_bytes: int = TOTAL_MAX_BYTES) -> None:
        self.directory = directory
        self.retention_days = retention_days
        self.file_max_bytes = file_max_bytes
        self.total_max_bytes = total_max_bytes
        self._lock = threading.Lock()
        self._day = ""
        self._part = 0
        self._fh: IO[bytes] | None = None
        self._queue: queue.SimpleQueue[tuple[str, bytes] | None] = queue.SimpleQueue()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(directory, 0o700)
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
        full = self._fh is not None and self._fh.tell() >= self.file_max_bytes
        if day != self._day or self._fh is None or full:
            if self._fh is not None:
                self._fh.close()
            if day != self._day:
                self._day, self._part = day, self._last_part(day)
            while (self.directory / _name(day, self._part)).exists() and (
                    self.directory / _name(day, self._part)).stat().st_size >= self.file_max_bytes:
                self._part += 1
            fd = os.open(self.directory / _name(day, self._part),
                         os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
            self._fh = os.fdopen(fd, "ab")
            self.prune()
        return self._fh

    def _last_part(self, day: str) -> int:
        parts = [part for d, part, _ in self._files() if d.isoformat() == day]
        return max(parts, default=0)

    def _files(self) -> list[tuple[dt.date, int, Path]]:
        """Our files, oldest first: (day, part, path)."""
        out = []
        for path in self.directory.glob("screen-*.jsonl"):
            found = _parse(path.name)
            if found is not None:
                out.append((*found, path))
        return sorted(out)

    def prune(self, today: dt.date | None = None) -> int:
        """Delete files older than the retention, then the oldest while all together exceed
        the total cap (never the file being written); returns how many were removed."""
        today = today or dt.datetime.now(dt.UTC).date()
        cutoff = today - dt.timedelta(days=self.retention_days)
        files = self._files()
        removed = 0
        for day, _, path in files:
            if day < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        if removed:
            log.info("audit files pruned", extra={"removed": removed, "cutoff": cutoff.isoformat()})
        kept = [(path, _size(path)) for day, _, path in files if day >= cutoff]
        current = self.directory / _name(self._day, self._part) if self._day else None
        total = sum(size for _, size in kept)
        for path, size in kept:
            if total <= self.total_max_bytes or path == current:
                break
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
            log.warning("audit file deleted: the audit log reached its size cap",
                        extra={"file": path.name, "cap_bytes": self.total_max_bytes})
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
        """Every line of one day, in the order written (all its parts)."""
        return [orjson.loads(line) for d, _, path in self._files() if d.isoformat() == day
                for line in path.read_bytes().splitlines() if line]

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._writer.join(timeout=5)
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None


def _name(day: str, part: int) -> str:
    return f"screen-{day}.jsonl" if part == 0 else f"screen-{day}.{part}.jsonl"


def _parse(name: str) -> tuple[dt.date, int] | None:
    """(day, part) of one of our file names; None for anything else (left alone)."""
    stem = name.removeprefix("screen-").removesuffix(".jsonl")
    day, _, part = stem.partition(".")
    try:
        return dt.date.fromisoformat(day), int(part or 0)
    except ValueError:
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0
