"""The Parquet record set and results: records round-trip in order, bad rows are quarantined
with their row and reason, and results rows carry the merge that joined each record."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from matching.generate import generate
from matching.parquet import read_record_set, record_schema, result_rows, write_record_set
from matching.records import Record
from matching.resolve import resolve


def test_records_round_trip_in_order_with_previous_ids(tmp_path: Path) -> None:
    records, _ = generate(600, seed=4)
    assert any(len(r.names) > 1 for r in records) and any(r.identifiers for r in records)
    path = tmp_path / "r.parquet"
    assert write_record_set(path, records[::-1], {records[0].id: records[1].id}) == 600
    loaded, bad = read_record_set(path)
    assert not bad and loaded == records[::-1]
    table = pq.read_table(str(path)).to_pylist()
    assert [row["position"] for row in table] == list(range(600))
    assert {row["id"]: row["previous"] for row in table}[records[0].id] == records[1].id


def test_bad_rows_are_quarantined_with_row_and_reason(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "names": ["Acme Ltd"], "identifiers": [{"scheme": "lei", "value": "529900T8BM49AURSDO55",
                                                            "valid": None}], "position": 0},
        {"id": None, "names": ["No Id"], "position": 1},
        {"id": "a", "names": ["Acme again"], "position": 2},
        {"id": "c", "names": ["C"], "identifiers": [{"scheme": "", "value": "1", "valid": None}], "position": 3},
    ]
    full = [{name: row.get(name) for name in record_schema().names} for row in rows]
    pq.write_table(pa.Table.from_pylist(full, schema=record_schema()), str(tmp_path / "bad.parquet"))
    loaded, bad = read_record_set(tmp_path / "bad.parquet")
    assert [r.id for r in loaded] == ["a"]
    assert loaded[0].identifiers[0].valid  # a null 'valid' is checked here (stdnum)
    reasons = [(q.where.rsplit(":", 1)[1], q.reason) for q in bad]
    assert reasons[0][0] == "row 2" and "'id'" in reasons[0][1]
    assert reasons[1][0] == "row 3" and "duplicate id" in reasons[1][1]
    assert reasons[2][0] == "row 4" and "scheme" in reasons[2][1]


def test_results_carry_the_joining_merge() -> None:
    records = [Record("r1", ("AKZO NOBEL N.V.",), "NL"), Record("r2", ("Akzo Nobel NV",), "NL"),
               Record("r3", ("Unrelated Widgets GmbH",), "DE")]
    res = resolve(records)
    rows = {r["record_id"]: r for r in result_rows(res)}
    assert rows["r1"]["canonical_id"] == rows["r2"]["canonical_id"] == "r1"
    assert rows["r2"]["probability"] >= 0.9 and json.loads(rows["r2"]["explanation"])["names"]
    assert rows["r3"] == {"record_id": "r3", "canonical_id": "r3", "probability": None, "explanation": None}
