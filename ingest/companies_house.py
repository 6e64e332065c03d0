"""Companies House BasicCompanyData (CSV, or the same rows as JSON): company names for PSC.

Column names carry stray leading spaces upstream (`` CompanyNumber``); they are stripped.
Some copies are hard-wrapped at a fixed width (the fixture at 118 characters, breaking
mid-field): when the header's physical line is exactly that width and the header is
incomplete, physical lines of that width are joined to the next before CSV parsing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from graph.model import Address, Entity, EntityKind, Identifier, Name
from ingest.dates import safe_date
from ingest.records import FileHeader, Quarantined, Record, SourceFile

SOURCE = "psc"
WRAP_WIDTHS = (118,)


def is_basic_company_csv(path: Path) -> bool:
    with path.open("rb") as fh:
        head = fh.read(400).decode("utf-8", errors="replace")
    return head.lstrip("\ufeff").startswith("CompanyName") and "CompanyNumber" in head


def _logical_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(first physical line number, text) with hard wraps re-joined when detected."""
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        first = fh.readline().rstrip("\r\n")
        width = len(first) if len(first) in WRAP_WIDTHS and "ConfStmtLastMadeUpDate" not in first else 0
        buffer, start, lineno = first, 1, 1
        for raw in fh:
            lineno += 1
            line = raw.rstrip("\r\n")
            if width and len(buffer) % width == 0 and buffer:
                buffer += line
                continue
            yield start, buffer
            buffer, start = line, lineno
        if buffer:
            yield start, buffer


def parse_basic_company_csv(path: Path, src: SourceFile) -> Iterator[Record]:
    lines = _logical_lines(path)
    _, header_text = next(lines)
    header = [h.strip() for h in next(csv.reader([header_text]))]
    yield FileHeader(src.path, None, None, False, "ch-basic-company-data")
    for lineno, text in lines:
        if not text.strip():
            continue
        try:
            values = next(csv.reader(io.StringIO(text)))
        except csv.Error as exc:
            yield Quarantined.of(src.path, f"line {lineno}", f"CSV error: {exc}", text)
            continue
        if len(values) != len(header):
            yield Quarantined.of(src.path, f"line {lineno}",
                                 f"{len(values)} fields, header has {len(header)}", text)
            continue
        yield company_entity(dict(zip(header, values, strict=True)), src, f"line {lineno}")


def company_entity(row: dict[str, Any], src: SourceFile, where: str) -> Record:
    row = {str(k).strip(): v for k, v in row.items()}
    number = str(row.get("CompanyNumber") or "").strip().upper()
    name = str(row.get("CompanyName") or "").strip()
    if not number or not name:
        return Quarantined.of(src.path, where, "company row without CompanyNumber or CompanyName", row)
    previous = [str(row.get(f"PreviousName_{i}.CompanyName") or "").strip() for i in range(1, 11)]
    address = ", ".join(str(row.get(f"RegAddress.{k}") or "").strip()
                        for k in ("CareOf", "POBox", "AddressLine1", "AddressLine2", "PostTown",
                                  "County", "Country", "PostCode") if str(row.get(f"RegAddress.{k}") or "").strip())
    status = str(row.get("CompanyStatus") or "")
    return Entity(
        id=f"gb-coh:{number}", kind=EntityKind.COMPANY, name=name,
        provenance=src.provenance(SOURCE, number, where, None),
        names=(Name(name, kind="legal"), *(Name(p, kind="previous") for p in previous if p)),
        jurisdiction="GB",  # the register says nothing of where it is run from
        identifiers=(Identifier("gb_crn", number),),
        addresses=(Address("legal", address, "GB"),) if address else (),
        dissolved=safe_date(row.get("DissolutionDate")),
        flags=frozenset({"dissolved"}) if "dissolved" in status.lower() else frozenset(),
    )
