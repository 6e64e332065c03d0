"""The resolver's two long steps on every core of one machine: normalising the names and
comparing the candidate pairs.

Both are pure and row-wise, so forked processes share the record set copy-on-write and each
answers a contiguous part; the parts are put back in order, so the answer is the one a single
process gives (a test compares them). Below a size where the forking costs more than it
saves, one process does it.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.features import compute_levels
from matching.prepare import Prepared

Rows = npt.NDArray[np.int32]
# Fewer pairs than this per process: forking and sending the levels back cost more.
MIN_PAIRS_PER_WORKER = 250_000
# Parts per process: a part of hard pairs (long names, many words) does not leave one
# process working alone at the end.
PARTS_PER_WORKER = 4

_SHARED: dict[str, Prepared] = {}  # the prepared record set, inherited by forked workers


def default_workers() -> int:
    """Processes for the long steps: the cores this process may run on, at most two (the
    measured gain on a two-core machine; more would hold more copies of touched pages)."""
    return max(1, min(2, len(os.sched_getaffinity(0))))


def compare_pairs(prep: Prepared, left: Rows, right: Rows, workers: int
                  ) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.float32]]:
    """``compute_levels`` of the pairs (left[k], right[k]), split over ``workers`` processes."""
    if workers <= 1 or left.size < 2 * MIN_PAIRS_PER_WORKER:
        return compute_levels(prep, left, right)
    cuts = np.linspace(0, left.size, workers * PARTS_PER_WORKER + 1).astype(np.int64)
    parts = [(left[a:b], right[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    _SHARED["prep"] = prep
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = pool.map(_levels_of, parts, chunksize=1)
    finally:
        _SHARED.clear()
    return (np.concatenate([levels for levels, _ in done]),
            np.concatenate([scores for _, scores in done]))


def _levels_of(part: tuple[Rows, Rows]) -> tuple[Any, Any]:
    return compute_levels(_SHARED["prep"], *part)
