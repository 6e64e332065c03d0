"""Generated malformed inputs never crash: truncated XML/JSON, wrong types, huge strings, bad
dates, unknown enum values. The only exception allowed out of an adapter or a run is
WrongFormat (the one-line stop for a file that is not the declared format at all)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ingest_helpers import real

from graph.model import Entity, OwnershipEdge
from ingest import bods, csv_format, ftm, gleif, psc
from ingest.records import (
    EntityStub,
    ExceptionFact,
    FileHeader,
    Quarantined,
    Removed,
    Skipped,
    SourceFile,
    WrongFormat,
)
from ingest.run import RunOptions, run_ingest

RECORD_TYPES = (Entity, OwnershipEdge, ExceptionFact, EntityStub, Quarantined, Skipped, Removed,
                FileHeader)
BAD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.just("x" * 200_000),  # huge string
    st.sampled_from(["2023-02-30", "not-a-date", "0000-00-00", "31/02/2020", "2020-13-01T25:61:00+99:00",
                     "UNKNOWN_ENUM_VALUE", "ownership-of-shares-120-to-300-percent", "-5", "101", "NaN"]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
SAMPLES = {
    "gleif-xml": (gleif.parse, "gleif/bodspipelines-fixtures/rr-updates-data2.xml"),
    "gleif-lei-xml": (gleif.parse, "gleif/bodspipelines-fixtures/lei-updates-data2.xml"),
    "gleif-json": (gleif.parse, "gleif/bodspipelines-fixtures/lei-data.json"),
    "gleif-api": (gleif.parse, "gleif/gleif-rs-api-v1/relationships/direct-parent-relationship_5493001KJTIIGC8Y1R12.json"),
    "bods-0.4": (bods.parse, "bods/data-standard-v0.4/joint-ownership.json"),
    "bods-0.2": (bods.parse, "bods/data-standard-v0.2/3-joint-ownership.json"),
    "psc": (psc.parse, "uk-psc/bods-uk-psc-pipeline-fixtures/psc-data-8.json"),
    "ftm": (ftm.parse, "ftm/yente-t1/entities.ftm.json"),
}


def _drain(parse: Any, path: Path) -> list[Any]:
    try:
        out = list(parse(path, SourceFile(str(path), "fuzz", "2026-01-01T00:00:00Z")))
    except WrongFormat as exc:
        assert "\n" not in exc.message
        return []
    assert all(isinstance(r, RECORD_TYPES) for r in out)
    return out


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple[Any, ...], value: Any) -> None:
    for part in path[:-1]:
        doc = doc[part]
    doc[path[-1]] = value


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(SAMPLES)), st.floats(0.0, 1.0), st.data())
def test_truncated_files_never_crash(tmp_path_factory: Any, name: str, cut: float, data: st.DataObject) -> None:
    parse, rel = SAMPLES[name]
    raw = real(rel).read_bytes()
    path = tmp_path_factory.mktemp("cut") / Path(rel).name
    path.write_bytes(raw[: int(len(raw) * cut)])
    _drain(parse, path)


def _mutated_json(rel: str, data: st.DataObject, n: int) -> str:
    text = real(rel).read_text()
    lines = rel.endswith(".ftm.json")
    docs = [json.loads(line) for line in text.splitlines() if line.strip()] if lines else [json.loads(text)]
    for _ in range(n):
        doc = docs[data.draw(st.integers(0, len(docs) - 1))]
        paths = _paths(doc)
        if paths:
            _set(doc, data.draw(st.sampled_from(paths)), data.draw(BAD_VALUES))
    dump = [json.dumps(d, allow_nan=True) for d in docs]
    return "\n".join(dump) + "\n" if lines else dump[0]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from([k for k in SAMPLES if "xml" not in k]), st.integers(1, 4), st.data())
def test_wrong_types_and_values_in_json_never_crash(tmp_path_factory: Any, name: str, n: int,
                                                    data: st.DataObject) -> None:
    parse, rel = SAMPLES[name]
    path = tmp_path_factory.mktemp("json") / Path(rel).name
    path.write_text(_mutated_json(rel, data, n))
    _drain(parse, path)


XML_TEXT = st.one_of(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
                     st.sampled_from(["2023-02-30T00:00:00Z", "IS_SECRETLY_OWNED_BY", "NOT-AN-LEI", "", "x" * 100_000,
                                      "PERCENTAGE", "-3"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["gleif-xml", "gleif-lei-xml"]), st.data())
def test_bad_element_text_in_xml_never_crashes(tmp_path_factory: Any, name: str, data: st.DataObject) -> None:
    from xml.sax.saxutils import escape

    parse, rel = SAMPLES[name]
    text = real(rel).read_text()
    starts = [i for i in range(len(text)) if text.startswith(">", i) and text[i + 1: i + 2] not in ("<", "\n", "")]
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.sampled_from(starts))
        j = text.index("<", i)
        text = text[: i + 1] + escape(data.draw(XML_TEXT)) + text[j:]
        starts = [s for s in starts if s < len(text) - 1 and text[s] == ">"]
    path = tmp_path_factory.mktemp("xml") / Path(rel).name
    path.write_text(text)
    _drain(parse, path)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(BAD_VALUES.map(lambda v: json.dumps(v)[:200]), min_size=1, max_size=10), max_size=5),
       st.sampled_from(["owner,owned,kind,share,share_min,share_max,start,end",
                        "id,name,kind,jurisdiction,identifiers,flags,dissolved"]))
def test_csv_rows_of_any_shape_never_crash(tmp_path_factory: Any, rows: list[list[str]], header: str) -> None:
    import csv
    import io

    buf = io.StringIO()
    buf.write(header + "\n")
    csv.writer(buf).writerows(rows)
    path = tmp_path_factory.mktemp("csv") / "user.csv"
    path.write_text(buf.getvalue())
    out = _drain(csv_format.parse, path)
    assert sum(not isinstance(r, FileHeader) for r in out) == len(rows)  # every row accounted for


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.sampled_from([k for k in SAMPLES if "xml" not in k]), st.integers(1, 3), st.data())
def test_mutated_files_never_crash_a_run_into_the_store(graph_store: Any, tmp_path_factory: Any, name: str,
                                                       n: int, data: st.DataObject) -> None:
    fmt = name.split("-")[0]
    _, rel = SAMPLES[name]
    home = tmp_path_factory.mktemp("home")
    path = home / Path(rel).name
    path.write_text(_mutated_json(rel, data, n))
    try:
        summary = run_ingest(graph_store, RunOptions(fmt, [path], home))
    except WrongFormat:
        return
    assert summary.status == "ok"
    assert summary.read >= summary.quarantined
