"""Generations on the real embedded store: publish, diff, guards, watches, retention."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from generations_data import Receiver, write_registry
from typer.testing import CliRunner

from api.app import create_app
from api.cli.main import app as cli_app
from api.generations.artifact import generations_root
from api.generations.publish import PublishRefused, current_id
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.settings import Settings
from api.watches import wait_for_deliveries


def _run(settings: Settings, store: Any, folder: Path, **kw: Any) -> Any:
    paths = write_registry(folder, fillers=kw.pop("fillers", 30), edges=kw.pop("edges", 30),
                           cn_share=kw.pop("cn_share", 40))
    spec = SourceSpec("registry", "csv", tuple(paths), "full")
    result = run_generation(settings, store, RunRequest((spec,), **kw))
    assert wait_for_deliveries(60)  # webhooks go out in the background, after the publish
    return result


def _env(settings: Settings) -> dict[str, str]:
    return {"OWNERGRAPH_HOME": str(settings.home), "OWNERGRAPH_GRAPH_NAME": settings.graph_name,
            "OWNERGRAPH_POLICIES": json.dumps(settings.policies), "OWNERGRAPH_LOG_LEVEL": "ERROR",
            "OWNERGRAPH_GENERATIONS_KEEP": str(settings.generations_keep)}


def test_allow_to_block_is_diffed_with_its_edge_and_sent_once_signed(
        gen_settings: Settings, gen_store: Any, admin_headers: dict[str, str],
        receiver: Receiver, tmp_path: Path) -> None:
    first = _run(gen_settings, gen_store, tmp_path / "v1", cn_share=40)
    with TestClient(create_app(gen_settings, store=gen_store)) as client:
        screen = {"identifiers": {"gb_crn": "99887766"}, "policy": "cn-majority"}
        before = client.post("/v1/screen", json=screen, headers=admin_headers).json()
        assert before["verdict"] == "ALLOW" and before["generation"] == first.generation
        secret = "s3cret-for-the-lion-watch"
        made = client.post("/v1/watches", headers=admin_headers, json={
            "customer": {"identifiers": {"gb_crn": "99887766"}}, "url": receiver.url,
            "policy": "cn-majority", "secret": secret})
        assert made.status_code == 201, made.text
        assert made.json()["entity_id"] == "csv:lion"

        second = _run(gen_settings, gen_store, tmp_path / "v2", cn_share=60)
        assert second.published and second.previous == first.generation
        assert client.post("/v1/generations/reload", headers=admin_headers).json()["swapped"]
        after = client.post("/v1/screen", json=screen, headers=admin_headers).json()
        assert after["verdict"] == "BLOCK" and after["generation"] == second.generation

        diff = client.get(f"/v1/generations/{first.generation}/diff/{second.generation}",
                          headers=admin_headers).json()
        lion = next(e for e in diff["entities"] if e["id"] == "csv:lion")
        change = lion["policies"]["cn-majority"]
        assert change["before"]["verdict"] == "ALLOW" and change["after"]["verdict"] == "BLOCK"
        assert "verdict" in change["changed"] and change["after"]["controllers"] == ["csv:dragon"]
        edge = next(e for e in lion["edges"] if e["owner"] == "csv:dragon")
        assert edge["change"] == "changed" and "stake-dragon-lion" in edge["key"]
        assert edge["before"]["share_lo"] == pytest.approx(0.4)
        assert edge["after"]["share_lo"] == pytest.approx(0.6)

        assert len(receiver.received) == 1  # exactly one event for one watched change
        headers, body = receiver.received[0]
        expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["x-ownergraph-signature"], expected)
        wrong = "sha256=" + hmac.new(b"another-secret", body, hashlib.sha256).hexdigest()
        assert headers["x-ownergraph-signature"] != wrong
        event = json.loads(body)
        assert event["entity_id"] == "csv:lion" and event["generation"] == second.generation
        assert [(c["before"]["verdict"], c["after"]["verdict"]) for c in event["changes"]] == \
            [("ALLOW", "BLOCK")]
        listed = client.get("/v1/events", headers=admin_headers).json()["events"]
        assert [e["id"] for e in listed] == [event["id"]]
        assert listed[0]["delivery"]["status"] == "delivered"
        assert len(listed[0]["delivery"]["attempts"]) == 1


def test_same_data_again_publishes_no_event(gen_settings: Settings, gen_store: Any,
                                            receiver: Receiver, tmp_path: Path) -> None:
    from api.watches import add_watch, list_events

    first = _run(gen_settings, gen_store, tmp_path / "v1", cn_share=40)
    add_watch(gen_settings, "csv:lion", receiver.url)
    again = _run(gen_settings, gen_store, tmp_path / "v1b", cn_share=40)
    assert again.generation == first.generation and again.events == []
    assert receiver.received == [] and list_events(gen_settings) == []


def test_failed_deliveries_are_retried_with_backoff_and_recorded(
        gen_settings: Settings, gen_store: Any, receiver: Receiver, tmp_path: Path) -> None:
    from api.watches import add_watch, list_events

    receiver.statuses[:] = [500, 503, 200]
    _run(gen_settings, gen_store, tmp_path / "v1", cn_share=40)
    watch = add_watch(gen_settings, "csv:lion", receiver.url)
    add_watch(gen_settings, "csv:harbour", receiver.url)  # its verdict does not change
    add_watch(gen_settings, "csv:lion", receiver.url, policy="ultimate-parent")  # not this policy
    down = add_watch(gen_settings, "csv:lion", "http://127.0.0.1:1/hook")  # nobody listens
    result = _run(gen_settings, gen_store, tmp_path / "v2", cn_share=60)
    assert sorted(e["watch_id"] for e in result.events) == sorted([watch.id, down.id])
    failed = next(e for e in list_events(gen_settings) if e["watch_id"] == down.id)["delivery"]
    assert failed["status"] == "failed" and len(failed["attempts"]) == gen_settings.webhook_attempts
    assert all("error" in a for a in failed["attempts"])
    attempts = next(e for e in list_events(gen_settings)
                    if e["watch_id"] == watch.id)["delivery"]["attempts"]
    assert [a["status"] for a in attempts] == [500, 503, 200]
    assert len({json.loads(body)["id"] for _, body in receiver.received}) == 1  # same event
    assert all(h["x-ownergraph-signature"] == "sha256=" + hmac.new(
        watch.secret.encode(), b, hashlib.sha256).hexdigest() for h, b in receiver.received)


def test_truncated_snapshot_is_refused_and_force_publishes_it(
        gen_settings: Settings, gen_store: Any, tmp_path: Path) -> None:
    first = _run(gen_settings, gen_store, tmp_path / "full", fillers=196, edges=200)
    root = generations_root(gen_settings)
    truncated, full_rows, kept_rows = _truncate(tmp_path / "full", tmp_path / "cut", keep=0.1)
    shrink = 100.0 * (full_rows - kept_rows) / full_rows
    assert 89.0 <= shrink <= 91.0
    args = ["generations", "run", "--format", "csv", "--source", "registry", "--mode", "full",
            *[str(p) for p in truncated]]
    refused = CliRunner().invoke(cli_app, args, env=_env(gen_settings))
    assert isinstance(refused.exception, PublishRefused), refused.output
    reason = refused.exception.message
    assert f"source 'registry' shrank {shrink:.1f} % ({full_rows} -> {kept_rows} records" in reason and "OWNERGRAPH_GUARD_MAX_SOURCE_SHRINK_PCT" in reason
    assert "--force" in reason
    assert current_id(root) == first.generation  # the previous generation still serves
    forced = CliRunner().invoke(cli_app, [*args, "--force"], env=_env(gen_settings))
    assert forced.exit_code == 0, forced.output
    summary = json.loads(forced.stdout)
    assert summary["published"] and summary["forced"] and summary["reasons"]
    assert current_id(root) == summary["generation"] != first.generation
    listed = CliRunner().invoke(cli_app, ["generations", "list", "--json"], env=_env(gen_settings))
    rows = json.loads(listed.stdout)
    assert rows[0]["id"] == summary["generation"] and rows[0]["current"] and rows[0]["forced"]


def _truncate(src: Path, dst: Path, keep: float) -> tuple[list[Path], int, int]:
    """The same files cut after the first ``keep`` share of their rows (an aborted download)."""
    dst.mkdir()
    out, full, kept = [], 0, 0
    for name in ("entities.csv", "relationships.csv"):
        header, *rows = (src / name).read_text().splitlines()
        cut = rows[: round(len(rows) * keep)]
        (dst / name).write_text("\n".join([header, *cut]) + "\n")
        out.append(dst / name)
        full, kept = full + len(rows), kept + len(cut)
    return out, full, kept


def test_verdict_change_guard_names_the_policy(gen_settings: Settings, gen_store: Any,
                                               tmp_path: Path) -> None:
    strict = gen_settings.model_copy(update={"guard_max_verdict_change_pct": 1.0})
    _run(strict, gen_store, tmp_path / "v1", cn_share=40, fillers=20, edges=5)
    with pytest.raises(PublishRefused) as refused:
        _run(strict, gen_store, tmp_path / "v2", cn_share=60, fillers=20, edges=5)
    assert "change verdict under policy 'cn-majority'" in refused.value.message
    assert "1 of 24 entities (4.2 %)" in refused.value.message  # lion, among 4 + 20


def test_retention_keeps_the_last_k_published(gen_settings: Settings, gen_store: Any,
                                              tmp_path: Path) -> None:
    ids = [_run(gen_settings, gen_store, tmp_path / f"v{share}", cn_share=share).generation
           for share in (10, 20, 30, 40)]
    root = generations_root(gen_settings)
    kept = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert kept == sorted(ids[-2:])  # generations_keep = 2
    assert current_id(root) == ids[-1]


def test_cli_diff_names_the_entity_and_edge(gen_settings: Settings, gen_store: Any,
                                            tmp_path: Path) -> None:
    a = _run(gen_settings, gen_store, tmp_path / "v1", cn_share=40).generation
    b = _run(gen_settings, gen_store, tmp_path / "v2", cn_share=60).generation
    shown = CliRunner().invoke(cli_app, ["generations", "diff", a, b], env=_env(gen_settings))
    assert shown.exit_code == 0, shown.output
    assert "csv:lion (Lion City Target Pte Ltd)" in shown.stdout
    assert "cn-majority: ALLOW -> BLOCK (verdict, exposure, controller)" in shown.stdout
    assert "changed csv:dragon -> csv:lion" in shown.stdout


def test_a_server_picks_up_a_generation_published_elsewhere(
        gen_settings: Settings, gen_store: Any, admin_headers: dict[str, str],
        tmp_path: Path) -> None:
    import time

    first = _run(gen_settings, gen_store, tmp_path / "v1", cn_share=40)
    polling = gen_settings.model_copy(update={"generation_poll_seconds": 0.1})
    with TestClient(create_app(polling, store=None, open_store=False)) as client:
        assert client.get("/readyz").json()["generation"] == first.generation  # no store needed
        second = _run(gen_settings, gen_store, tmp_path / "v2", cn_share=60)
        for _ in range(100):
            if client.get("/readyz").json()["generation"] == second.generation:
                break
            time.sleep(0.05)
        assert client.get("/readyz").json()["generation"] == second.generation
        old = client.get(f"/v1/generations/{first.generation}/entities/csv:lion",
                         headers=admin_headers).json()
        assert old["policies"]["cn-majority"]["verdict"] == "ALLOW"  # as-of read of kept data
        rows = client.get("/v1/generations", headers=admin_headers).json()["generations"]
        assert [(r["id"], r["status"]) for r in rows] == [(second.generation, "current"),
                                                          (first.generation, "published")]


def test_an_api_run_refused_by_a_guard_fails_with_the_reason(
        gen_settings: Settings, gen_store: Any, admin_headers: dict[str, str],
        tmp_path: Path) -> None:
    import time

    full = write_registry(tmp_path / "full", fillers=60, edges=60, cn_share=40)
    importing = gen_settings.model_copy(update={"import_dirs": [tmp_path]})
    with TestClient(create_app(importing, store=gen_store)) as client:
        def run(paths: list[Path]) -> dict[str, Any]:
            started = client.post("/v1/ingest", headers=admin_headers, json={
                "format": "csv", "paths": [str(p) for p in paths]}).json()
            for _ in range(400):
                job = client.get(f"/v1/runs/{started['id']}", headers=admin_headers).json()
                if job["state"] != "running":
                    return dict(job)
                time.sleep(0.1)
            raise AssertionError("run did not finish")

        ok = run(full)
        assert ok["state"] == "succeeded", ok
        served = ok["detail"]["publish"]["generation"]
        cut, _, _ = _truncate(tmp_path / "full", tmp_path / "cut", keep=0.1)
        refused = run(cut)
        assert refused["state"] == "failed"
        assert "source 'csv' shrank" in refused["detail"]["error"]
        assert client.get("/readyz").json()["generation"] == served


def test_undelivered_events_are_sent_again_and_watches_can_be_removed(
        gen_settings: Settings, gen_store: Any, admin_headers: dict[str, str],
        receiver: Receiver, tmp_path: Path) -> None:
    from api.watches import list_events, redeliver

    receiver.statuses[:] = [500]  # down for every attempt of the publish
    _run(gen_settings, gen_store, tmp_path / "v1", cn_share=40)
    with TestClient(create_app(gen_settings, store=gen_store)) as client:
        made = client.post("/v1/watches", headers=admin_headers,
                           json={"entity_id": "csv:lion", "url": receiver.url}).json()
        assert len(made["secret"]) >= 32  # generated, shown once
        assert [w["id"] for w in client.get("/v1/watches", headers=admin_headers).json()["watches"]] \
            == [made["id"]]
        assert "secret" not in client.get("/v1/watches", headers=admin_headers).json()["watches"][0]
        _run(gen_settings, gen_store, tmp_path / "v2", cn_share=60)
        failed = list_events(gen_settings)[0]
        assert failed["delivery"]["status"] == "failed"
        assert len(failed["delivery"]["attempts"]) == gen_settings.webhook_attempts
        receiver.statuses[:] = [200]
        again = redeliver(gen_settings)
        assert [e["id"] for e in again] == [failed["id"]]
        event = list_events(gen_settings)[0]
        assert event["delivery"]["status"] == "delivered"
        assert len(event["delivery"]["attempts"]) == gen_settings.webhook_attempts + 1
        assert redeliver(gen_settings) == []  # delivered events are not sent twice
        gone = client.delete(f"/v1/watches/{made['id']}", headers=admin_headers)
        assert gone.status_code == 204
        assert client.get("/v1/watches", headers=admin_headers).json()["watches"] == []
        assert client.delete(f"/v1/watches/{made['id']}", headers=admin_headers).status_code == 404
        unknown = client.post("/v1/watches", headers=admin_headers,
                              json={"entity_id": "csv:nobody", "url": receiver.url})
        assert unknown.status_code == 404 and unknown.json()["field"] == "entity_id"
        bad_url = client.post("/v1/watches", headers=admin_headers,
                              json={"entity_id": "csv:lion", "url": "file:///etc/passwd"})
        assert bad_url.status_code == 422 and bad_url.json()["field"] == "url"


def test_freeze_publishes_what_a_manual_run_left_in_the_store(
        gen_settings: Settings, gen_store: Any, tmp_path: Path) -> None:
    from api.generations.run import ingest_source, resolve_entities

    first = _run(gen_settings, gen_store, tmp_path / "v1", cn_share=40)
    paths = write_registry(tmp_path / "v2", fillers=30, edges=30, cn_share=60)
    ingest_source(gen_settings, gen_store, SourceSpec("csv", "csv", tuple(paths)))  # step by step
    resolve_entities(gen_store)
    assert current_id(generations_root(gen_settings)) == first.generation  # not served yet
    frozen = CliRunner().invoke(cli_app, ["generations", "freeze"], env=_env(gen_settings))
    assert frozen.exit_code == 0, frozen.output
    summary = json.loads(frozen.stdout)
    assert summary["published"] and summary["previous"] == first.generation
    assert current_id(generations_root(gen_settings)) == summary["generation"]
