"""Plain-file input for ``ownergraph control eval``: entities and edges CSV -> GraphArrays.

Every bad row is reported with file and line and skipped; the engine answers for the rest.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

from graph.arrays import (
    OPEN_END,
    OPEN_START,
    GraphArrays,
    day_number,
    entity_kind_code,
    interest_kind_code,
)
from graph.errors import BadInput
from graph.model import EntityKind, InterestKind

ENTITY_COLUMNS = ("id", "kind", "jurisdiction", "hq_country", "nationality", "flags")
EDGE_COLUMNS = ("owner", "owned", "kind", "share_lo", "share_hi", "start", "end", "confidence")


@dataclass(frozen=True)
class EntityRow:
    id: str
    kind: str = "company"
    jurisdiction: str = ""
    hq_country: str = ""
    nationality: str = ""
    residence: str = ""
    flags: frozenset[str] = frozenset()
    exceptions: frozenset[str] = frozenset()
    name: str = ""  # for explanations only (optional ``name`` column)


@dataclass(frozen=True)
class EdgeRow:
    owner: str
    owned: str
    kind: str = "shareholding"
    share_lo: float = 0.0
    share_hi: float = 1.0
    start: str | None = None
    end: str | None = None
    confidence: float = 1.0
    lo_open: bool = False
    key: str = ""


@dataclass
class FileProblem:
    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass
class LoadedFiles:
    arrays: GraphArrays
    problems: list[FileProblem] = field(default_factory=list)
    edge_lines: list[int] = field(default_factory=list)  # CSV line of each kept edge
    names: list[str] = field(default_factory=list)  # per entity ("" where not given)


def arrays_from_rows(entities: Sequence[EntityRow], edges: Sequence[EdgeRow]) -> GraphArrays:
    """Build the engine's arrays; edges must reference known entity ids."""
    index = {e.id: i for i, e in enumerate(entities)}
    flag_names = sorted({f for e in entities for f in e.flags})
    exc_names = sorted({x for e in entities for x in e.exceptions})

    def col(name: str) -> npt.NDArray[np.str_]:
        return np.array([getattr(e, name).upper() for e in entities], dtype="<U2")

    return GraphArrays(
        ids=np.array([e.id for e in entities], dtype=np.str_),
        kind=np.array([entity_kind_code(e.kind) for e in entities], dtype=np.int8),
        jurisdiction=col("jurisdiction"), hq_country=col("hq_country"),
        nationality=col("nationality"), residence=col("residence"),
        flags={f: np.array([f in e.flags for e in entities], dtype=np.bool_) for f in flag_names},
        exceptions={x: np.array([x in e.exceptions for e in entities], dtype=np.bool_)
                    for x in exc_names},
        owner=np.array([index[w.owner] for w in edges], dtype=np.int32),
        owned=np.array([index[w.owned] for w in edges], dtype=np.int32),
        edge_kind=np.array([interest_kind_code(w.kind) for w in edges], dtype=np.int8),
        share_lo=np.array([w.share_lo for w in edges], dtype=np.float64),
        share_hi=np.array([w.share_hi for w in edges], dtype=np.float64),
        start=np.array([day_number(w.start, open_value=OPEN_START) for w in edges], dtype=np.int32),
        end=np.array([day_number(w.end, open_value=OPEN_END) for w in edges], dtype=np.int32),
        confidence=np.array([w.confidence for w in edges], dtype=np.float32),
        edge_key=np.array([w.key or f"{w.owner}>{w.owned}:{w.kind}" for w in edges],
                          dtype=np.str_),
        share_lo_open=np.array([w.lo_open for w in edges], dtype=np.bool_),
    )


def _rows(path: Path, required: Sequence[str]) -> Iterable[tuple[int, dict[str, str]]]:
    """Rows with their line numbers; an unreadable file or a missing column is fatal."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read: {exc.strerror}", file=str(path)) from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise BadInput(f"{path}:1: missing columns: {', '.join(missing)}", file=str(path))
        try:
            for row in reader:
                yield reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}
        except (csv.Error, UnicodeDecodeError) as exc:
            raise BadInput(f"{path}:{reader.line_num}: unreadable CSV: {exc}",
                           file=str(path)) from None


def _split(text: str) -> frozenset[str]:
    return frozenset(t.strip() for t in text.split(";") if t.strip())


def _entity(row: dict[str, str]) -> EntityRow:
    kind = row.get("kind") or "company"
    EntityKind(kind)  # raises ValueError naming the kind
    country = {k: row.get(k, "") for k in ("jurisdiction", "hq_country", "nationality",
                                            "residence")}
    for key, value in country.items():
        if value and len(value) != 2:
            raise ValueError(f"{key} must be an ISO alpha-2 code, got {value!r}")
    return EntityRow(id=row["id"], kind=kind, **country, flags=_split(row.get("flags", "")),
                     exceptions=_split(row.get("exceptions", "")), name=row.get("name", ""))


def _share(text: str, name: str, default: float) -> float:
    if text == "":
        return default
    value = float(text)
    if not math.isfinite(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be a fraction in [0, 1], got {text!r}")
    return value


def _edge(row: dict[str, str], known: dict[str, int]) -> EdgeRow:
    owner, owned = row["owner"], row["owned"]
    for role, ident in (("owner", owner), ("owned", owned)):
        if ident not in known:
            raise ValueError(f"{role} {ident!r} is not in the entities file (dangling edge)")
    if owner == owned:
        raise ValueError(f"self-loop: {owner!r} owns itself")
    kind = row.get("kind") or "shareholding"
    InterestKind(kind)
    lo, hi = _share(row["share_lo"], "share_lo", 0.0), _share(row["share_hi"], "share_hi", 1.0)
    if lo > hi:
        raise ValueError(f"share_lo {lo} > share_hi {hi}")
    start, end = row.get("start") or None, row.get("end") or None
    for value in (start, end):
        if value:
            day_number(value, open_value=0)  # raises on a bad date
    if start and end and start[:10] >= end[:10]:
        raise ValueError(f"start {start} is not before end {end}")
    conf = float(row["confidence"]) if row.get("confidence") else 1.0
    if not 0.0 <= conf <= 1.0:
        raise ValueError(f"confidence must be in [0, 1], got {conf}")
    lo_open = row.get("lo_open", "").lower() in ("1", "true", "yes")
    return EdgeRow(owner, owned, kind, lo, hi, start, end, conf, lo_open, row.get("key", ""))


def load_files(entities_path: Path, edges_path: Path) -> LoadedFiles:
    problems: list[FileProblem] = []
    entities: list[EntityRow] = []
    seen: dict[str, int] = {}
    for line, row in _rows(entities_path, ("id", "kind")):
        try:
            if not row.get("id"):
                raise ValueError("empty id")
            if row["id"] in seen:
                raise ValueError(f"duplicate id {row['id']!r} (first on line {seen[row['id']]})")
            entities.append(_entity(row))
            seen[row["id"]] = line
        except ValueError as exc:
            problems.append(FileProblem(str(entities_path), line, str(exc)))
    edges: list[EdgeRow] = []
    lines: list[int] = []
    for line, row in _rows(edges_path, ("owner", "owned", "share_lo", "share_hi")):
        try:
            edges.append(_edge(row, seen))
            lines.append(line)
        except (ValueError, KeyError) as exc:
            problems.append(FileProblem(str(edges_path), line, str(exc)))
    return LoadedFiles(arrays_from_rows(entities, edges), problems, lines,
                       [e.name for e in entities])
