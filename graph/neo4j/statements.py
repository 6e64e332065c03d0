"""Neo4j 5 dialect: schema DDL and the streamed bulk reads.

Neo4j streams results (the driver fetches records in batches as they are consumed), so the
bulk reads are single statements; the adapter feeds them into numpy columns page by page.
Every statement here and in cypher.py is linted with Neo4j's own front end
(tests/cypher_lint), so only what Neo4j accepts without a diagnostic may be added.
"""

from __future__ import annotations

from graph.cypher.statements import Statement, read

# Prefixed to an investigator's query to have it planned, not run (graph.neo4j.guard).
EXPLAIN = "EXPLAIN "

SCHEMA: tuple[Statement, ...] = (
    Statement("constraint_entity_id",
              "CREATE CONSTRAINT entity_id IF NOT EXISTS FOR (n:Entity) REQUIRE n.id IS UNIQUE"),
    Statement("constraint_owns_key",
              "CREATE CONSTRAINT owns_key IF NOT EXISTS FOR ()-[r:OWNS]-() REQUIRE r.key IS UNIQUE"),
    Statement("constraint_result_key",
              "CREATE CONSTRAINT result_key IF NOT EXISTS FOR (n:Result) REQUIRE n.key IS UNIQUE"),
    Statement("index_entity_canonical",
              "CREATE INDEX entity_canonical IF NOT EXISTS FOR (n:Entity) ON (n.canonical_id)"),
    Statement("index_entity_identifiers",
              "CREATE INDEX entity_identifiers IF NOT EXISTS FOR (n:Entity) ON (n.identifiers)"),
    Statement("index_owns_source",
              "CREATE INDEX owns_source IF NOT EXISTS FOR ()-[r:OWNS]-() ON (r.source)"),
    Statement("index_controls_key",
              "CREATE INDEX controls_key IF NOT EXISTS FOR ()-[r:CONTROLS]-() ON (r.key)"),
)

# What SCHEMA creates, as SHOW CONSTRAINTS / SHOW INDEXES list it: statement, kind
# (constraint or index), type, label or relationship type, property. `store check` looks for
# an item by its shape, so one created under another name counts.
EXPECTED_SCHEMA: tuple[tuple[str, str, str, str, str], ...] = (
    ("constraint_entity_id", "constraint", "UNIQUENESS", "Entity", "id"),
    ("constraint_owns_key", "constraint", "RELATIONSHIP_UNIQUENESS", "OWNS", "key"),
    ("constraint_result_key", "constraint", "UNIQUENESS", "Result", "key"),
    ("index_entity_canonical", "index", "RANGE", "Entity", "canonical_id"),
    ("index_entity_identifiers", "index", "RANGE", "Entity", "identifiers"),
    ("index_owns_source", "index", "RANGE", "OWNS", "source"),
    ("index_controls_key", "index", "RANGE", "CONTROLS", "key"),
)

ENTITY_STREAM = read(
    "entity_stream",
    """
MATCH (n:Entity)
RETURN n.id, coalesce(n.canonical_id, n.id), n.kind, n.jurisdiction, n.hq_country,
       n.nationality, n.residence, n.flags, n.exceptions
""",
)

# One record per owner with all its outgoing edges: Bolt's per-record cost (server and
# driver) is paid per owner, not per edge (about 2-3x faster on the benchmark's graph). The
# list is built per owner as the scan goes, so the transaction never holds more than one
# owner's edges.
EDGE_STREAM = read(
    "edge_stream",
    """
MATCH (a:Entity)
WITH a, [(a)-[r:OWNS]->(b:Entity) |
         [b.id, r.kind, r.share_lo, r.share_hi, r.start, r.end, r.confidence, r.key]] AS owned
WHERE size(owned) > 0
RETURN a.id, owned
""",
)

OPEN_KEYS = read(
    "open_keys",
    """
MATCH ()-[r:OWNS]->()
WHERE r.source = $source AND r.end IS NULL
RETURN r.key, r.published, r.attrs_json
""",
    ("source",),
)

# Removes only what ownergraph writes (tests and benchmarks use a throwaway database).
WIPE = Statement(
    "wipe",
    """
MATCH (n)
WHERE n:Entity OR n:Result OR n:Judgement OR n:Candidate
WITH n LIMIT $limit
DETACH DELETE n
RETURN count(*) AS deleted
""",
    ("limit",),
)

# What `ownergraph store check` reads and the probe it writes (a label of its own, removed
# again: nothing ownergraph reads is touched).
COMPONENTS = read(
    "components",
    "CALL dbms.components() YIELD name, versions, edition RETURN name, versions, edition",
)
SHOW_CONSTRAINTS = read(
    "show_constraints",
    "SHOW CONSTRAINTS YIELD name, type, labelsOrTypes, properties "
    "RETURN name, type, labelsOrTypes, properties",
)
SHOW_INDEXES = read(
    "show_indexes",
    "SHOW INDEXES YIELD name, type, labelsOrTypes, properties, state "
    "RETURN name, type, labelsOrTypes, properties, state",
)
TRANSACTION_MEMORY = read(
    "transaction_memory",
    "SHOW SETTINGS YIELD name, value WHERE name = 'db.memory.transaction.max' RETURN value",
)
PROBE_WRITE = Statement(
    "probe_write", "CREATE (p:OwnergraphProbe {id: $id}) RETURN p.id AS id", ("id",))
PROBE_READ = read(
    "probe_read", "MATCH (p:OwnergraphProbe {id: $id}) RETURN p.id AS id", ("id",))
PROBE_DELETE = Statement(
    "probe_delete",
    "MATCH (p:OwnergraphProbe {id: $id}) DELETE p RETURN count(*) AS deleted", ("id",))
CHECK_STATEMENTS: tuple[Statement, ...] = (
    COMPONENTS, SHOW_CONSTRAINTS, SHOW_INDEXES, TRANSACTION_MEMORY, PROBE_WRITE, PROBE_READ,
    PROBE_DELETE)

NEO4J_STATEMENTS: tuple[Statement, ...] = (*SCHEMA, ENTITY_STREAM, EDGE_STREAM, OPEN_KEYS, WIPE,
                                           *CHECK_STATEMENTS)


def neo4j_registry() -> tuple[Statement, ...]:
    """Every statement the Neo4j adapter can send (the lint checks exactly these)."""
    from graph.cypher.statements import DATA_STATEMENTS

    return (*DATA_STATEMENTS, *NEO4J_STATEMENTS)
