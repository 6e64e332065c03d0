"""Memory of the control engine per edge, for sizing one large machine; prints ONE JSON object.

For each size, the synthetic ownership graph of bench/control.py (1.2 edges per entity):
bytes held by GraphArrays (entity columns, edge columns, edge keys apart: they are text),
and the peak of what one policy's evaluation allocates on top (verdicts at lo / hi /
pessimistic bounds plus ultimate controllers), traced with tracemalloc (numpy reports its
buffers to it). Per edge = edge columns / edges; per entity likewise; the working peak is
divided by edges at this ratio. Two sizes show whether the costs are linear.

The synthetic graph has short ids ("e123456") and no edge keys, so the text columns are
measured apart on the real samples (../shared/data/real, parsed by the ingest adapters):
numpy holds them fixed-width, 4 bytes per character of the LONGEST id or key, per row.

    .venv/bin/python bench/control_memory.py            # 200k and 2M entities
    .venv/bin/python bench/control_memory.py --quick    # 50k and 200k
"""

from __future__ import annotations

import argparse
import json
import sys
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.control import generate  # noqa: E402
from graph.control.controllers import ultimate_controllers  # noqa: E402
from graph.control.engine import evaluate  # noqa: E402
from graph.control.policies import resolve_policy  # noqa: E402

ENTITY_COLUMNS = ("ids", "kind", "jurisdiction", "hq_country", "nationality", "residence")
EDGE_COLUMNS = ("owner", "owned", "edge_kind", "share_lo", "share_hi", "start", "end", "confidence",
                "share_lo_open")


def _bytes(arrays: object, names: tuple[str, ...]) -> int:
    return sum(int(np.asarray(getattr(arrays, n)).nbytes) for n in names)


def measure(n: int) -> dict[str, float]:
    arrays = generate(n)
    entity = _bytes(arrays, ENTITY_COLUMNS) + sum(int(v.nbytes) for v in arrays.flags.values()) + sum(
        int(v.nbytes) for v in arrays.exceptions.values())
    edge = _bytes(arrays, EDGE_COLUMNS)
    keys = int(np.asarray(arrays.edge_key).nbytes)
    policy = resolve_policy("cn-majority")
    tracemalloc.start()
    result = evaluate(arrays, policy, "2026-01-01")
    ultimate_controllers(result.prepared)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    e = arrays.n_edges
    return {"entities": n, "edges": e, "entity_columns_bytes_per_entity": round(entity / n, 1),
            "edge_columns_bytes_per_edge": round(edge / e, 1), "edge_keys_bytes_per_edge": round(keys / e, 1),
            "working_peak_bytes_per_edge": round(peak / e, 1),
            "total_bytes_per_edge": round((entity + edge + keys + peak) / e, 1)}


def real_text_columns(root: Path) -> dict[str, float]:
    """Lengths of entity ids and edge keys in the real samples, and the bytes per row a
    fixed-width numpy text column of them takes (4 bytes x the longest)."""
    from graph.model import Entity, OwnershipEdge
    from ingest.records import SourceFile
    from ingest.run import FORMATS

    keys: list[int] = []
    ids: list[int] = []
    for fmt, folder in (("gleif", "gleif"), ("bods", "bods"), ("psc", "uk-psc"), ("ftm", "ftm")):
        parse = FORMATS[fmt][1]
        for path in sorted(p for p in (root / folder).rglob("*") if p.is_file() and p.suffix != ".md"):
            try:
                for record in parse(path, SourceFile(str(path))):
                    if isinstance(record, OwnershipEdge):
                        keys.append(len(record.key))
                    elif isinstance(record, Entity):
                        ids.append(len(record.id))
            except Exception:  # noqa: BLE001,S112 - a file of another format: not this adapter's
                continue
    return {"edges": len(keys), "edge_key_chars_median": float(np.median(keys)), "edge_key_chars_max": max(keys),
            "edge_key_bytes_per_edge": 4 * max(keys), "entities": len(ids),
            "entity_id_chars_median": float(np.median(ids)), "entity_id_chars_max": max(ids),
            "entity_id_bytes_per_entity": 4 * max(ids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = (50_000, 200_000) if args.quick else (200_000, 2_000_000)
    real = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
    out: dict[str, object] = {"sizes": [measure(n) for n in sizes]}
    out["real_samples"] = real_text_columns(real) if real.is_dir() else f"not found: {real}"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
