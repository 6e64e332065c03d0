"""Which process owns a run: its pid and the time it started.

A pid alone cannot tell a dead owner from a new process that was given the same number; the
start time can. A run lock and a run record carry both, so a run whose process died (``kill
-9``, out of memory, a lost machine) is recognised as such and its lock and record recovered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import psutil


@dataclass(frozen=True)
class Owner:
    pid: int
    started: float  # the process's start time (seconds since the epoch); 0: not recorded

    def alive(self) -> bool:
        """The process still runs (and is the same one, when its start time is known)."""
        try:
            proc = psutil.Process(self.pid)
            if proc.status() == psutil.STATUS_ZOMBIE:
                return False
            return not self.started or abs(proc.create_time() - self.started) < 1.0
        except psutil.NoSuchProcess:
            return False
        except psutil.AccessDenied:  # someone else's process with that pid: not ours
            return self.started == 0

    def record(self) -> dict[str, Any]:
        return {"pid": self.pid, "pid_started": self.started}

    def describe(self) -> str:
        return f"pid {self.pid}"


def me() -> Owner:
    return Owner(os.getpid(), psutil.Process().create_time())


def owner_of(record: dict[str, Any]) -> Owner | None:
    """The owner a record names (None when it names none, as records written before
    owners were kept)."""
    pid = record.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    started = record.get("pid_started")
    return Owner(pid, float(started) if isinstance(started, int | float) else 0.0)
