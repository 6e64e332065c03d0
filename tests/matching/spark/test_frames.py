"""Running totals over a global order, computed per range partition, equal numpy's."""

from __future__ import annotations

from typing import Any

import numpy as np

from matching.spark.frames import running_totals


def test_exclusive_running_sums_in_order(spark: Any) -> None:
    rng = np.random.default_rng(1)
    order = rng.permutation(5000)
    sizes = rng.integers(1, 5, size=5000)
    frame = spark.createDataFrame([(int(o), int(s)) for o, s in zip(order, sizes, strict=True)], "pos long, n long")
    out = running_totals(frame, ["pos"], {"1": "rank", "n": "start"}, partitions=7).collect()
    by_pos = {r["pos"]: (r["rank"], r["start"]) for r in out}
    in_order = sizes[np.argsort(order)]
    starts = np.concatenate([[0], np.cumsum(in_order)[:-1]])
    assert all(by_pos[p] == (p, int(starts[p])) for p in range(5000))
