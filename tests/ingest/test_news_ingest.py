"""``ingest --format news`` through the shared run pipeline into the real embedded store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ingest.run import RunOptions, run_ingest
from ingest.runs import load_quarantine

ARTICLES = [
    {"id": "n1", "url": "https://example.org/n1", "published": "2024-05-01",
     "text": "Shell Canada , which is 78 percent owned by Royal Dutch Shell , said it would pay 24 dollars a share."},
    {"id": "n2", "url": "https://example.org/n2", "published": "2024-05-02",
     "text": "Hutchison Whampoa Ltd sold its 23.5 pct stake in Hongkong Electric Holdings Ltd to "
             "Cavendish International Holdings Ltd."},
    {"id": "n3", "text": ""},
]


def _file(tmp_path: Path) -> Path:
    path = tmp_path / "news.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in ARTICLES) + "\n{broken\n")
    return path


def test_news_claims_are_stored_as_news_claim_edges(graph_store: Any, tmp_path: Path) -> None:
    path = _file(tmp_path)
    summary = run_ingest(graph_store, RunOptions("news", [path], tmp_path))
    assert (summary.status, summary.mode, summary.quarantined) == ("ok", "delta", 2)
    assert summary.edges == 3 and summary.entities == 5  # Shell Canada, Royal Dutch Shell, Hutchison, HK Electric, Cavendish
    owners = graph_store.owners("news:hongkong-electric-holdings", hops=1)
    assert {(e["owner"], e["kind"]) for e in owners} == {
        ("news:hutchison-whampoa", "news_claim"), ("news:cavendish-international-holdings", "news_claim")}
    sold = next(e for e in owners if e["owner"] == "news:hutchison-whampoa")
    assert sold["attrs"]["polarity"] == "divest" and sold["attrs"]["article_id"] == "n2"
    assert sold["attrs"]["url"] == "https://example.org/n2" and "23.5 pct stake" in sold["attrs"]["sentence"]
    assert sold["end"] == "2024-05-02" and abs(sold["share_lo"] - 0.235) < 1e-9
    shell = graph_store.get_entity("news:shell-canada")
    assert shell is not None and shell["name"] == "Shell Canada"
    reasons = {q["location"]: q["reason"] for q in load_quarantine(tmp_path, summary.run_id, 10)}
    assert reasons["line 3"] == "field 'text' is empty" and reasons["line 4"].startswith("invalid JSON")

    again = run_ingest(graph_store, RunOptions("news", [path], tmp_path))
    assert again.status == "ok" and graph_store.count("OWNS") == 3 and graph_store.count("Entity") == 5
