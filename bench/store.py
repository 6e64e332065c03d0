"""Store benchmark: embedded FalkorDB upsert rates and the array load rate.

Prints ONE JSON object. Full scale: 200k entity upserts, 200k edge upserts (batches of
config.batch_size; the Entity / OwnershipEdge inputs are built before timing), then grows
the graph to 1M OWNS edges and times load_arrays().
``--quick`` runs the same at a tenth of the scale.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil

from graph.arrays import GraphArrays
from graph.falkordb.server import EmbeddedServer
from graph.falkordb.store import FalkorStore
from graph.model import Entity, EntityKind, InterestKind, OwnershipEdge, Provenance
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
    """Wall time plus CPU seconds of this process and of the redis-server, for one step.

    The machine is shared: wall-clock rates drop when other work runs, CPU seconds do not."""

    def __init__(self, server_pid: int) -> None:
        self.server = psutil.Process(server_pid)

    def measure(self, n: int, fn: Callable[[], object]) -> dict[str, float]:
        c0, s0, w0 = time.process_time(), self._server_cpu(), time.perf_counter()
        fn()
        wall = time.perf_counter() - w0
        client, server = time.process_time() - c0, self._server_cpu() - s0
        return {"per_s": round(n / wall, 1), "wall_s": round(wall, 3),
                "client_cpu_s": round(client, 3), "server_cpu_s": round(server, 3)}

    def _server_cpu(self) -> float:
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


def run(scale: float, batch_size: int) -> dict[str, object]:
    n_nodes, n_edges, n_load = int(200_000 * scale), int(200_000 * scale), int(1_000_000 * scale)
    home = Path(tempfile.mkdtemp(prefix="ogb"))
    config = StoreConfig(home=home, graph_name="bench", batch_size=batch_size)
    store = FalkorStore.open(config)
    try:
        store.ensure_schema()
        timer = Timer(EmbeddedServer(home).pid() or 0)
        # The inputs are built before the clock starts: the figures are the store's, not
        # the cost of this script's random generator (reported beside them).
        t0 = time.perf_counter()
        entity_input = list(entities(n_nodes))
        edge_input = list(edges(n_edges, n_nodes, seed=1))
        input_build_s = time.perf_counter() - t0
        rewrites = [aof_rewrites(store)]
        node = timer.measure(n_nodes, lambda: store.upsert_entities(entity_input))
        rewrites.append(aof_rewrites(store))
        edge = timer.measure(n_edges, lambda: store.upsert_edges(edge_input))
        rewrites.append(aof_rewrites(store))
        store.upsert_edges(edges(n_load - n_edges, n_nodes, seed=2, offset=n_edges))
        n_owns = store.count("OWNS")
        settled_s = settle(store)
        rewrites.append(aof_rewrites(store))
        loaded: list[GraphArrays] = []
        load = timer.measure(n_owns, lambda: loaded.append(store.load_arrays()))
        rewrites.append(aof_rewrites(store))
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
            # Background AOF rewrites (a forked child, ~1 s of CPU each at this size) the
            # writes started, per step; the load starts once none runs (waited: settled_s).
            "aof_rewrites_during_entity_upserts": rewrites[1] - rewrites[0],
            "aof_rewrites_during_edge_upserts": rewrites[2] - rewrites[1],
            "aof_rewrites_before_load": rewrites[3] - rewrites[2],
            "aof_rewrites_during_load": rewrites[4] - rewrites[3],
            "waited_for_aof_rewrite_before_load_s": settled_s,
        }
    finally:
        store.close()
        EmbeddedServer(home).stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a tenth of the full scale")
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    result = run(0.1 if args.quick else 1.0, args.batch_size)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
