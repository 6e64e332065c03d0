"""GLEIF golden-copy CSV (LEI-CDF, RR-CDF, reporting exceptions) into the plain dict shape.

The CSV flattens the XML: a column is the element path joined with dots
(``Entity.LegalAddress.City``), a repeated element carries its 1-based position
(``Entity.OtherEntityNames.OtherEntityName.2``), and an attribute follows its element in
lower case (``Entity.LegalName.xmllang``, ``….OtherEntityName.2.type``). Unflattened, a row
is the shape ``gleif_readers`` gives for XML, so the same mappers read it. The RR file names
its periods and quantifiers differently from the XML (``Relationship.Period.1.startDate``,
``Relationship.Quantifiers.Quantifier.1.QuantifierAmount``); those are renamed to the XML's.
A CSV has no header record: the publication time and whether the file is a full snapshot
come from the golden-copy file name (``20240505-0000-gleif-goldencopy-lei2-golden-copy.csv``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.csvio import BadRow, header, rows
from ingest.dates import iso_timestamp
from ingest.gleif_readers import RawHeader, RawRecord
from ingest.records import WrongFormat

# The key column of each file kind (the header must hold it).
_KIND_COLUMNS = (("Relationship.StartNode.NodeID", "rr"), ("ExceptionCategory", "repex"),
                 ("Entity.LegalName", "lei"))
# RR CSV names -> the XML's element names (segments, matched on the whole path prefix).
_RR_RENAMES = (
    (("Relationship", "Period"), ("Relationship", "RelationshipPeriods", "RelationshipPeriod")),
    (("Relationship", "Quantifiers", "Quantifier"),
     ("Relationship", "RelationshipQuantifiers", "RelationshipQuantifier")),
    (("Relationship", "Qualifiers", "Qualifier"),
     ("Relationship", "RelationshipQualifiers", "RelationshipQualifier")),
)
_PERIOD_FIELDS = {"startDate": "StartDate", "endDate": "EndDate", "periodType": "PeriodType"}
_ATTRIBUTES = {"xmllang": "@lang", "lang": "@lang"}
_FILE_STAMP = re.compile(r"(\d{8})-(\d{4})")


def csv_kind(path: Path) -> str | None:
    """"lei", "rr" or "repex" from a CSV file's header line (None: not a GLEIF CSV)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        try:
            first = header(csv.reader(fh), path)
        except WrongFormat:
            return None
    return _kind(first)


def _kind(header: list[str]) -> str | None:
    return next((k for column, k in _KIND_COLUMNS if column in header), None)


def read_csv(path: Path) -> Iterator[RawRecord | RawHeader]:
    """The records of a golden-copy CSV file, one per row, in the plain dict shape."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        columns = header(reader, path)
        if not columns:
            raise WrongFormat(f"{path}: empty CSV file")
        kind = _kind(columns)
        if kind is None:
            raise WrongFormat(f"{path}: CSV header has none of the GLEIF key columns "
                              f"({', '.join(c for c, _ in _KIND_COLUMNS)})")
        yield _file_header(path, kind)
        paths = [_column_path(name, kind) for name in columns]
        line = reader.line_num
        for row in _rows(reader, path):
            where = f"line {line + 1}"
            line = reader.line_num
            if isinstance(row, BadRow):
                yield RawRecord(kind, where, None, error=row.reason)
                continue
            if len(row) != len(columns):
                yield RawRecord(kind, where, None,
                                error=f"row has {len(row)} fields, the header {len(columns)}",
                                excerpt=",".join(row)[:200])
                continue
            yield RawRecord(kind, where, unflatten(paths, row))


def _rows(reader: Any, path: Path) -> Iterator[list[str] | BadRow]:
    try:
        yield from rows(reader)
    except UnicodeDecodeError as exc:
        raise WrongFormat(f"{path}: not UTF-8 after line {reader.line_num}: {exc.reason}") from exc


def _file_header(path: Path, kind: str) -> RawHeader:
    name = path.name.lower()
    stamp = _FILE_STAMP.search(name)
    published = None
    if stamp:
        day, hhmm = stamp.groups()
        published = iso_timestamp(f"{day[:4]}-{day[4:6]}-{day[6:]}T{hhmm[:2]}:{hhmm[2:]}:00Z")
    full = "GLEIF_FULL_PUBLISHED" if "golden-copy" in name else None
    return RawHeader(kind, published, full)


def _column_path(name: str, kind: str) -> tuple[str, ...]:
    """A column's element path; () for a column that names none (it is not read)."""
    parts = tuple(name.strip().split("."))
    if not all(parts):
        return ()
    if kind == "rr":
        for old, new in _RR_RENAMES:
            if parts[:len(old)] == old:
                parts = new + parts[len(old):]
                break
        parts = tuple(_PERIOD_FIELDS.get(p, p) for p in parts)
    return parts


def unflatten(paths: list[tuple[str, ...]], row: list[str]) -> dict[str, Any]:
    """One CSV row as nested dicts: numbered segments become list positions, a final
    lower-case segment an attribute of the element before it, empty cells nothing."""
    out: dict[str, Any] = {}
    for path, value in zip(paths, row, strict=True):
        value = value.strip()
        if value and path:
            _put(out, path, value)
    body: dict[str, Any] = _tidy(out)
    return body


def _put(node: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    *inner, last = path
    for i, seg in enumerate(inner):
        if seg.isdigit():
            continue
        nxt = inner[i + 1] if i + 1 < len(inner) else last
        child = node.setdefault(seg, {})
        if not isinstance(child, dict):  # a leaf that also has children: keep its text
            child = node[seg] = {"$": child}
        node = child.setdefault(int(nxt), {}) if nxt.isdigit() else child
    if last.isdigit():  # a repeated leaf: its text at that position
        node["$"] = value
    elif last[0].islower():
        node[_ATTRIBUTES.get(last, "@" + last)] = value
    elif isinstance(node.get(last), dict):
        node[last]["$"] = value
    else:
        node[last] = value


def _tidy(node: Any) -> Any:
    """Position dicts -> lists in order; ``{"$": text}`` alone -> text; lists of one -> the
    item (what XML gives for an element that occurs once)."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        items = [_tidy(node[k]) for k in sorted(node)]
        return items[0] if len(items) == 1 else items
    out = {k: _tidy(v) for k, v in node.items()}
    if set(out) == {"$"}:
        return out["$"]
    return out
