"""GLEIF golden-copy CSV reads to the same records as the XML of the same data.

No golden-copy CSV is among the real samples, so every real XML record is written out here
as the CSV would carry it (element path joined with dots, repeated elements numbered from 1,
attributes after their element in lower case, the RR file's ``Period`` / ``Quantifiers``
names) by a flattener independent of the reader, and both files must map to the same
entities, relationships and exceptions.
"""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import REAL

from graph.model import Provenance
from ingest import gleif
from ingest.gleif_readers import RawRecord, element_dict, read_xml
from ingest.records import Quarantined, SourceFile, WrongFormat
from ingest.run import file_order

XML_FILES = sorted(p for p in (REAL / "gleif").rglob("*.xml") if "concatenated" not in p.parts[-2])
# Elements the CDFs let repeat: the CSV numbers them even when they occur once.
REPEATABLE = {"OtherEntityName", "TransliteratedOtherEntityName", "AdditionalAddressLine",
              "OtherAddress", "RelationshipPeriod", "RelationshipQuantifier",
              "RelationshipQualifier", "LegalEntityEvent", "ExceptionReason",
              "ExceptionReference", "SuccessorEntity", "OtherValidationAuthority",
              "AffectedField"}
RR_NAMES = {"RelationshipPeriods.RelationshipPeriod": "Period",
            "RelationshipQuantifiers.RelationshipQuantifier": "Quantifiers.Quantifier",
            "RelationshipQualifiers.RelationshipQualifier": "Qualifiers.Qualifier"}
PERIOD_FIELDS = {"StartDate": "startDate", "EndDate": "endDate", "PeriodType": "periodType"}
NEUTRAL = Provenance("gleif", "")


def flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    """An element_dict value as golden-copy CSV columns."""
    if isinstance(value, list):
        for i, item in enumerate(value, 1):
            flatten(item, f"{prefix}.{i}", out)
        return
    if not isinstance(value, dict):
        out[prefix] = value
        return
    for key, child in value.items():
        if key == "$":
            out[prefix] = child
        elif key.startswith("@"):
            out[f"{prefix}.{'xmllang' if key == '@lang' else key[1:]}"] = child
        elif key in REPEATABLE and not isinstance(child, list):
            flatten([child], _join(prefix, key), out)
        else:
            flatten(child, _join(prefix, key), out)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def rr_column(name: str) -> str:
    for xml, csv_name in RR_NAMES.items():
        name = name.replace(f"Relationship.{xml}.", f"Relationship.{csv_name}.")
    head, _, last = name.rpartition(".")
    if head.startswith("Relationship.Period."):
        name = f"{head}.{PERIOD_FIELDS.get(last, last)}"
    return name


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    header: list[str] = []
    for row in rows:
        header += [c for c in row if c not in header]
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(c, "") for c in header])


def neutral(records: list[Any]) -> list[Any]:
    return [dataclasses.replace(r, provenance=NEUTRAL) for r in records
            if not isinstance(r, Quarantined) and hasattr(r, "provenance")]


def mapped(path: Path) -> list[Any]:
    return neutral(list(gleif.parse(path, SourceFile(str(path), "run-1"))))


@pytest.mark.parametrize("xml", XML_FILES, ids=lambda p: p.relative_to(REAL).as_posix())
def test_every_real_record_reads_the_same_from_csv(xml: Path, tmp_path: Path) -> None:
    rows, kinds = [], set()
    for item in read_xml(xml):
        if isinstance(item, RawRecord) and item.body is not None:
            kinds.add(item.kind)
            flat: dict[str, str] = {}
            flatten(item.body, "", flat)
            rows.append({rr_column(k) if item.kind == "rr" else k: v for k, v in flat.items()})
    assert rows and len(kinds) == 1
    out = tmp_path / f"20240505-0800-gleif-goldencopy-{kinds.pop()}-golden-copy.csv"
    write_csv(out, rows)
    from_csv, from_xml = mapped(out), mapped(xml)
    assert len(from_xml) >= 3
    assert from_csv == from_xml


RR_HEADER = ["Relationship.StartNode.NodeID", "Relationship.StartNode.NodeIDType",
             "Relationship.EndNode.NodeID", "Relationship.EndNode.NodeIDType",
             "Relationship.RelationshipType", "Relationship.RelationshipStatus",
             "Relationship.Period.1.startDate", "Relationship.Period.1.endDate",
             "Relationship.Period.1.periodType", "Registration.RegistrationStatus",
             "Registration.ManagingLOU"]


def test_relationship_file_in_the_published_column_layout(tmp_path: Path) -> None:
    path = tmp_path / "20240505-0000-gleif-goldencopy-rr-golden-copy.csv"
    path.write_text(
        ",".join(f'"{c}"' for c in RR_HEADER) + "\n"
        '"001GPB6A9XPE8XJICC14","LEI","5493001Z012YSB2A0K51","LEI","IS_DIRECTLY_CONSOLIDATED_BY",'
        '"ACTIVE","2012-11-29T00:00:00Z","","RELATIONSHIP_PERIOD","PUBLISHED","5493001KJTIIGC8Y1R12"\n'
        '"001GPB6A9XPE8XJICC14","LEI","5493001Z012YSB2A0K51","LEI","IS_DIRECTLY_CONSOLIDATED_BY",'
        '"ACTIVE"\n', encoding="utf-8")
    records = list(gleif.parse(path, SourceFile(str(path), "run-1")))
    header, edge, bad = records
    assert header.published == "2024-05-05T00:00:00Z" and header.full_snapshot is True
    assert (edge.owner, edge.owned) == ("lei:5493001Z012YSB2A0K51", "lei:001GPB6A9XPE8XJICC14")
    assert edge.start == "2012-11-29" and edge.end is None
    assert edge.provenance.location == "line 2"
    assert isinstance(bad, Quarantined) and bad.location == "line 3"
    assert "6 fields, the header 11" in bad.reason


def test_a_csv_without_gleif_columns_is_the_wrong_format(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text('"LEI","Name"\n"X","Y"\n', encoding="utf-8")
    with pytest.raises(WrongFormat, match="none of the GLEIF key columns"):
        list(gleif.parse(path, SourceFile(str(path))))


def test_exception_csv_files_are_read_first(tmp_path: Path) -> None:
    repex, lei = tmp_path / "repex.csv", tmp_path / "lei2.csv"
    repex.write_text('"LEI","ExceptionCategory","ExceptionReason.1"\n', encoding="utf-8")
    lei.write_text('"LEI","Entity.LegalName"\n', encoding="utf-8")
    assert file_order("gleif", repex) < file_order("gleif", lei)


def test_element_dict_of_a_record_survives_the_round_trip() -> None:
    """The flattener and reader agree on nesting, not only on the mapped result."""
    from ingest.gleif_csv import _column_path, unflatten

    xml = next(p for p in XML_FILES if p.name == "lei-data.xml")
    item = next(i for i in read_xml(xml) if isinstance(i, RawRecord) and i.body)
    flat: dict[str, str] = {}
    flatten(item.body, "", flat)
    body = unflatten([_column_path(k, "lei") for k in flat], list(flat.values()))
    assert body["LEI"] == item.body["LEI"]
    assert body["Entity"]["LegalName"] == item.body["Entity"]["LegalName"]
    assert body["Entity"]["LegalAddress"] == {k: v for k, v in item.body["Entity"]["LegalAddress"].items()
                                              if v != ""}
    assert element_dict  # the reference the flattener starts from


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.text(alphabet=st.sampled_from(list('",\n\r.1ABCxé\x00 ')), max_size=300),
       header=st.sampled_from([RR_HEADER, ["LEI", "Entity.LegalName", "Entity.LegalName.xmllang",
                                           "Entity.OtherEntityNames.OtherEntityName.1.type", "Entity..x",
                                           "Entity.LegalAddress.AdditionalAddressLine.2"],
                               ["LEI", "ExceptionCategory", "ExceptionReason.1"]]))
def test_malformed_csv_rows_are_quarantined_or_refused_never_a_crash(
        tmp_path: Path, body: str, header: list[str]) -> None:
    path = tmp_path / "fuzz.csv"
    path.write_text(",".join(f'"{c}"' for c in header) + "\n" + body, encoding="utf-8")
    try:
        records = list(gleif.parse(path, SourceFile(str(path))))
    except WrongFormat as exc:
        assert str(path) in exc.message
        return
    for record in records:
        if isinstance(record, Quarantined):
            assert record.reason and record.location.startswith("line ")
