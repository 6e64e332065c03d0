"""The gazetteer built from the graph's own entities (stored in the real embedded store)."""

from __future__ import annotations

from typing import Any

from graph.model import Entity, EntityKind, Name, Provenance
from matching.news.pipeline import NewsPipeline, gazetteer_from_entities


def _entity(eid: str, name: str, *aliases: Name, source: str = "gleif") -> Entity:
    return Entity(eid, EntityKind.COMPANY, name, Provenance(source, eid), names=aliases)


def test_gazetteer_from_stored_entities_links_names_and_aliases(graph_store: Any) -> None:
    graph_store.upsert_entities([
        _entity("lei:SHELL", "Royal Dutch Shell plc", Name("Shell", kind="other"), Name("壳牌", script="Hans")),
        _entity("gb_crn:00000001", "Securitas AB"),
        _entity("news:pinkerton-s", "Pinkerton 's", source="news"),  # made by news itself: not a pattern source
    ])
    entities = [e for batch in graph_store.iter_entities() for e in batch]
    entries = {e.entity_id: e.names for e in gazetteer_from_entities(entities)}
    assert entries == {"lei:SHELL": ("Royal Dutch Shell plc", "Shell"), "gb_crn:00000001": ("Securitas AB",)}

    pipeline = NewsPipeline(gazetteer_from_entities(entities))
    claims = pipeline.extract_text(
        "Other firms , like Pinkerton 's , which is owned by Securitas of Stockholm , are less well known . "
        "Shell Canada , which is 78 percent owned by Royal Dutch Shell , said it would pay .")
    linked = {(c.owner.entity_id, c.owned.text, c.owned.entity_id) for c in claims}
    assert linked == {("gb_crn:00000001", "Pinkerton", None), ("lei:SHELL", "Shell Canada", None)}
