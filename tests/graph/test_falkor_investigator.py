"""Investigators' Cypher on the embedded FalkorDB: refused clauses never reach the server,
the row cap is applied by the server, one query's memory is bounded by the server.

The row-cap case runs in a child process under a memory limit and reports its RSS: the
4,000,000-row answer the cap once cut only after it had arrived grew an API process to 2.2 GB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.errors import QueryFailed, QueryRefused
from graph.store_config import StoreConfig
from graph.stores import open_store

CHILD_ADDRESS_SPACE = 1536 * 2**20
CHILD_RSS_BOUND_MB = 300


def test_load_csv_is_refused_before_the_store_connects_anywhere(
        graph_store: Any, loopback_listener: tuple[int, list[Any]]) -> None:
    port, seen = loopback_listener
    with pytest.raises(QueryRefused) as info:
        graph_store.read_query(f"LOAD CSV FROM 'https://127.0.0.1:{port}/probe.csv' AS row "
                               "RETURN row", timeout_ms=2000)
    assert info.value.details["clause"] == "LOAD CSV"
    threading.Event().wait(0.5)
    assert seen == []  # the server never opened a connection


def test_row_cap_is_applied_by_the_store_in_bounded_memory(graph_store: Any) -> None:
    """``UNWIND range(1, 4000000)`` with a cap of 10: ten rows, truncated, and the reading
    process stays small (run in a child under a 1.5 GB address-space limit)."""
    store_config = graph_store.config
    script = textwrap.dedent(f"""
        import json, resource, time
        resource.setrlimit(resource.RLIMIT_AS, ({CHILD_ADDRESS_SPACE}, {CHILD_ADDRESS_SPACE}))
        from pathlib import Path
        from graph.store_config import StoreConfig
        from graph.stores import open_store
        def peak_rss_mb():  # VmHWM: ru_maxrss would carry the parent's peak across exec
            with open("/proc/self/status") as status:
                return int(next(l for l in status if l.startswith("VmHWM:")).split()[1]) / 1024
        store = open_store(StoreConfig(home=Path({str(store_config.home)!r}),
                                       graph_name={store_config.graph_name!r}))
        started = time.perf_counter()
        res = store.read_query("UNWIND range(1, 4000000) AS x RETURN x", row_cap=10,
                               timeout_ms=30000)
        print(json.dumps({{"rows": len(res.rows), "truncated": res.truncated,
                          "seconds": time.perf_counter() - started,
                          "maxrss_mb": peak_rss_mb()}}))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["rows"] == 10 and out["truncated"] is True
    assert out["maxrss_mb"] < CHILD_RSS_BOUND_MB, out


@pytest.fixture
def small_memory_store(tmp_path: Path) -> Iterator[Any]:
    """A store of its own whose server allows 64 MB per query."""
    config = StoreConfig(home=tmp_path, graph_name="g", query_memory_mb=64)
    store = open_store(config)
    store.ensure_schema()
    yield store
    store.close()
    from graph.falkordb.server import EmbeddedServer

    EmbeddedServer(tmp_path).stop()


def test_one_query_cannot_take_more_memory_than_the_setting(small_memory_store: Any) -> None:
    with pytest.raises(QueryFailed, match="OWNERGRAPH_STORE_QUERY_MEMORY_MB"):
        small_memory_store.read_query("UNWIND range(1, 10000000) AS x RETURN count(x)",
                                      timeout_ms=30000)
    ordinary = small_memory_store.read_query("UNWIND range(1, 1000) AS x RETURN count(x)")
    assert ordinary.rows == [[1000]]


def test_a_reused_server_takes_the_configured_limit(small_memory_store: Any, tmp_path: Path) -> None:
    from graph.falkordb.server import EmbeddedServer

    EmbeddedServer(tmp_path, query_memory_mb=32).start()  # the running server, reused
    conn = EmbeddedServer(tmp_path).client()
    try:
        assert conn.execute_command("GRAPH.CONFIG", "GET", "QUERY_MEM_CAPACITY")[1] == 32 * 2**20
    finally:
        conn.close()
