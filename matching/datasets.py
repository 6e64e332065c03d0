"""Labelled public data sets as (records, truth), for tests and benchmarks.

- PATSTAT Dutch applicants (dedupe-examples, KU Leuven hand-checked ``leuven_id``):
  the raw ``person_name`` with its leading ``"* "`` quirk left in.
- Chicago early-childhood sites (dedupe-examples, ``True Id``): site name, address + zip.
  Phone numbers are not used: the same site carries different numbers across sources,
  and an identifier must never split what is the same.
"""

from __future__ import annotations

import csv
from pathlib import Path

from matching.records import Record

DEFAULT_ROOT = Path("/work/shared/data/real")


def patstat(root: Path = DEFAULT_ROOT) -> tuple[list[Record], dict[str, str]]:
    path = root / "matching" / "dedupe-patstat" / "patstat_reference.csv"
    records: list[Record] = []
    truth: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            rid = f"patstat-{row['person_id']}"
            records.append(Record(id=rid, names=(row["person_name"],), country="NL"))
            truth[rid] = row["leuven_id"]
    return records, truth


def chicago(root: Path = DEFAULT_ROOT) -> tuple[list[Record], dict[str, str]]:
    path = root / "matching" / "dedupe-csv-example" / "csv_example_input_with_true_ids.csv"
    records: list[Record] = []
    truth: dict[str, str] = {}
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        for row in csv.DictReader(handle):
            rid = f"chicago-{row['Id']}"
            address = " ".join(x for x in (row.get("Address") or "", row.get("Zip") or "") if x)
            name = " ".join((row.get("Site name") or "").split())
            records.append(Record(id=rid, names=(name,), address=" ".join(address.split())))
            truth[rid] = row["True Id"]
    return records, truth
