"""The same sources give the same published generation on the embedded FalkorDB and on
Neo4j: ingest → resolve → compute → publish through the generation runner on each store, then
the same screening answers from the API served by each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import create_app
from api.auth import KeyStore, Role
from api.demo import DEMO_DIR, DEMO_FILES, demo_settings
from api.generations.artifact import Artifact, generations_root, read_artifact
from api.generations.runner import SourceSpec, run_generation
from api.settings import Settings
from graph.store_config import StoreConfig
from graph.stores import open_store
from matching.datasets import real_data_root

REAL = real_data_root()


def _files(rel: str, pattern: str = "*.json") -> tuple[Path, ...]:
    return tuple(sorted((REAL / rel).glob(pattern)))


# Every registry format of the samples, China's GLEIF and BODS slices included.
REAL_SOURCES = (
    SourceSpec("gleif", "gleif", _files("gleif/bodspipelines-fixtures", "*.xml")),
    SourceSpec("gleif-json", "gleif",
               _files("gleif/golden-copy-json-intraday") + _files("gleif/gleif-rs-api-v1/*")),
    SourceSpec("china-gleif", "gleif", (REAL / "china/bods-gleif-pipeline-cn-hk/"
                                        "relationship_issued.json",
                                        REAL / "china/bods-gleif-pipeline-cn-hk/"
                                        "repex_issued.json")),
    SourceSpec("china-bods", "bods", _files("china/bods-gleif-pipeline-cn-hk", "bods_*.json")),
    SourceSpec("bods", "bods", _files("bods/data-standard-v0.4")),
    SourceSpec("psc", "psc", _files("uk-psc/bods-uk-psc-pipeline-fixtures", "psc-data-*.json")),
    SourceSpec("ftm", "ftm", _files("ftm/yente-zala") + _files("ftm/yente-t1")),
)
DEMO_SOURCES = tuple(SourceSpec(name, fmt, (DEMO_DIR / name,)) for fmt, name in DEMO_FILES)
DATASETS = {"demo": DEMO_SOURCES, "real": REAL_SOURCES}


@dataclass
class Published:
    settings: Settings
    store: Any
    artifact: Artifact


def _publish(home: Path, config: StoreConfig, sources: tuple[SourceSpec, ...]) -> Published:
    settings = demo_settings(Settings(home=home)).model_copy(update={
        "graph_uri": config.uri, "graph_name": config.graph_name, "neo4j_user": config.user,
        "neo4j_password": SecretStr(config.password), "neo4j_database": config.database})
    store = open_store(settings.store_config())
    store.drop()  # type: ignore[attr-defined]
    result = run_generation(settings, store, list(sources))
    assert result.published, result.reasons
    return Published(settings, store,
                     read_artifact(generations_root(settings), result.generation))


@pytest.fixture(scope="module", params=sorted(DATASETS))
def both(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         store_home: Path, neo4j_config: StoreConfig) -> Iterator[dict[str, Published]]:
    """The dataset published once from each store."""
    sources = DATASETS[request.param]
    embedded = StoreConfig(home=store_home, graph_name=f"t_two_{request.param}")
    out = {"falkordb": _publish(tmp_path_factory.mktemp("falkordb"), embedded, sources),
           "neo4j": _publish(tmp_path_factory.mktemp("neo4j"), neo4j_config, sources)}
    yield out
    for published in out.values():
        published.store.drop()
        published.store.close()


def _answers(artifact: Artifact) -> dict[tuple[str, str], tuple[Any, ...]]:
    ids = artifact.arrays.ids.tolist()
    return {(eid, policy): (int(r.verdict[i]), float(r.exposure_lo[i]),
                            float(r.exposure_hi[i]), str(r.controllers[i]))
            for policy, r in artifact.results.items() for i, eid in enumerate(ids)}


def test_both_stores_publish_the_same_generation(both: dict[str, Published]) -> None:
    falkor, neo = both["falkordb"].artifact, both["neo4j"].artifact
    assert falkor.arrays.n_entities > 10 and falkor.arrays.n_edges > 10
    assert neo.id == falkor.id  # the content id covers every entity and edge column
    assert neo.manifest["policies"] == falkor.manifest["policies"]
    mine, theirs = _answers(neo), _answers(falkor)
    assert mine.keys() == theirs.keys()
    differing = {k: (mine[k], theirs[k]) for k in mine if mine[k] != theirs[k]}
    assert differing == {}
    # Not a vacuous match: the dataset has restricted and unrestricted answers.
    verdicts = {v[0] for v in mine.values()}
    assert len(verdicts) >= 2, verdicts
    assert sorted(neo.arrays.edge_key.tolist()) == sorted(falkor.arrays.edge_key.tolist())


def _screens(published: Published) -> list[dict[str, Any]]:
    """Screen every entity of the generation by identifier-free name under every policy."""
    keys = KeyStore(published.settings.home / "keys.json")
    token = keys.create(Role.GATEWAY, "two-stores")[0]
    artifact = published.artifact
    names = sorted({v.name for v in artifact.views.values() if v.name})[:40]
    out = []
    with TestClient(create_app(published.settings, store=published.store)) as client:
        for name in names:
            for policy in artifact.results:
                response = client.post("/v1/screen", json={"name": name, "policy": policy},
                                       headers={"Authorization": f"Bearer {token}"})
                assert response.status_code == 200, response.text
                body = response.json()
                out.append(_without_run_facts(
                    {k: body.get(k) for k in ("verdict", "entity", "match", "exposure",
                                              "ultimate_controllers", "evidence")}))
    return out


def _without_run_facts(value: Any) -> Any:
    """Drop what differs between any two runs (run id, time read) from provenance."""
    if isinstance(value, dict):
        return {k: _without_run_facts(v) for k, v in value.items()
                if k not in ("run_id", "retrieved")}
    if isinstance(value, list):
        return [_without_run_facts(v) for v in value]
    return value


def test_screening_answers_are_the_same_from_either_store(both: dict[str, Published]) -> None:
    neo, falkor = _screens(both["neo4j"]), _screens(both["falkordb"])
    assert neo == falkor
    assert len({s["verdict"] for s in neo}) >= 2
