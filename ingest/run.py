"""The ingestion run: parse -> batch upsert through the store port -> run summary.

This is the I/O edge; the adapters it drives are pure generators. Guarantees:

- every file's format is checked (its first record pulled) before anything is written, so
  a file that is not the declared format stops the run with one line and no writes;
- a malformed record is quarantined (``quarantine.jsonl``) and the run goes on;
- writes are upserts keyed by stable ids, so the same file twice changes nothing;
- a full snapshot end-dates (never deletes) the source's open edges it no longer lists,
  and an edge whose values changed keeps its earlier values in ``attrs.previous``;
  nothing is end-dated by a run that failed, was limited, or was a delta;
- reporting exceptions are attached to their entity even when its record is in another
  file (GLEIF repex files are read first) or already stored.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from graph.arrays import day_to_iso
from graph.collections_pause import rare_collections
from graph.errors import BadInput, UnknownName
from graph.model import (
    MAX_ID_LENGTH,
    MAX_KEY_LENGTH,
    Entity,
    EntityKind,
    InterestKind,
    OwnershipEdge,
    Provenance,
    ReportingException,
    id_problem,
)
from graph.store import GraphStore, SnapshotScope
from ingest import FORMAT_NAMES, bods, csv_format, ftm, gleif, news, psc, record_codec
from ingest.dates import utc_now
from ingest.forked import read_forked
from ingest.gleif_csv import csv_kind
from ingest.gleif_readers import json_top_key, sniff, xml_root
from ingest.owner import me
from ingest.records import (
    EntityStub,
    ExceptionFact,
    FileHeader,
    Quarantined,
    Record,
    Removed,
    Skipped,
    SourceFile,
    WrongFormat,
)
from ingest.runs import (
    RunSummary,
    new_run_id,
    open_quarantine,
    save_ended,
    save_summary,
    write_quarantine,
)
from ingest.stubs import apply_stubs, merge_stubs
from ingest.stubs import with_exceptions as _with_exceptions
from ingest.writer import BatchWriter

log = logging.getLogger(__name__)

Parser = Callable[[Path, SourceFile], Iterator[Record]]
FORMATS: dict[str, tuple[str, Parser]] = {
    "gleif": (gleif.SOURCE, gleif.parse),
    "bods": (bods.SOURCE, bods.parse),
    "psc": (psc.SOURCE, psc.parse),
    "ftm": (ftm.SOURCE, ftm.parse),
    "csv": (csv_format.SOURCE, csv_format.parse),
    "news": (news.SOURCE, news.parse),
}
assert tuple(FORMATS) == FORMAT_NAMES, "every format name has its parser"
# Parsers with a variant that yields record_codec tuples itself (cheaper than records).
PIPED: dict[Parser, Callable[[Path, SourceFile], Iterator[tuple[Any, ...]]]] = {gleif.parse: gleif.parse_piped}
# Files from this size on are parsed in a child process; forking costs a few milliseconds,
# more than a small file takes to parse.
FORK_MIN_BYTES = 4 * 2**20
# Flags a delta removal takes away: being delisted ends the listing, not the entity.
LISTING_FLAGS = frozenset({"sanctioned", "sanction_linked", "export_controlled", "debarred"})


@dataclass
class RunOptions:
    fmt: str
    paths: list[Path]
    home: Path
    limit: int | None = None
    mode: str | None = None  # "full" | "delta" | None: what the files say, else delta
    batch_size: int = 2000
    # Big files parsed in forked reader processes (Linux; the run forks before it starts
    # threads of its own). A caller whose process runs threads that may hold locks at fork
    # time can turn it off: the files are then parsed in this process.
    fork_readers: bool = True


@dataclass
class _State:
    """Mutable bookkeeping of one run (kept out of the record loop's signature)."""

    summary: RunSummary
    quarantine: IO[str]
    source: str
    entities: list[Entity] = field(default_factory=list)
    edges: list[OwnershipEdge] = field(default_factory=list)
    pending: dict[str, dict[str, ReportingException]] = field(default_factory=dict)
    stubs: dict[str, Entity] = field(default_factory=dict)  # second-hand descriptions
    record_type: str = ""  # of the edges of the file being read (``edge_record_type``)
    removals: list[Removed] = field(default_factory=list)
    seen_keys: set[str] = field(default_factory=set)
    previous: dict[str, tuple[float, float, str | None, str | None]] = field(default_factory=dict)
    headers: list[FileHeader] = field(default_factory=list)
    writer: BatchWriter | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)  # the quarantine file


Progress = Callable[[RunSummary, str], None]


def file_order(fmt: str, path: Path) -> int:
    """GLEIF exception files first, so their facts meet their entities in the same run."""
    if fmt != "gleif":
        return 0
    try:
        shape = sniff(path)
        if shape == "xml":
            return {"ReportingExceptionData": 0, "LEIData": 1}.get(xml_root(path), 2)
        if shape == "csv":
            return {"repex": 0, "lei": 1}.get(csv_kind(path) or "", 2)
        return 0 if json_top_key(path) == "exceptions" else 1
    except (WrongFormat, OSError, UnicodeDecodeError):
        return 1


def run_ingest(store: GraphStore, opts: RunOptions, progress: Progress | None = None) -> RunSummary:
    if opts.fmt not in FORMATS:
        raise UnknownName(f"unknown format {opts.fmt!r}; use one of {', '.join(FORMATS)}", field="format")
    missing = [str(p) for p in opts.paths if not p.is_file()]
    if missing:
        raise BadInput(f"no such file: {missing[0]}", file=missing[0])
    source, parser = FORMATS[opts.fmt]
    paths = sorted(opts.paths, key=lambda p: file_order(opts.fmt, p))
    run_id = new_run_id()
    started = utc_now()
    try:
        # WrongFormat surfaces here. News articles are few and their parser loads models.
        streams = _open_streams(paths, parser, run_id, started,
                                fork=opts.fork_readers and opts.fmt != "news")
    except WrongFormat as exc:
        raise WrongFormat(f"not {opts.fmt}: {exc.message}", format=opts.fmt) from None
    headers = [h for _, h, _ in streams]
    mode = opts.mode or ("full" if headers and all(h.full_snapshot for h in headers) else "delta")
    owner = me()
    summary = RunSummary(run_id, opts.fmt, [str(p) for p in paths], mode, started, limit=opts.limit,
                         pid=owner.pid, pid_started=owner.started)
    with open_quarantine(opts.home, run_id) as qfh, rare_collections():
        state = _State(summary, qfh, source, headers=headers)
        save_summary(opts.home, summary)
        try:
            if mode == "full":
                state.previous = _open_edge_values(store, source)
            complete = _consume(store, state, streams, opts, progress)
            _close_streams(streams)  # a limited run: its forked readers stop now
            _drain(state)
            _finish(store, state, opts, complete)
        except Exception as exc:
            _close_streams(streams)
            try:
                _drain(state)
            except Exception:  # noqa: S110 - the first failure is the one reported
                pass
            summary.status, summary.error = "failed", f"{type(exc).__name__}: {exc}"
            summary.finished = utc_now()
            save_summary(opts.home, summary)
            log.error("ingest run failed", extra={"run_id": run_id, "error": summary.error})
            raise
    summary.finished = utc_now()
    save_summary(opts.home, summary)
    if progress is not None:
        progress(summary, summary.files[-1] if summary.files else "")
    log.info("ingest run finished", extra={"run_id": run_id, "read": summary.read, "stored": summary.stored,
                                           "quarantined": summary.quarantined, "status": summary.status})
    return summary


def _open_streams(paths: list[Path], parser: Parser, run_id: str, started: str,
                  fork: bool = True) -> list[tuple[Path, FileHeader, Iterator[Record]]]:
    streams: list[tuple[Path, FileHeader, Iterator[Record]]] = []
    try:
        _open_each(paths, parser, run_id, started, fork, streams)
    except BaseException:
        _close_streams(streams)  # the files opened before the one that failed
        raise
    return streams


def _open_each(paths: list[Path], parser: Parser, run_id: str, started: str, fork: bool,
               streams: list[tuple[Path, FileHeader, Iterator[Record]]]) -> None:
    for path in paths:
        src = SourceFile(str(path), run_id, started)
        big = fork and path.stat().st_size >= FORK_MIN_BYTES
        records = parse_forked(parser, path, src) if big else parser(path, src)
        try:
            first = next(records)
        except StopIteration:
            first = FileHeader(str(path))
        except WrongFormat:
            raise
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise WrongFormat(f"{path}: cannot be read as this format: {exc}") from exc
        if not isinstance(first, FileHeader):  # adapters yield their header first
            records = _prepend(first, records)
            first = FileHeader(str(path))
        streams.append((path, first, records))


def parse_forked(parser: Parser, path: Path, src: SourceFile) -> Iterator[Record]:
    """The parser's records, parsed and mapped in a child process (``ingest.forked``) so
    that this process only writes them: parse and write then use both cores."""
    piped = PIPED.get(parser)
    produce = (lambda: piped(path, src)) if piped is not None else (
        lambda: map(record_codec.encode, parser(path, src)))
    for item in read_forked(produce, str(path)):
        yield record_codec.decode(item)


def _close_streams(streams: list[tuple[Path, FileHeader, Iterator[Record]]]) -> None:
    for _path, _header, records in streams:
        close = getattr(records, "close", None)
        if close is not None:
            close()


def _prepend(first: Record, rest: Iterator[Record]) -> Iterator[Record]:
    yield first
    yield from rest


def _open_edge_values(store: GraphStore, source: str) -> dict[str, tuple[float, float, str | None, str | None]]:
    """Current values of the source's stored edges, to notice what a snapshot changes."""
    arrays = store.load_arrays()
    prefix = f"{source}|"
    out = {}
    for i, key in enumerate(arrays.edge_key.tolist()):
        if key.startswith(prefix):
            out[key] = (float(arrays.share_lo[i]), float(arrays.share_hi[i]),
                        day_to_iso(int(arrays.start[i])), day_to_iso(int(arrays.end[i])))
    return out


def _consume(store: GraphStore, state: _State, streams: list[tuple[Path, FileHeader, Iterator[Record]]],
             opts: RunOptions, progress: Progress | None) -> bool:
    """Feed every record to the store in batches; False when --limit cut the run short."""
    summary = state.summary
    for path, header, records in streams:
        counts = summary.per_file.setdefault(str(path), {"read": 0, "quarantined": 0})
        state.record_type = edge_record_type(header.kind)
        for record in records:
            if isinstance(record, FileHeader):
                continue
            summary.read += 1
            counts["read"] += 1
            _take(store, state, record, opts.batch_size)
            if isinstance(record, Quarantined):
                counts["quarantined"] += 1
            if progress is not None and summary.read % 1000 == 0:
                progress(summary, str(path))
            if opts.limit is not None and summary.read >= opts.limit:
                _flush(store, state)
                return False
        if progress is not None:
            progress(summary, str(path))
    _flush(store, state)
    return True


def too_long(record: Record) -> str | None:
    """Why a record's indexed strings cannot be stored (graph/model.id_problem), or None:
    quarantined here so that one bad record never fails a batch."""
    if isinstance(record, Entity):
        problem = id_problem(record.id, "entity id")
        for i in record.identifiers:  # a loop, not any(): runs for every entity of a run
            if problem is None and len(i.scheme) + len(i.value) + 1 > MAX_ID_LENGTH:
                problem = f"identifier longer than {MAX_ID_LENGTH} characters"
        return problem
    if isinstance(record, OwnershipEdge):
        return (id_problem(record.owner, "owner id") or id_problem(record.owned, "owned id")
                or id_problem(record.key, "statement key", MAX_KEY_LENGTH))
    if isinstance(record, ExceptionFact):
        return id_problem(record.entity_id, "entity id")
    if isinstance(record, EntityStub):
        return too_long(record.entity)
    return None


def _take(store: GraphStore, state: _State, record: Record, batch_size: int) -> None:
    summary = state.summary
    reason = too_long(record)
    if reason is not None:
        p = record.provenance  # type: ignore[union-attr]
        record = Quarantined.of(p.file, p.location, reason, repr(record)[:300])
    if isinstance(record, Entity):
        exceptions = state.pending.pop(record.id, None)
        if exceptions:
            record = _with_exceptions(record, exceptions)
        state.entities.append(record)
    elif isinstance(record, OwnershipEdge):
        key = record.key
        record.attrs["record_type"] = state.record_type  # a fresh dict per parsed edge
        state.edges.append(_with_history(store, state, record, key))
        state.seen_keys.add(key)
    elif isinstance(record, EntityStub):
        stub = record.entity
        state.stubs[stub.id] = merge_stubs(state.stubs.get(stub.id), stub)
    elif isinstance(record, ExceptionFact):
        summary.exception_facts += 1
        state.pending.setdefault(record.entity_id, {})[record.exception.category] = record.exception
    elif isinstance(record, Removed):
        state.removals.append(record)
    elif isinstance(record, Quarantined):
        _quarantine(state, record)
    elif isinstance(record, Skipped):
        summary.skipped += 1
    if len(state.entities) >= batch_size or len(state.edges) >= batch_size:
        _flush(store, state)


def _with_history(store: GraphStore, state: _State, edge: OwnershipEdge, key: str) -> OwnershipEdge:
    """A re-stated edge whose values changed: its earlier values go first into its history
    (``OwnershipEdge.history``, newest first, kept by the store across later upserts) and
    into ``attrs.previous`` (the latest change only)."""
    old = state.previous.get(key)
    new = (edge.share_lo, edge.share_hi, edge.start, edge.end)
    if old is None or _same(old, new):
        return edge
    state.summary.changed_edges += 1
    previous = {"share_lo": old[0], "share_hi": old[1], "start": old[2], "end": old[3],
                "replaced_by_run": state.summary.run_id}
    stored = next((e.get("history") or [] for e in store.owners(edge.owned) if e.get("key") == key), [])
    return replace(edge, attrs={**edge.attrs, "previous": json.dumps(previous)},
                   history=json.dumps([previous, *stored]))


def _same(a: tuple[float, float, str | None, str | None], b: tuple[float, float, str | None, str | None]) -> bool:
    return abs(a[0] - b[0]) < 1e-12 and abs(a[1] - b[1]) < 1e-12 and a[2] == b[2] and a[3] == b[3]


def _flush(store: GraphStore, state: _State) -> None:
    if state.writer is None:
        state.writer = BatchWriter(store, state.summary, lambda item, why: _refused(state, item, why))
    if state.entities:
        state.writer.put(state.entities)
        state.entities = []
    if state.edges:
        state.writer.put(state.edges)
        state.edges = []


def _drain(state: _State) -> None:
    """Wait until the background writer has written every batch."""
    writer, state.writer = state.writer, None
    if writer is not None:
        writer.close()


def _refused(state: _State, item: Any, why: str) -> None:
    p = item.provenance
    _quarantine(state, Quarantined.of(p.file, p.location, f"the store refused it: {why}", repr(item)))


def _quarantine(state: _State, q: Quarantined) -> None:
    with state.lock:
        state.summary.quarantined += 1
        write_quarantine(state.quarantine, q)


def _finish(store: GraphStore, state: _State, opts: RunOptions, complete: bool) -> None:
    summary = state.summary
    summary.entities += apply_stubs(store, state.stubs, state.pending)
    state.stubs = {}
    _apply_leftover_exceptions(store, state)
    _apply_removals(store, state)
    if not complete:
        summary.status = "limited"
        return
    if summary.mode == "full" and any(h.carries_edges for h in state.headers):
        _end_unlisted(store, state, opts.home)
    summary.status = "ok"


def _end_unlisted(store: GraphStore, state: _State, home: Path) -> None:
    """A full snapshot end-dates the open edges it could have stated and does not list:
    of its source and record type, not stated after its content date."""
    summary, headers = state.summary, state.headers
    end = _snapshot_date(headers)
    types = {edge_record_type(h.kind) for h in headers if h.carries_edges}
    content = max((h.published for h in headers if h.published), default=None)
    scope = SnapshotScope(state.source, next(iter(types)) if len(types) == 1 else None, content)
    ending = store.end_missing_edges(scope, state.seen_keys, end, summary.run_id)
    summary.ended_edges, summary.kept_edges = len(ending.ended), dict(ending.kept)
    summary.ending = (f"open {scope.source} edges of record type {scope.record_type or 'any'}"
                      f" stated by {content[:10] if content else 'any date'} and not in the "
                      f"snapshot: end-dated {end}")
    save_ended(home, summary.run_id, list(ending.ended),
               f"not in the full snapshot of {content[:10] if content else end}")


def edge_record_type(header_kind: str) -> str:
    """The kind of record an edge comes from, by its file's kind: GLEIF relationship
    records however published ("gleif-rr"), else the format (BODS of any version is "bods",
    a PSC snapshot "psc", FtM entities or deltas "ftm")."""
    if header_kind.startswith("gleif"):
        return "gleif-rr"
    return header_kind.split("-", 1)[0] or "unknown"


def _snapshot_date(headers: list[FileHeader]) -> str:
    dates = [h.published[:10] for h in headers if h.published]
    return max(dates) if dates else utc_now()[:10]


def _apply_leftover_exceptions(store: GraphStore, state: _State) -> None:
    """Exceptions whose entity record was not in this run: merge into the stored entity."""
    batch: list[Entity] = []
    for entity_id, exceptions in state.pending.items():
        entity = store.find_entity(entity_id)
        if entity is None:  # known only by its exception: a placeholder that carries it
            provenance = Provenance(state.source, f"{entity_id}|exceptions", run_id=state.summary.run_id)
            entity = Entity(entity_id, EntityKind.UNKNOWN, entity_id, provenance,
                            flags=frozenset({"placeholder"}))
        batch.append(_with_exceptions(entity, exceptions))
    state.pending = {}
    if batch:
        state.summary.entities += store.upsert_entities(batch)


def _apply_removals(store: GraphStore, state: _State) -> None:
    """Delta removals. An entity stays (history), loses its listing flags and gains
    ``removed``; a replaced statement's edges, found among the owners of ``near``, are
    end-dated on the removal date; a removed relationship record (an FtM Ownership deleted
    by id alone) end-dates the edges made from it."""
    batch: list[Entity] = []
    ended: list[OwnershipEdge] = []
    by_record: dict[tuple[str, str], list[str]] = {}  # (source, date) -> record ids
    for removal in state.removals:
        edges = _edges_of(store, removal) if removal.near else []
        entity = None if edges else store.find_entity(removal.entity_id)
        if edges:
            ended.extend(replace(e, end=e.end or removal.on or None) for e in edges)
        elif entity is not None:
            batch.append(replace(entity, flags=(entity.flags - LISTING_FLAGS) | {"removed"},
                                 provenance=removal.provenance))
        else:
            source, _, record = removal.entity_id.partition(":")
            on = removal.on or state.summary.started[:10]
            by_record.setdefault((source, on), []).append(record)
            continue
        state.summary.removed += 1
    state.removals = []
    if batch:
        store.upsert_entities(batch)
    if ended:
        store.upsert_edges(ended)
    _end_removed_records(store, state, by_record)


def _end_removed_records(store: GraphStore, state: _State,
                         by_record: dict[tuple[str, str], list[str]]) -> None:
    """Removals naming no stored entity: relationship records, else unresolved."""
    for (source, on), records in by_record.items():
        found = store.end_record_edges(source, records, on, state.summary.run_id)
        state.summary.removed += sum(1 for r in records if r in found)
        state.summary.unresolved_removals += sum(1 for r in records if r not in found)


def _edges_of(store: GraphStore, removal: Removed) -> list[OwnershipEdge]:
    """The stored edges whose statement is the removed record (``<id>`` or ``<id>#<n>``)."""
    source, _, record = removal.entity_id.partition(":")
    out = []
    for d in store.owners(removal.near or "", hops=1):
        rid = str(d.get("record_id") or "")
        if d.get("source") == source and (rid == record or rid.startswith(f"{record}#")):
            out.append(OwnershipEdge(
                owner=d["owner"], owned=d["owned"], kind=InterestKind(d["kind"]),
                provenance=Provenance(source, rid, d.get("file") or "", d.get("location") or "",
                                      d.get("published"), d.get("retrieved"),
                                      d.get("run_id") or "", float(d.get("confidence", 1.0))),
                share_lo=float(d.get("share_lo", 0.0)), share_hi=float(d.get("share_hi", 1.0)),
                start=d.get("start"), end=d.get("end"), attrs=dict(d.get("attrs") or {})))
    return out
