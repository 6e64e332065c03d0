"""One run at a time per graph: an exclusive ``flock`` on ``run.lock``, which names its owner.

The kernel drops the lock when every descriptor of it closes. A process forked while the
lock is held would keep it alive after its parent died, so forked children close their copy
(``os.register_at_fork``) and a run's readers die with it (``ingest/forked.py``). The lock
file records the owner's pid and start time: a lock still held although its owner is gone
(by something that outlived a ``kill -9``: a reader forked by an older version, a child
another program forked) is recognised and replaced, so a crashed run never blocks the next.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from graph.errors import Conflict
from ingest.owner import Owner, me, owner_of

log = logging.getLogger(__name__)

WAIT_POLL_S = 0.2
_held: set[int] = set()  # lock descriptors this process holds (closed in forked children)
_held_lock = threading.Lock()


class RunInProgress(Conflict):
    code = "run_in_progress"


def _close_in_child() -> None:
    global _held_lock
    _held_lock = threading.Lock()  # another thread may have held it at the fork
    for fd in list(_held):
        try:
            os.close(fd)
        except OSError:
            pass
    _held.clear()


os.register_at_fork(after_in_child=_close_in_child)


@contextmanager
def run_lock(root: Path, *, wait: bool = False) -> Iterator[None]:
    root.mkdir(parents=True, exist_ok=True)
    fd = _acquire(root / "run.lock", wait)
    try:
        yield
    finally:
        _release(fd)  # closing the descriptor releases the lock


def _acquire(path: Path, wait: bool) -> int:
    """Lock ``path``, replacing it when its recorded owner is dead. Taking the lock and
    writing the owner, and reading the owner and replacing the file, happen under a short
    guard lock, so a contender never reads the previous owner of a lock just taken."""
    while True:
        with _guard(path):
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            with _held_lock:  # registered before the flock: a fork in between must not keep it
                _held.add(fd)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                _release(fd)
                owner = owner_of(_read(path))
                if owner is not None and not owner.alive():
                    path.unlink()  # whoever holds the old file is an orphan of a dead run
                    log.warning("run lock of a dead run replaced",
                                extra={"lock": str(path), "pid": owner.pid})
                    continue
                refusal = _refusal(path, owner)
            else:
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps({**me().record(), "since": time.time()}).encode(), 0)
                return fd
        if not wait:
            raise refusal
        time.sleep(WAIT_POLL_S)


@contextmanager
def _guard(path: Path) -> Iterator[None]:
    fd = os.open(path.with_name(path.name + ".guard"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
                 0o600)
    with _held_lock:
        _held.add(fd)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        _release(fd)


def _release(fd: int) -> None:
    with _held_lock:
        _held.discard(fd)
    os.close(fd)


def _read(path: Path) -> dict[str, object]:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return {}
    try:
        doc = json.loads(text)
    except ValueError:  # an older lock file: the pid alone
        return {"pid": int(text)} if text.isdigit() else {}
    return doc if isinstance(doc, dict) else {}


def _refusal(path: Path, owner: Owner | None) -> RunInProgress:
    holder = owner.describe() if owner is not None else "an unknown process"
    return RunInProgress(f"another run holds {path} ({holder}); one run at a time",
                         lock=str(path), pid=owner.pid if owner is not None else None)
