"""The run pipeline against the real embedded store: idempotency, full snapshots end-dating
vanished edges, history, deltas, quarantine, wrong formats, and the control engine's as-of."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from ingest_helpers import real

from graph.control.engine import evaluate
from graph.control.policies import builtin_policies
from graph.model import Entity
from ingest.records import WrongFormat
from ingest.run import RunOptions, run_ingest
from ingest.runs import list_runs, load_ended, load_quarantine, load_run

GLEIF = "gleif/bodspipelines-fixtures"


def _run(store: Any, home: Path, fmt: str, *paths: Path, **kw: Any):  # type: ignore[no-untyped-def]
    return run_ingest(store, RunOptions(fmt, list(paths), home, batch_size=7, **kw))


def _facts(store: Any) -> dict[str, Any]:
    """Every stored fact, minus the last-seen run id and retrieval time a re-read updates."""
    entities = {}
    for batch in store.iter_entities():
        for e in batch:
            entities[e.id] = (e.kind, e.name, e.names, e.jurisdiction, e.hq_country, e.identifiers,
                              e.addresses, e.flags, e.reporting_exceptions, e.provenance.record_id,
                              e.provenance.location, e.provenance.published)
    edges = {}
    for eid in entities:
        for edge in store.owners(eid, hops=1):
            edges[edge["key"]] = {k: v for k, v in edge.items() if k not in ("run_id", "retrieved")}
    return {"entities": entities, "edges": edges}


def test_reingesting_a_snapshot_is_a_noop(graph_store: Any, tmp_path: Path) -> None:
    files = [real(f"{GLEIF}/lei-data.xml"), real(f"{GLEIF}/rr-data.xml"), real(f"{GLEIF}/repex-data.xml")]
    first = _run(graph_store, tmp_path, "gleif", *files)
    before = _facts(graph_store)
    counts = (graph_store.count("Entity"), graph_store.count("OWNS"))
    second = _run(graph_store, tmp_path, "gleif", *reversed(files))
    assert (first.status, second.status, second.mode) == ("ok", "ok", "full")
    assert (second.ended_edges, second.changed_edges, second.quarantined) == (0, 0, 0)
    assert (graph_store.count("Entity"), graph_store.count("OWNS")) == counts
    assert _facts(graph_store) == before
    assert len(before["edges"]) == 10 and counts[1] == 10


def _drop_first_relationship(src: Path, dst: Path, content_date: str) -> None:
    text = src.read_text()
    start = text.index("<rr:RelationshipRecord ")
    end = text.index("</rr:RelationshipRecord>") + len("</rr:RelationshipRecord>")
    text = text[:start] + text[end:]
    dst.write_text(text.replace("2023-06-05T09:24:22Z", content_date))


def test_a_newer_snapshot_end_dates_the_vanished_edge_and_never_deletes(graph_store: Any, tmp_path: Path) -> None:
    original = real(f"{GLEIF}/rr-data.xml")
    newer = tmp_path / "rr-newer.xml"
    _drop_first_relationship(original, newer, "2023-07-01T00:00:00Z")
    _run(graph_store, tmp_path, "gleif", original)
    summary = _run(graph_store, tmp_path, "gleif", newer)
    assert summary.ended_edges == 1 and summary.status == "ok"
    assert graph_store.count("OWNS") == 10  # kept, only end-dated
    # the first record: fund 001GPB6A9XPE8XJICC14 IS_FUND-MANAGED_BY 5493001Z012YSB2A0K51
    edges = graph_store.owners("lei:001GPB6A9XPE8XJICC14", hops=1)
    vanished = [e for e in edges if e["owner"] == "lei:5493001Z012YSB2A0K51"]
    assert [e["end"] for e in vanished] == ["2023-07-01"]
    still_open = [e for eid in ("lei:001GPB6A9XPE8XJICC14",) for e in graph_store.owners(eid) if e not in vanished]
    assert all(e.get("end") is None for e in still_open)


def test_an_older_full_snapshot_never_ends_a_relationship_stated_after_it(
        graph_store: Any, tmp_path: Path) -> None:
    # china/: HGNH (HK) IS_ULTIMATELY_CONSOLIDATED_BY Hengdian (CN), last updated 2024-05-06;
    # then the full RR snapshot of 2023-06-05, which cannot have stated it
    china = real("china/bods-gleif-pipeline-cn-hk/relationship_issued.json")
    _run(graph_store, tmp_path, "gleif", china)
    older = tmp_path / "rr-older.xml"
    _drop_first_relationship(real(f"{GLEIF}/rr-data.xml"), older, "2023-06-05T09:24:22Z")
    _run(graph_store, tmp_path, "gleif", real(f"{GLEIF}/rr-data.xml"))
    summary = _run(graph_store, tmp_path, "gleif", older)
    assert (summary.mode, summary.ended_edges, summary.kept_edges) == (
        "full", 1, {"stated_after_snapshot": 1})
    [hgnh] = graph_store.owners("lei:3003005JY7KTP8L48N10")
    assert hgnh.get("end") is None and hgnh["published"] == "2024-05-06T01:56:04Z"
    [ended] = load_ended(tmp_path, summary.run_id)
    assert ended["key"].startswith("gleif|001GPB6A9XPE8XJICC14|IS_FUND-MANAGED_BY|")
    assert ended["reason"] == "not in the full snapshot of 2023-06-05"
    assert load_run(tmp_path, summary.run_id)["ending"].startswith(
        "open gleif edges of record type gleif-rr stated by 2023-06-05")


def test_a_changed_edge_keeps_its_earlier_values(graph_store: Any, tmp_path: Path) -> None:
    original = real(f"{GLEIF}/rr-data.xml")
    changed = tmp_path / "rr-changed.xml"
    changed.write_text(original.read_text().replace(
        "<rr:StartDate>2012-11-29T00:00:00.000Z</rr:StartDate>", "<rr:StartDate>2013-01-01T00:00:00.000Z</rr:StartDate>", 1))
    _run(graph_store, tmp_path, "gleif", original)
    summary = _run(graph_store, tmp_path, "gleif", changed)
    assert summary.changed_edges == 1 and summary.ended_edges == 0
    edge = next(e for e in graph_store.owners("lei:001GPB6A9XPE8XJICC14")
                if e["owner"] == "lei:5493001Z012YSB2A0K51")
    assert edge["start"] == "2013-01-01"
    previous = json.loads(edge["attrs"]["previous"])
    assert previous["start"] == "2012-11-29" and previous["replaced_by_run"] == summary.run_id
    assert [h["start"] for h in edge["history"]] == ["2012-11-29"]


def test_edge_history_survives_unchanged_snapshots_and_grows_with_each_change(
        graph_store: Any, tmp_path: Path) -> None:
    """Snapshot 3 re-states snapshot 2 unchanged: the upsert must not drop the history
    snapshot 2 wrote; snapshot 4 changes the start again: both earlier values are kept."""
    original = real(f"{GLEIF}/rr-data.xml")
    start = "<rr:StartDate>2012-11-29T00:00:00.000Z</rr:StartDate>"

    def snapshot(name: str, new_start: str) -> Path:
        path = tmp_path / name
        path.write_text(original.read_text().replace(start, f"<rr:StartDate>{new_start}T00:00:00.000Z</rr:StartDate>", 1))
        return path

    runs = [_run(graph_store, tmp_path, "gleif", p) for p in (
        original, snapshot("2.xml", "2013-01-01"), snapshot("3.xml", "2013-01-01"),
        snapshot("4.xml", "2014-02-02"), original)]
    assert [r.changed_edges for r in runs] == [0, 1, 0, 1, 1]
    edge = next(e for e in graph_store.owners("lei:001GPB6A9XPE8XJICC14")
                if e["owner"] == "lei:5493001Z012YSB2A0K51")
    assert edge["start"] == "2012-11-29"
    assert [(h["start"], h["replaced_by_run"]) for h in edge["history"]] == [
        ("2014-02-02", runs[4].run_id), ("2013-01-01", runs[3].run_id), ("2012-11-29", runs[1].run_id)]


def test_control_engine_stops_counting_an_ended_edge_after_its_end_date(graph_store: Any, tmp_path: Path) -> None:
    entities = tmp_path / "entities.csv"
    entities.write_text("id,name,kind,jurisdiction\nparent,Hengdian Holding,company,CN\n"
                        "target,Target Ltd,company,GB\n")
    before = tmp_path / "edges-1.csv"
    before.write_text("owner,owned,kind,share,start\nparent,target,shareholding,60,2020-01-01\n")
    after = tmp_path / "edges-2.csv"
    after.write_text("owner,owned,kind,share,start\n")
    _run(graph_store, tmp_path, "csv", entities)
    _run(graph_store, tmp_path, "csv", before, mode="full")
    ended = _run(graph_store, tmp_path, "csv", after, mode="full")
    assert ended.ended_edges == 1
    end_day = ended.started[:10]
    arrays = graph_store.load_arrays()
    policy = builtin_policies()["cn-majority"]
    target = list(arrays.ids).index("csv:target")
    assert evaluate(arrays, policy, "2021-06-30").verdict_name(target) == "BLOCK"
    assert evaluate(arrays, policy, end_day).verdict_name(target) != "BLOCK"


def test_a_file_that_is_not_the_declared_format_stops_before_any_write(graph_store: Any, tmp_path: Path) -> None:
    good = real(f"{GLEIF}/lei-data.xml")
    with pytest.raises(WrongFormat) as info:
        _run(graph_store, tmp_path, "bods", real("bods/data-standard-v0.4/fermcat.json"), good)
    assert "lei-data.xml" in info.value.message and "\n" not in info.value.message
    assert graph_store.count("Entity") == 0


def test_a_malformed_record_is_quarantined_and_the_run_goes_on(graph_store: Any, tmp_path: Path) -> None:
    text = real(f"{GLEIF}/lei-data.xml").read_text()
    bad = tmp_path / "lei-bad.xml"
    bad.write_text(text.replace("<lei:LEI>001GPB6A9XPE8XJICC14</lei:LEI>", "<lei:LEI>NOT-AN-LEI</lei:LEI>", 1))
    summary = _run(graph_store, tmp_path, "gleif", bad)
    assert (summary.quarantined, summary.entities, summary.status) == (1, 12, "ok")
    [q] = load_quarantine(tmp_path, summary.run_id)
    assert q["file"] == str(bad) and q["location"].startswith("line ") and "NOT-AN-LEI" in q["reason"]
    assert "NOT-AN-LEI" in q["excerpt"]
    assert load_run(tmp_path, summary.run_id)["quarantined"] == 1
    assert [r["run_id"] for r in list_runs(tmp_path)] == [summary.run_id]


def test_a_truncated_file_keeps_what_was_read_and_quarantines_the_rest(graph_store: Any, tmp_path: Path) -> None:
    text = real(f"{GLEIF}/lei-data.xml").read_text()
    cut = tmp_path / "lei-cut.xml"
    cut.write_text(text[: len(text) // 2])
    summary = _run(graph_store, tmp_path, "gleif", cut)
    assert summary.status == "ok" and summary.quarantined == 1 and 0 < summary.entities < 13
    assert graph_store.count("Entity") == summary.entities


def test_limit_is_a_trial_that_never_end_dates(graph_store: Any, tmp_path: Path) -> None:
    _run(graph_store, tmp_path, "gleif", real(f"{GLEIF}/rr-data.xml"))
    summary = _run(graph_store, tmp_path, "gleif", real(f"{GLEIF}/rr-updates-data2.xml"), limit=3, mode="full")
    assert (summary.status, summary.read, summary.ended_edges) == ("limited", 3, 0)


def test_exceptions_in_a_later_run_reach_the_stored_entity(graph_store: Any, tmp_path: Path) -> None:
    _run(graph_store, tmp_path, "gleif", real(f"{GLEIF}/lei-data.xml"))
    _run(graph_store, tmp_path, "gleif", real(f"{GLEIF}/repex-data.xml"))
    stored = graph_store.get_entity("lei:001GPB6A9XPE8XJICC14")
    assert stored["name"] == "Fidelity Advisor Leveraged Company Stock Fund"
    assert stored["exceptions"] == ["NO_KNOWN_PERSON"]


def test_ftm_deltas_apply_adds_changes_and_deletes(graph_store: Any, tmp_path: Path) -> None:
    deltas = sorted(real("ftm/yente-t2-deltas").glob("2024*.entities.delta.json"))
    for path in deltas[:2]:
        _run(graph_store, tmp_path, "ftm", path)
    added = graph_store.get_entity("ftm:NK-500Poltergeist")
    assert added is not None and "removed" not in added["flags"]
    summary = _run(graph_store, tmp_path, "ftm", deltas[2])
    assert (summary.mode, summary.removed) == ("delta", 1)
    assert "removed" in graph_store.get_entity("ftm:NK-500Poltergeist")["flags"]


def test_an_ftm_delta_deleting_an_ownership_end_dates_its_edge(graph_store: Any, tmp_path: Path) -> None:
    """A DEL line carries only the id; the Ownership's edge is found by its record and
    end-dated (kept as history), the other edges stay as they were, an unknown id stays
    unresolved."""
    _run(graph_store, tmp_path, "ftm", real("ftm/yente-zala/entities.ftm.json"))
    asset = "ftm:NK-abdzbEBkqyT29GyREbiURZ"
    before = {e["key"]: e.get("end") for e in graph_store.owners(asset)}
    delta = tmp_path / "20240601000000-del.entities.delta.json"
    delta.write_text('{"op": "DEL", "entity": {"id": "NK-3NyeuT6JeJDLhGEyH3JD52"}}\n'
                     '{"op": "DEL", "entity": {"id": "NK-no-such-thing"}}\n', encoding="utf-8")
    summary = _run(graph_store, tmp_path, "ftm", delta)
    assert (summary.mode, summary.removed, summary.unresolved_removals) == ("delta", 1, 1)
    after = {e["key"]: (e.get("end"), e["record_id"]) for e in graph_store.owners(asset)}
    assert after.keys() == before.keys() and graph_store.count("OWNS") == 17  # nothing deleted
    for key, (end, record) in after.items():
        if record == "NK-3NyeuT6JeJDLhGEyH3JD52":
            assert before[key] is None and end == summary.started[:10]
        else:
            assert end == before[key]


def test_sanction_topics_become_flags_in_the_store(graph_store: Any, tmp_path: Path) -> None:
    summary = _run(graph_store, tmp_path, "ftm", real("ftm/yente-zala/entities.ftm.json"))
    assert (summary.entities, summary.edges, summary.skipped) == (17, 17, 57)
    flagged = [e for batch in graph_store.iter_entities() for e in batch if "sanctioned" in e.flags]
    assert flagged and all(isinstance(e, Entity) for e in flagged)


def test_a_bods_update_end_dates_the_statement_it_replaces(graph_store: Any, tmp_path: Path) -> None:
    _run(graph_store, tmp_path, "bods", real("bods/data-standard-v0.2/1-single-direct.json"))
    summary = _run(graph_store, tmp_path, "bods", real("bods/data-standard-v0.2/2-single-update.json"))
    assert summary.removed == 2 and summary.unresolved_removals == 0
    edges = graph_store.owners("bods:1dc0e987-5c57-4a1c-b3ad-61353b66a9b7", hops=1)
    old = [e for e in edges if e["record_id"].startswith("fbfd0547")]
    new = [e for e in edges if not e["record_id"].startswith("fbfd0547")]
    assert [e["end"] for e in old] == ["2018-01-05"] and new and all(e.get("end") is None for e in new)


def test_a_record_the_store_refuses_is_quarantined_not_fatal(graph_store: Any, tmp_path: Path) -> None:
    path = tmp_path / "entities.csv"
    path.write_text("id,name\na,Alpha Ltd\nb,Bad\x00Name Ltd\nc,Gamma Ltd\n")
    summary = _run(graph_store, tmp_path, "csv", path)
    assert (summary.status, summary.entities) == ("ok", 2)
    [q] = load_quarantine(tmp_path, summary.run_id)
    assert q["location"] == "line 3" and "store refused" in q["reason"]


def test_over_long_ids_are_quarantined_before_they_reach_the_store(graph_store: Any, tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text(f"owner,owned,share\n{'x' * 5000},b,10\na,b,20\n")
    summary = _run(graph_store, tmp_path, "csv", path)
    assert (summary.status, summary.edges, summary.quarantined) == ("ok", 1, 1)
    assert "characters long (limit 1024)" in load_quarantine(tmp_path, summary.run_id)[0]["reason"]
    assert graph_store.count("OWNS") == 1  # the store is still up
