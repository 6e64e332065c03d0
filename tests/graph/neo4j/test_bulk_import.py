"""The neo4j-admin import CSV set: typed headers, the adapter's own property values, lists
split on the array delimiter, text with commas, quotes and line breaks kept, placeholder
endpoints as the upsert makes them, and refusals that would corrupt an import."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from graph.model import (
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Name,
    OwnershipEdge,
    Provenance,
)
from graph.neo4j.bulk_import import write_import_set


def _entity(eid: str, name: str, **kw: object) -> Entity:
    return Entity(id=eid, kind=EntityKind.COMPANY, name=name, provenance=Provenance(source="test", record_id=eid),
                  **kw)  # type: ignore[arg-type]


def _edge(owner: str, owned: str, record: str, share: float) -> OwnershipEdge:
    return OwnershipEdge(owner=owner, owned=owned, kind=InterestKind.SHAREHOLDING, share_lo=share,
                         share_hi=share, provenance=Provenance(source="test", record_id=record))


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_entities_and_edges_with_placeholders(tmp_path: Path) -> None:
    entities = [
        _entity("a", 'Acme, "Holdings"\nLtd', jurisdiction="GB",
                identifiers=(Identifier("lei", "529900T8BM49AURSDO55"), Identifier("gb_crn", "00000001")),
                names=(Name("ACME HOLDINGS", kind="other"),)),
        _entity("b", "Beta GmbH", jurisdiction="DE"),
    ]
    edges = [_edge("a", "b", "k1", 0.6), _edge("ghost", "a", "k2", 0.25)]
    made = write_import_set(tmp_path, entities, edges, canonical={"b": "a"})
    assert (made.entities, made.placeholders, made.edges) == (2, 1, 2)
    assert "--nodes=Entity=entities.csv" in made.command and "--array-delimiter=';'" in made.command
    nodes = _rows(tmp_path / "entities.csv")
    header = list(nodes[0])
    assert header[:2] == ["id:ID(Entity)", "canonical_id"] and "identifiers:string[]" in header
    assert "confidence:double" in header and header[-1] == ":LABEL"
    by_id = {r["id:ID(Entity)"]: r for r in nodes}
    assert by_id["a"]["name"] == 'Acme, "Holdings"\nLtd'
    assert by_id["a"]["identifiers:string[]"].split(";") == ["lei:529900T8BM49AURSDO55", "gb_crn:00000001"]
    assert by_id["b"]["canonical_id"] == "a"  # the resolution given overrides the stored one
    assert by_id["ghost"]["placeholder:boolean"] == "true" and by_id["ghost"]["kind"] == "unknown"
    owns = _rows(tmp_path / "owns.csv")
    assert [(r[":START_ID(Entity)"], r[":END_ID(Entity)"], r["key"], r["share_lo:double"]) for r in owns] == [
        ("a", "b", "test|k1|a|b|shareholding", "0.6"), ("ghost", "a", "test|k2|ghost|a|shareholding", "0.25")]
    assert all(r[":TYPE"] == "OWNS" for r in owns)


def test_refuses_duplicate_edge_keys_and_delimiters_in_lists(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="appears twice"):
        write_import_set(tmp_path, [], [_edge("a", "b", "k", 0.5), _edge("a", "b", "k", 0.4)])
    odd = _entity("x", "X", flags=frozenset({"listed;state"}))
    with pytest.raises(ValueError, match="array delimiter"):
        write_import_set(tmp_path, [odd], [])
