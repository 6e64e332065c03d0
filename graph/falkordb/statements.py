"""FalkorDB dialect: schema and the paged bulk reads.

FalkorDB makes unique constraints with the ``GRAPH.CONSTRAINT CREATE`` command on an
existing range index (not Cypher DDL), so the constraints are listed here as data for the
adapter to issue.

``OWNS.key`` has no index here: maintaining it was more than half of the server time of an
edge write (figures in docs/stores.md). Nothing needs it: every edge write looks its key up between its two endpoints
(the key names both, ``OwnershipEdge.key``), and FalkorDB runs the write queries on a graph
one at a time, so that look-up-then-create cannot race another writer. End-dating finds
edges by their endpoints' node ids too. Bulk reads page by internal node id ranges: ``id(n) >= $lo AND
id(n) < $hi`` becomes a NodeByIdRangeScan, so every page costs only its own size (SKIP/LIMIT
pages would rescan from the start and grow quadratically).
"""

from __future__ import annotations

from graph.cypher.statements import MERGE_EDGE_ENDPOINTS, Statement, read
from graph.falkordb.bulk import PLACEHOLDER_ENTITY_COPY

INDEXES: tuple[Statement, ...] = (
    Statement("index_entity_id", "CREATE INDEX FOR (n:Entity) ON (n.id)"),
    Statement("index_entity_canonical", "CREATE INDEX FOR (n:Entity) ON (n.canonical_id)"),
    Statement("index_entity_identifiers", "CREATE INDEX FOR (n:Entity) ON (n.identifiers)"),
    Statement("index_controls_key", "CREATE INDEX FOR ()-[r:CONTROLS]-() ON (r.key)"),
    Statement("index_result_key", "CREATE INDEX FOR (n:Result) ON (n.key)"),
)

# (entity type, label, property) for GRAPH.CONSTRAINT CREATE <graph> UNIQUE ...
UNIQUE_CONSTRAINTS: tuple[tuple[str, str, str], ...] = (
    ("NODE", "Entity", "id"),
    ("NODE", "Result", "key"),
)
# What stores made by earlier versions have and ensure_schema removes (see above).
RETIRED_CONSTRAINTS: tuple[tuple[str, str, str], ...] = (("RELATIONSHIP", "OWNS", "key"),)
RETIRED_INDEXES: tuple[Statement, ...] = (
    Statement("drop_index_owns_key", "DROP INDEX FOR ()-[r:OWNS]-() ON (r.key)"),
)

MAX_ENTITY_NODE_ID = read(
    "max_entity_node_id", "MATCH (n:Entity) RETURN max(id(n)) AS top"
)

ENTITY_RANGE = read(
    "entity_range",
    """
MATCH (n:Entity)
WHERE id(n) >= $lo AND id(n) < $hi
RETURN id(n), n.id, n.canonical_id, n.kind, n.jurisdiction, n.hq_country,
       n.nationality, n.residence, n.flags, n.exceptions
""",
    ("lo", "hi"),
)

EDGE_RANGE = read(
    "edge_range",
    """
MATCH (a:Entity)-[r:OWNS]->(b)
WHERE id(a) >= $lo AND id(a) < $hi
RETURN id(a), id(b), r.kind, r.share_lo, r.share_hi, r.start, r.end, r.confidence, r.key
""",
    ("lo", "hi"),
)

# iter_entities pages by id range too: keyset pages ordered by n.id would sort the rest of
# the graph for every page in FalkorDB.
ENTITY_PROPS_RANGE = read(
    "entity_props_range",
    """
MATCH (n:Entity)
WHERE id(n) >= $lo AND id(n) < $hi
RETURN properties(n) AS props
""",
    ("lo", "hi"),
)

OPEN_KEYS_RANGE = read(
    "open_keys_range",
    """
MATCH (a:Entity)-[r:OWNS]->(b:Entity)
WHERE id(a) >= $lo AND id(a) < $hi AND r.source = $source AND r.end IS NULL
RETURN r.key, id(a), id(b), r.published, r.attrs_json
""",
    ("lo", "hi", "source"),
)

# End-dating rewrites the leading end-day characters of the bulk-load copy in place
# ($end_code, $end_width: graph/falkordb/bulk.py). A copy without $sep was written in an
# earlier layout: left alone (its page is read row by row; nothing is lost).
SET_BULK_END = """SET r.bulk = CASE WHEN r.bulk CONTAINS $sep
  THEN $end_code + substring(r.bulk, $end_width) ELSE r.bulk END
"""

# Open edges ended where OPEN_KEYS_RANGE found them: rows are [owner node, owned node, key].
# Returns the keys it ended; a key missing from the answer (its node id reused meanwhile)
# is ended by END_EDGES_SCAN.
END_EDGES_AT = Statement(
    "end_edges_at",
    """
UNWIND $rows AS row
WITH row, row[0] AS owner_node
MATCH (a) WHERE id(a) = owner_node
WITH row, a, row[1] AS owned_node
MATCH (a)-[r:OWNS]->(b)
WHERE id(b) = owned_node AND r.key = row[2] AND r.end IS NULL
SET r.end = $end, r.ended_run = $run_id
""" + SET_BULK_END + """RETURN collect(r.key)
""",
    ("rows", "end", "run_id", "end_code", "end_width", "sep"),
)

# The same by key alone, one scan of all OWNS edges per call (there is no key index).
END_EDGES_SCAN = Statement(
    "end_edges_scan",
    """
MATCH ()-[r:OWNS]->()
WHERE r.end IS NULL AND r.key IN $keys
SET r.end = $end, r.ended_run = $run_id
""" + SET_BULK_END + """RETURN collect(r.key) AS ended
""",
    ("keys", "end", "run_id", "end_code", "end_width", "sep"),
)

# The same pages packed into a few values per page: numbers as one JSON array per column,
# strings joined with $sep (a control character; the adapter checks the piece count and
# falls back to the row-wise statements above if a value ever contains it). One value per
# column instead of one per cell makes the reply ~10x cheaper to decode. Nothing may be
# null inside collect() (it would drop the entry and misalign the columns): hence coalesce.
# Entities read three properties: id, canonical_id and ``bulk``, the bulk-load copy
# (graph/falkordb/bulk.py: a JSON array of kind, countries, flags and exceptions). A node
# without one (a value JSON escapes, or written by an earlier version) gives null and its
# page is read row-wise. Server CPU for 200k entities: 0.27 s reading seven properties,
# 0.10 s reading the copy.
ENTITY_RANGE_PACKED = read(
    "entity_range_packed",
    """
MATCH (n:Entity)
WHERE id(n) >= $lo AND id(n) < $hi
WITH collect(id(n)) AS nid, collect(n.id) AS eid,
     collect(coalesce(n.canonical_id, n.id)) AS canonical, collect(coalesce(n.bulk, 'null')) AS copy
RETURN size(nid), toJSON(nid), string.join(eid, $sep), string.join(canonical, $sep),
       '[' + string.join(copy, ',') + ']'
""",
    ("lo", "hi", "sep"),
)

# OWNS only ever joins two entities (UPSERT_EDGES makes placeholders), so the owned end
# carries no label check: that check cost a third of the edge scan.
# Edges read ONE property: ``bulk``, the bulk-load copy (graph/falkordb/bulk.py: numbers
# packed in fixed-width base64 + $sep + key), written with every upsert and kept in step by
# end-dating. The server's cost is mostly per property read: reading numbers, end and key
# as three properties took 2.3 s of server CPU per 1M edges, one property 1.0 s.
EDGE_RANGE_PACKED = read(
    "edge_range_packed",
    """
MATCH (a:Entity)-[r:OWNS]->(b)
WHERE id(a) >= $lo AND id(a) < $hi
WITH collect(id(a)) AS owner, collect(id(b)) AS owned, collect(coalesce(r.bulk, '')) AS bulk
RETURN size(owner), toJSON(owner), toJSON(owned), string.join(bulk, $sep)
""",
    ("lo", "hi", "sep"),
)

# The shared endpoint MERGE (graph/cypher/statements.py), here also giving a new placeholder its
# bulk-load copy (a constant).
PLACEHOLDER_ENDPOINTS = MERGE_EDGE_ENDPOINTS.replace(
    "a.placeholder = true", "a.placeholder = true, a.bulk = '" + PLACEHOLDER_ENTITY_COPY + "'"
).replace(
    "b.placeholder = true", "b.placeholder = true, b.bulk = '" + PLACEHOLDER_ENTITY_COPY + "'")
assert PLACEHOLDER_ENDPOINTS.count(".bulk = ") == 2, "the shared endpoint MERGE changed"

# Edges with an end not known by node id (graph/falkordb/upsert.py): ends MERGEd (placeholders
# as in UPSERT_EDGES), the edge looked up by key and CREATEd or SET, which costs less server
# time than MERGE for new edges. Keys must be unique within one batch (the adapter merges
# repeats first).
UPSERT_EDGES_SPLIT = Statement(
    "upsert_edges_split",
    """
UNWIND $rows AS row"""
    + PLACEHOLDER_ENDPOINTS
    + """WITH a, b, row
OPTIONAL MATCH (a)-[m:OWNS {key: row.key}]->(b)
FOREACH (_ IN CASE WHEN m IS NULL THEN [1] ELSE [] END |
  CREATE (a)-[r:OWNS]->(b) SET r = row.props)
WITH m, row, m.history_json AS kept WHERE m IS NOT NULL
SET m = row.props
SET m.history_json = coalesce(row.props.history_json, kept)
""",
    ("rows",),
)

# -- upserts by internal node id (graph/falkordb/upsert.py) -----------------------------------
# Rows travel as positional lists (layouts in graph/cypher/rows.py), not maps: a list of
# plain values is JSON, which orjson encodes ~40x faster than a Cypher map literal is built,
# and each statement names every position once.
# Fixed fragments of the statements below (constants: no value is ever formatted in).
# The property maps name every position of the row layouts in graph/cypher/rows.py. New
# nodes and edges get them inside CREATE: a SET after CREATE updates the indexes a second
# time (docs/stores.md).
ENTITY_ROW_PROPS = """id: row[0], kind: row[3], name: row[4], names_json: row[5], jurisdiction: row[6],
    hq_country: row[7], nationality: row[8], residence: row[9], identifiers: row[10],
    identifiers_json: row[11], addresses_json: row[12], dissolved: row[13],
    flags: row[14], exceptions: row[15], exceptions_json: row[16], source: row[17],
    record_id: row[18], file: row[19], location: row[20], published: row[21],
    retrieved: row[22], run_id: row[23], confidence: row[24], bulk: row[25]"""
EDGE_ROW_MAP = """{key: row[2], kind: row[5], share_lo: row[6], share_hi: row[7], start: row[8],
         `end`: row[9], attrs_json: row[10], source: row[11], record_id: row[12],
         file: row[13], location: row[14], published: row[15], retrieved: row[16],
         run_id: row[17], confidence: row[18], history_json: row[19], bulk: row[20]}"""
# Both ends seeked by internal node id (``WITH ... AS x`` first: FalkorDB plans a seek only
# for a plain variable) and re-checked by id, which drops rows whose cached node id is stale.
EDGE_ROW_ENDPOINTS = """
UNWIND $rows AS row
WITH row, row[3] AS owner_node
MATCH (a) WHERE id(a) = owner_node
WITH row, a, row[4] AS owned_node
MATCH (b) WHERE id(b) = owned_node
WITH row, a, b WHERE a.id = row[0] AND b.id = row[1]
"""

# New entities, no lookup: the unique constraint refuses the whole batch if one id exists
# (the adapter then redoes it with MERGE). Returns the internal node ids in row order (as
# JSON: toJSON does not escape quotes inside strings, so no ids travel that way; an order
# ever different would only make the node-id statements' id check redo a batch).
CREATE_ENTITY_ROWS = Statement(
    "create_entity_rows",
    """
UNWIND $rows AS row
CREATE (n:Entity {canonical_id: coalesce(row[1], row[0]), """ + ENTITY_ROW_PROPS + """})
RETURN toJSON(collect(id(n)))
""",
    ("rows",),
)

# Known entities by internal node id (a seek, not an index lookup). The id check catches a
# stale cache (a deleted node's id reused): such rows are not counted and the adapter redoes
# the batch with MERGE.
UPDATE_ENTITY_ROWS = Statement(
    "update_entity_rows",
    """
UNWIND $rows AS row
WITH row, row[2] AS node
MATCH (m) WHERE id(m) = node
WITH row, m, m.canonical_id AS resolved WHERE m.id = row[0]
SET m = {canonical_id: coalesce(row[1], resolved, row[0]), """ + ENTITY_ROW_PROPS + """}
RETURN count(m)
""",
    ("rows",),
)

FIND_ENTITY_NODES = read(
    "find_entity_nodes",
    """
UNWIND $ids AS id
MATCH (n:Entity {id: id})
RETURN collect(id), collect(id(n))
""",
    ("ids",),
)

# Edges between known nodes: looked up by key between the two, CREATEd or SET. Keys are
# unique within a batch (the adapter merges repeats first): a CREATE in this statement is
# not seen by a later row of the same statement.
UPSERT_EDGE_ROWS = Statement(
    "upsert_edge_rows",
    """
""" + EDGE_ROW_ENDPOINTS + """OPTIONAL MATCH (a)-[m:OWNS {key: row[2]}]->(b)
FOREACH (_ IN CASE WHEN m IS NULL THEN [1] ELSE [] END |
  CREATE (a)-[r:OWNS """ + EDGE_ROW_MAP + """]->(b))
WITH m, row, m.history_json AS kept WHERE m IS NOT NULL
SET m = """ + EDGE_ROW_MAP + """
SET m.history_json = coalesce(row[19], kept)
RETURN count(m)
""",
    ("rows",),
)

FALKOR_STATEMENTS: tuple[Statement, ...] = (
    *INDEXES, UPSERT_EDGES_SPLIT, MAX_ENTITY_NODE_ID, ENTITY_RANGE, EDGE_RANGE, OPEN_KEYS_RANGE, ENTITY_PROPS_RANGE,
    ENTITY_RANGE_PACKED, EDGE_RANGE_PACKED, CREATE_ENTITY_ROWS, UPDATE_ENTITY_ROWS,
    FIND_ENTITY_NODES, UPSERT_EDGE_ROWS, END_EDGES_AT, END_EDGES_SCAN, *RETIRED_INDEXES,
)
