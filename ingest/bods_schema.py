"""BODS JSON-schema validation of single statements, offline.

The schemas in ``ingest/bods_schema/`` are the published BODS schemas (Apache-2.0), the same
files the official validator (libcovebods) checks against. Version choice follows it too:
``publicationDetails.bodsVersion`` of the first statement, else 0.4 for record-based data.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMA_DIR = Path(__file__).parent / "bods_schema"
VERSIONS = ("0.1", "0.2", "0.3", "0.4")


def is_record_based(statement: Any) -> bool:
    return isinstance(statement, dict) and bool({"recordDetails", "recordId", "recordType"} & statement.keys())


def version_of(statement: Any) -> str:
    details = statement.get("publicationDetails") if isinstance(statement, dict) else None
    declared = details.get("bodsVersion") if isinstance(details, dict) else None
    if isinstance(declared, str) and declared in VERSIONS:
        return declared
    return "0.4" if is_record_based(statement) else ("0.3" if declared else "0.1")


@functools.cache
def _validator_04() -> Draft202012Validator:
    resources = []
    for path in sorted((SCHEMA_DIR / "0.4").glob("*.json")):
        schema = json.loads(path.read_text())
        resources.append((schema["$id"], DRAFT202012.create_resource(schema)))
    registry: Registry[Any] = Registry().with_resources(resources)
    return Draft202012Validator(
        {"$ref": "urn:statement#/$defs/Statement"}, registry=registry, format_checker=FormatChecker()
    )


@functools.cache
def _validators_old(version: str) -> dict[str, Draft4Validator]:
    package = json.loads((SCHEMA_DIR / f"{version}.json").read_text())
    out = {}
    for sub in package["items"]["oneOf"]:
        stype = sub["properties"]["statementType"]["enum"][0]
        out[stype] = Draft4Validator(sub, format_checker=FormatChecker())
    return out


def _path(prefix: str, error: ValidationError) -> str:
    out = prefix
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def strip_nulls(value: Any) -> Any:
    """Null members mean "absent" (real registers publish ``"assertedBy": null``)."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


def tolerated(error: ValidationError) -> bool:
    """Harmless deviations seen in real 0.1-0.3 publications, accepted on purpose.

    The OpenOwnership Register's legacy statements use numeric ids shorter than 32
    characters, a date where a date-time is asked for, relative URIs, and a ``source``
    block (metadata we do not map) of the wrong shape. 0.4 data gets
    no such allowance: every schema error quarantines, as the official validator reports.
    """
    if error.validator == "minLength" or (error.absolute_path and error.absolute_path[0] == "source"):
        return True
    if error.validator == "format" and error.validator_value == "date-time":
        return isinstance(error.instance, str) and len(error.instance) == 10
    return error.validator == "format" and error.validator_value in ("uri", "iri")


def statement_errors(statement: Any, version: str, index: int = 0) -> list[str]:
    """Schema errors of one statement as ``keyword at $[i].path: message``; [] when valid."""
    prefix = f"$[{index}]"
    if not isinstance(statement, dict):
        return [f"type at {prefix}: a statement must be a JSON object"]
    if version == "0.4":
        validator: Any = _validator_04()
    else:
        validators = _validators_old(version)
        stype = statement.get("statementType")
        if not isinstance(stype, str) or stype not in validators:
            return [f"enum at {prefix}.statementType: unknown statementType {stype!r}"]
        validator = validators[stype]
    lenient = version != "0.4"
    checked = strip_nulls(statement) if lenient else statement
    errors = [e for e in validator.iter_errors(checked) if not (lenient and tolerated(e))]
    errors.sort(key=lambda e: list(map(str, e.absolute_path)))
    return [f"{e.validator} at {_path(prefix, e)}: {e.message[:200]}" for e in errors]
