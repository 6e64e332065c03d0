"""A run killed with ``kill -9`` blocks nothing: its forked readers die with it, its lock is
free (or replaced when something still holds it for a dead owner), its ingestion run is
listed as crashed, and the next run goes through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import psutil
import pytest
from generations_data import write_registry

from api.generations.artifact import generations_root
from api.generations.lock import RunInProgress, run_lock
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.settings import Settings
from ingest.runs import list_runs, load_run

REPO = Path(__file__).resolve().parents[3]


def _env(settings: Settings) -> dict[str, str]:
    return {**os.environ, "OWNERGRAPH_HOME": str(settings.home),
            "OWNERGRAPH_GRAPH_NAME": settings.graph_name,
            "OWNERGRAPH_POLICIES": json.dumps(settings.policies), "OWNERGRAPH_LOG_LEVEL": "ERROR"}


def _wait_for(check: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _gone(pids: list[int]) -> bool:
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


def test_kill_9_of_generations_run_frees_lock_readers_and_run_record(
        gen_settings: Settings, gen_store: Any, tmp_path: Path) -> None:
    """``ownergraph generations run`` killed while its forked readers are reading: the
    readers are gone within seconds, ``runs`` says the run crashed, the next run publishes."""
    big = write_registry(tmp_path / "big", fillers=20_000, edges=200_000, cn_share=60)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from api.cli.main import main; main()", "generations", "run",
         "--format", "csv", *map(str, big)],
        env=_env(gen_settings), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def running() -> Any:
            runs = [r for r in list_runs(gen_settings.home)
                    if str(big[0]) in r["files"] and r["status"] == "running"]
            readers = [c.pid for c in psutil.Process(proc.pid).children()] if runs else []
            return (runs[0], readers) if readers else None

        run, readers = _wait_for(running, 120, "the run to start its readers")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    _wait_for(lambda: _gone(readers), 10, f"the readers {readers} to die with their run")
    crashed = load_run(gen_settings.home, run["run_id"])
    assert crashed["status"] == "crashed" and f"pid {proc.pid}" in crashed["error"]
    assert [r["status"] for r in list_runs(gen_settings.home)
            if r["run_id"] == run["run_id"]] == ["crashed"]

    small = write_registry(tmp_path / "small", fillers=10, edges=10, cn_share=60)
    result = run_generation(gen_settings, gen_store,
                            RunRequest((SourceSpec("registry", "csv", tuple(small), "full"),)))
    assert result is not None and result.published


HOLDER = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    if len(sys.argv) > 2:
        os.write(fd, sys.argv[2].encode())
    print("holding", flush=True)
    time.sleep(600)
""")


def _holder(lock: Path, record: str | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock), *([record] if record else [])],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    return proc


def test_a_lock_held_for_a_dead_owner_is_replaced(gen_settings: Settings) -> None:
    """Something still holds ``run.lock`` (an orphan of an older run) but the owner it
    records is dead: the next run takes a fresh lock instead of waiting for ever."""
    root = generations_root(gen_settings)
    root.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    record = json.dumps({"pid": int(dead.stdout), "pid_started": time.time() - 5})
    orphan = _holder(root / "run.lock", record)
    try:
        with run_lock(root):
            written = json.loads((root / "run.lock").read_text())
            assert written["pid"] == os.getpid()
    finally:
        orphan.kill()
        orphan.wait()


def test_a_lock_held_by_a_live_owner_is_refused_naming_it(gen_settings: Settings) -> None:
    root = generations_root(gen_settings)
    root.mkdir(parents=True, exist_ok=True)
    holder = _holder(root / "run.lock")  # records nothing: an owner we cannot judge
    try:
        with pytest.raises(RunInProgress, match="an unknown process"):
            with run_lock(root):
                pass
    finally:
        holder.kill()
        holder.wait()
    with run_lock(root):  # the kernel released it with the holder
        with pytest.raises(RunInProgress, match=f"pid {os.getpid()}"):
            with run_lock(root):
                pass
