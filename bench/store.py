"""Store benchmark: upsert rates and the array load rate of the embedded FalkorDB and Neo4j.

Prints ONE JSON object. Full scale: 200k entity upserts, 200k edge upserts (batches of
config.batch_size; the Entity / OwnershipEdge inputs are built before timing), then grows
the graph to 1M OWNS edges and times load_arrays().
``--quick`` runs the same at a tenth of the scale (Neo4j, whose server alone takes 15-25 s
to start here, at a hundredth) so it ends within a minute. ``--store neo4j`` measures Neo4j (the
server NEO4J_URI names, or the Community server of tests/neo4j started for the run);
``--store both`` measures both, one after the other, and prints ``{"stores": {...}}``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from graph.arrays import GraphArrays
from graph.falkordb.server import EmbeddedServer
from graph.falkordb.store import FalkorStore
from graph.model import Entity, EntityKind, InterestKind, OwnershipEdge, Provenance
from graph.neo4j.store import Neo4jStore
from graph.store import GraphStore
from graph.store_config import StoreConfig


def entities(n: int) -> Iterator[Entity]:
    prov = Provenance("bench", "r", file="bench.jsonl", run_id="bench")
    for i in range(n):
        yield Entity(f"e{i}", EntityKind.COMPANY, f"Company {i} Ltd", prov,
                     jurisdiction=("CN", "GB", "US", None)[i % 4])


def edges(n_edges: int, n_entities: int, seed: int, offset: int = 0) -> Iterator[OwnershipEdge]:
    rng = random.Random(seed)
    for i in range(offset, offset + n_edges):
        prov = Provenance("bench", f"s{i}", file="bench.jsonl", run_id="bench")
        lo = rng.random()
        yield OwnershipEdge(f"e{rng.randrange(n_entities)}", f"e{rng.randrange(n_entities)}",
                            InterestKind.SHAREHOLDING, prov, lo, lo)


class Timer:
    """Wall time plus CPU seconds of this process and of the store's server, for one step.

    The machine is shared: wall-clock rates drop when other work runs, CPU seconds do not.
    A server that is not on this machine (pid None) reports no server CPU."""

    def __init__(self, server_pid: int | None) -> None:
        self.server = psutil.Process(server_pid) if server_pid else None

    def measure(self, n: int, fn: Callable[[], object]) -> dict[str, float]:
        c0, s0, w0 = time.process_time(), self._server_cpu(), time.perf_counter()
        fn()
        wall = time.perf_counter() - w0
        client, server = time.process_time() - c0, self._server_cpu() - s0
        return {"per_s": round(n / wall, 1), "wall_s": round(wall, 3),
                "client_cpu_s": round(client, 3), "server_cpu_s": round(server, 3)}

    def _server_cpu(self) -> float:
        if self.server is None:
            return float("nan")
        t = self.server.cpu_times()
        return float(t.user + t.system)


def aof_rewrites(store: FalkorStore) -> int:
    return int(store.db.connection.info("persistence")["aof_rewrites"])


def settle(store: FalkorStore) -> float:
    """Wait until no background AOF rewrite runs or is due (the writes before start them;
    the forked child's CPU is not the server process's and would compete with the next
    step). Due: the file grew past the server's auto-rewrite percentage and minimum size."""
    conn = store.db.connection
    config = conn.config_get("auto-aof-rewrite-*")
    percentage = int(config["auto-aof-rewrite-percentage"])
    min_size = int(config["auto-aof-rewrite-min-size"])
    t0 = time.perf_counter()
    while True:
        info = conn.info("persistence")
        size, base = int(info["aof_current_size"]), int(info["aof_base_size"])
        due = percentage > 0 and size > min_size and size > base * (100 + percentage) / 100
        if not (info["aof_rewrite_in_progress"] or info["aof_rewrite_scheduled"] or due):
            return round(time.perf_counter() - t0, 3)
        time.sleep(0.05)


def warm_up(store: GraphStore, batch_size: int) -> None:
    """Run every measured statement a few times on other data, then empty the store: Neo4j
    compiles its plans and the JVM its hot code on first use, which a long-running server
    has done long before."""
    store.ensure_schema()
    n = 5 * batch_size
    store.upsert_entities(list(entities(n)))
    store.upsert_edges(list(edges(n, n, seed=3)))
    store.load_arrays()
    store.drop()  # type: ignore[attr-defined]
    store.ensure_schema()


def measure_store(store: GraphStore, timer: Timer, scale: float, batch_size: int,
                  settle_writes: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The figures every store reports: entity and edge upsert rates, array load rate.

    ``settle_writes`` runs between the writes and the load and returns store-specific facts
    (FalkorDB: background AOF rewrites waited for)."""
    n_nodes, n_edges, n_load = int(200_000 * scale), int(200_000 * scale), int(1_000_000 * scale)
    warm_up(store, batch_size)
    # The inputs are built before the clock starts: the figures are the store's, not
    # the cost of this script's random generator (reported beside them).
    t0 = time.perf_counter()
    entity_input = list(entities(n_nodes))
    edge_input = list(edges(n_edges, n_nodes, seed=1))
    input_build_s = time.perf_counter() - t0
    node = timer.measure(n_nodes, lambda: store.upsert_entities(entity_input))
    edge = timer.measure(n_edges, lambda: store.upsert_edges(edge_input))
    store.upsert_edges(edges(n_load - n_edges, n_nodes, seed=2, offset=n_edges))
    n_owns = store.count("OWNS")
    settled = settle_writes()
    loaded: list[GraphArrays] = []
    load = timer.measure(n_owns, lambda: loaded.append(store.load_arrays()))
    arrays = loaded[0]
    return {
        "scale": scale, "batch_size": batch_size, "load_average_1m": os.getloadavg()[0],
        "input_build_s": round(input_build_s, 3),
        "entities_upserted": n_nodes, "entity_upsert_per_s": node["per_s"],
        **{f"entity_upsert_{k}": v for k, v in node.items() if k != "per_s"},
        "edges_upserted": n_edges, "edge_upsert_per_s": edge["per_s"],
        **{f"edge_upsert_{k}": v for k, v in edge.items() if k != "per_s"},
        "owns_in_store": n_owns, "edges_loaded": arrays.n_edges,
        "entities_loaded": arrays.n_entities,
        "load_arrays_edges_per_s": round(arrays.n_edges / load["wall_s"], 1),
        **{f"load_arrays_{k}": v for k, v in load.items() if k != "per_s"},
        **settled,
    }


def run_falkordb(scale: float, batch_size: int) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix="ogb"))
    config = StoreConfig(home=home, graph_name="bench", batch_size=batch_size)
    store = FalkorStore.open(config)
    rewrites = [aof_rewrites(store)]

    def settle_writes() -> dict[str, Any]:
        rewrites.append(aof_rewrites(store))
        settled_s = settle(store)
        rewrites.append(aof_rewrites(store))
        return {
            # Background AOF rewrites (a forked child, ~1 s of CPU each at this size) the
            # writes started; the load starts once none runs (waited: settled_s).
            "aof_rewrites_during_writes": rewrites[1] - rewrites[0],
            "aof_rewrites_before_load": rewrites[2] - rewrites[1],
            "waited_for_aof_rewrite_before_load_s": settled_s,
        }

    try:
        timer = Timer(EmbeddedServer(home).pid() or 0)
        result = measure_store(store, timer, scale, batch_size, settle_writes)
        rewrites_after = aof_rewrites(store)
        result["aof_rewrites_during_load"] = rewrites_after - rewrites[-1]
        return {"store": "falkordb", **result}
    finally:
        store.close()
        EmbeddedServer(home).stop()


# The bench server: page cache for the whole store (about 0.5 GB at full scale), a heap
# that does not collect during the load. The test suite's server is smaller.
BENCH_NEO4J_JVM = ("-Xms2g", "-Xmx2g", "-XX:+ExitOnOutOfMemoryError")
BENCH_NEO4J_SETTINGS = ("server.memory.pagecache.size=1g", "db.memory.transaction.max=1g")


@contextmanager
def neo4j_server_for_bench(batch_size: int) -> Iterator[tuple[StoreConfig, int | None,
                                                               dict[str, Any]]]:
    """NEO4J_URI's server, or a Community server of tests/neo4j started for this run."""
    limits = {"batch_size": batch_size}
    if os.environ.get("NEO4J_URI"):
        yield (StoreConfig(uri=os.environ["NEO4J_URI"],
                           user=os.environ.get("NEO4J_USER", "neo4j"),
                           password=os.environ.get("NEO4J_PASSWORD", ""),
                           database=os.environ.get("NEO4J_DATABASE", "neo4j"), **limits),
               None, {"neo4j_server": "NEO4J_URI"})
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import neo4j_server  # the test suite's launcher (tests/neo4j_server.py)

    home = Path(tempfile.mkdtemp(prefix="ogb-neo4j"))
    t0 = time.perf_counter()
    server = neo4j_server.start(home, settings=BENCH_NEO4J_SETTINGS,
                                jvm_options=BENCH_NEO4J_JVM)
    facts = {"neo4j_server": "tests/neo4j launcher", "neo4j_start_s":
             round(time.perf_counter() - t0, 1), "neo4j_jvm": " ".join(BENCH_NEO4J_JVM),
             "neo4j_settings": " ".join(BENCH_NEO4J_SETTINGS)}
    try:
        yield (StoreConfig(uri=server.uri, user=server.user, password=server.password,
                           **limits), server.process.pid, facts)
    finally:
        neo4j_server.stop(server)
        shutil.rmtree(home, ignore_errors=True)


def run_neo4j(scale: float, batch_size: int) -> dict[str, Any]:
    """On NEO4J_URI's server (a throwaway database: ownergraph's labels are emptied), or on
    the Neo4j Community server of tests/neo4j started here (page cache large enough for
    the whole store, as a production server should have)."""
    with neo4j_server_for_bench(batch_size) as (config, pid, facts):
        store = Neo4jStore.open(config)
        try:
            store.drop()
            result = measure_store(store, Timer(pid), scale, batch_size, dict)
            return {"store": "neo4j", **facts, **result}
        finally:
            if pid is None:  # someone else's server: leave its database empty
                store.drop()
            store.close()


RUNS: dict[str, Callable[[float, int], dict[str, Any]]] = {
    "falkordb": run_falkordb, "neo4j": run_neo4j}
QUICK_SCALE = {"falkordb": 0.1, "neo4j": 0.01}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="a tenth of the full scale (Neo4j: a hundredth)")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--store", choices=[*RUNS, "both"], default="falkordb",
                        help="the store to measure; both: one after the other, in one object")
    args = parser.parse_args()
    names = list(RUNS) if args.store == "both" else [args.store]
    results = {name: RUNS[name](QUICK_SCALE[name] if args.quick else 1.0, args.batch_size)
               for name in names}
    result = results[names[0]] if len(names) == 1 else {"stores": results}
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
