"""``ownergraph store start|status|stop`` through the installed console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from graph.falkordb.server import EmbeddedServer

OWNERGRAPH = str(Path(sys.executable).parent / "ownergraph")


def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OWNERGRAPH, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env, "COLUMNS": "200"}, check=False)


def test_bad_graph_uri_is_one_clear_line_and_exit_2(tmp_path: Path) -> None:
    # One case: every run of the console script costs seconds of imports.
    proc = run("store", "status", env={"OWNERGRAPH_GRAPH_URI": "ftp://x",
                                       "OWNERGRAPH_HOME": str(tmp_path)})
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "OWNERGRAPH_GRAPH_URI" in lines[0]
    assert "Traceback" not in proc.stderr


def test_start_status_stop(tmp_path: Path) -> None:
    env = {"OWNERGRAPH_HOME": str(tmp_path), "OWNERGRAPH_GRAPH_URI": "embedded"}
    try:
        started = run("store", "start", env=env)
        assert started.returncode == 0, started.stderr
        assert "running" in started.stdout
        status = run("store", "status", env=env)
        assert status.returncode == 0, status.stderr
        pid = (tmp_path / "store" / "redis.pid").read_text().strip()
        assert pid in status.stdout and "falkordb.sock" in status.stdout
        assert "Entity" in status.stdout and "OWNS" in status.stdout
    finally:
        stopped = run("store", "stop", env=env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not EmbeddedServer(tmp_path).status().running
