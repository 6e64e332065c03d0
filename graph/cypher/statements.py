"""Data statements, written once in the openCypher both FalkorDB and Neo4j accept.

Every statement is a named constant and listed in ``DATA_STATEMENTS`` so that the Neo4j
front-end lint (tests/cypher_lint) sees everything an adapter can send. Parameters only:
nothing here is ever formatted with values. Schema (indexes, constraints) and the bulk
streaming reads differ per dialect and live in ``graph/falkordb/statements.py`` / ``graph/neo4j/statements.py``.

Dialect notes that shaped these: FalkorDB stores neither maps nor nulls as property values
(nested data travels as ``*_json`` strings; ``SET n += row`` with a null removes the
property, as in Neo4j); a plain MATCH may not follow an OPTIONAL MATCH; variable-length
bounds cannot be parameters in Neo4j, so hop limits are a fixed maximum plus a filter.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Statement:
    """A named Cypher statement and example parameters (used to declare them to the lint)."""

    name: str
    text: str
    params: tuple[str, ...] = ()
    # "read" statements run in read transactions (Neo4j) / GRAPH.RO_QUERY (FalkorDB).
    mode: str = "write"


def read(name: str, text: str, params: tuple[str, ...] = ()) -> Statement:
    return Statement(name, text, params, mode="read")


MAX_HOPS = 10

# An upsert replaces the node's properties with what the latest record says (absent values
# are simply not stored, which is how both stores treat null) and keeps the resolution.
UPSERT_ENTITIES = Statement(
    "upsert_entities",
    """
UNWIND $rows AS row
MERGE (n:Entity {id: row.id})
WITH n, row, n.canonical_id AS resolved
SET n = row.props,
    n.canonical_id = coalesce(row.canonical_id, resolved, row.id)
""",
    ("rows",),
)

# Endpoints not (yet) written by their own source become placeholders, so an edge is
# never dropped for arriving before its entities; the entity upsert replaces them. Shared
# by every edge upsert (a fixed text: no values are ever formatted into it).
MERGE_EDGE_ENDPOINTS = """
MERGE (a:Entity {id: row.owner})
  ON CREATE SET a.canonical_id = row.owner, a.kind = 'unknown', a.name = row.owner,
                a.placeholder = true
MERGE (b:Entity {id: row.owned})
  ON CREATE SET b.canonical_id = row.owned, b.kind = 'unknown', b.name = row.owned,
                b.placeholder = true
"""

# An edge upsert replaces the edge's properties: a re-seen edge that had been end-dated
# re-opens. Only its history (earlier values) stays unless the row brings a longer one.
UPSERT_EDGES = Statement(
    "upsert_edges",
    """
UNWIND $rows AS row"""
    + MERGE_EDGE_ENDPOINTS
    + """MERGE (a)-[r:OWNS {key: row.key}]->(b)
WITH r, row, r.history_json AS kept
SET r = row.props
SET r.history_json = coalesce(row.props.history_json, kept)
""",
    ("rows",),
)

END_EDGES = Statement(
    "end_edges",
    """
UNWIND $keys AS key
MATCH ()-[r:OWNS {key: key}]->()
WHERE r.end IS NULL
SET r.end = $end, r.ended_run = $run_id
RETURN collect(r.key) AS ended
""",
    ("keys", "end", "run_id"),
)

SET_CANONICAL = Statement(
    "set_canonical",
    """
UNWIND $rows AS row
MATCH (n:Entity {id: row.id})
SET n.canonical_id = row.canonical_id
RETURN count(n) AS updated
""",
    ("rows",),
)

GET_ENTITY = read(
    "get_entity",
    """
MATCH (n:Entity {id: $id})
RETURN properties(n) AS props
""",
    ("id",),
)

COUNT_ENTITIES = read("count_entities", "MATCH (n:Entity) RETURN count(n) AS n")
COUNT_OWNS = read("count_owns", "MATCH ()-[r:OWNS]->() RETURN count(r) AS n")
COUNT_CONTROLS = read("count_controls", "MATCH ()-[r:CONTROLS]->() RETURN count(r) AS n")
COUNT_RESULTS = read("count_results", "MATCH (n:Result) RETURN count(n) AS n")
COUNT_JUDGEMENTS = read("count_judgements", "MATCH (n:Judgement) RETURN count(n) AS n")
COUNT_CANDIDATES = read("count_candidates", "MATCH (n:Candidate) RETURN count(n) AS n")

# Entities in pages ordered by id (keyset pagination: each page starts after the last id).
ENTITY_PAGE = read(
    "entity_page",
    """
MATCH (n:Entity)
WHERE n.id > $after
RETURN properties(n) AS props
ORDER BY n.id
LIMIT $limit
""",
    ("after", "limit"),
)

# Owners of every member of a canonical cluster, up to $hops links (MAX_HOPS at most).
OWNERS = read(
    "owners",
    """
MATCH p = (:Entity)-[:OWNS*1..10]->(e:Entity {canonical_id: $id})
WHERE length(p) <= $hops
UNWIND range(0, length(p) - 1) AS i
WITH p, i, relationships(p)[i] AS r
RETURN DISTINCT nodes(p)[i].id AS owner, nodes(p)[i + 1].id AS owned,
       length(p) - i AS depth, properties(r) AS props
ORDER BY depth, owner, owned
LIMIT $limit
""",
    ("id", "hops", "limit"),
)

SUBSIDIARIES = read(
    "subsidiaries",
    """
MATCH p = (e:Entity {canonical_id: $id})-[:OWNS*1..10]->(:Entity)
WHERE length(p) <= $hops
UNWIND range(0, length(p) - 1) AS i
WITH p, i, relationships(p)[i] AS r
RETURN DISTINCT nodes(p)[i].id AS owner, nodes(p)[i + 1].id AS owned,
       i + 1 AS depth, properties(r) AS props
ORDER BY depth, owner, owned
LIMIT $limit
""",
    ("id", "hops", "limit"),
)

PATHS = read(
    "paths",
    """
MATCH p = (s:Entity {canonical_id: $source})-[:OWNS*1..10]->(t:Entity {canonical_id: $target})
WHERE length(p) <= $max_hops
WITH p
ORDER BY length(p)
LIMIT $limit
RETURN [x IN nodes(p) | x.id] AS ids, [r IN relationships(p) | properties(r)] AS props
""",
    ("source", "target", "max_hops", "limit"),
)

ADD_JUDGEMENT = Statement(
    "add_judgement",
    """
CREATE (j:Judgement)
SET j = $props
""",
    ("props",),
)

JUDGEMENTS = read(
    "judgements",
    """
MATCH (j:Judgement)
RETURN properties(j) AS props
ORDER BY j.at, j.seq
""",
)

DELETE_CANDIDATES = Statement(
    "delete_candidates",
    """
MATCH (c:Candidate)
WITH c LIMIT $limit
DELETE c
RETURN count(*) AS deleted
""",
    ("limit",),
)

CREATE_CANDIDATES = Statement(
    "create_candidates",
    """
UNWIND $rows AS row
CREATE (c:Candidate)
SET c = row
""",
    ("rows",),
)

CANDIDATES = read(
    "candidates",
    """
MATCH (c:Candidate)
WHERE $status IS NULL OR c.status = $status
RETURN properties(c) AS props
ORDER BY c.probability DESC, c.left, c.right
""",
    ("status",),
)

# Per-generation results: one Result node per (generation, policy, entity) and
# CONTROLS edges from each controller; re-writing a generation replaces its results.
WRITE_RESULTS = Statement(
    "write_results",
    """
UNWIND $rows AS row
MATCH (e:Entity {id: row.entity_id})
MERGE (res:Result {key: row.key})
SET res += row.props
MERGE (e)-[:HAS_RESULT]->(res)
""",
    ("rows",),
)

WRITE_CONTROLS = Statement(
    "write_controls",
    """
UNWIND $rows AS row
MATCH (c:Entity {id: row.controller})
MATCH (e:Entity {id: row.entity_id})
MERGE (c)-[k:CONTROLS {key: row.key}]->(e)
SET k.generation = row.generation, k.policy = row.policy, k.basis = row.basis
""",
    ("rows",),
)

DELETE_GENERATION_CONTROLS = Statement(
    "delete_generation_controls",
    """
MATCH ()-[k:CONTROLS]->()
WHERE k.generation = $generation
DELETE k
""",
    ("generation",),
)

# Results of every other generation go when one is published: the store holds the served
# generation's answers only (bounded per run, so a large graph never needs one transaction).
DELETE_OTHER_RESULTS = Statement(
    "delete_other_results",
    """
MATCH (res:Result)
WHERE res.generation <> $generation
WITH res LIMIT $limit
DETACH DELETE res
RETURN count(*) AS deleted
""",
    ("generation", "limit"),
)

DELETE_OTHER_CONTROLS = Statement(
    "delete_other_controls",
    """
MATCH ()-[k:CONTROLS]->()
WHERE k.generation <> $generation
WITH k LIMIT $limit
DELETE k
RETURN count(*) AS deleted
""",
    ("generation", "limit"),
)

# Provenance of the edges into a set of canonical entities (evidence of a generation).
EDGE_PROVENANCE = read(
    "edge_provenance",
    """
UNWIND $ids AS id
MATCH (:Entity)-[r:OWNS]->(e:Entity {canonical_id: id})
RETURN r.key AS key, r.source AS source, r.record_id AS record_id, r.file AS file,
       r.location AS location, r.published AS published, r.retrieved AS retrieved,
       r.run_id AS run_id, r.confidence AS confidence
""",
    ("ids",),
)

DATA_STATEMENTS: tuple[Statement, ...] = (
    UPSERT_ENTITIES, UPSERT_EDGES, END_EDGES, SET_CANONICAL, GET_ENTITY,
    COUNT_ENTITIES, COUNT_OWNS, COUNT_CONTROLS, COUNT_RESULTS, COUNT_JUDGEMENTS,
    COUNT_CANDIDATES, ENTITY_PAGE, OWNERS, SUBSIDIARIES, PATHS, ADD_JUDGEMENT, JUDGEMENTS,
    DELETE_CANDIDATES, CREATE_CANDIDATES, CANDIDATES, WRITE_RESULTS, WRITE_CONTROLS,
    DELETE_GENERATION_CONTROLS, DELETE_OTHER_RESULTS, DELETE_OTHER_CONTROLS, EDGE_PROVENANCE,
)

COUNT_BY_LABEL: dict[str, Statement] = {
    "Entity": COUNT_ENTITIES,
    "OWNS": COUNT_OWNS,
    "CONTROLS": COUNT_CONTROLS,
    "Result": COUNT_RESULTS,
    "Judgement": COUNT_JUDGEMENTS,
    "Candidate": COUNT_CANDIDATES,
}
