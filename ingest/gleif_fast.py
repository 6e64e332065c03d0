"""LEI-CDF XML records straight to Entities, for the common record shape.

The general path turns each record element into a plain dict (``element_dict``) and maps
the dict (``gleif.lei_record``); that is two passes and ~40 dict/list allocations per
record, on files of millions of records. Here one pass over the element's children reads
what the mapping uses and builds the Entity directly. Anything outside the common shape
(a malformed LEI, no legal name, an INACTIVE entity, a successor entity, repeated or nested
elements where leaves are expected, comments) returns None and the caller takes the
general path, so both paths give the same Entity for every record (tested on the real
files and on generated variants).
"""

from __future__ import annotations

from typing import Any

from graph.model import Address, Entity, EntityKind, Name, Provenance
from ingest import gleif_readers
from ingest.gleif_codes import (
    ADDRESS_PARTS,
    ENTITY_KINDS,
    FUND_FLAGS,
    NAME_KINDS,
    NO_FLAGS,
    SOURCE,
    country,
    identifiers_of,
)
from ingest.records import SourceFile

_PARTS = frozenset(ADDRESS_PARTS)
_NAME_LISTS = {"OtherEntityNames": "OtherEntityName",
               "TransliteratedOtherEntityNames": "TransliteratedOtherEntityName"}
_LEAVES = frozenset({"LegalJurisdiction", "EntityCategory", "EntityStatus"})
# The children of ``Entity`` the mapping reads (each at most once in the common shape).
_READ = _LEAVES | set(_NAME_LISTS) | {"LegalName", "LegalAddress", "HeadquartersAddress", "OtherAddresses",
                                     "RegistrationAuthority"}
_LOCAL = gleif_readers.LOCAL_NAMES


class _Unusual(Exception):
    """The record is not of the common shape: the general path maps it."""


def _name(el: Any) -> str:
    tag = el.tag
    name = _LOCAL.get(tag)
    if name is None:
        if not isinstance(tag, str):
            raise _Unusual
        name = gleif_readers.local(tag)
    return name


def _leaf(el: Any) -> str:
    """A leaf's text as the general path reads it (stripped), refusing elements with children."""
    if len(el):
        raise _Unusual
    text = el.text
    return text.strip() if text else ""


def _lang(el: Any) -> str | None:
    lang = None
    for key, value in el.attrib.items():
        if key.rpartition("}")[2] == "lang":
            lang = value
    return lang


# (lei, legal name, its lang, other names [(value, lang, kind)], legal address, headquarters
# address, other addresses [(kind, text, country)], RA id, RA entity id, jurisdiction code,
# category): plain values, so a forked reader can pipe them (``record_codec``).
LeiFields = tuple[Any, ...]


def lei_from_element(el: Any, src: SourceFile, where: str, published: str | None) -> Entity | None:
    """The Entity of an LEIRecord element, or None when the general path must map it."""
    fields = lei_fields(el)
    if fields is None:
        return None
    return entity_from_fields(fields, src.provenance(SOURCE, fields[0], where, published))


def lei_fields(el: Any) -> LeiFields | None:
    """What an LEIRecord element says that the Entity needs, or None (general path)."""
    try:
        return _fields(el)
    except _Unusual:
        return None


def entity_from_fields(f: LeiFields, provenance: Provenance) -> Entity:
    lei, legal_value, legal_lang, names, legal, hq, others, ra_id, ra_number, jurisdiction_code, category = f
    jurisdiction = country(jurisdiction_code or None)
    addresses = [Address(k, t, c) for k, t, c in (legal, hq) if k] + [Address(k, t, c) for k, t, c in others]
    return Entity(
        id=f"lei:{lei}",
        kind=ENTITY_KINDS.get(category, EntityKind.COMPANY),
        name=legal_value,
        provenance=provenance,
        names=(Name(legal_value, lang=legal_lang, kind="legal"),
               *[Name(v, lang=lang, kind=kind) for v, lang, kind in names]),
        jurisdiction=jurisdiction or legal[2],
        hq_country=hq[2],
        identifiers=identifiers_of(lei, ra_id or None, ra_number or None, jurisdiction),
        addresses=tuple(addresses),
        dissolved=None,
        flags=FUND_FLAGS if category == "FUND" else NO_FLAGS,
    )


_NO_ADDRESS = ("", "", None)


def _fields(el: Any) -> LeiFields:
    lei_el = ent = None
    for child in el:
        name = _name(child)
        if name == "LEI":
            if lei_el is not None:
                raise _Unusual
            lei_el = child
        elif name == "Entity":
            if ent is not None:
                raise _Unusual
            ent = child
        elif name == "ContentDate":  # a per-record publication date: the general path reads it
            raise _Unusual
    if lei_el is None or ent is None or not len(ent):
        raise _Unusual
    lei = _leaf(lei_el).upper()
    if len(lei) != 20 or not lei.isalnum():
        raise _Unusual
    e = _EntityFields()
    local_name = _LOCAL.get
    for child in ent:  # hot: ~12 children per record, most of them not read
        name = local_name(child.tag) or _name(child)
        if name in _READ:
            e.take(name, child)
        elif name == "SuccessorEntity":  # read with the registration's status: general path
            raise _Unusual
    if e.legal is None or e.leaves.get("EntityStatus") == "INACTIVE":
        raise _Unusual
    return (lei, e.legal[0], e.legal[1], e.other_names + e.transliterated, e.legal_address, e.hq_address,
            e.other_addresses, e.ra_id, e.ra_number, e.leaves.get("LegalJurisdiction", ""),
            e.leaves.get("EntityCategory", ""))


_REPEX_LEAVES = frozenset({"LEI", "ExceptionCategory", "ExceptionReason"})


def repex_fields(el: Any) -> tuple[str, str, str] | None:
    """(LEI, category, reason) of a reporting-exception element of the common shape, else
    None (the general path: ``gleif.repex_record`` quarantines or maps it)."""
    values: dict[str, str] = {}
    try:
        for child in el:
            name = _name(child)
            if name in _REPEX_LEAVES:
                if name in values:
                    raise _Unusual
                values[name] = _leaf(child)
            elif name == "ContentDate":
                raise _Unusual
    except _Unusual:
        return None
    lei = values.get("LEI", "").upper()
    category, reason = values.get("ExceptionCategory"), values.get("ExceptionReason")
    if len(lei) != 20 or not lei.isalnum() or not category or not reason:
        return None
    return lei, category, reason


class _EntityFields:
    """What the mapping reads from an ``Entity`` element, filled in one pass."""

    def __init__(self) -> None:
        self.legal: tuple[str, str | None] | None = None
        self.other_names: list[tuple[str, str | None, str]] = []
        self.transliterated: list[tuple[str, str | None, str]] = []
        self.legal_address: tuple[str, str, str | None] = _NO_ADDRESS
        self.hq_address: tuple[str, str, str | None] = _NO_ADDRESS
        self.other_addresses: list[tuple[str, str, str | None]] = []
        self.ra_id = ""
        self.ra_number = ""
        self.leaves: dict[str, str] = {}
        self.seen: set[str] = set()

    def take(self, name: str, el: Any) -> None:
        if name in self.seen:
            raise _Unusual  # repeated: the general path sees a list
        self.seen.add(name)
        if name in _LEAVES:
            self.leaves[name] = _leaf(el)
        elif name == "LegalName":
            value = _leaf(el)
            if not value:
                raise _Unusual
            self.legal = (value, _lang(el) if el.attrib else None)
        elif name in _NAME_LISTS:
            names = self.other_names if name == "OtherEntityNames" else self.transliterated
            names.extend(_names(el, _NAME_LISTS[name], "other" if names is self.other_names
                                else "transliterated"))
        elif name == "LegalAddress":
            self.legal_address = _address(el, "legal")
        elif name == "HeadquartersAddress":
            self.hq_address = _address(el, "headquarters")
        elif name == "RegistrationAuthority":
            self.ra_id, self.ra_number = _registration_authority(el)
        elif name == "OtherAddresses":
            self.other_addresses = _other_addresses(el)


def _names(container: Any, inner: str, default: str) -> list[tuple[str, str | None, str]]:
    if not len(container):
        raise _Unusual
    out = []
    for item in container:
        if _name(item) != inner:
            continue
        value = _leaf(item)
        kind_code, lang = "", None
        if item.attrib:
            for key, attr in item.attrib.items():
                short = key.rpartition("}")[2]
                if short == "type":
                    kind_code = attr
                elif short == "lang":
                    lang = attr
        if value:
            kind = "transliterated" if "TRANSLITERATED" in kind_code else NAME_KINDS.get(kind_code, default)
            out.append((value, lang or None, kind))  # as ``@lang or language``
    return out


def _address(el: Any, kind: str) -> tuple[str, str, str | None]:
    if not len(el):
        raise _Unusual
    parts: dict[str, list[str]] = {}
    local_name = _LOCAL.get
    for child in el:
        name = local_name(child.tag) or _name(child)
        if name in _PARTS:
            if len(child):
                raise _Unusual
            text = child.text
            parts.setdefault(name, []).append(text.strip() if text else "")
    countries = parts.get("Country")
    if countries is not None and len(countries) > 1:
        raise _Unusual
    seen: list[str] = []
    for key in ADDRESS_PARTS:
        for value in parts.get(key, ()):
            if value and value not in seen:
                seen.append(value)
    return (kind, ", ".join(seen), country(countries[0] or None) if countries else None)


def _other_addresses(container: Any) -> list[tuple[str, str, str | None]]:
    """``OtherAddress`` children with some text (leaves carry none)."""
    out = []
    for child in container:
        if _name(child) == "OtherAddress" and len(child):
            address = _address(child, "other")
            if address[1]:
                out.append(address)
    return out


def _registration_authority(el: Any) -> tuple[str, str]:
    if not len(el):
        raise _Unusual
    ra_id = number = None
    for child in el:
        name = _name(child)
        if name == "RegistrationAuthorityID":
            if ra_id is not None:
                raise _Unusual
            ra_id = _leaf(child)
        elif name == "RegistrationAuthorityEntityID":
            if number is not None:
                raise _Unusual
            number = _leaf(child)
    return ra_id or "", number or ""
