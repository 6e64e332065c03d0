"""The same sources give the same published generation on the embedded FalkorDB and on
Neo4j: one run (ingest → resolve → compute → publish) per store, then the same answers for
every entity × policy, and the same screening answers from the API served by each store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import KeyStore, Role
from api.demo import demo_request, demo_settings
from api.generations.artifact import Artifact, generations_root, read_artifact
from api.generations.run import RunRequest, SourceSpec, run_generation
from api.settings import Settings
from graph.stores import open_store
from matching.datasets import real_data_root

REAL = real_data_root()
# Every registry format of the samples, China's GLEIF and BODS slices and FtM included.
REAL_FILES: tuple[tuple[str, str, str], ...] = (
    ("gleif-fixtures", "gleif", "gleif/bodspipelines-fixtures/*.xml"),
    ("gleif-json", "gleif", "gleif/golden-copy-json-intraday/*.json"),
    ("gleif-api", "gleif", "gleif/gleif-rs-api-v1/*/*.json"),
    ("china-gleif", "gleif", "china/*/r*_issued.json"),
    ("china-bods", "bods", "china/*/bods_*.json"),
    ("bods-0.4", "bods", "bods/data-standard-v0.4/*.json"),
    ("uk-psc", "psc", "uk-psc/*/psc-data-*.json"),
    ("ftm", "ftm", "ftm/yente-*/entities.ftm.json"),
)


def _real_request() -> RunRequest:
    specs = []
    for name, fmt, pattern in REAL_FILES:
        files = tuple(sorted(REAL.glob(pattern)))
        assert files, pattern
        specs.append(SourceSpec(name, fmt, files))
    return RunRequest(tuple(specs), force=True)


REQUESTS = {"demo": demo_request, "real": _real_request}


@dataclass
class Published:
    settings: Settings
    store: Any
    artifact: Artifact


def _publish(home: Path, fields: dict[str, Any], dataset: str) -> Published:
    graph = f"t_two_{uuid.uuid4().hex[:10]}"
    settings = demo_settings(Settings(home=home, generation_poll_seconds=0,
                                      log_level="WARNING", **fields))
    settings = settings.model_copy(update={"graph_name": graph})
    store = open_store(settings.store_config())
    store.drop()  # type: ignore[attr-defined]
    result = run_generation(settings, store, REQUESTS[dataset]())
    assert result is not None and result.published, result
    return Published(settings, store, read_artifact(generations_root(settings),
                                                    result.generation))


@pytest.fixture(scope="module", params=sorted(REQUESTS))
def both(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         store_home: Path, backend_settings: Any) -> Iterator[dict[str, Published]]:
    """The dataset published once from each store (the embedded server's data directory
    is the session's; each store gets its own generations directory)."""
    out = {"falkordb": _publish(store_home, {}, request.param),
           "neo4j": _publish(tmp_path_factory.mktemp("neo4j"), backend_settings("neo4j"),
                             request.param)}
    yield out
    for published in out.values():
        published.store.drop()
        published.store.close()


def _answers(artifact: Artifact) -> dict[tuple[str, str], tuple[Any, ...]]:
    """entity × policy -> verdict, exposure bounds, controllers, evidence paths (edge keys):
    by id and key, since the two stores list entities' edges in different orders."""
    ids, keys = artifact.arrays.ids, artifact.arrays.edge_key
    return {(str(ids[y]), policy): (
        a.verdict_name(y), float(a.exposure_lo[y]), float(a.exposure_hi[y]),
        tuple(sorted(str(ids[c[0]]) for c in a.controllers.of(y))),
        tuple(sorted(tuple(str(keys[e]) for e in path) for path in a.evidence.of(y))))
        for policy, a in artifact.answers.items() for y in range(artifact.arrays.n_entities)}


def test_both_stores_publish_the_same_generation(both: dict[str, Published]) -> None:
    falkor, neo = both["falkordb"].artifact, both["neo4j"].artifact
    assert falkor.arrays.n_entities > 10 and falkor.arrays.n_edges > 10
    assert neo.id == falkor.id  # the content id covers every entity and edge column
    assert neo.manifest["policies"] == falkor.manifest["policies"]
    mine, theirs = _answers(neo), _answers(falkor)
    assert mine.keys() == theirs.keys()
    assert {k: (mine[k], theirs[k]) for k in mine if mine[k] != theirs[k]} == {}
    # Not a vacuous match: restricted and unrestricted answers, with evidence.
    assert len({v[0] for v in mine.values()}) >= 2
    assert any(v[4] for v in mine.values())


def _without_run_facts(value: Any) -> Any:
    """Drop what differs between any two runs (run id, time read) from provenance."""
    if isinstance(value, dict):
        return {k: _without_run_facts(v) for k, v in value.items()
                if k not in ("run_id", "retrieved")}
    if isinstance(value, list):
        return [_without_run_facts(v) for v in value]
    return value


def _screens(published: Published) -> list[Any]:
    """Screen the first 40 entity names under every policy through the served API."""
    keys = KeyStore(published.settings.home / "keys.json")
    token = keys.create(Role.GATEWAY, "two-stores")[0]
    artifact = published.artifact
    names = sorted({v.name for v in artifact.views.values() if v.name})[:40]
    out = []
    with TestClient(create_app(published.settings, store=published.store)) as client:
        for name in names:
            for policy in artifact.answers:
                response = client.post("/v1/screen", json={"name": name, "policy": policy},
                                       headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
                body = response.json()
                out.append(_without_run_facts(
                    {k: body.get(k) for k in ("verdict", "entity", "match", "exposure",
                                              "ultimate_controllers", "evidence")}))
    return out


def test_screening_answers_are_the_same_from_either_store(both: dict[str, Published]) -> None:
    neo, falkor = _screens(both["neo4j"]), _screens(both["falkordb"])
    assert neo == falkor
    assert len({s["verdict"] for s in neo}) >= 2
