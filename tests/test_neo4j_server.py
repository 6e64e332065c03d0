"""The Neo4j test server's launcher: its errors reach the tests, and it never outlives them."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import neo4j_server
import psutil
import pytest

STARTER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import neo4j_server
server = neo4j_server.start(Path(sys.argv[2]))
print(server.process.pid, server.uri, flush=True)
sys.stdin.read()
"""


def test_a_server_that_cannot_start_fails_with_neo4js_own_reason(tmp_path: Path) -> None:
    # Neo4j validates its settings strictly: a misspelt one stops it before Bolt opens.
    with pytest.raises(neo4j_server.LauncherError) as info:
        neo4j_server.start(tmp_path, settings=("db.transaction.timeuot=5s",))
    assert "exited with" in str(info.value)
    assert "db.transaction.timeuot" in str(info.value)


def test_the_server_stops_when_the_test_run_that_started_it_is_killed(tmp_path: Path) -> None:
    """A test run killed with SIGKILL runs no teardown: the JVM must notice and stop."""
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(Path(__file__).parent), str(tmp_path)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert starter.stdout is not None
        jvm_pid, uri = starter.stdout.readline().split()
        jvm = psutil.Process(int(jvm_pid))
        assert jvm.is_running() and uri.startswith("bolt://127.0.0.1:")
        starter.send_signal(signal.SIGKILL)
        starter.wait()
        jvm.wait(timeout=60)  # psutil.TimeoutExpired here is an orphaned server
    finally:
        if starter.poll() is None:
            starter.kill()
    assert not psutil.pid_exists(jvm.pid) or jvm.status() == psutil.STATUS_ZOMBIE
    # A clean stop leaves a store that opens again (its checkpoint was written).
    log = (tmp_path / "dbms" / "logs" / "debug.log").read_text()
    assert "Checkpoint triggered by \"Database shutdown\"" in log
