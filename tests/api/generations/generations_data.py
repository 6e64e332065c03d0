"""Small CSV registries for the generation tests (written into tmp dirs, never shipped)."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass, field
from pathlib import Path

ENTITY_HEADER = ["id", "name", "kind", "jurisdiction", "hq_country", "nationality", "identifiers"]
EDGE_HEADER = ["owner", "owned", "share", "record_id"]
WORDS = ("amber", "birch", "cobalt", "delta", "ember", "fjord", "garnet", "harbor", "indigo",
         "juniper", "kestrel", "lumen", "meadow", "nimbus", "onyx", "pylon", "quartz", "raven",
         "sierra", "tundra", "umber", "vertex", "willow", "xenon", "yarrow", "zephyr")

# The three companies the scenarios are about: the Singapore target is owned by a Chinese
# holding and a Hong Kong investor; who holds the majority decides the China-policy verdict.
# The investor is wholly owned by a Hong Kong resident, so its ownership is known (an
# investor nobody is known to own could be Chinese-owned: INSUFFICIENT_DATA, not ALLOW).
CORE = [["dragon", "Dragon Peak Holdings Co Ltd", "company", "CN", "CN", "", "cn_uscc:91440300MA5DC6QX9X"],
        ["harbour", "Harbourline Investments Ltd", "company", "HK", "HK", "", ""],
        ["chan", "Chan Tai Man", "person", "", "", "HK", ""],
        ["lion", "Lion City Target Pte Ltd", "company", "SG", "SG", "", "gb_crn:99887766"]]


def filler_name(i: int) -> str:
    return f"{WORDS[i % 26].title()} {WORDS[(i // 26) % 26].title()} {WORDS[(i // 676) % 26].title()} Trading {i} Ltd"


def write_registry(folder: Path, *, fillers: int, edges: int, cn_share: float,
                   seed: int = 7) -> list[Path]:
    """entities.csv + relationships.csv; ``cn_share`` is the Chinese holding's stake in the
    target (percent), the Hong Kong investor holds the rest."""
    folder.mkdir(parents=True, exist_ok=True)
    entities = folder / "entities.csv"
    with entities.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(ENTITY_HEADER)
        w.writerows(CORE)
        for i in range(fillers):
            w.writerow([f"f{i}", filler_name(i), "company", "GB", "GB", "", f"gb_crn:{10000000 + i}"])
    rels = folder / "relationships.csv"
    rng = random.Random(seed)
    with rels.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(EDGE_HEADER)
        w.writerow(["dragon", "lion", f"{cn_share:g}", "stake-dragon-lion"])
        w.writerow(["harbour", "lion", f"{100 - cn_share:g}", "stake-harbour-lion"])
        w.writerow(["chan", "harbour", "100", "stake-chan-harbour"])
        for k in range(edges):
            a, b = rng.randrange(fillers), rng.randrange(fillers)
            if a != b:
                w.writerow([f"f{a}", f"f{b}", "1", f"r{k}"])
    return [entities, rels]


@dataclass
class Receiver:
    url: str
    statuses: list[int]  # answers to give, in order (the last one repeats)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
