"""One run at a time per graph: an exclusive ``flock`` on ``run.lock``.

The kernel drops the lock when its holder dies (even by ``kill -9``), so a killed run never
blocks the next one.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graph.errors import Conflict


class RunInProgress(Conflict):
    code = "run_in_progress"


@contextmanager
def run_lock(root: Path, *, wait: bool = False) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "run.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise RunInProgress(f"another run holds {path} (pid {holder or '?'}); one run at a "
                                "time", lock=str(path)) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
