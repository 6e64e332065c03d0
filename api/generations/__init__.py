"""Generations: one completed ingest + resolve + compute, frozen on disk and published atomically.

Layout under ``<home>/generations/<graph name>/``::

    <generation id>/        arrays.npz, results.npz, views.jsonl, manifest.json (read-only)
    CURRENT                 the published generation's id (replaced atomically)
    published.jsonl         one line per publish (who replaced whom, forced, guard reasons)
    watches.json            watched entities with their webhook URL and secret (0600)
    events.jsonl            verdict-change events and their deliveries
    run.lock                held by the one run allowed at a time
"""
