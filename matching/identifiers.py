"""Identifiers: validate and normalise with python-stdnum; invalid ones are kept, flagged, unused.

A scheme is lower-case ``<name>`` or ``<country>_<name>`` and maps to the stdnum module
``stdnum.<name>`` or ``stdnum.<country>.<name>`` (``lei``, ``cn_uscc``, ``ru_inn``,
``ru_ogrn``, ``fr_siren``, ``us_ein``, ``isin``, ``bic`` ...). ``gb_crn`` (Companies House
number) has no stdnum module; its published format (two letters or digits then six digits)
is checked instead. Unknown schemes are compacted and kept as valid text: we cannot prove
them wrong, and two records sharing an exact unknown-scheme number is still strong evidence.
"""

from __future__ import annotations

import functools
import importlib
import re
from types import ModuleType

from graph.model import Identifier

_SCHEME = re.compile(r"^[a-z][a-z0-9_]*$")
_GB_CRN = re.compile(r"^(?:\d{2}|[A-Z]{2})\d{6}$")
_JUNK = re.compile(r"[\s\-./]+")

# Alternative spellings seen in sources -> our scheme names.
SCHEME_ALIASES = {
    "uscc": "cn_uscc",
    "unified_social_credit_code": "cn_uscc",
    "gb_coh": "gb_crn",
    "gb_company_number": "gb_crn",
    "companies_house": "gb_crn",
    "inn": "ru_inn",
    "ogrn": "ru_ogrn",
}


def scheme_name(scheme: str) -> str:
    value = scheme.strip().lower().replace("-", "_")
    return SCHEME_ALIASES.get(value, value)


@functools.cache
def stdnum_module(scheme: str) -> ModuleType | None:
    """The stdnum module validating ``scheme``, or None when stdnum has none."""
    if not _SCHEME.match(scheme):
        return None
    candidates = [f"stdnum.{scheme}"]
    if "_" in scheme:
        country, rest = scheme.split("_", 1)
        candidates.insert(0, f"stdnum.{country}.{rest}")
    for name in candidates:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        if hasattr(module, "validate") and hasattr(module, "compact"):
            return module
    return None


def clean_identifier(scheme: str, value: object) -> Identifier:
    """One identifier, normalised; ``valid=False`` when its checksum or format is wrong."""
    return _clean(scheme_name(scheme), "" if value is None else str(value).strip())


@functools.lru_cache(maxsize=1_000_000)
def _clean(name: str, text: str) -> Identifier:
    """Memoised: the same number recurs across the records of one entity."""
    module = stdnum_module(name)
    if module is not None:
        try:
            return Identifier(name, str(module.validate(text)), True)
        except Exception:  # stdnum raises ValidationError subclasses, and TypeErrors on junk
            return Identifier(name, text, False)
    compact = _JUNK.sub("", text).upper()
    if name == "gb_crn":
        if compact.isdigit() and len(compact) < 8:
            compact = compact.zfill(8)  # Companies House numbers lose leading zeros in CSVs
        return Identifier(name, compact, bool(_GB_CRN.match(compact)))
    return Identifier(name, compact, bool(compact))


def clean_identifiers(values: dict[str, object] | None) -> tuple[Identifier, ...]:
    """``{"lei": "...", "gb_crn": ["...", "..."]}`` -> identifiers (lists allowed per scheme)."""
    out: list[Identifier] = []
    for scheme, raw in (values or {}).items():
        items = raw if isinstance(raw, list | tuple) else [raw]
        for item in items:
            if item is None or str(item).strip() == "":
                continue
            out.append(clean_identifier(scheme, item))
    return tuple(sorted(set(out), key=lambda i: (i.scheme, i.value)))


def valid_keys(identifiers: tuple[Identifier, ...]) -> tuple[str, ...]:
    """``scheme:value`` of the valid identifiers only (the ones allowed to merge)."""
    return tuple(f"{i.scheme}:{i.value}" for i in identifiers if i.valid)


def conflicts(left: tuple[Identifier, ...], right: tuple[Identifier, ...]) -> list[str]:
    """Schemes in which both sides hold valid numbers and none is shared (cannot-link)."""
    lv = _by_scheme(left)
    rv = _by_scheme(right)
    return sorted(s for s in lv.keys() & rv.keys() if not lv[s] & rv[s])


def shared(left: tuple[Identifier, ...], right: tuple[Identifier, ...]) -> list[str]:
    """``scheme:value`` held validly by both sides."""
    return sorted(set(valid_keys(left)) & set(valid_keys(right)))


def _by_scheme(identifiers: tuple[Identifier, ...]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for ident in identifiers:
        if ident.valid:
            out.setdefault(ident.scheme, set()).add(ident.value)
    return out


# Entity id prefixes that are themselves an identifier: an edge end known only by its id (a
# GLEIF parent without its LEI record, a UK PSC company) still meets its records elsewhere.
ID_PREFIX_SCHEMES = {"lei": "lei", "gb-coh": "gb_crn"}


def identifiers_from_id(entity_id: str) -> tuple[Identifier, ...]:
    """The identifier an entity id carries (``lei:5493…`` -> LEI), validated; () if none."""
    prefix, sep, value = entity_id.partition(":")
    scheme = ID_PREFIX_SCHEMES.get(prefix)
    return (clean_identifier(scheme, value),) if sep and scheme and value else ()
