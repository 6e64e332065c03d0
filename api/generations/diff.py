"""What changed between two generations, and which edges made it change (pure)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from api.generations.artifact import Artifact
from graph.arrays import INTEREST_KIND_CODES, GraphArrays, day_to_iso
from graph.control.answers import PolicyAnswers

EXPOSURE_EPS = 1e-9
# Ancestors examined per changed entity, nearest first. Registry chains are short; a dense
# web of cross-holdings would otherwise make every entity walk the whole graph. Entities
# whose walk hit the cap say so ("causes_truncated").
MAX_UPSTREAM = 500
MAX_EDGES = 50  # causing edges listed per entity


@dataclass(frozen=True)
class EdgeChange:
    key: str
    change: str  # added | removed | changed
    owner: str
    owned: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


def _edge_values(a: GraphArrays, i: int) -> dict[str, Any]:
    return {"owner": str(a.ids[a.owner[i]]), "owned": str(a.ids[a.owned[i]]),
            "kind": INTEREST_KIND_CODES[int(a.edge_kind[i])].value,
            "share_lo": float(a.share_lo[i]), "share_hi": float(a.share_hi[i]),
            "start": day_to_iso(int(a.start[i])), "end": day_to_iso(int(a.end[i]))}


def _edges_by_key(a: GraphArrays) -> dict[str, int]:
    return {str(k): i for i, k in enumerate(a.edge_key.tolist())}


def edge_changes(old: GraphArrays, new: GraphArrays) -> list[EdgeChange]:
    """Edges added, removed or with other values, matched by statement key."""
    before, after = _edges_by_key(old), _edges_by_key(new)
    out: list[EdgeChange] = []
    for key, j in after.items():
        i = before.get(key)
        now = _edge_values(new, j)
        if i is None:
            out.append(EdgeChange(key, "added", now["owner"], now["owned"], None, now))
            continue
        was = _edge_values(old, i)
        if was != now:
            out.append(EdgeChange(key, "changed", now["owner"], now["owned"], was, now))
    for key, i in before.items():
        if key not in after:
            was = _edge_values(old, i)
            out.append(EdgeChange(key, "removed", was["owner"], was["owned"], was, None))
    return out


def _owners_index(a: GraphArrays) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    ids = a.ids.tolist()
    for o, d in zip(a.owner.tolist(), a.owned.tolist(), strict=True):
        index.setdefault(ids[d], []).append(ids[o])
    return index


def upstream(entity: str, *indexes: dict[str, list[str]]) -> tuple[list[str], bool]:
    """The entity and what is above it in either generation, nearest first; True when the
    walk stopped at MAX_UPSTREAM."""
    seen = {entity}
    order = [entity]
    queue = deque([entity])
    while queue:
        current = queue.popleft()
        for index in indexes:
            for owner in index.get(current, ()):
                if owner not in seen:
                    if len(seen) >= MAX_UPSTREAM:
                        return order, True
                    seen.add(owner)
                    order.append(owner)
                    queue.append(owner)
    return order, False


def _entity_facts(a: GraphArrays, i: int) -> dict[str, Any]:
    facts: dict[str, Any] = {"jurisdiction": str(a.jurisdiction[i]), "hq_country": str(a.hq_country[i]),
                             "nationality": str(a.nationality[i]), "residence": str(a.residence[i])}
    facts["flags"] = sorted(k for k, col in a.flags.items() if col[i])
    facts["exceptions"] = sorted(k for k, col in a.exceptions.items() if col[i])
    return facts


def changed_facts(old: Artifact, new: Artifact) -> dict[str, dict[str, Any]]:
    """Entities whose own facts (countries, flags, reporting exceptions) differ, or that exist
    in only one generation, compared once for the whole graph."""
    old_of, gone = align(old, new)
    out: dict[str, dict[str, Any]] = {}
    for j, eid in enumerate(new.arrays.ids.tolist()):
        i = old_of.get(str(eid))
        now = _entity_facts(new.arrays, j)
        was = _entity_facts(old.arrays, i) if i is not None else None
        if was != now:
            out[str(eid)] = {"id": str(eid), "before": was, "after": now}
    for eid, i in gone.items():
        out[eid] = {"id": eid, "before": _entity_facts(old.arrays, i), "after": None}
    return out


def answer_at(artifact: Artifact, policy: str, pos: int | None,
              renamed: dict[str, str] | None = None) -> dict[str, Any] | None:
    """Entity ``pos``'s verdict, exposure and controller ids (``renamed``: old ids ->
    the ids resolution gave them since)."""
    a = artifact.answers.get(policy)
    if a is None or pos is None:
        return None
    ids = artifact.arrays.ids
    names = renamed or {}
    return {"verdict": a.verdict_name(pos),
            "exposure": {"lo": float(a.exposure_lo[pos]), "hi": float(a.exposure_hi[pos])},
            "controllers": sorted(names.get(str(ids[c[0]]), str(ids[c[0]]))
                                  for c in a.controllers.of(pos))}


def _controller_column(answers: PolicyAnswers, ids: Any, renamed: dict[str, str]) -> Any:
    """Each entity's controllers as one comparable string (ids renamed as resolution
    renamed them, so a rename alone is not a change of controller)."""
    c = answers.controllers
    names = [renamed.get(str(i), str(i)) for i in ids[c.entity].tolist()]
    column = []
    for y in range(len(c.ptr) - 1):
        column.append(";".join(sorted(names[int(c.ptr[y]): int(c.ptr[y + 1])])))
    return np.array(column, dtype=np.str_)


def _differs(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    if a is None or b is None:
        return ["verdict"] if (a or b) and (a or b or {}).get("verdict") != "ALLOW" else []
    what = []
    if a["verdict"] != b["verdict"]:
        what.append("verdict")
    if any(abs(a["exposure"][k] - b["exposure"][k]) > EXPOSURE_EPS for k in ("lo", "hi")):
        what.append("exposure")
    if a["controllers"] != b["controllers"]:
        what.append("controller")
    return what


def align(old: Artifact, new: Artifact) -> tuple[dict[str, int], dict[str, int]]:
    """new id -> old position (the same id, or an old canonical id now merged into it, so a
    re-resolution that renames an entity is not a removal plus an addition); and the old ids
    with no successor."""
    pos_old = {str(e): i for i, e in enumerate(old.arrays.ids.tolist())}
    old_of: dict[str, int] = {}
    for eid in new.arrays.ids.tolist():
        eid = str(eid)
        if eid in pos_old:
            old_of[eid] = pos_old[eid]
            continue
        view = new.views.get(eid)
        for member in sorted(view.members) if view is not None else ():
            if member in pos_old:
                old_of[eid] = pos_old[member]
                break
    used = set(old_of.values())
    return old_of, {e: i for e, i in pos_old.items() if i not in used}


def entity_changes(old: Artifact, new: Artifact,
                   only: set[str] | None = None) -> dict[str, dict[str, Any]]:
    """entity id -> {policy -> {changed, before, after}} for every policy both generations have."""
    old_of, gone = align(old, new)
    ids = old.arrays.ids
    renamed = {str(ids[i]): new_id for new_id, i in old_of.items() if str(ids[i]) != new_id}
    pos_new = {str(e): j for j, e in enumerate(new.arrays.ids.tolist())
               if only is None or str(e) in only}
    gone = {e: i for e, i in gone.items() if only is None or e in only}
    out: dict[str, dict[str, Any]] = {}
    for policy in sorted(set(old.answers) & set(new.answers)):
        a, b = old.answers[policy], new.answers[policy]
        columns = (_controller_column(a, old.arrays.ids, renamed),
                   _controller_column(b, new.arrays.ids, {}))
        for eid in _differing(a, b, columns, old_of, pos_new):
            _note(out, eid, policy, answer_at(old, policy, old_of.get(eid), renamed),
                  answer_at(new, policy, pos_new[eid]))
        for eid, i in gone.items():
            _note(out, eid, policy, answer_at(old, policy, i, renamed), None)
    return out


def _note(out: dict[str, dict[str, Any]], eid: str, policy: str,
          before: dict[str, Any] | None, after: dict[str, Any] | None) -> None:
    what = _differs(before, after)
    if what:
        out.setdefault(eid, {})[policy] = {"changed": what, "before": before, "after": after}


def _differing(a: PolicyAnswers, b: PolicyAnswers, controllers: tuple[Any, Any],
               old_of: dict[str, int], pos_new: dict[str, int]) -> list[str]:
    """Vectorised pre-filter: entities in both whose columns differ, plus new ones."""
    common = [e for e in pos_new if e in old_of]
    picked: list[str] = []
    if common:
        i = np.array([old_of[e] for e in common])
        j = np.array([pos_new[e] for e in common])
        moved = ((a.verdict[i] != b.verdict[j])
                 | (np.abs(a.exposure_lo[i] - b.exposure_lo[j]) > EXPOSURE_EPS)
                 | (np.abs(a.exposure_hi[i] - b.exposure_hi[j]) > EXPOSURE_EPS)
                 | (controllers[0][i] != controllers[1][j]))
        picked = [common[k] for k in np.flatnonzero(moved).tolist()]
    return picked + [e for e in pos_new if e not in old_of]


def diff(old: Artifact, new: Artifact, only: set[str] | None = None) -> dict[str, Any]:
    """Entities whose verdict, exposure or ultimate controller changed, each with the edges
    (and owner facts) upstream of it that changed between the two generations."""
    changes = entity_changes(old, new, only)
    edges = edge_changes(old.arrays, new.arrays) if changes else []
    facts = changed_facts(old, new) if changes else {}
    by_owned: dict[str, list[EdgeChange]] = {}
    for change in edges:
        by_owned.setdefault(change.owned, []).append(change)
    owners = _owners_index(old.arrays)
    for owned, above_it in _owners_index(new.arrays).items():  # one index over both
        known = owners.setdefault(owned, [])
        known.extend(o for o in above_it if o not in known)
    entities = []
    for eid in sorted(changes):
        above, truncated = upstream(eid, owners)
        causes = [c for a in above for c in by_owned.get(a, ())][:MAX_EDGES]
        pos = new.views.get(eid) or old.views.get(eid)
        entities.append({
            "id": eid, "name": pos.name if pos is not None else eid,
            "policies": changes[eid],
            "edges": [c.__dict__ for c in causes],
            "entity_facts": [facts[a] for a in above if a in facts][:MAX_EDGES],
            "causes_truncated": truncated,
        })
    return {"from": old.id, "to": new.id, "changed": len(entities), "entities": entities,
            "edges_changed": len(edges)}
