"""Acknowledged writes survive ``kill -9`` of the embedded redis-server.

With ``appendfsync always`` redis fsyncs the AOF before it replies, so every batch the
adapter saw acknowledged is on disk when the process dies. (``everysec``, the default,
fsyncs in the background once a second: it survives a process kill in practice, because
the AOF write() still precedes the reply, but only ``always`` guarantees it, so this test
uses ``always``.)
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from graph.falkordb.server import EmbeddedServer
from graph.model import Entity, EntityKind, Provenance
from graph.store_config import StoreConfig
from graph.stores import open_store

N = 10_000


def _wait_dead(pid: int, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    raise AssertionError(f"pid {pid} still alive after SIGKILL")


def test_ten_thousand_acknowledged_nodes_survive_kill_9(tmp_path: Path) -> None:
    config = StoreConfig(home=tmp_path, graph_name="durable", appendfsync="always",
                         batch_size=1000)
    server = EmbeddedServer(tmp_path, "always")
    prov = Provenance("test", "r", run_id="run-1")
    store = open_store(config)
    try:
        store.ensure_schema()
        written = store.upsert_entities(
            Entity(f"n{i}", EntityKind.COMPANY, f"Company {i}", prov) for i in range(N))
        assert written == N
        pid = server.pid()
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        _wait_dead(pid)
    finally:
        store.close()
    assert not server.status().running

    reopened = open_store(config)  # the adapter restarts the server, replaying the AOF
    try:
        assert server.pid() not in (None, pid)
        assert reopened.count("Entity") == N
        ids = {e.id for page in reopened.iter_entities() for e in page}
        assert ids == {f"n{i}" for i in range(N)}
    finally:
        reopened.close()
        server.stop()
