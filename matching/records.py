"""Resolution records: what the matcher needs of an entity, from files or from model entities.

Records JSON lines: ``{"id", "name", "aliases": [], "country", "identifiers": {"lei": ...},
"address", "related": []}`` — only ``id`` and ``name`` are required. ``related`` is optional
graph context (ids of owners, subsidiaries or shared addresses). Truth CSV:
``record_id,cluster_id``. Bad lines are quarantined with file, line and reason; the rest runs.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

from graph.errors import BadInput
from graph.model import Entity, Identifier
from matching.identifiers import clean_identifier, clean_identifiers, identifiers_from_id


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    names: tuple[str, ...]  # primary name first, then aliases (any script)
    country: str | None = None  # as given; normalised to ISO alpha-2 when prepared
    identifiers: tuple[Identifier, ...] = ()
    address: str = ""
    related: tuple[str, ...] = ()  # graph context: owners, subsidiaries, shared addresses

    @property
    def name(self) -> str:
        return self.names[0] if self.names else ""


@dataclass(frozen=True, slots=True)
class Quarantined:
    where: str  # file:line or entity id
    reason: str


def record_from_json(data: object, where: str) -> Record:
    """One JSON object -> Record; BadInput names ``where`` and the field at fault."""
    if not isinstance(data, dict):
        raise BadInput(f"{where}: record is not a JSON object", where=where)
    rid = data.get("id")
    if rid is None or str(rid).strip() == "":
        raise BadInput(f"{where}: field 'id' is missing or empty", where=where, field="id")
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise BadInput(f"{where}: field 'name' must be a string", where=where, field="name")
    aliases = data.get("aliases") or []
    if not isinstance(aliases, list):
        raise BadInput(f"{where}: field 'aliases' must be a list", where=where, field="aliases")
    idents = data.get("identifiers") or {}
    if not isinstance(idents, dict):
        raise BadInput(f"{where}: field 'identifiers' must be an object", where=where, field="identifiers")
    related = data.get("related") or []
    return Record(
        id=str(rid),
        names=tuple(str(n) for n in [name or "", *aliases] if n is not None),
        country=str(data["country"]) if data.get("country") else None,
        identifiers=clean_identifiers(idents),
        address=str(data.get("address") or ""),
        related=tuple(str(r) for r in related) if isinstance(related, list) else (),
    )


def read_records(path: Path) -> tuple[list[Record], list[Quarantined]]:
    """Records from a JSON-lines file; bad lines quarantined with their reason."""
    try:
        handle = path.open("r", encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read records ({exc.strerror})", file=str(path)) from exc
    with handle:
        return unique_records(_parsed_lines(path, handle))


def _parsed_lines(path: Path, lines: Iterable[str]) -> Iterator[tuple[str, Record | str]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            yield where, record_from_json(orjson.loads(line), where)
        except orjson.JSONDecodeError as exc:
            yield where, f"not JSON: {exc}"
        except BadInput as exc:
            yield where, exc.message


def unique_records(parsed: Iterable[tuple[str, Record | str]]) -> tuple[list[Record], list[Quarantined]]:
    """(where, record or why it is bad) -> the records, the first of each id; the rest
    quarantined with their reason (a later record with a seen id: "duplicate id")."""
    records: list[Record] = []
    bad: list[Quarantined] = []
    seen: set[str] = set()
    for where, item in parsed:
        if isinstance(item, str):
            bad.append(Quarantined(where, item))
        elif item.id in seen:
            bad.append(Quarantined(where, f"duplicate id {item.id!r}"))
        else:
            seen.add(item.id)
            records.append(item)
    return records, bad


def write_records(path: Path, records: Iterable[Record]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(record_to_json(r), ensure_ascii=False) + "\n")


def record_to_json(r: Record) -> dict[str, object]:
    idents: dict[str, list[str]] = {}
    for ident in r.identifiers:
        idents.setdefault(ident.scheme, []).append(ident.value)
    out: dict[str, object] = {"id": r.id, "name": r.name}
    if len(r.names) > 1:
        out["aliases"] = list(r.names[1:])
    if r.country:
        out["country"] = r.country
    if idents:
        out["identifiers"] = {k: v[0] if len(v) == 1 else v for k, v in idents.items()}
    if r.address:
        out["address"] = r.address
    if r.related:
        out["related"] = list(r.related)
    return out


def read_truth(path: Path) -> dict[str, str]:
    """Truth CSV ``record_id,cluster_id`` -> record id -> cluster id."""
    try:
        handle = path.open("r", encoding="utf-8", newline="")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read truth ({exc.strerror})", file=str(path)) from exc
    with handle:
        reader = csv.DictReader(handle)
        if not reader.fieldnames or not {"record_id", "cluster_id"} <= set(reader.fieldnames):
            raise BadInput(f"{path}:1: header must be record_id,cluster_id", file=str(path))
        return {row["record_id"]: row["cluster_id"] for row in reader if row.get("record_id")}


def write_truth(path: Path, truth: dict[str, str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["record_id", "cluster_id"])
        writer.writerows(sorted(truth.items()))


def record_from_entity(entity: Entity) -> Record:
    """A stored entity -> Record (all its names; identifiers re-validated)."""
    names = [entity.name, *(n.value for n in entity.names if n.value != entity.name)]
    idents = tuple(clean_identifier(i.scheme, i.value) if i.valid else i for i in entity.identifiers)
    idents += tuple(i for i in identifiers_from_id(entity.id) if i not in idents)
    address = entity.addresses[0].text if entity.addresses else ""
    country = entity.jurisdiction or entity.hq_country or (
        entity.addresses[0].country if entity.addresses else None
    )
    return Record(
        id=entity.id,
        names=tuple(dict.fromkeys(names)),
        country=country,
        identifiers=idents,
        address=address,
    )
