"""Is a configured Neo4j ready for ownergraph? Version, schema, a write and read, limits.

Each finding names what it checked and, when something is missing, what to do about it;
``ownergraph store check`` prints them and fails when any is not ok.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph.errors import OwnergraphError
from graph.neo4j import statements as nq

if TYPE_CHECKING:
    from graph.neo4j.store import Neo4jStore

# Relationship uniqueness constraints (OWNS.key) exist from Neo4j 5.7 on.
MIN_VERSION = (5, 7)


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-")[0].split(".")[:2] if p.isdigit())


def version_finding(store: Neo4jStore) -> Finding:
    rows = store.run(nq.COMPONENTS)
    kernel = next((r for r in rows if r[0] == "Neo4j Kernel"), rows[0] if rows else None)
    if kernel is None:
        return Finding("version", False, "dbms.components() returned nothing")
    version, edition = str(kernel[1][0]), str(kernel[2])
    ok = _version(version) >= MIN_VERSION
    need = ".".join(map(str, MIN_VERSION))
    return Finding("version", ok, f"Neo4j {version} {edition}"
                   + ("" if ok else f"; ownergraph needs {need} or newer"))


def schema_findings(store: Neo4jStore) -> list[Finding]:
    """One finding per constraint and index of EXPECTED_SCHEMA, found by its shape."""
    present: set[tuple[str, str, str, str]] = set()
    for kind, rows in (("constraint", store.run(nq.SHOW_CONSTRAINTS)),
                       ("index", store.run(nq.SHOW_INDEXES))):
        for row in rows:
            typ, targets, props = row[1], row[2] or [], row[3] or []
            online = kind == "constraint" or row[4] == "ONLINE"
            if len(targets) == 1 and len(props) == 1 and online:
                present.add((kind, str(typ), str(targets[0]), str(props[0])))
    out = []
    for stmt_name, kind, typ, target, prop in nq.EXPECTED_SCHEMA:
        what = f"{kind} {typ} on {target}.{prop}"
        ok = (kind, typ, target, prop) in present
        out.append(Finding(stmt_name, ok, what if ok else
                           f"missing: {what} (`ownergraph store check --create-schema` "
                           "or any ingest creates it)"))
    return out


def probe_finding(store: Neo4jStore) -> Finding:
    """Write a probe node, read it back in a read transaction, delete it."""
    probe = f"probe-{uuid.uuid4().hex}"
    try:
        store.run(nq.PROBE_WRITE, {"id": probe})
        try:
            read_back = store.run(nq.PROBE_READ, {"id": probe})
        finally:
            store.run(nq.PROBE_DELETE, {"id": probe})
    except OwnergraphError as exc:
        return Finding("write/read probe", False, exc.message)
    if read_back != [[probe]]:
        return Finding("write/read probe", False, f"wrote {probe}, read back {read_back}")
    return Finding("write/read probe", True, "wrote, read back and deleted a probe node")


def is_unlimited(size: str) -> bool:
    """A memory setting of zero (how Neo4j spells "no limit"), in any unit."""
    return re.fullmatch(r"0+(\.0+)?\s*([KMGT]i?)?B?", size.strip()) is not None


def memory_finding(store: Neo4jStore) -> Finding:
    """db.memory.transaction.max bounds one transaction (investigator queries included)."""
    try:
        rows = store.run(nq.TRANSACTION_MEMORY)
    except OwnergraphError as exc:  # SHOW SETTINGS needs a privilege the user may lack
        return Finding("db.memory.transaction.max", True, f"not readable: {exc.message}")
    value = str(rows[0][0]) if rows else "0"
    unlimited = is_unlimited(value)
    return Finding("db.memory.transaction.max", not unlimited,
                   f"{value}" if not unlimited else
                   f"{value}: unlimited; set it (e.g. 1g) so one query cannot exhaust the heap")


def check(store: Neo4jStore) -> list[Finding]:
    return [version_finding(store), *schema_findings(store), probe_finding(store),
            memory_finding(store)]
