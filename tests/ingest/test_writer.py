"""The background batch writer: batches of one kind stream into the store together, and a
record the store refuses is handed back with its reason while the rest is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from graph.model import Entity, EntityKind, InterestKind, OwnershipEdge, Provenance
from ingest import writer as writer_module
from ingest.writer import BatchWriter


@dataclass
class Counts:
    entities: int = 0
    edges: int = 0


def company(i: int) -> Entity:
    return Entity(f"c{i}", EntityKind.COMPANY, f"Company {i}", Provenance("csv", f"e{i}"))


def stake(owner: int, owned: int, share: float, record: str) -> OwnershipEdge:
    return OwnershipEdge(f"c{owner}", f"c{owned}", InterestKind.SHAREHOLDING,
                         Provenance("csv", record), share, share)


@pytest.mark.parametrize("stream_batches", [1, 2, 8])
def test_a_refused_record_is_handed_back_and_the_rest_written(
        graph_store: Any, monkeypatch: pytest.MonkeyPatch, stream_batches: int) -> None:
    monkeypatch.setattr(writer_module, "STREAM_BATCHES", stream_batches)
    refused: list[tuple[Any, str]] = []
    counts = Counts()
    out = BatchWriter(graph_store, counts, lambda item, why: refused.append((item, why)))
    out.put([company(i) for i in range(6)])
    out.put([stake(0, 1, 0.5, "s1"), stake(1, 2, 0.5, "s2")])
    bad = stake(2, 3, float("nan"), "s3")  # the store refuses a share that is not a number
    out.put([stake(3, 4, 0.2, "s4"), bad, stake(4, 5, 0.3, "s5")])
    out.put([stake(5, 0, 0.1, "s6")])
    out.put([company(i) for i in range(6, 9)])  # the other kind again ends a stream
    out.close()
    assert [(item.provenance.record_id, "share_lo" in why) for item, why in refused] == [("s3", True)]
    assert (counts.entities, counts.edges) == (9, 5)
    assert graph_store.count("Entity") == 9 and graph_store.count("OWNS") == 5
    assert [e["share_lo"] for e in graph_store.owners("c5")] == [0.3]


def test_a_later_batch_of_the_same_record_wins(graph_store: Any) -> None:
    counts = Counts()
    out = BatchWriter(graph_store, counts, lambda item, why: None)
    graph_store.upsert_entities([company(0), company(1)])
    for share in (0.1, 0.2, 0.3):
        out.put([stake(0, 1, share, "s1")])
    out.close()
    assert [e["share_lo"] for e in graph_store.owners("c1")] == [0.3]
