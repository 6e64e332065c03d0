"""The store's entities as a Parquet record set for a cluster to resolve, and the cluster's
canonical ids loaded back (``ownergraph ingest --emit-records`` / ``--canonical``).

A record set carries each entity's current canonical id (``previous``), so a resolution
elsewhere keeps ids stable exactly as ``ownergraph resolve`` does. Loading checks the whole
file before writing anything: every record id must be a stored entity and every canonical
id one of the record ids of the file (a canonical id is always a member's id).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from graph.errors import BadInput
from graph.store import GraphStore


@dataclass(frozen=True)
class CanonicalLoad:
    rows: int
    changed: int
    clusters: int


def emit_record_set(store: GraphStore, path: Path) -> int:
    """Every stored entity as a resolution record (all names, identifiers, address, country)."""
    from matching.parquet import write_record_set
    from matching.records import record_from_entity

    records = []
    previous: dict[str, str] = {}
    for batch in store.iter_entities():
        for e in batch:
            records.append(record_from_entity(e))
            if e.canonical_id:
                previous[e.id] = e.canonical_id
    return write_record_set(path, records, previous)


def read_canonical(path: Path) -> dict[str, str]:
    """``record_id`` -> ``canonical_id`` of a results file; a bad row names file and row."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(str(path), columns=["record_id", "canonical_id"])
    except (OSError, ValueError, KeyError) as exc:
        raise BadInput(f"{path}: not a results file with record_id, canonical_id ({exc})", file=str(path)) from exc
    out: dict[str, str] = {}
    for number, (rid, cid) in enumerate(zip(table.column("record_id").to_pylist(),
                                            table.column("canonical_id").to_pylist(), strict=True), start=1):
        where = f"{path}:row {number}"
        if not rid or not cid:
            raise BadInput(f"{where}: record_id and canonical_id are required", file=str(path), where=where)
        if rid in out:
            raise BadInput(f"{where}: record {rid!r} appears twice", file=str(path), where=where)
        out[rid] = cid
    for rid, cid in out.items():
        if cid not in out:
            raise BadInput(f"{path}: canonical id {cid!r} of {rid!r} is not a record of the file",
                           file=str(path), field="canonical_id")
    return out


def load_canonical(store: GraphStore, path: Path) -> CanonicalLoad:
    """Set the canonical ids of a results file; nothing is written when any row is wrong."""
    mapping = read_canonical(path)
    current = {e.id: e.canonical_id or e.id for batch in store.iter_entities() for e in batch}
    unknown = sorted(set(mapping) - set(current))
    if unknown:
        raise BadInput(f"{path}: {len(unknown)} record ids are not stored entities, e.g. {unknown[:3]}",
                       file=str(path), field="record_id")
    store.set_canonical(mapping)
    return CanonicalLoad(rows=len(mapping), changed=sum(1 for k, v in mapping.items() if current[k] != v),
                         clusters=len(set(mapping.values())))
