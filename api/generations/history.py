"""Reading kept generations: the list, diffs between two, one entity's answers in one."""

from __future__ import annotations

from typing import Any

from api.generations.artifact import generations_root, list_manifests, read_artifact
from api.generations.diff import answer_at, diff
from api.generations.publish import current_id, publish_log
from api.settings import Settings
from graph.errors import NotFound

LIST_FIELDS = ("id", "created", "entities", "edges", "data_as_of", "policies", "sources",
               "previous", "guards", "forced")


def generations(settings: Settings) -> list[dict[str, Any]]:
    """Newest first, each with whether it is served and when it was (last) published."""
    root = generations_root(settings)
    current = current_id(root)
    published: dict[str, str] = {}
    for entry in publish_log(root):
        if entry.get("published"):
            published[entry["generation"]] = entry["at"]
    out = []
    for manifest in reversed(list_manifests(root)):
        row = {k: manifest.get(k) for k in LIST_FIELDS}
        row["current"] = manifest["id"] == current
        row["published"] = published.get(manifest["id"])
        row["status"] = "current" if row["current"] else ("published" if row["published"] else "refused")
        out.append(row)
    return out


def diff_generations(settings: Settings, a: str, b: str, limit: int | None = None) -> dict[str, Any]:
    """The diff; with ``limit``, only the first entities are listed (``changed`` stays the total)."""
    root = generations_root(settings)
    result = diff(read_artifact(root, a), read_artifact(root, b))
    if limit is not None and len(result["entities"]) > limit:
        result["entities"] = result["entities"][:limit]
        result["truncated"] = True
    return result


def answers_in(settings: Settings, generation: str, entity_id: str) -> dict[str, Any]:
    artifact = read_artifact(generations_root(settings), generation)
    ids = artifact.arrays.ids.tolist()
    target = entity_id if entity_id in artifact.views else next(
        (v.id for v in artifact.views.values() if entity_id in v.members), entity_id)
    try:
        pos = ids.index(target)
    except ValueError:
        raise NotFound(f"no entity {entity_id!r} in generation {generation}", field="entity_id") from None
    return {"generation": generation, "entity": target,
            "name": artifact.views[target].name if target in artifact.views else target,
            "data_as_of": artifact.manifest.get("data_as_of"),
            "policies": {p: answer_at(artifact, p, pos) for p in sorted(artifact.answers)}}
