"""Neo4j adapter: the store and its dialect statements."""
