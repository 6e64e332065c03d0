"""Whole-graph runs: evaluate policies over the store's arrays and write the results back."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from graph.arrays import GraphArrays
from graph.control.engine import VERDICTS, evaluate
from graph.control.policies import Policy
from graph.control.report import derived_results
from graph.store import DerivedResult, GraphStore

log = logging.getLogger(__name__)
MAX_LOGGED_ISSUES = 50


@dataclass(frozen=True)
class ComputeSummary:
    generation: str
    entities: int
    edges: int
    written: int
    verdicts: dict[str, dict[str, int]]  # policy -> verdict -> count
    issues: int


def content_generation(arrays: GraphArrays) -> str:
    """Same data, same generation id: ids, edge keys and every value a verdict depends on
    (a re-filed share under the same statement key is new data, so a new generation)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(arrays.ids).tobytes())
    order = np.argsort(arrays.edge_key, kind="stable") if arrays.edge_key.shape[0] == \
        arrays.n_edges else np.arange(arrays.n_edges)
    h.update(np.ascontiguousarray(arrays.edge_key[order] if arrays.edge_key.shape[0] else
                                  arrays.edge_key).tobytes())
    entity_columns: tuple[npt.NDArray[Any], ...] = (
        arrays.kind, arrays.jurisdiction, arrays.hq_country, arrays.nationality, arrays.residence)
    for column in entity_columns:
        h.update(np.ascontiguousarray(column).tobytes())
    edge_columns: tuple[npt.NDArray[Any], ...] = (
        arrays.owner, arrays.owned, arrays.edge_kind, arrays.share_lo, arrays.share_hi,
        arrays.start, arrays.end, arrays.confidence)
    for edge_column in edge_columns:
        h.update(np.ascontiguousarray(edge_column[order]).tobytes())
    if arrays.share_lo_open.shape[0] == arrays.n_edges:
        h.update(np.ascontiguousarray(arrays.share_lo_open[order]).tobytes())
    for table in (arrays.flags, arrays.exceptions):
        for name in sorted(table):
            h.update(name.encode())
            h.update(np.ascontiguousarray(table[name]).tobytes())
    return "g-" + h.hexdigest()[:16]


def evaluate_all(arrays: GraphArrays, policies: Sequence[Policy],
                 as_of: dt.date | str | None = None
                 ) -> tuple[list[DerivedResult], dict[str, dict[str, int]], int]:
    results: list[DerivedResult] = []
    counts: dict[str, dict[str, int]] = {}
    issues = 0
    for n_policy, policy in enumerate(policies):
        result = evaluate(arrays, policy, as_of)
        if n_policy == 0:  # input problems are the same under every policy: report once
            for issue in result.issues[:MAX_LOGGED_ISSUES]:
                log.warning("control input issue", extra={
                    "code": issue.code, "detail": issue.message, "edge": issue.edge,
                    "entity": issue.entity})
        tally = np.bincount(result.verdict, minlength=len(VERDICTS))
        counts[policy.name] = {v: int(c) for v, c in zip(VERDICTS, tally, strict=True)}
        issues += len(result.issues)
        results.extend(derived_results(arrays, result))
    return results, counts, issues


def compute(store: GraphStore, policies: Sequence[Policy], as_of: dt.date | str | None = None,
            generation: str | None = None) -> ComputeSummary:
    """Load the graph, evaluate every policy, write one generation of results."""
    arrays = store.load_arrays()
    gen = generation or content_generation(arrays)
    results, counts, issues = evaluate_all(arrays, policies, as_of)
    written = store.write_results(gen, results)
    log.info("control computed", extra={"generation": gen, "entities": arrays.n_entities,
                                        "edges": arrays.n_edges, "written": written})
    return ComputeSummary(gen, arrays.n_entities, arrays.n_edges, written, counts, issues)
