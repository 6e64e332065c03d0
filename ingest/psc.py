"""UK Companies House adapter: PSC snapshot lines (and BasicCompanyData for company names).

Accepts the upstream snapshot (one JSON object per line) and pipeline-wrapped JSON arrays.
The controlled company is ``gb-coh:<company_number>``. A corporate PSC registered in the UK
(a "relevant legal entity") is the company ``gb-coh:<its number>`` itself, so corporate PSC
chains link up; other PSCs are ``gb-psc:<psc id from links.self>``.

Bands: "25-to-50" is (0.25, 0.50], "50-to-75" (0.50, 0.75], "75-to-100" (0.75, 1.00],
"more-than-25" (0.25, 1.00]; an exclusive end is stored as the nearest float inside.
Right to appoint and remove directors means a board majority: (0.50, 1.00].

Directly-or-indirectly rule: every PSC entry states the owner's *total* interest in the
company, held directly or through others. The statute registers only the first relevant
legal entity of a chain (s.790C(4) Companies Act 2006), so walking corporate PSC chains
counts each holding once. Where a company nonetheless lists an active corporate PSC *and*
an individual or legal-person PSC, the latter's holding may be the same one seen again
through the chain: its edges keep the upper bound but get ``share_lo = 0``
(``attrs.overlaps_rle = "true"``), so a certain verdict never rests on a double count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from stdnum.cn import uscc

from graph.model import (
    Address,
    Entity,
    EntityKind,
    Identifier,
    InterestKind,
    Name,
    OwnershipEdge,
    Provenance,
    ReportingException,
)
from ingest.companies_house import is_basic_company_csv, parse_basic_company_csv
from ingest.countries import country_code, country_named_in
from ingest.dates import iso_date, iso_timestamp
from ingest.jsonio import Broken, Item, read_items
from ingest.records import (
    EntityStub,
    ExceptionFact,
    FileHeader,
    Quarantined,
    Record,
    Skipped,
    SourceFile,
    WrongFormat,
)

SOURCE = "psc"
_BAND = re.compile(r"(\d+)-to-(\d+)-percent")
_MORE = re.compile(r"more-than-(\d+)-percent")
_PSC_ID = re.compile(r"/([^/]+)$")
NATURE_KINDS = (
    ("ownership-of-shares", InterestKind.SHAREHOLDING),
    ("voting-rights", InterestKind.VOTING_RIGHTS),
    ("right-to-appoint-and-remove", InterestKind.BOARD_APPOINTMENT),
    ("significant-influence-or-control", InterestKind.SIGNIFICANT_INFLUENCE),
    ("right-to-share-surplus-assets", InterestKind.OTHER),
)


def above(value: float) -> float:
    return math.nextafter(value, 2.0)


def nature_interval(nature: str) -> tuple[InterestKind, float, float]:
    """A nature-of-control code -> (interest kind, share_lo, share_hi)."""
    kind = next((k for prefix, k in NATURE_KINDS if nature.startswith(prefix)), InterestKind.OTHER)
    band, more = _BAND.search(nature), _MORE.search(nature)
    if band:
        lo, hi = int(band.group(1)) / 100.0, int(band.group(2)) / 100.0
        return kind, above(lo), hi
    if more:
        return kind, above(int(more.group(1)) / 100.0), 1.0
    if kind is InterestKind.BOARD_APPOINTMENT:
        return kind, above(0.5), 1.0
    return kind, 0.0, 1.0


def parse(path: Path, src: SourceFile) -> Iterator[Record]:
    if is_basic_company_csv(path):
        yield from parse_basic_company_csv(path, src)
        return
    group: list[Item] = []
    first = True
    for item in read_items(path):
        if isinstance(item, Broken):
            yield Quarantined.of(src.path, item.location, item.reason, item.raw)
            continue
        if first:
            first = False
            if isinstance(item.value, list):  # a pipeline file of several arrays
                raise WrongFormat(f"{path}: nested arrays are not PSC snapshot lines")
            if _is_company_json(item.value):
                yield FileHeader(src.path, None, None, False, "ch-company-json")
            elif not _looks_like_psc(item.value):
                raise WrongFormat(f"{path}: not a UK PSC snapshot (first record has no "
                                  "company_number/data.kind)")
            else:
                yield FileHeader(src.path, _published(item.value), None, True, "psc-snapshot")
        if _is_company_json(item.value):
            from ingest.companies_house import company_entity

            yield company_entity(item.value, src, item.location)
            continue
        number = _company_number(item.value)
        if group and number != _company_number(group[0].value):
            yield from _company(group, src)
            group = []
        group.append(item)
    if group:
        yield from _company(group, src)


def _looks_like_psc(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("data"), dict) and "kind" in value["data"]


def _is_company_json(value: Any) -> bool:
    return isinstance(value, dict) and "CompanyNumber" in value


def _company_number(value: Any) -> str:
    return str(value.get("company_number") or "") if isinstance(value, dict) else ""


def _published(value: dict[str, Any]) -> str | None:
    return iso_timestamp(value.get("ContentDate"))


def _company(group: list[Item], src: SourceFile) -> Iterator[Record]:
    """All PSC lines of one company (consecutive in the snapshot), with the overlap rule;
    first the company itself as the snapshot knows it (number, register)."""
    records: list[Record] = []
    for item in group:
        try:
            records.extend(_line(item, src))
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            records.append(Quarantined.of(src.path, item.location, f"unusable PSC record: {exc}", item.raw or item.value))
    about = next((r for r in records if isinstance(r, OwnershipEdge | ExceptionFact)), None)
    if about is not None:
        yield company_stub(_company_number(group[0].value).strip().upper(), about.provenance)
    has_rle = any(isinstance(r, OwnershipEdge) and r.attrs.get("psc_kind", "").startswith("corporate")
                  and r.end is None for r in records)
    for rec in records:
        if (has_rle and isinstance(rec, OwnershipEdge) and rec.end is None
                and not rec.attrs.get("psc_kind", "").startswith("corporate")):
            attrs = {k: v for k, v in rec.attrs.items() if k != "share_lo_open"}
            rec = replace(rec, share_lo=0.0, attrs={**attrs, "overlaps_rle": "true"})
        yield rec


# Company number prefixes of entities incorporated elsewhere: overseas companies with a UK
# establishment (FC, SF, NF), overseas entities (OE), their branches (BR).
FOREIGN_PREFIXES = ("FC", "SF", "NF", "OE", "BR")


def company_stub(number: str, prov: Provenance) -> EntityStub:
    """The company a PSC record is about: its number (``gb_crn``), and GB as its
    jurisdiction unless the number is of a company incorporated abroad. No headquarters:
    the register does not say where it is run from."""
    foreign = number.startswith(FOREIGN_PREFIXES)
    company = Entity(f"gb-coh:{number}", EntityKind.COMPANY, number,
                     replace(prov, record_id=number), jurisdiction=None if foreign else "GB",
                     identifiers=(Identifier("gb_crn", number),))
    return EntityStub(company)


def _line(item: Item, src: SourceFile) -> Iterator[Record]:
    value = item.value
    data = value.get("data") if isinstance(value, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("kind"), str):
        yield Quarantined.of(src.path, item.location, "PSC line without data.kind", item.raw or value)
        return
    kind = data["kind"]
    if kind.startswith("totals#"):
        yield Skipped(item.location, "snapshot totals line")
        return
    number = _company_number(value).strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{8}", number):
        yield Quarantined.of(src.path, item.location, f"bad company_number {number!r}", item.raw or value)
        return
    company = f"gb-coh:{number}"
    psc_id = _psc_id(data)
    published = _published(value)
    prov = src.provenance(SOURCE, f"{number}/{psc_id}", item.location, published)
    if kind == "persons-with-significant-control-statement":
        if data.get("ceased_on"):
            yield Skipped(item.location, "ceased PSC statement")
        else:
            yield ExceptionFact(company, ReportingException("PSC_STATEMENT", str(data.get("statement"))), prov)
        return
    if kind.startswith("super-secure"):
        if data.get("ceased"):
            yield Skipped(item.location, "ceased super-secure PSC")
        else:
            yield ExceptionFact(company, ReportingException("PSC_STATEMENT", "SUPER_SECURE_PERSON"), prov)
        return
    owner = _owner(data, psc_id, kind, prov)
    # a UK corporate PSC is a company with a record of its own: described here second-hand
    yield EntityStub(owner) if owner.id.startswith("gb-coh:") else owner
    natures = [str(n) for n in data.get("natures_of_control") or []] or ["unknown"]
    end = iso_date(data.get("ceased_on"))
    start = iso_date(data.get("notified_on"))
    for nature in natures:
        ikind, lo, hi = nature_interval(nature)
        attrs = {"nature_of_control": nature, "psc_kind": kind, "direct_or_indirect": "either"}
        if lo > 0.0:  # every PSC band is open at its low end
            attrs["share_lo_open"] = "true"
        yield OwnershipEdge(owner.id, company, ikind, replace(prov, record_id=f"{prov.record_id}/{nature}"),
                            share_lo=lo, share_hi=hi, start=start, end=end, attrs=attrs)


def _psc_id(data: dict[str, Any]) -> str:
    link = str((data.get("links") or {}).get("self") or "")
    match = _PSC_ID.search(link)
    if not match:
        raise ValueError("PSC record without links.self id")
    return match.group(1)


def _owner(data: dict[str, Any], psc_id: str, kind: str, prov: Any) -> Entity:
    ident = data.get("identification") or {}
    name = str(data.get("name") or "").strip() or _elements_name(data) or f"PSC {psc_id}"
    address = data.get("address") or data.get("principal_office_address") or {}
    country = country_code(address.get("country"))
    flags = {"sanctioned"} if data.get("is_sanctioned") else set()
    if kind.startswith("individual"):
        return Entity(
            id=f"gb-psc:{psc_id}", kind=EntityKind.PERSON, name=name, provenance=prov,
            names=(Name(name, kind="legal"),),
            nationality=country_code(str(data.get("nationality") or "").split(",")[0]),
            residence=country_code(data.get("country_of_residence")) or country,
            addresses=(Address("other", _address_text(address), country),) if address else (),
            flags=frozenset(flags),
        )
    country_registered, uk = register_country(ident)
    reg_number = str(ident.get("registration_number") or "").strip().upper()
    idents, country_registered = register_identifiers(reg_number, country_registered, uk)
    crn = next((i.value for i in idents if i.scheme == "gb_crn"), None)
    legal_form = str(ident.get("legal_form") or "").lower()
    ekind = EntityKind.COMPANY
    if kind.startswith("legal-person"):
        ekind = EntityKind.STATE_BODY if "government" in legal_form or "state" in legal_form else EntityKind.PUBLIC_BODY
    return Entity(
        id=f"gb-coh:{crn}" if crn else f"gb-psc:{psc_id}", kind=ekind, name=name,
        provenance=prov, names=(Name(name, kind="legal"),),
        jurisdiction=country_registered, hq_country=country, identifiers=idents,
        addresses=(Address("legal", _address_text(address), country),) if address else (),
        flags=frozenset(flags),
    )


_UK_REGISTER = re.compile(r"\b(?:england|wales|scotland|northern ireland|united kingdom|"
                          r"companies house|uk|u\.k\.|great britain|companies act|english law)\b")


def register_country(ident: dict[str, Any]) -> tuple[str | None, bool]:
    """A corporate PSC's country of registration from its ``identification``, and whether
    that is the UK register (a UK company act or register named anywhere in it)."""
    text = {k: str(ident.get(k) or "") for k in ("country_registered", "place_registered",
                                                 "legal_authority", "legal_form")}
    named = country_named_in(text["country_registered"]) or \
        country_named_in(text["place_registered"]) or country_named_in(text["legal_authority"])
    uk = named in (None, "GB") and any(
        _UK_REGISTER.search(text[k].lower().replace("non-uk", "")) for k in text)
    return named or ("GB" if uk else None), uk


def register_identifiers(number: str, country: str | None, uk: bool
                         ) -> tuple[tuple[Identifier, ...], str | None]:
    """A corporate PSC's registration number under the scheme of its register: UK -> the
    Companies House number (``gb_crn``); a Chinese register, or no country but a valid
    unified social credit code -> ``cn_uscc`` (checked with python-stdnum); else kept as a
    plain registration number. Returns the identifiers and the (possibly found) country."""
    if not number:
        return (), country
    if uk and number.isalnum() and len(number) <= 8:
        return (Identifier("gb_crn", number.zfill(8) if number.isdigit() else number),), "GB"
    compact = re.sub(r"[\s\-./]", "", number)
    if country in (None, "CN") and uscc.is_valid(compact):
        return (Identifier("cn_uscc", compact),), "CN"
    return (Identifier("registration_number", number),), country


def _elements_name(data: dict[str, Any]) -> str:
    el = data.get("name_elements") or {}
    return " ".join(str(el[k]) for k in ("forename", "middle_name", "surname") if el.get(k))


def _address_text(address: dict[str, Any]) -> str:
    keys = ("premises", "address_line_1", "address_line_2", "locality", "region", "postal_code", "country")
    return ", ".join(str(address[k]) for k in keys if address.get(k))
