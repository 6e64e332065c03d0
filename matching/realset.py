"""An evaluation set derived from the real sample files (``shared/data/real``), with provenance.

``python -m matching.realset OUT_DIR`` reads the samples with the project's own parsers
(GLEIF in every shape, the BODS DK register extract, PSC) and the Biffa same-as file, and writes
``records.jsonl``, ``truth.csv`` (for ``ownergraph resolve eval``), ``pairs.csv`` (labelled
pairs per class) and ``provenance.csv`` (per record: the file and record it came from, and
what was done to it).

Truth: one cluster per real company, built from shared valid identifiers only (an LEI, a
company number of one register, an INN ...): two records are one company when the sources
say so, never because their names look alike. Records:

- ``source``: each time a company appears in a file (GLEIF XML, JSON, API, BODS, PSC),
  one record with its name, country, address and identifiers; after the first appearance,
  every second one loses its identifiers (news and lists often carry none).
- ``transliterated`` / ``other_name`` / ``trading_name``: each GLEIF other or transliterated
  name of a company as a record of its own, without identifiers, half of them without a
  country; class ``previous_name``: a previous legal name, with the company's register number
  and LEI as an old register extract would carry them (a rename is only knowable that way).
- ``register_variant``: the Contracts Finder spellings of Biffa Waste Services that
  OpenOwnership matched to Companies House 00946107.

Left out: the BODS standard's and validator's examples (synthetic: "Company A", "Unnamed
registeredEntity"), FollowTheMoney sanctions entities (names translated into twenty
languages), and the company_name_matcher pairs (tickers and brands such as "AAPL", "Google",
and companies also present from GLEIF under no shared identifier, which would be labelled
two companies).

Hard negatives (``pairs.csv`` class ``similar_name``): pairs of records of different companies
(different LEIs or numbers) whose names share their first word or are 80 % alike
(rapidfuzz token_set_ratio): funds of one family, subsidiaries of one group, namesakes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sys
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matching.datasets import real_data_root

SCHEMES_THAT_IDENTIFY = ("lei", "gb_crn", "cn_uscc", "ru_inn", "ru_ogrn", "hk_br")


@dataclass
class Seen:
    file: str
    record: str
    name: str
    names: list[tuple[str, str]]  # (value, kind)
    country: str | None
    address: str
    identifiers: dict[str, str]


@dataclass
class Company:
    keys: set[str] = field(default_factory=set)
    seen: list[Seen] = field(default_factory=list)


def _half(text: str) -> bool:
    """A deterministic coin: the same record gets the same treatment on every build."""
    return hashlib.sha1(text.encode()).digest()[0] % 2 == 0


def _entities(root: Path) -> Iterator[Seen]:
    from graph.model import Entity, EntityKind
    from ingest import bods, gleif, psc
    from ingest.records import SourceFile

    # Registers only: GLEIF (all shapes), its China/Hong Kong records, the OpenOwnership DK
    # register extract and the PSC snapshot. Left out: the BODS standard's and validator's
    # examples ("Company A", "Unnamed registeredEntity": synthetic) and FollowTheMoney
    # sanctions entities (names translated into twenty languages: another problem).
    sources = (
        (gleif.parse, ("gleif/**/*", "china/**/*")), (bods.parse, ("bods/bodsdata-register-dk-v0.2/*.json",)),
        (psc.parse, ("uk-psc/**/*.json",)),
    )
    for parse, patterns in sources:
        for pattern in patterns:
            for path in sorted(root.glob(pattern)):
                if path.is_dir():
                    continue
                try:
                    items = list(parse(path, SourceFile(str(path))))
                except Exception:  # noqa: BLE001 - a file of another format in the folder
                    continue
                for item in items:
                    if not isinstance(item, Entity) or item.kind == EntityKind.PERSON or not item.name:
                        continue
                    ids = {i.scheme: i.value for i in item.identifiers if i.valid}
                    if not ids:
                        continue
                    yield Seen(
                        file=str(path.relative_to(root)), record=item.provenance.record_id if item.provenance else item.id,
                        name=item.name, names=[(n.value, n.kind or "") for n in item.names if n.value != item.name],
                        country=item.jurisdiction or item.hq_country,
                        address=item.addresses[0].text if item.addresses else "", identifiers=ids,
                    )


def companies(root: Path) -> list[Company]:
    """Appearances grouped into companies by shared identifiers (union-find on keys)."""
    seen = list(_entities(root))
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for s in seen:
        keys = [f"{k}:{v}" for k, v in s.identifiers.items()]
        for k in keys[1:]:
            parent[find(k)] = find(keys[0])
    groups: dict[str, Company] = defaultdict(Company)
    for s in seen:
        key = find(next(f"{k}:{v}" for k, v in s.identifiers.items()))
        groups[key].seen.append(s)
        groups[key].keys.update(f"{k}:{v}" for k, v in s.identifiers.items())
    return list(groups.values())


Row = dict[str, Any]


def build(root: Path | None = None) -> tuple[list[Row], dict[str, str], list[tuple[str, str, str, int]], list[Row]]:
    root = root or real_data_root()
    records: list[Row] = []
    truth: dict[str, str] = {}
    provenance: list[Row] = []
    pairs: list[tuple[str, str, str, int]] = []
    by_company: dict[str, list[tuple[str, str]]] = defaultdict(list)  # company -> (record id, class)

    def add(cid: str, cls: str, rec: Row, source: str, note: str) -> None:
        rid = f"r{len(records):05d}"
        rec = {"id": rid, **{k: v for k, v in rec.items() if v}}
        records.append(rec)
        truth[rid] = cid
        provenance.append({"record_id": rid, "class": cls, "source": source, "note": note})
        by_company[cid].append((rid, cls))

    for n, company in enumerate(sorted(companies(root), key=lambda c: sorted(c.keys)[0])):
        cid = f"c{n:04d}"
        first = True
        names_done: set[str] = set()
        for s in company.seen:
            keep_ids = first or not _half(s.file + s.record)
            add(cid, "source", {"name": s.name, "country": s.country, "address": s.address,
                                "identifiers": s.identifiers if keep_ids else None},
                f"{s.file}#{s.record}", "as published" if keep_ids else "identifiers dropped")
            first = False
            for value, kind in s.names:
                if value in names_done or value == s.name:
                    continue
                names_done.add(value)
                cls = {"transliterated": "transliterated", "previous": "previous_name",
                       "trading": "trading_name"}.get(kind, "other_name")
                if cls == "previous_name":
                    rec = {"name": value, "country": s.country, "identifiers": s.identifiers}
                    note = "previous legal name with the company's identifiers"
                else:
                    country = s.country if _half(value) else None
                    rec = {"name": value, "country": country}
                    note = f"{kind or 'other'} name, no identifiers" + ("" if country else ", no country")
                add(cid, cls, rec, f"{s.file}#{s.record}", note)
    _biffa(root, add)
    for members in by_company.values():
        base = members[0][0]
        for rid, cls in members[1:]:
            pairs.append((base, rid, cls, 1))
    pairs.extend(_hard_negatives(records, truth))
    return records, truth, pairs, provenance


def _biffa(root: Path, add: Any) -> None:
    path = root / "matching" / "bodsriskdetection" / "same-as-db.jsonl"
    data = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    spellings: list[str] = []
    for ref in data["references"]:
        parts = ref.split("'")
        for value in (parts[1], parts[3]) if len(parts) >= 4 else ():
            if value not in spellings:
                spellings.append(value)
    for k, value in enumerate(spellings):
        ids = {"gb_crn": "00946107"} if k == 0 else None
        add("biffa", "register_variant", {"name": value, "country": "GB", "identifiers": ids},
            f"matching/bodsriskdetection/same-as-db.jsonl#{k}", "a spelling OpenOwnership matched to 00946107")


def _hard_negatives(records: list[Row], truth: dict[str, str]) -> list[tuple[str, str, str, int]]:
    from rapidfuzz import fuzz

    from matching.normalize import normalize

    first: dict[str, list[Row]] = defaultdict(list)
    for rec in records:
        forms = normalize(rec["name"])
        if forms.tokens:
            first[forms.tokens[0]].append(rec)
    out: set[tuple[str, str, str, int]] = set()
    for group in first.values():
        if len(group) > 200:
            continue
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if truth[a["id"]] != truth[b["id"]] and fuzz.token_set_ratio(a["name"], b["name"]) >= 60:
                    out.add((a["id"], b["id"], "similar_name", 0))
    return sorted(out)


def write(out: Path) -> dict[str, int]:
    records, truth, pairs, provenance = build()
    out.mkdir(parents=True, exist_ok=True)
    with (out / "records.jsonl").open("w", encoding="utf-8") as handle:
        for rec in records:
            handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with (out / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["record_id", "cluster_id"])
        w.writerows(sorted(truth.items()))
    with (out / "pairs.csv").open("w", encoding="utf-8", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["left", "right", "class", "same"])
        w.writerows(pairs)
    with (out / "provenance.csv").open("w", encoding="utf-8", newline="") as handle:
        dw = csv.DictWriter(handle, fieldnames=["record_id", "class", "source", "note"])
        dw.writeheader()
        dw.writerows(provenance)
    return {"records": len(records), "clusters": len(set(truth.values())), "pairs": len(pairs)}


if __name__ == "__main__":
    print(json.dumps(write(Path(sys.argv[1] if len(sys.argv) > 1 else "matching/data/real_eval"))))
