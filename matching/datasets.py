"""Labelled public data sets as (records, truth), for tests and benchmarks.

- PATSTAT Dutch applicants (dedupe-examples, KU Leuven hand-checked ``leuven_id``):
  the raw ``person_name`` with its leading ``"* "`` quirk left in.
- Chicago early-childhood sites (dedupe-examples, ``True Id``): site name, address + zip.
  Phone numbers are not used: the same site carries different numbers across sources,
  and an identifier must never split what is the same.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

from matching.records import Record


def real_data_root() -> Path:
    """The published sample files: ``shared/data/real`` beside the checkout, unless
    ``OWNERGRAPH_REAL_DATA`` names another folder."""
    env = os.environ.get("OWNERGRAPH_REAL_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "shared" / "data" / "real"


DEFAULT_ROOT = real_data_root()


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
