"""A generation's graph as the CSV set ``neo4j-admin database import full`` reads, for loading
a large graph into a NEW Neo4j database far faster than transactional upserts.

Files: ``entities.csv`` (label Entity, the same properties the adapter's upsert stores,
from ``graph.cypher.rows.entity_values``) and ``owns.csv`` (type OWNS, the properties of
``edge_values``), each with a typed header; list properties use ``;`` between items
(``--array-delimiter=;``); text may span lines (``--multiline-fields=true``). Endpoints
an edge names but no entity row describes get placeholder rows (kind unknown, flagged
``placeholder``), as the upsert makes them. Then, with the database stopped or new::

    neo4j-admin database import full --nodes=Entity=entities.csv --relationships=OWNS=owns.csv \\
        --array-delimiter=';' --multiline-fields=true --overwrite-destination=true <database>

and open it once with ownergraph (``ensure_schema`` creates the constraints and indexes).
FalkorDB stays the embedded default; this set is for a Neo4j server or cluster.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graph.cypher.rows import (
    EDGE_PROPS,
    EDGE_PROPS_AT,
    ENTITY_PROPS,
    ENTITY_PROPS_AT,
    edge_values,
    entity_values,
)
from graph.model import Entity, OwnershipEdge

ARRAY_DELIMITER = ";"
_ENTITY_TYPES = {"identifiers": "string[]", "flags": "string[]", "exceptions": "string[]", "confidence": "double",
                 "placeholder": "boolean"}
_EDGE_TYPES = {"share_lo": "double", "share_hi": "double", "confidence": "double"}


@dataclass(frozen=True)
class ImportSet:
    entities: int
    placeholders: int
    edges: int
    command: str


def _header(names: Iterable[str], types: Mapping[str, str]) -> list[str]:
    return [f"{n}:{types[n]}" if n in types else n for n in names]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        for item in value:
            if ARRAY_DELIMITER in str(item):
                raise ValueError(f"list item {item!r} holds the array delimiter {ARRAY_DELIMITER!r}")
        return ARRAY_DELIMITER.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_import_set(out: Path, entities: Iterable[Entity], edges: Iterable[OwnershipEdge],
                     canonical: Mapping[str, str] | None = None) -> ImportSet:
    """Write ``entities.csv`` and ``owns.csv`` under ``out``; ``canonical`` overrides the
    entities' canonical ids (a resolution loaded from a cluster's results)."""
    out.mkdir(parents=True, exist_ok=True)
    canonical = canonical or {}
    seen: set[str] = set()
    with (out / "entities.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id:ID(Entity)", "canonical_id", *_header(ENTITY_PROPS, _ENTITY_TYPES), "placeholder:boolean",
                         ":LABEL"])
        for e in entities:
            values = entity_values(e)
            seen.add(values[0])
            cid = canonical.get(values[0]) or values[1] or values[0]
            writer.writerow([values[0], cid, *(_cell(v) for v in values[ENTITY_PROPS_AT:]), "", "Entity"])
        n_entities = len(seen)
        placeholders, n_edges = _write_edges(out, edges, seen, writer)
    command = ("neo4j-admin database import full --nodes=Entity=entities.csv --relationships=OWNS=owns.csv "
               f"--array-delimiter='{ARRAY_DELIMITER}' --multiline-fields=true --overwrite-destination=true "
               "<database>")
    return ImportSet(n_entities, placeholders, n_edges, command)


def _write_edges(out: Path, edges: Iterable[OwnershipEdge], seen: set[str], entity_writer: Any) -> tuple[int, int]:
    placeholders = count = 0
    keys: set[str] = set()
    with (out / "owns.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([":START_ID(Entity)", ":END_ID(Entity)", "key", *_header(EDGE_PROPS, _EDGE_TYPES), ":TYPE"])
        for edge in edges:
            values = edge_values(edge)
            if values[2] in keys:
                raise ValueError(f"edge key {values[2]!r} appears twice (the OWNS key is unique)")
            keys.add(values[2])
            for end in values[:2]:
                if end not in seen:  # as MERGE_EDGE_ENDPOINTS makes them
                    seen.add(end)
                    placeholders += 1
                    row = {"kind": "unknown", "name": end}
                    entity_writer.writerow([end, end, *(_cell(row.get(p)) for p in ENTITY_PROPS), "true", "Entity"])
            writer.writerow([values[0], values[1], values[2], *(_cell(v) for v in values[EDGE_PROPS_AT:]), "OWNS"])
            count += 1
    return placeholders, count
