"""GLEIF REST API (JSON:API) responses, translated into the plain LEI-CDF/RR-CDF dict shape.

API pages are bounded (at most 200 resources per page), so a page is read whole; bulk data
comes as golden-copy files, which are streamed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest.dates import iso_timestamp
from ingest.gleif_readers import RawHeader, RawRecord
from ingest.jsonio import check_depth
from ingest.records import WrongFormat

_TYPES = {"lei-records": "lei", "relationship-records": "rr", "reporting-exceptions": "repex"}


def read_api(path: Path) -> Iterator[RawRecord | RawHeader]:
    try:
        raw = path.read_bytes()
        check_depth(raw)  # TooDeep is a ValueError: one line, the file refused
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WrongFormat(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(doc, dict) or "data" not in doc:
        raise WrongFormat(f"{path}: not a GLEIF API (JSON:API) document: no 'data' member")
    meta = doc.get("meta")
    golden = meta.get("goldenCopy") if isinstance(meta, dict) else None
    published = iso_timestamp(golden.get("publishDate")) if isinstance(golden, dict) else None
    data = doc["data"]
    resources = data if isinstance(data, list) else ([data] if data else [])
    kinds = {_TYPES.get(str(r.get("type"))) or "?" for r in resources if isinstance(r, dict)}
    yield RawHeader(next(iter(kinds)) if len(kinds) == 1 else "mixed", published, "API")
    for i, res in enumerate(resources):
        where = f"data[{i}]"
        kind = _TYPES.get(str(res.get("type"))) if isinstance(res, dict) else None
        attrs = res.get("attributes") if isinstance(res, dict) else None
        if kind is None or not isinstance(attrs, dict):
            yield RawRecord("?", where, None, error="not an lei-records, relationship-records or "
                            "reporting-exceptions resource", excerpt=json.dumps(res)[:300])
            continue
        try:
            body = {"lei": _lei, "rr": _rr, "repex": _repex}[kind](attrs)
        except (AttributeError, TypeError, KeyError) as exc:
            yield RawRecord(kind, where, None, error=f"unexpected API attribute shape: {exc}",
                            excerpt=json.dumps(res)[:300])
            continue
        yield RawRecord(kind, where, body)


def _name(item: dict[str, Any] | None, kind: str | None = None) -> dict[str, Any] | None:
    if not item or not item.get("name"):
        return None
    out: dict[str, Any] = {"$": item["name"]}
    if item.get("language"):
        out["@lang"] = item["language"]
    if item.get("type") or kind:
        out["@type"] = item.get("type") or kind
    return out


def _address(addr: dict[str, Any] | None) -> dict[str, Any] | None:
    if not addr:
        return None
    lines = [x for x in addr.get("addressLines") or [] if x]
    out = {
        "FirstAddressLine": lines[0] if lines else None,
        "AdditionalAddressLine": lines[1:],
        "MailRouting": addr.get("mailRouting"),
        "City": addr.get("city"),
        "Region": addr.get("region"),
        "Country": addr.get("country"),
        "PostalCode": addr.get("postalCode"),
        "@lang": addr.get("language"),
    }
    return {k: v for k, v in out.items() if v}


def _lei(a: dict[str, Any]) -> dict[str, Any]:
    ent = a.get("entity") or {}
    reg = a.get("registration") or {}
    entity = {
        "LegalName": _name(ent.get("legalName")),
        "OtherEntityNames": [n for n in (_name(x) for x in ent.get("otherNames") or []) if n],
        "TransliteratedOtherEntityNames": [
            n for n in (_name(x) for x in ent.get("transliteratedOtherNames") or []) if n
        ],
        "LegalAddress": _address(ent.get("legalAddress")),
        "HeadquartersAddress": _address(ent.get("headquartersAddress")),
        "OtherAddresses": [
            {**(_address(x) or {}), "@type": x.get("type")} for x in ent.get("otherAddresses") or []
        ],
        "RegistrationAuthority": {
            "RegistrationAuthorityID": (ent.get("registeredAt") or {}).get("id"),
            "RegistrationAuthorityEntityID": ent.get("registeredAs"),
        },
        "LegalJurisdiction": ent.get("jurisdiction"),
        "EntityCategory": ent.get("category"),
        "EntityStatus": ent.get("status"),
        "EntityExpirationDate": (ent.get("expiration") or {}).get("date"),
        "EntityCreationDate": ent.get("creationDate"),
        "SuccessorEntity": [{"SuccessorLEI": s.get("lei")} for s in _successors(ent)],
    }
    registration = {
        "RegistrationStatus": reg.get("status"),
        "LastUpdateDate": reg.get("lastUpdateDate"),
        "InitialRegistrationDate": reg.get("initialRegistrationDate"),
    }
    return {"LEI": a.get("lei"), "Entity": entity, "Registration": registration,
            "BIC": a.get("bic"), "OCID": a.get("ocid")}


def _successors(ent: dict[str, Any]) -> list[dict[str, Any]]:
    """``successorEntity`` and the ``successorEntities`` list, each with an LEI once."""
    found = [ent.get("successorEntity") or {}, *(ent.get("successorEntities") or [])]
    return [s for s in found if isinstance(s, dict) and s.get("lei")]


def _rr(a: dict[str, Any]) -> dict[str, Any]:
    rel = a["relationship"]
    reg = a.get("registration") or {}
    periods = [
        {"StartDate": p.get("startDate"), "EndDate": p.get("endDate"), "PeriodType": p.get("type")}
        for p in rel.get("periods") or []
    ]
    quantifiers = [
        {"MeasurementMethod": q.get("measurementMethod"), "QuantifierAmount": q.get("quantifierAmount"),
         "QuantifierUnits": q.get("quantifierUnits")}
        for q in rel.get("quantifiers") or []
    ]
    return {
        "Relationship": {
            "StartNode": {"NodeID": rel["startNode"]["id"], "NodeIDType": rel["startNode"].get("type")},
            "EndNode": {"NodeID": rel["endNode"]["id"], "NodeIDType": rel["endNode"].get("type")},
            "RelationshipType": rel.get("type"),
            "RelationshipPeriods": periods,
            "RelationshipStatus": rel.get("status"),
            "RelationshipQuantifiers": quantifiers,
        },
        "Registration": {
            "RegistrationStatus": reg.get("status"),
            "LastUpdateDate": reg.get("lastUpdateDate"),
            "ValidationSources": reg.get("corroborationLevel"),
        },
    }


def _repex(a: dict[str, Any]) -> dict[str, Any]:
    return {"LEI": a["lei"], "ExceptionCategory": a.get("category"), "ExceptionReason": a.get("reason"),
            "ExceptionReference": a.get("reference")}
