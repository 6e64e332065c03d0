"""Entity resolution on Apache Spark: the resolver's own functions applied per partition.

See docs/scale.md. PySpark is optional (the ``spark`` extra); nothing here is imported by
the single-machine resolver.
"""
