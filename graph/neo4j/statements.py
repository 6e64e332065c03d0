"""Neo4j 5 dialect: schema DDL and the streamed bulk reads.

Neo4j streams results (the driver fetches records in batches as they are consumed), so the
bulk reads are single statements; the adapter feeds them into numpy columns page by page.
Every statement here and in cypher.py is linted with Neo4j's own front end
(tests/cypher_lint), so only what Neo4j accepts without a diagnostic may be added.
"""

from __future__ import annotations

from graph.cypher.statements import Statement, read

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

ENTITY_STREAM = read(
    "entity_stream",
    """
MATCH (n:Entity)
RETURN n.id, coalesce(n.canonical_id, n.id), n.kind, n.jurisdiction, n.hq_country,
       n.nationality, n.residence, n.flags, n.exceptions
""",
)

EDGE_STREAM = read(
    "edge_stream",
    """
MATCH (a:Entity)-[r:OWNS]->(b:Entity)
RETURN a.id, b.id, r.kind, r.share_lo, r.share_hi, r.start, r.end, r.confidence, r.key
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

NEO4J_STATEMENTS: tuple[Statement, ...] = (*SCHEMA, ENTITY_STREAM, EDGE_STREAM, OPEN_KEYS, WIPE)


def neo4j_registry() -> tuple[Statement, ...]:
    """Every statement the Neo4j adapter can send (the lint checks exactly these)."""
    from graph.cypher.statements import DATA_STATEMENTS

    return (*DATA_STATEMENTS, *NEO4J_STATEMENTS)
