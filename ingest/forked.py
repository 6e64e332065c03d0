"""Run a file reader in a forked child process, so parsing uses the second core.

An ingest run is CPU-bound Python: the XML parse (lxml plus building plain dicts) on one
side, mapping to model records and encoding store rows on the other, and the store server
beside them. In one process all of that shares one core. Here the reader runs in a child
and hands its items over in batches (``marshal``: plain str/dict/list values only, about
three times faster to decode than pickle), while this process maps and writes.

The pipe is the only buffer: a child is at most one batch ahead of its reader, so memory
stays flat. The child is forked (not spawned): nothing is re-imported and the reader can be
any closure. Runs fork their readers while they hold no threads of their own (the format of
every file is checked before the first write, which is when the readers start).
"""

from __future__ import annotations

import ctypes
import marshal
import multiprocessing
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from graph.errors import BadInput

# Items per message: large enough that a message costs little, small enough to stay
# inside a few pipe buffers.
BATCH_ITEMS = 256
# Bytes of messages a reader may hold ahead of the pipe (bounded by size, not count:
# records of some formats are a hundred times larger than others). LEI records: ~160k.
AHEAD_BYTES = 96 * 2**20
_ITEMS, _DONE, _FAILED = 0, 1, 2
PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


class ReaderDied(BadInput):
    """The child reading a file stopped without finishing (killed, out of memory)."""


def read_forked(produce: Callable[[], Iterator[Any]], what: str) -> Iterator[Any]:
    """The items ``produce()`` yields, produced in a child process.

    Items must be marshal-able (None, bool, int, float, str, bytes, tuple, list, dict). An
    exception raised by the reader in the child is raised here again (its type kept when
    it pickles). Closing this generator early stops the child."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_child, args=(produce, send, receive, os.getpid()),
                        name=f"reader {what}", daemon=True)
    child.start()
    send.close()  # the child holds the only writing end: EOF means it is gone
    try:
        while True:
            try:
                tag, payload = marshal.loads(receive.recv_bytes())
            except EOFError:
                raise ReaderDied(f"{what}: the reader process stopped before the end of the file",
                                 file=what) from None
            if tag == _ITEMS:
                yield from payload
            elif tag == _DONE:
                return
            else:
                raise _error(payload)
    finally:
        receive.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _child(produce: Callable[[], Iterator[Any]], send: Connection, receive: Connection,
           parent: int) -> None:
    _die_with(parent)
    receive.close()  # the parent's end: with it closed here, a gone parent means EPIPE
    # The reader runs ahead of the pipe by up to AHEAD_BYTES: while the parent is busy with
    # an earlier file (a run reads its files one after the other), this one is parsed on
    # whatever core is free.
    outbox = Outbox(AHEAD_BYTES)
    sender = threading.Thread(target=_send_all, args=(outbox, send), daemon=True)
    sender.start()
    try:
        batch: list[Any] = []
        for item in produce():
            batch.append(item)
            if len(batch) >= BATCH_ITEMS:
                outbox.put(marshal.dumps((_ITEMS, batch)))
                batch = []
        outbox.put(marshal.dumps((_ITEMS, batch)))
        outbox.put(marshal.dumps((_DONE, None)))
    except Exception as exc:  # handed to the parent, which raises it in its own thread
        try:
            blob = pickle.dumps(exc)
        except Exception:  # an exception that does not pickle: its text is enough
            blob = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
        outbox.put(marshal.dumps((_FAILED, blob)))
    finally:
        outbox.put(None)
        sender.join()


def _die_with(parent: int) -> None:
    """Ask the kernel to kill this process when the thread that forked it ends (the run's
    process killed with ``kill -9`` included), so no reader outlives its run. Linux only;
    elsewhere the closed pipe still stops the reader at its next send."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


class Outbox:
    """A FIFO of messages that holds at most about ``limit`` bytes: ``put`` waits while
    more than that is queued (a single larger message still goes through)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: deque[bytes | None] = deque()
        self._changed = threading.Condition()

    def put(self, blob: bytes | None) -> None:
        with self._changed:
            while self.size >= self.limit:
                self._changed.wait()
            self._items.append(blob)
            self.size += len(blob) if blob else 0
            self._changed.notify_all()

    def get(self) -> bytes | None:
        with self._changed:
            while not self._items:
                self._changed.wait()
            blob = self._items.popleft()
            self.size -= len(blob) if blob else 0
            self._changed.notify_all()
            return blob


def _send_all(outbox: Outbox, send: Connection) -> None:
    try:
        while (blob := outbox.get()) is not None:
            send.send_bytes(blob)
        send.close()
    except OSError:  # the reader was closed early: nobody listens any more
        os._exit(0)  # the producer may be blocked on a full outbox; nothing is left to do


def _error(blob: bytes) -> BaseException:
    try:
        exc = pickle.loads(blob)  # noqa: S301 - bytes from our own child process
    except Exception as failure:  # an exception class that does not unpickle
        return RuntimeError(f"reader failed: {failure}")
    return exc if isinstance(exc, BaseException) else RuntimeError(repr(exc))
