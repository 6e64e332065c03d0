"""LEI-CDF XML records straight to Entities, for the common record shape.

The general path turns each record element into a plain dict (``element_dict``) and maps
the dict (``gleif.lei_record``); that is two passes and ~40 dict/list allocations per
record, on files of millions of records. Here one pass over the element's children reads
what the mapping uses and builds the Entity directly. Anything outside the common shape
(a malformed LEI, no legal name, an INACTIVE entity, repeated or nested
elements where leaves are expected, comments) returns None and the caller takes the
general path, so both paths give the same Entity for every record (tested on the real
files and on generated variants).
"""

from __future__ import annotations

from typing import Any

from graph.model import Address, Entity, EntityKind, Name
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


def lei_from_element(el: Any, src: SourceFile, where: str, published: str | None) -> Entity | None:
    """The Entity of an LEIRecord element, or None when the general path must map it."""
    try:
        return _entity(el, src, where, published)
    except _Unusual:
        return None


def _entity(el: Any, src: SourceFile, where: str, published: str | None) -> Entity | None:
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
    for child in ent:
        e.take(_name(child), child)
    if e.legal is None or e.leaves.get("EntityStatus") == "INACTIVE":
        raise _Unusual
    jurisdiction = country(e.leaves.get("LegalJurisdiction") or None)
    category = e.leaves.get("EntityCategory") or ""
    addresses = [a for a in (e.legal_address, e.hq_address) if a is not None] + e.other_addresses
    return Entity(
        id=f"lei:{lei}",
        kind=ENTITY_KINDS.get(category, EntityKind.COMPANY),
        name=e.legal.value,
        provenance=src.provenance(SOURCE, lei, where, published),
        names=(e.legal, *e.other_names, *e.transliterated),
        jurisdiction=jurisdiction or (e.legal_address.country if e.legal_address else None),
        hq_country=e.hq_address.country if e.hq_address else None,
        identifiers=identifiers_of(lei, e.ra_id or None, e.ra_number or None, jurisdiction),
        addresses=tuple(addresses),
        dissolved=None,
        flags=FUND_FLAGS if category == "FUND" else NO_FLAGS,
    )


class _EntityFields:
    """What the mapping reads from an ``Entity`` element, filled in one pass."""

    def __init__(self) -> None:
        self.legal: Name | None = None
        self.other_names: list[Name] = []
        self.transliterated: list[Name] = []
        self.legal_address: Address | None = None
        self.hq_address: Address | None = None
        self.other_addresses: list[Address] = []
        self.ra_id = ""
        self.ra_number = ""
        self.leaves: dict[str, str] = {}
        self.seen: set[str] = set()

    def take(self, name: str, el: Any) -> None:
        if name not in _READ:
            return
        if name in self.seen:
            raise _Unusual  # repeated: the general path sees a list
        self.seen.add(name)
        if name in _LEAVES:
            self.leaves[name] = _leaf(el)
        elif name == "LegalName":
            value = _leaf(el)
            if not value:
                raise _Unusual
            self.legal = Name(value, lang=_lang(el) if el.attrib else None, kind="legal")
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


def _names(container: Any, inner: str, default: str) -> list[Name]:
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
            out.append(Name(value, lang=lang or None, kind=kind))  # as ``@lang or language``
    return out


def _address(el: Any, kind: str) -> Address:
    if not len(el):
        raise _Unusual
    parts: dict[str, list[str]] = {}
    for child in el:
        name = _name(child)
        if name in _PARTS:
            parts.setdefault(name, []).append(_leaf(child))
    countries = parts.get("Country")
    if countries is not None and len(countries) > 1:
        raise _Unusual
    seen: list[str] = []
    for key in ADDRESS_PARTS:
        for value in parts.get(key, ()):
            if value and value not in seen:
                seen.append(value)
    return Address(kind, ", ".join(seen), country(countries[0] or None) if countries else None)


def _other_addresses(container: Any) -> list[Address]:
    """``OtherAddress`` children with some text (leaves carry none)."""
    out = []
    for child in container:
        if _name(child) == "OtherAddress" and len(child):
            address = _address(child, "other")
            if address.text:
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
