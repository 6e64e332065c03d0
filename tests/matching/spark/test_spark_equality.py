"""The Spark engine gives the single-machine resolver's answer: the same clusters and
canonical ids, the same merges and review queue with the same probabilities and
explanations, the same results rows. Exact equality, not a tolerance: both engines number
records and name rows alike, draw the same random pairs and EM sample, and settle each
connected component with the same function (docs/scale.md).

Sizes: a generated set of 50,000 records (with an EM sample smaller than the candidate
pairs, judgements and previous canonical ids; about 2 minutes on local[2] here) and the
real-derived evaluation set (matching/data/real_eval) with bad rows added.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from graph.model import Decision, Judgement
from matching.generate import generate
from matching.parquet import (
    read_record_set,
    record_row,
    record_schema,
    result_rows,
    write_record_set,
)
from matching.records import read_records
from matching.resolve import ResolveConfig, resolve
from matching.spark.resolve import SparkJob, resolve_record_set

GENERATED = 50_000  # records in the generated set (the size)
REAL_EVAL = Path(__file__).resolve().parents[3] / "matching" / "data" / "real_eval" / "records.jsonl"


def _both(spark: Any, tmp_path: Path, path: Path, config: ResolveConfig,
          judgements: tuple[Judgement, ...] = (), previous: dict[str, str] | None = None) -> tuple[Any, Any, Path]:
    loaded, bad = read_record_set(path)
    single = resolve(loaded, judgements=judgements, previous=previous, config=config)
    out = tmp_path / "results"
    done = resolve_record_set(spark, SparkJob(str(path), str(out), config, judgements, partitions=4,
                                              want_candidates=True))
    assert done.stats["quarantined"] == len(bad)
    return single, done, out


def _candidates(cands: Any) -> list[tuple[Any, ...]]:
    return sorted((c.left, c.right, c.status, round(c.probability, 12), c.explanation) for c in cands)


def _assert_same(single: Any, done: Any, out: Path) -> None:
    rows = sorted(pq.read_table(str(out)).to_pylist(), key=lambda r: r["record_id"])
    assert {r["record_id"]: r["canonical_id"] for r in rows} == single.canonical
    assert rows == sorted(result_rows(single), key=lambda r: r["record_id"])
    assert _candidates(done.candidates) == _candidates(single.candidates())
    assert done.model.prior == single.model.prior
    assert done.stats["clusters"] == single.stats["clusters"]


def test_generated_set_same_clusters_candidates_and_results(spark: Any, tmp_path: Path) -> None:
    records, _ = generate(GENERATED, seed=11)
    ids = [r.id for r in records]
    judgements = (
        Judgement(ids[0], ids[1], Decision.SAME, "analyst", "2026-01-01T00:00:00Z", ""),
        Judgement(ids[2], ids[3], Decision.NOT_SAME, "analyst", "2026-01-01T00:00:01Z", ""),
        Judgement(ids[4], ids[900], Decision.SAME, "analyst", "2026-01-01T00:00:02Z", ""),
    )
    first = resolve(records)
    # previous ids of the first 1,500 records: each its cluster's greatest member id
    greatest: dict[str, str] = {}
    for rid, cid in first.canonical.items():
        greatest[cid] = max(greatest.get(cid, rid), rid)
    previous = {rid: greatest[cid] for rid, cid in list(first.canonical.items())[:1500]}
    config = ResolveConfig(em_sample=5000)  # fewer than the candidate pairs: EM on a drawn sample
    path = tmp_path / "records.parquet"
    write_record_set(path, records, previous)
    assert read_record_set(path) == (records, [])
    single, done, out = _both(spark, tmp_path, path, config, judgements, previous)
    assert len(set(single.canonical.values())) < len(records) - 500  # it did merge
    assert single.judged_merges
    _assert_same(single, done, out)


def test_real_derived_evaluation_set_same_clusters(spark: Any, tmp_path: Path) -> None:
    """With bad rows in the record set: quarantined alike (a bad row of an id does not make
    the next good row of that id a duplicate; a later good row does)."""
    records, bad = read_records(REAL_EVAL)
    assert not bad and len(records) > 800
    rows = [record_row(r, k + 1) for k, r in enumerate(records)]
    broken = record_row(records[0], 0)
    broken["identifiers"] = [{"scheme": "", "value": "1", "valid": None}]
    rows += [broken, {**record_row(records[1], len(rows) + 1), "names": ["A later row, same id"]},
             {**record_row(records[2], len(rows) + 2), "id": None}]
    path = tmp_path / "records.parquet"
    pq.write_table(pa.Table.from_pylist(rows, schema=record_schema()), str(path))
    loaded, quarantined = read_record_set(path)
    assert len(quarantined) == 3 and loaded == records
    single, done, out = _both(spark, tmp_path, path, ResolveConfig())
    _assert_same(single, done, out)
