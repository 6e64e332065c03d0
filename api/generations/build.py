"""From the graph's columns and entity views to a generation artifact (pure).

Every policy in force is evaluated once, here; what is served, diffed, guarded and written
back to the store for Cypher readers are the answers computed in this step.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from api.generations.artifact import Artifact, utc_now
from api.views import EntityView, data_as_of
from graph.arrays import GraphArrays, content_id
from graph.control.answers import answers_of
from graph.control.engine import ControlResult, evaluate
from graph.control.explain import Explainer, reason_histogram
from graph.control.policies import Policy, policy_table
from graph.control.served import PolicyAnswers
from graph.store import DerivedResult

log = logging.getLogger(__name__)
MAX_LOGGED_ISSUES = 50


@dataclass(frozen=True)
class SourceRun:
    """What one source contributed to this run (records read decide the shrink guard)."""

    name: str
    format: str
    files: tuple[str, ...]
    records: int
    run_ids: tuple[str, ...] = ()
    quarantined: int = 0


@dataclass(frozen=True)
class RunInfo:
    sources: Sequence[SourceRun] = field(default_factory=tuple)
    trigger: str = "manual"  # manual | schedule | api


@dataclass(frozen=True)
class BuildContext:
    """What a generation records besides the graph itself."""

    graph: str
    policies: Sequence[Policy]
    run: RunInfo = field(default_factory=RunInfo)
    previous: dict[str, Any] | None = None  # the current generation's manifest


@dataclass(frozen=True)
class Evaluated:
    """Every policy's answers, and the evaluations they were derived from."""

    answers: dict[str, PolicyAnswers]
    evaluations: dict[str, ControlResult]


def evaluate_policies(arrays: GraphArrays, policies: Sequence[Policy],
                      as_of: dt.date | str | None = None) -> Evaluated:
    """Each policy evaluated once; input problems (the same under every policy) logged once."""
    out = Evaluated({}, {})
    for n, policy in enumerate(policies):
        result = evaluate(arrays, policy, as_of)
        if n == 0:
            for issue in result.issues[:MAX_LOGGED_ISSUES]:
                log.warning("control input issue", extra={
                    "code": issue.code, "detail": issue.message, "edge": issue.edge,
                    "entity": issue.entity})
        out.answers[policy.name] = answers_of(arrays, result)
        out.evaluations[policy.name] = result
    return out


def evidence_edge_indices(answers: dict[str, PolicyAnswers]) -> Any:
    """Every edge some policy's evidence path uses (sorted, once)."""
    return np.unique(np.concatenate([a.evidence.edges.values for a in answers.values()]
                                    or [np.array([], dtype=np.int64)]))


def evidence_targets(arrays: GraphArrays, answers: dict[str, PolicyAnswers]) -> list[str]:
    """Canonical ids of the entities evidence edges point into (whose provenance to fetch)."""
    edges = evidence_edge_indices(answers)
    return sorted({str(i) for i in arrays.ids[arrays.owned[edges]].tolist()})


def source_counts(previous: dict[str, Any] | None, run: RunInfo) -> dict[str, dict[str, Any]]:
    """This run's sources, and the previous generation's for sources not re-read now."""
    sources: dict[str, dict[str, Any]] = dict((previous or {}).get("sources") or {})
    for s in run.sources:
        sources[s.name] = {"format": s.format, "files": list(s.files), "records": s.records,
                           "quarantined": s.quarantined, "run_ids": list(s.run_ids)}
    return sources


def build_artifact(arrays: GraphArrays, views: dict[str, EntityView], evaluated: Evaluated,
                   provenance: dict[str, dict[str, Any]], context: BuildContext) -> Artifact:
    """Columns, views, answers (with their evaluations) and evidence provenance -> an
    artifact with its manifest."""
    answers = evaluated.answers
    keys = set(arrays.edge_key[evidence_edge_indices(answers)].tolist()) \
        if arrays.edge_key.shape[0] == arrays.n_edges else set()
    manifest = {
        "id": content_id(arrays), "created": utc_now(), "graph": context.graph,
        "entities": arrays.n_entities, "edges": arrays.n_edges,
        "data_as_of": data_as_of(views.values()),
        "policies": {name: a.counts() for name, a in answers.items()},
        "reasons": {name: reason_histogram(Explainer.build(arrays, result))
                    for name, result in evaluated.evaluations.items()},
        "policy_tables": {p.name: policy_table(p) for p in context.policies},
        "sources": source_counts(context.previous, context.run),
        "run": {"trigger": context.run.trigger, "sources": [s.name for s in context.run.sources]},
    }
    return Artifact(manifest, arrays, views, answers,
                    {k: v for k, v in provenance.items() if k in keys}, evaluated.evaluations)


def derived_results(artifact: Artifact) -> list[DerivedResult]:
    """The artifact's answers as the store's Result rows (what Cypher readers see)."""
    ids = artifact.arrays.ids
    out = []
    for policy, a in artifact.answers.items():
        for y in range(artifact.arrays.n_entities):
            tops = list(a.controllers.of(y))
            out.append(DerivedResult(
                entity_id=str(ids[y]), policy=policy, verdict=a.verdict_name(y),
                exposure_lo=float(a.exposure_lo[y]), exposure_hi=float(a.exposure_hi[y]),
                controllers=tuple(str(ids[c[0]]) for c in tops),
                basis=tuple(c[1].label for c in tops)))
    return out
