"""Store benchmark: embedded FalkorDB upsert rates and the array load rate.

Prints ONE JSON object. Full scale: 200k entity upserts, 200k edge upserts (batches of
config.batch_size), then grows the graph to 1M OWNS edges and times load_arrays().
``--quick`` runs the same at a tenth of the scale.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from graph.embedded import EmbeddedServer
from graph.falkor import FalkorStore
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


def timed_rate(n: int, fn: object) -> tuple[float, float]:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    secs = time.perf_counter() - start
    return round(n / secs, 1), round(secs, 3)


def run(scale: float, batch_size: int) -> dict[str, object]:
    n_nodes, n_edges, n_load = int(200_000 * scale), int(200_000 * scale), int(1_000_000 * scale)
    home = Path(tempfile.mkdtemp(prefix="ogb"))
    config = StoreConfig(home=home, graph_name="bench", batch_size=batch_size)
    store = FalkorStore.open(config)
    try:
        store.ensure_schema()
        node_rate, node_s = timed_rate(n_nodes, lambda: store.upsert_entities(entities(n_nodes)))
        edge_rate, edge_s = timed_rate(
            n_edges, lambda: store.upsert_edges(edges(n_edges, n_nodes, seed=1)))
        store.upsert_edges(edges(n_load - n_edges, n_nodes, seed=2, offset=n_edges))
        n_owns = store.count("OWNS")
        start = time.perf_counter()
        arrays = store.load_arrays()
        load_s = time.perf_counter() - start
        return {
            "scale": scale, "batch_size": batch_size,
            "entities_upserted": n_nodes, "entity_upsert_per_s": node_rate,
            "entity_upsert_s": node_s,
            "edges_upserted": n_edges, "edge_upsert_per_s": edge_rate, "edge_upsert_s": edge_s,
            "edges_loaded": arrays.n_edges, "owns_in_store": n_owns,
            "entities_loaded": arrays.n_entities,
            "load_arrays_edges_per_s": round(arrays.n_edges / load_s, 1),
            "load_arrays_s": round(load_s, 3),
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
