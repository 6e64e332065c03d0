"""Big files parse in a forked child: the records that reach the store are exactly the
ones the in-process parser yields, errors keep their type, and an abandoned reader stops."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import REAL, real, records, tally
from test_real_files import ALL_FILES, NOT_THEIR_FORMAT, PARSERS, _fmt
from test_run import _facts

import ingest.run
from ingest import record_codec
from ingest.forked import ReaderDied, read_forked
from ingest.records import SourceFile, WrongFormat
from ingest.run import RunOptions, parse_forked, run_ingest

GLEIF = "gleif/bodspipelines-fixtures"
CODEC_FILES = [p for p in ALL_FILES if p.relative_to(REAL).as_posix() not in NOT_THEIR_FORMAT]


@pytest.mark.parametrize("path", CODEC_FILES, ids=lambda p: p.relative_to(REAL).as_posix())
def test_every_record_of_every_real_file_survives_the_pipe_encoding(path: Path) -> None:
    src = SourceFile(str(path), "run-1", "2026-01-01T00:00:00Z")
    for record in PARSERS[_fmt(path)](path, src):
        assert record_codec.decode(record_codec.encode(record)) == record
        if hasattr(record, "attrs"):  # attrs do not take part in edge equality
            assert record_codec.decode(record_codec.encode(record)).attrs == record.attrs  # type: ignore[attr-defined]


@pytest.mark.parametrize("rel", [f"{GLEIF}/lei-data.xml", f"{GLEIF}/rr-data.xml", f"{GLEIF}/repex-data.xml",
                                 "gleif/concatenated-2018-top10/20180901-gleif-concatenated-file-lei2-Top10.xml"])
def test_a_forked_parse_yields_what_the_parser_yields(rel: str) -> None:
    path = real(rel)
    src = SourceFile(str(path), "run-1", "2026-01-01T00:00:00Z")
    inline = list(PARSERS["gleif"](path, src))
    assert list(parse_forked(PARSERS["gleif"], path, src)) == inline and len(inline) > 5


def _failing() -> Iterator[Any]:
    yield (1, "a")
    raise WrongFormat("x.xml: not GLEIF")


def test_a_reader_error_in_the_child_is_raised_with_its_type() -> None:
    items = read_forked(_failing, "x.xml")
    with pytest.raises(WrongFormat, match="not GLEIF"):
        list(items)


def _dies() -> Iterator[Any]:
    yield 1
    os._exit(3)  # the child vanishes without a word, as when killed


def test_a_reader_that_dies_is_reported_naming_the_file() -> None:
    with pytest.raises(ReaderDied, match="big.xml"):
        list(read_forked(_dies, "big.xml"))


def _endless() -> Iterator[int]:
    n = 0
    while True:
        n += 1
        yield n


def test_closing_the_reader_early_stops_the_child() -> None:
    items = read_forked(_endless, "endless")
    assert [next(items) for _ in range(1000)] == list(range(1, 1001))
    assert any(c.name == "reader endless" for c in multiprocessing.active_children())
    items.close()  # must return: the child is terminated, not waited for
    assert not any(c.name == "reader endless" for c in multiprocessing.active_children())


def test_a_forked_run_stores_the_same_facts_and_rereading_is_a_noop(
        graph_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [real(f"{GLEIF}/lei-data.xml"), real(f"{GLEIF}/rr-data.xml"), real(f"{GLEIF}/repex-data.xml")]
    first = run_ingest(graph_store, RunOptions("gleif", files, tmp_path, batch_size=7))
    before = _facts(graph_store)
    monkeypatch.setattr(ingest.run, "FORK_MIN_BYTES", 0)  # every file through a child
    second = run_ingest(graph_store, RunOptions("gleif", files, tmp_path, batch_size=7))
    assert (second.read, second.entities, second.edges, second.exception_facts) == (
        first.read, first.entities, first.edges, first.exception_facts)
    assert (second.status, second.ended_edges, second.changed_edges, second.quarantined) == ("ok", 0, 0, 0)
    assert _facts(graph_store) == before and len(before["entities"]) >= 13


def test_a_forked_run_quarantines_a_truncated_file_and_keeps_the_records_before(
        graph_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = real(f"{GLEIF}/lei-data.xml").read_text(encoding="utf-8")
    cut = tmp_path / "lei-truncated.xml"
    cut.write_text(text[: text.rindex("<lei:LEIRecord") + 40], encoding="utf-8")  # inside the last record
    inline = tally(records(PARSERS["gleif"], cut))
    monkeypatch.setattr(ingest.run, "FORK_MIN_BYTES", 0)
    summary = run_ingest(graph_store, RunOptions("gleif", [cut], tmp_path / "home"))
    assert (summary.entities, summary.quarantined, summary.status) == (inline["entities"], 1, "ok")
    assert inline["entities"] >= 8 and inline["quarantined"] == 1


def test_fork_readers_off_parses_in_process_and_on_forks(
        graph_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = [real(f"{GLEIF}/lei-data.xml")]
    forked: list[str] = []
    real_read_forked = ingest.run.read_forked

    def spy(produce: Any, what: str) -> Iterator[Any]:
        forked.append(what)
        return real_read_forked(produce, what)

    monkeypatch.setattr(ingest.run, "FORK_MIN_BYTES", 0)
    monkeypatch.setattr(ingest.run, "read_forked", spy)
    off = run_ingest(graph_store, RunOptions("gleif", files, tmp_path, fork_readers=False))
    assert forked == [] and off.entities == 13
    on = run_ingest(graph_store, RunOptions("gleif", files, tmp_path))
    assert forked == [str(files[0])] and on.entities == 13


def test_folding_exceptions_keeps_every_other_field_of_the_entity() -> None:
    from dataclasses import fields, replace

    from graph.model import (
        Address,
        Entity,
        EntityKind,
        Identifier,
        Name,
        Provenance,
        ReportingException,
    )
    from ingest.run import _with_exceptions

    entity = Entity("lei:X", EntityKind.FUND, "X Fund", Provenance("gleif", "X", "f", "line 2", "p", "r", "run", 0.5),
                    names=(Name("X Fund", "en"),), jurisdiction="LU", hq_country="GB", nationality="LU",
                    residence="GB", identifiers=(Identifier("lei", "X"),), addresses=(Address("legal", "a", "LU"),),
                    dissolved="2020-01-01", flags=frozenset({"fund"}),
                    reporting_exceptions=(ReportingException("A", "NON_PUBLIC"),), canonical_id="lei:Y")
    assert all(getattr(entity, f.name) not in (None, (), frozenset()) for f in fields(Entity))  # every field set
    folded = _with_exceptions(entity, {"B": ReportingException("B", "NATURAL_PERSONS"),
                                       "A": ReportingException("A", "NO_KNOWN_PERSON")})
    assert folded == replace(entity, reporting_exceptions=(ReportingException("A", "NO_KNOWN_PERSON"),
                                                           ReportingException("B", "NATURAL_PERSONS")))


def test_a_reader_runs_ahead_by_a_bounded_number_of_bytes() -> None:
    import threading

    from ingest.forked import Outbox

    box = Outbox(limit=100)
    box.put(b"x" * 60)
    box.put(b"y" * 60)  # 60 < 100 when it arrives: accepted, now 120 queued
    third = threading.Thread(target=box.put, args=(b"z" * 10,), daemon=True)
    third.start()
    third.join(timeout=0.2)
    assert third.is_alive() and box.size == 120  # waits: more than the limit is queued
    assert box.get() == b"x" * 60
    third.join(timeout=5)
    assert not third.is_alive() and box.size == 70
    assert [box.get(), box.get()] == [b"y" * 60, b"z" * 10]
    box.put(None)
    assert box.get() is None and box.size == 0


def test_a_limited_or_refused_run_leaves_no_reader_running(
        graph_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest.run, "FORK_MIN_BYTES", 0)
    files = [real(f"{GLEIF}/lei-data.xml"), real(f"{GLEIF}/rr-data.xml")]
    limited = run_ingest(graph_store, RunOptions("gleif", files, tmp_path, limit=3))
    assert limited.status == "limited"
    assert not [c for c in multiprocessing.active_children() if c.name.startswith("reader ")]
    not_gleif = tmp_path / "not-gleif.json"
    not_gleif.write_text('{"hello": 1}')
    with pytest.raises(WrongFormat):
        run_ingest(graph_store, RunOptions("gleif", [*files, not_gleif], tmp_path))
    assert not [c for c in multiprocessing.active_children() if c.name.startswith("reader ")]
