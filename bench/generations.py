"""Benchmark of generations: freeze, write, load, serve-load and diff. Prints ONE JSON object.

Synthetic graph (no store: the figures are the artifact's own cost): N companies, 1.5 N
ownership edges with shares, a few per cent headquartered in CN; the next generation changes
1 % of the shares. Figures: build (policy evaluation + controllers), write (fsynced), artifact
size, read, load as a served snapshot, diff, publish (guards included), peak RSS.

    .venv/bin/python bench/generations.py            # 300k entities
    .venv/bin/python bench/generations.py --quick    # 20k entities (< 60 s)
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.generations.artifact import generations_root, read_artifact, write_artifact  # noqa: E402
from api.generations.build import (  # noqa: E402
    BuildContext,
    RunInfo,
    SourceRun,
    build_artifact,
    evaluate_policies,
)
from api.generations.diff import diff  # noqa: E402
from api.generations.publish import publish  # noqa: E402
from api.generations.serve import published_snapshot  # noqa: E402
from api.settings import Settings  # noqa: E402
from api.views import EntityView  # noqa: E402
from graph.arrays import OPEN_END, OPEN_START, GraphArrays  # noqa: E402
from graph.control.policies import policies_in_force  # noqa: E402


def synthetic(n: int, seed: int = 1) -> tuple[GraphArrays, dict[str, EntityView]]:
    rng = np.random.default_rng(seed)
    m = int(1.5 * n)
    ids = np.array([f"e{i}" for i in range(n)])
    country = np.where(rng.random(n) < 0.03, "CN", "GB").astype("<U2")
    owner = rng.integers(0, n, m).astype(np.int32)
    owned = rng.integers(0, n, m).astype(np.int32)
    keep = owner != owned
    owner, owned = owner[keep], owned[keep]
    m = len(owner)
    share = np.round(rng.choice([0.1, 0.25, 0.3, 0.51, 0.6, 1.0], m), 4)
    empty = np.array([""] * n, dtype="<U2")
    arrays = GraphArrays(
        ids=ids, kind=np.zeros(n, np.int8), jurisdiction=country, hq_country=country.copy(),
        nationality=empty, residence=empty.copy(), flags={}, exceptions={}, owner=owner,
        owned=owned, edge_kind=np.zeros(m, np.int8), share_lo=share, share_hi=share.copy(),
        start=np.full(m, OPEN_START, np.int32), end=np.full(m, OPEN_END, np.int32),
        confidence=np.ones(m, np.float32), edge_key=np.array([f"bench|r{k}" for k in range(m)]))
    views = {str(e): EntityView(str(e), f"Company {e} Ltd", "company", str(c), str(c),
                                (f"Company {e} Ltd",), (), (str(e),))
             for e, c in zip(ids.tolist(), country.tolist(), strict=True)}
    return arrays, views


def timed(fn: Any) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - started, 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the synthetic graph's input issues are known
    n = 20_000 if args.quick else 300_000
    with tempfile.TemporaryDirectory() as home:
        settings = Settings(home=Path(home), graph_name="bench", log_level="WARNING",
                            guard_max_verdict_change_pct=100.0)
        arrays, views = synthetic(n)
        run = RunInfo((SourceRun("bench", "csv", (), n),))
        context = BuildContext("bench", policies_in_force(settings.policies, None), run)

        def build(columns: GraphArrays, previous: dict[str, Any] | None = None) -> Any:
            evaluated = evaluate_policies(columns, context.policies)
            return build_artifact(columns, views, evaluated, {},
                                  replace(context, previous=previous))

        first, build_s = timed(lambda: build(arrays))
        root = generations_root(settings)
        path, write_s = timed(lambda: write_artifact(root, first))
        size = sum(p.stat().st_size for p in path.iterdir())
        _, read_s = timed(lambda: read_artifact(root, first.id))
        publish(settings, first)
        _, load_s = timed(lambda: published_snapshot(settings))
        changed = arrays.share_lo.copy()
        picks = np.random.default_rng(2).choice(len(changed), len(changed) // 100, replace=False)
        changed[picks] = np.where(changed[picks] > 0.5, 0.2, 0.6)
        arrays2 = replace(arrays, share_lo=changed, share_hi=changed.copy())
        second = build(arrays2, first.manifest)
        delta, diff_s = timed(lambda: diff(first, second))
        _, publish_s = timed(lambda: publish(settings, second))
    print(json.dumps({
        "entities": arrays.n_entities, "edges": arrays.n_edges, "policies": len(first.answers),
        "build_s": build_s, "write_s": write_s, "artifact_mb": round(size / 1e6, 1),
        "read_s": read_s, "load_snapshot_s": load_s, "diff_s": diff_s,
        "diff_entities_changed": delta["changed"], "diff_edges_changed": delta["edges_changed"],
        "publish_s": publish_s,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


if __name__ == "__main__":
    main()
