"""The control engine: pure computation over graph.arrays.GraphArrays (no database)."""
