"""Streaming readers for the GLEIF serialisations, all reduced to one plain dict shape.

The shape is the XML's: local element names as keys, repeated elements as lists, leaves as
text, and a leaf with attributes as ``{"$": text, "@type": …, "@lang": …}``. The golden-copy
JSON (badgerfish ``{"$": …}``) and the pipeline's plain JSON already are (nearly) that shape;
REST API (JSON:API) resources are translated into it by ``gleif_api``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ijson
from lxml import etree

from ingest.dates import iso_timestamp
from ingest.records import WrongFormat

_RECORD_TAGS = {"LEIRecord": "lei", "RelationshipRecord": "rr", "Exception": "repex"}
_HEADER_TAGS = ("LEIHeader", "Header")
_ROOTS = {"LEIData": "lei", "RelationshipData": "rr", "ReportingExceptionData": "repex"}
_JSON_KEYS = {"records": "lei", "relations": "rr", "exceptions": "repex"}


@dataclass
class RawRecord:
    kind: str  # "lei" | "rr" | "repex"
    location: str
    body: dict[str, Any] | None  # None: the raw record could not be read at all
    error: str = ""
    excerpt: str = ""
    element: Any = None  # read_xml(lazy=...): the lxml element, valid until the next item


@dataclass
class RawHeader:
    kind: str
    published: str | None
    file_content: str | None


_LOCAL: dict[str, str] = {}
LOCAL_NAMES = _LOCAL  # read-only for other readers: ``local`` fills it
_ATTR_KEYS: dict[str, str] = {}
# Subtrees nothing maps (golden-copy geocoding and conformity extensions): not converted.
_SKIP = frozenset({"Extension"})


def local(tag: str) -> str:
    name = _LOCAL.get(tag)
    if name is None:  # a handful of distinct tags per file: remember them
        name = _LOCAL.setdefault(tag, tag.rpartition("}")[2])
    return name


def _attr_key(name: str) -> str:
    key = _ATTR_KEYS.get(name)
    if key is None:  # ``{http://www.w3.org/XML/1998/namespace}lang`` -> ``@lang``
        key = _ATTR_KEYS.setdefault(name, "@" + name.rpartition("}")[2])
    return key


def element_dict(el: Any) -> Any:
    """An lxml element as the plain shape described in the module docstring.

    The hot path of every XML record (~30 elements per LEI record): each child is visited
    once, leaves are read in place (no recursion), tag names come from a cache."""
    out: dict[str, Any] = {}
    for child in el:
        tag = child.tag
        name = _LOCAL.get(tag)
        if name is None:
            if not isinstance(tag, str):  # comments, processing instructions
                continue
            name = local(tag)
        if name in _SKIP:
            continue
        if len(child):
            value = element_dict(child)
        else:
            text = child.text
            value = text.strip() if text else ""
            attrib = child.attrib
            if attrib:
                value = {"$": value}
                for k, v in attrib.items():
                    value[_attr_key(k)] = v
        prev = out.get(name)
        if prev is None:
            out[name] = value
        elif type(prev) is list:
            prev.append(value)
        else:
            out[name] = [prev, value]
    attrib = el.attrib
    if attrib:
        for k, v in attrib.items():
            out[_attr_key(k)] = v
    return out


# A golden-copy CSV header's first columns (LEI-CDF and repex start with LEI, RR with its
# start node).
_CSV_STARTS = (b'"LEI"', b"LEI,", b'"Relationship.', b"Relationship.")


def sniff(path: Path) -> str:
    """'xml', 'json-object', 'json-array' or 'csv' from the first bytes; WrongFormat
    otherwise."""
    with path.open("rb") as fh:
        head = fh.read(2048).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return "xml"
    if head.startswith(b"{"):
        return "json-object"
    if head.startswith(b"["):
        return "json-array"
    if head.startswith(_CSV_STARTS):
        return "csv"
    raise WrongFormat(f"{path}: not a GLEIF file (expected XML, JSON or golden-copy CSV; "
                      "the start of the file is none of these)")


def xml_root(path: Path) -> str:
    try:
        for _event, el in etree.iterparse(str(path), events=("start",)):
            return local(el.tag)
    except etree.XMLSyntaxError as exc:
        raise WrongFormat(f"{path}: not well-formed XML at line {exc.lineno}: {exc.msg}") from exc
    raise WrongFormat(f"{path}: empty XML document")


def read_xml(path: Path, lazy: frozenset[str] = frozenset()) -> Iterator[RawRecord | RawHeader]:
    """LEI-CDF / RR-CDF / repex XML (also the 2018 concatenated files), constant memory.

    Records of a kind in ``lazy`` come with their lxml ``element`` instead of a body: the
    caller reads it before asking for the next item (it is cleared then)."""
    root = xml_root(path)
    kind = _ROOTS.get(root)
    if kind is None:
        raise WrongFormat(f"{path}: XML root <{root}> is not GLEIF LEIData/RelationshipData/ReportingExceptionData")
    tags = [f"{{*}}{t}" for t in (*_RECORD_TAGS, *_HEADER_TAGS)]
    n = 0
    parser = etree.iterparse(str(path), events=("end",), tag=tags, huge_tree=True)
    try:
        for _event, el in parser:
            name = local(el.tag)
            if name in _HEADER_TAGS:
                head = element_dict(el)
                yield RawHeader(kind, iso_timestamp(_text(head.get("ContentDate"))),
                                _text(head.get("FileContent")))
            else:
                n += 1
                kind_of_record = _RECORD_TAGS[name]
                if kind_of_record in lazy:
                    yield RawRecord(kind_of_record, f"line {el.sourceline}", None, element=el)
                else:
                    yield RawRecord(kind_of_record, f"line {el.sourceline}", element_dict(el))
            # Free what we have read: the element, and the siblings lxml keeps before it.
            el.clear()
            parent = el.getparent()
            while parent is not None and el.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        yield RawRecord(kind, f"line {exc.lineno}", None,
                        error=f"XML syntax error after record {n}: {exc.msg}")


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("$")
    return None if value is None else str(value)


def unbadger(value: Any) -> Any:
    """Golden-copy JSON ``{"$": v}`` leaves to the plain shape (``@xml:lang`` -> ``@lang``)."""
    if isinstance(value, list):
        return [unbadger(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$" in value:
        attrs = {("@lang" if k == "@xml:lang" else k): v for k, v in value.items() if k.startswith("@")}
        return {"$": value["$"], **attrs} if attrs else value["$"]
    return {("@lang" if k == "@xml:lang" else k): unbadger(v) for k, v in value.items()}


_FIRST_KEY = re.compile(rb'^\s*\{\s*"([^"]+)"\s*:')


def json_top_key(path: Path) -> str | None:
    with path.open("rb") as fh:
        match = _FIRST_KEY.match(fh.read(4096).lstrip(b"\xef\xbb\xbf"))
    return match.group(1).decode() if match else None


def kind_of(body: dict[str, Any]) -> str | None:
    if "Relationship" in body:
        return "rr"
    if "ExceptionCategory" in body or "ExceptionReason" in body:
        return "repex"
    if "LEI" in body and "Entity" in body:
        return "lei"
    return None


def read_golden_json(path: Path, key: str) -> Iterator[RawRecord]:
    """Golden-copy JSON ``{"records"|"relations"|"exceptions": [...]}`` streamed with ijson."""
    default_kind = _JSON_KEYS[key]
    with path.open("rb") as fh:
        yield from _json_items(fh, f"{key}.item", key, default_kind)


def read_plain_json(path: Path) -> Iterator[RawRecord]:
    """The pipelines' plain-JSON arrays: each item an LEI, relationship or exception record."""
    with path.open("rb") as fh:
        yield from _json_items(fh, "item", "", None)


def _json_items(fh: Any, prefix: str, label: str, default_kind: str | None) -> Iterator[RawRecord]:
    i = -1
    try:
        for i, item in enumerate(ijson.items(fh, prefix, use_float=True)):
            where = f"{label}[{i}]" if label else f"[{i}]"
            if not isinstance(item, dict):
                yield RawRecord(default_kind or "?", where, None, error="record is not a JSON object",
                                excerpt=repr(item))
                continue
            body = unbadger(item)
            kind = kind_of(body) or default_kind
            if kind is None:
                yield RawRecord("?", where, None, error="neither an LEI, relationship nor exception record",
                                excerpt=repr(item))
                continue
            yield RawRecord(kind, where, body)
    except (ijson.JSONError, ValueError) as exc:  # ijson raises both for broken input
        yield RawRecord(default_kind or "?", f"after item {i + 1}", None, error=f"JSON syntax error: {exc}")
