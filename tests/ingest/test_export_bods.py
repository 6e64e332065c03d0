"""``ownergraph export bods`` output passes the official validator's JSON-schema check."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import libcovebods.config
import libcovebods.data_reader
import libcovebods.jsonschemavalidate
import libcovebods.schema
from ingest_helpers import real

from ingest.export_bods import write_bods
from ingest.run import RunOptions, run_ingest

INPUTS = [
    ("gleif", ["gleif/bodspipelines-fixtures/lei-data.xml", "gleif/bodspipelines-fixtures/rr-data.xml",
               "gleif/bodspipelines-fixtures/repex-data.xml",
               "china/bods-gleif-pipeline-cn-hk/relationship_issued.json"]),
    ("bods", ["bods/data-standard-v0.4/fermcat.json", "bods/data-standard-v0.2/3-joint-ownership.json",
              "bods/data-standard-v0.4/listed-company-exempt-from-disclosure.json"]),
    ("psc", ["uk-psc/bods-uk-psc-pipeline-fixtures/psc-data-8.json",
             "uk-psc/bods-uk-psc-pipeline-fixtures/psc-data-14.json",
             "uk-psc/bods-uk-psc-pipeline-fixtures/basic-company-data-1.csv"]),
    ("ftm", ["ftm/yente-zala/entities.ftm.json"]),
]


def _validate(path: Path) -> list[dict[str, Any]]:
    reader = libcovebods.data_reader.DataReader(str(path))
    config = libcovebods.config.LibCoveBODSConfig()
    schema = libcovebods.schema.SchemaBODS(reader, config)
    assert schema.schema_version == "0.4"
    validator = libcovebods.jsonschemavalidate.JSONSchemaValidator(schema)
    return [e.json() for e in validator.validate(reader)]


def test_export_passes_libcovebods_schema_validation(graph_store: Any, tmp_path: Path) -> None:
    for fmt, files in INPUTS:
        run_ingest(graph_store, RunOptions(fmt, [real(f) for f in files], tmp_path))
    out = tmp_path / "export.json"
    count = write_bods(graph_store, out)
    statements = json.loads(out.read_text())
    assert count == len(statements) == graph_store.count("Entity") + graph_store.count("OWNS")
    assert _validate(out) == []
    by_type = {t: sum(s["recordType"] == t for s in statements) for t in ("entity", "person", "relationship")}
    assert by_type["relationship"] == graph_store.count("OWNS") and by_type["person"] > 0
    # a PSC band travels as an exclusive minimum; an exact share stays exact
    shares = [i.get("share", {}) for s in statements if s["recordType"] == "relationship"
              for i in s["recordDetails"]["interests"]]
    assert {"exclusiveMinimum": 75.0, "maximum": 100.0} in shares
    assert {"exact": 100.0} in shares


def test_the_validator_check_can_fail(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps([{"statementId": "x" * 32, "recordType": "entity", "recordId": "a",
                                   "recordDetails": {"isComponent": False}}]))
    assert _validate(broken)  # missing declarationSubject, statementDate, entityType
