"""One generation, one answer: every entity x policy of a published generation gives the
same verdict, exposure and ultimate controllers on every surface.

Surfaces: the artifact's own columns (the reference), ``POST /v1/screen``, ``ownergraph
screen --batch`` (the CLI, reading the generation on disk), ``GET /v1/entities/{id}`` and
``/controllers`` (what the investigator UI renders), ``GET /v1/generations/{g}/entities/{id}``
(as-of reads of a kept generation), the generation diff against an all-ALLOW generation, and
the ``Result`` nodes and ``CONTROLS`` edges Cypher readers query. Run on the demo and on a
generation of real registry samples, on every store backend.
"""

from __future__ import annotations

import dataclasses
import json
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from api.auth import KeyStore, Role
from api.cli.main import app as cli_app
from api.demo import demo_request, demo_settings
from api.generations.artifact import Artifact, generations_root, read_artifact
from api.generations.diff import diff
from api.generations.publish import current_id
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.schemas import SCHEME_PATTERN
from api.settings import Settings
from api.snapshot import Snapshot, snapshot_of
from graph.control.served import ALLOW
from graph.stores import open_store
from matching.datasets import real_data_root

REAL = real_data_root()
# Real registry samples in the four formats, China-linked chains among them.
REAL_SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("gleif-top10", "gleif", ("gleif/concatenated-2018-top10/*.xml",)),
    ("gleif-fixtures", "gleif", ("gleif/bodspipelines-fixtures/lei-data.xml",
                                 "gleif/bodspipelines-fixtures/rr-data.xml",
                                 "gleif/bodspipelines-fixtures/repex-data.xml")),
    ("china-gleif", "gleif", ("china/*/relationship_issued.json", "china/*/repex_issued.json")),
    ("china-bods", "bods", ("china/*/bods_*.json",)),
    ("uk-psc", "psc", ("uk-psc/*/*.csv", "uk-psc/*/psc-data-*.json")),
    ("bods-0.4", "bods", ("bods/data-standard-v0.4/*.json",)),
)
Answer = tuple[str, float, float, tuple[str, ...]]  # verdict, exposure lo, hi, controllers


def _files(patterns: tuple[str, ...]) -> tuple[Path, ...]:
    found = tuple(sorted(p for pattern in patterns for p in REAL.glob(pattern)))
    assert found, patterns
    return found


@pytest.fixture(scope="module", params=["falkordb", "neo4j"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module", params=["demo", "real"])
def published(request: pytest.FixtureRequest, backend: str, store_home: Path,
              backend_settings: Any) -> Iterator[tuple[Settings, Any]]:
    """Settings and store of a freshly published generation on this backend."""
    graph = f"t_one_{uuid.uuid4().hex[:10]}"
    settings = Settings(home=store_home, graph_name=graph, generation_poll_seconds=0,
                        log_level="WARNING",
                        **backend_settings(backend))
    if request.param == "demo":
        settings = demo_settings(settings).model_copy(update={"graph_name": graph})
        req = demo_request()
    else:
        req = RunRequest(tuple(SourceSpec(name, fmt, _files(patterns))
                               for name, fmt, patterns in REAL_SOURCES), force=True)
    store = open_store(settings.store_config())
    store.drop()  # type: ignore[attr-defined]
    run_generation(settings, store, req)
    yield settings, store
    store.drop()  # type: ignore[attr-defined]
    store.close()


def _answer(verdict: str, exposure: dict[str, float], controllers: list[Any]) -> Answer:
    ids = (c if isinstance(c, str) else c["id"] for c in controllers)
    return (verdict, round(exposure["lo"], 9), round(exposure["hi"], 9), tuple(sorted(ids)))


def _reference(artifact: Artifact) -> dict[tuple[str, str], Answer]:
    ids = artifact.arrays.ids
    out = {}
    for policy, a in artifact.answers.items():
        for y in range(artifact.arrays.n_entities):
            out[(str(ids[y]), policy)] = (
                a.verdict_name(y), round(float(a.exposure_lo[y]), 9),
                round(float(a.exposure_hi[y]), 9),
                tuple(sorted(str(ids[c[0]]) for c in a.controllers.of(y))))
    return out


def _screen_requests(snap: Snapshot) -> dict[str, dict[str, Any]]:
    """A request per entity that finds exactly it: an identifier only it holds, else its
    name when the name index ranks it first with certainty."""
    out: dict[str, dict[str, Any]] = {}
    for y, view in enumerate(snap.entities):
        for scheme, value in view.identifiers:
            if re.fullmatch(SCHEME_PATTERN, scheme) and len(value) <= 64 \
                    and snap.by_identifier(scheme, value) == y:
                out[view.id] = {"identifiers": {scheme: value}}
                break
        else:
            hits = snap.search(view.name, 2) if view.name else []
            # (scores are the resolver's match probability: an exact name alone is 0.98)
            if hits and hits[0].entity == y and hits[0].score >= 0.95 and hits[0].match and (
                    len(hits) == 1 or hits[1].score < hits[0].score):
                out[view.id] = {"name": view.name}
    return out


def _all_allow(artifact: Artifact) -> Artifact:
    """The same graph with every answer ALLOW and no controllers (a diff lists them all)."""
    n = artifact.arrays.n_entities
    quiet = {p: dataclasses.replace(
        a, verdict=np.full(n, ALLOW, dtype=np.int8), exposure_lo=np.zeros(n),
        exposure_hi=np.zeros(n), controllers=dataclasses.replace(
            a.controllers, ptr=np.zeros(n + 1, dtype=np.int64), entity=a.controllers.entity[:0]))
        for p, a in artifact.answers.items()}
    return dataclasses.replace(artifact, manifest={"id": "g-quiet"}, answers=quiet)


def test_every_surface_gives_the_artifacts_answer(published: tuple[Settings, Any],
                                                  tmp_path: Path) -> None:
    settings, store = published
    root = generations_root(settings)
    artifact = read_artifact(root, str(current_id(root)))
    reference = _reference(artifact)
    policies = sorted(artifact.answers)
    snap = snapshot_of(artifact)
    token, _ = KeyStore(settings.home / "keys.json").create(Role.ADMIN, "one-answer")
    auth = {"Authorization": f"Bearer {token}"}
    got: dict[str, dict[tuple[str, str], Answer]] = {}
    explained: dict[tuple[str, str], dict[str, Any]] = {}

    with TestClient(create_app(settings, store=store)) as client:
        assert client.get("/readyz").json()["generation"] == artifact.id
        for eid in (str(i) for i in artifact.arrays.ids.tolist()):
            path = f"/v1/entities/{quote(eid, safe=':')}"
            entity = client.get(path, headers=auth, follow_redirects=False).json()
            kept = client.get(f"/v1/generations/{artifact.id}/entities/{quote(eid, safe=':')}",
                              headers=auth).json()
            for policy in policies:
                v = entity["verdicts"][policy]
                ctl = client.get(f"{path}/controllers", params={"policy": policy},
                                 headers=auth).json()
                got.setdefault("entities", {})[(eid, policy)] = _answer(
                    v["verdict"], v["exposure"], ctl["ultimate_controllers"])
                got.setdefault("controllers", {})[(eid, policy)] = _answer(
                    ctl["verdict"], ctl["exposure"], ctl["ultimate_controllers"])
                explained[(eid, policy)] = ctl
                k = kept["policies"][policy]
                got.setdefault("generation_read", {})[(eid, policy)] = _answer(
                    k["verdict"], k["exposure"], k["controllers"])

        requests = _screen_requests(snap)
        lines = [json.dumps({**body, "policy": p}) for body in requests.values() for p in policies]
        for body in requests.values():
            for policy in policies:
                r = client.post("/v1/screen", json={**body, "policy": policy}, headers=auth).json()
                assert r["match"]["probability"] >= settings.weak_match_threshold, (body, r)
                got.setdefault("screen_http", {})[(r["entity"]["id"], policy)] = _answer(
                    r["verdict"], r["exposure"], r["ultimate_controllers"])

    batch = tmp_path / "screen.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    env = {"OWNERGRAPH_HOME": str(settings.home), "OWNERGRAPH_GRAPH_NAME": settings.graph_name,
           "OWNERGRAPH_LOG_LEVEL": "ERROR"}
    cli = CliRunner(env=env).invoke(cli_app, ["screen", "--batch", str(batch)])
    assert cli.exit_code == 0, cli.output
    for line in cli.stdout.splitlines():
        r = json.loads(line)
        got.setdefault("screen_cli", {})[(r["entity"]["id"], r["policy"])] = _answer(
            r["verdict"], r["exposure"], r["ultimate_controllers"])

    changed = diff(_all_allow(artifact), artifact)
    for e in changed["entities"]:
        for policy, c in e["policies"].items():
            after = c["after"]
            got.setdefault("diff", {})[(e["id"], policy)] = _answer(
                after["verdict"], after["exposure"], after["controllers"])

    rows = store.read_query(
        "MATCH (e:Entity)-[:HAS_RESULT]->(r:Result) WHERE r.generation = $g "
        "RETURN r.entity_id, r.policy, r.verdict, r.exposure_lo, r.exposure_hi, r.controllers",
        {"g": artifact.id}, row_cap=100_000).rows
    for eid, policy, verdict, lo, hi, controllers in rows:
        got.setdefault("cypher", {})[(eid, policy)] = _answer(
            verdict, {"lo": lo, "hi": hi}, list(controllers or []))
    edges = store.read_query(
        "MATCH (c:Entity)-[k:CONTROLS]->(e:Entity) WHERE k.generation = $g "
        "RETURN e.id, k.policy, c.id", {"g": artifact.id}, row_cap=100_000).rows
    by_edge: dict[tuple[str, str], list[str]] = {}
    for eid, policy, controller in edges:
        by_edge.setdefault((eid, policy), []).append(controller)

    # every surface covers what it should, and agrees with the artifact
    n = artifact.arrays.n_entities * len(policies)
    assert len(got["entities"]) == len(got["controllers"]) == len(got["generation_read"]) == n
    assert set(got["cypher"]) == set(reference)
    assert len(got["screen_http"]) >= 0.5 * n and got["screen_cli"] == got["screen_http"]
    assert set(got["diff"]) == {k for k, v in reference.items()
                                if v[0] != "ALLOW" or v[1] or v[2] or v[3]}
    for surface, answers in got.items():
        wrong = {k: (v, reference[k]) for k, v in answers.items() if v != reference[k]}
        assert not wrong, (surface, dict(list(wrong.items())[:5]))
    assert {k: tuple(sorted(v)) for k, v in by_edge.items()} == {
        k: v[3] for k, v in reference.items() if v[3]}
    verdicts = {v[0] for v in reference.values()}
    assert "BLOCK" in verdicts and "ALLOW" in verdicts  # the walk saw both kinds
    # every answer says what is on record; every answer that is not ALLOW says why
    for key, answer in explained.items():
        assert 0.0 <= answer["coverage"]["lo"] <= answer["coverage"]["hi"] <= 1.0, key
        assert isinstance(answer["notes"], list), key
        if answer["verdict"] != "ALLOW":
            assert answer["reasons"], key
        if answer["verdict"] in ("BLOCK", "REVIEW") and answer["evidence"]:
            assert answer["summary"], key
