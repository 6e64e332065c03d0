"""ownergraph."""

# The source formats an ingestion run reads (each parser is registered in ingest/run.py).
FORMAT_NAMES: tuple[str, ...] = ("gleif", "bods", "psc", "ftm", "csv", "news")
