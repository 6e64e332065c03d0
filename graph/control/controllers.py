"""Ultimate controllers: the top of the majority-control chain, cycles included.

Each entity's majority parent is the owner that certainly (strong statements, lower bounds)
holds more than half of one share measure, or a full-control interest (preferred). Where no
single owner does, owners are grouped by the top of their own chain ("aggregated the same
way"): a group holding more than half makes its largest member the parent, so the chain
leads to the group's top. Following parents gives a functional graph whose terminal is either
an entity without a majority parent (the ultimate controller) or a cycle (a group controlling
itself: all its members are returned). Where nobody holds a majority, callers list the
significant owners instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse import csgraph

from graph.control.combine import MAJORITY_Q, UNIT, Prepared

I64 = npt.NDArray[np.int64]
MAX_GROUP_ROUNDS = 8  # group-majority rounds; each may extend chains by one link


@dataclass
class Controllers:
    parent: I64  # majority parent, -1 if none
    terminal: I64  # end of the chain (itself when no parent)
    cycle_label: I64  # component label of terminal cycles, -1 when the terminal is acyclic
    cycle_members: dict[int, list[int]]

    def of(self, i: int) -> list[int]:
        """Ultimate controller(s) of entity i; [] when nobody holds a majority in it."""
        if self.parent[i] < 0:
            return []
        label = int(self.cycle_label[i])
        if label >= 0:
            return self.cycle_members[label]
        return [int(self.terminal[i])]


def _best_per_owned(owner: I64, owned: I64, priority: tuple[I64, ...], parent: I64) -> None:
    """parent[owned] = the owner with the highest priority, compared key by key (ties:
    lowest index). Filters by per-entity maxima instead of sorting every row."""
    if len(owner) == 0:
        return
    keep = np.arange(len(owner))
    for key in priority:
        best = np.full(len(parent), np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(best, owned[keep], key[keep])
        keep = keep[key[keep] == best[owned[keep]]]
    lowest = np.full(len(parent), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(lowest, owned[keep], owner[keep])
    targets = np.flatnonzero(lowest != np.iinfo(np.int64).max)
    parent[targets] = lowest[targets]


def majority_parents(prep: Prepared, threshold_q: int = MAJORITY_Q) -> I64:
    """Owner with a certain majority (> threshold) or full control in each entity, else -1."""
    share_major = ~prep.control & (prep.q_lo > threshold_q)
    candidate = share_major | prep.ctrl_lo
    parent = np.full(prep.n, -1, dtype=np.int64)
    # full control first, a GLEIF ultimate consolidation parent before a direct one (its
    # chain reaches the top even where the middle of the group has no records)
    priority = np.where(prep.ctrl_lo[candidate], 2 * UNIT + prep.ultimate[candidate],
                        prep.q_lo[candidate])
    _best_per_owned(prep.owner[candidate].astype(np.int64),
                    prep.owned[candidate].astype(np.int64), (priority,), parent)
    return parent


def _resolve(parent: I64) -> tuple[I64, I64, dict[int, list[int]]]:
    """(terminal, cycle_label, cycle members) of the functional graph entity -> parent."""
    n = len(parent)
    has = parent >= 0
    terminal = np.where(has, parent, np.arange(n))
    moving = np.flatnonzero(has)  # only entities whose chain has not ended yet
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))) + 1)):
        # pointer doubling: 2**k steps up the chain, stopping once every chain has ended
        nxt = terminal[terminal[moving]]
        changed = nxt != terminal[moving]
        terminal[moving] = nxt
        moving = moving[changed]
        if len(moving) == 0:
            break
    cycle_label = np.full(n, -1, dtype=np.int64)
    members: dict[int, list[int]] = {}
    looping = np.flatnonzero(has & has[terminal])  # chains that never end: into a cycle
    if len(looping) == 0:
        return terminal, cycle_label, members
    # strongly connected components of the (small) looping part only
    local = np.full(n, -1, dtype=np.int64)
    local[looping] = np.arange(len(looping))
    k = len(looping)
    graph = sp.csr_matrix((np.ones(k, dtype=np.int8), (np.arange(k), local[parent[looping]])),
                          shape=(k, k))
    _, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    labels64 = labels.astype(np.int64)
    on_cycle = np.bincount(labels64)[labels64] > 1
    cycle_label[looping] = labels64[local[terminal[looping]]]
    for i in np.flatnonzero(on_cycle):
        members.setdefault(int(labels64[i]), []).append(int(looping[i]))
    return terminal, cycle_label, members


def _group_round(prep: Prepared, parent: I64, terminal: I64, cycle_label: I64,
                 threshold_q: int) -> int:
    """Give a parent to entities whose owners, grouped by their top, hold a majority."""
    n = prep.n
    rows = ~prep.control & (prep.q_lo > 0)
    stakes = np.bincount(prep.owned[rows], minlength=n)
    # a group majority needs two stakes at least (one alone was tried as a direct majority)
    rows &= (parent[prep.owned] < 0) & (stakes[prep.owned] >= 2)
    owner = prep.owner[rows].astype(np.int64)
    owned = prep.owned[rows].astype(np.int64)
    if len(owner) == 0:
        return 0
    q, cls = prep.q_lo[rows], prep.cls[rows].astype(np.int64)
    group = np.where(cycle_label[owner] >= 0, n + cycle_label[owner], terminal[owner])
    inverse = _group_ids(owned, cls, group, prep.n_measures + 1, 2 * n + 1)
    sums = np.rint(np.bincount(inverse, weights=q)).astype(np.int64)
    winning = sums[inverse] > threshold_q
    if not winning.any():
        return 0
    # the largest stake of the winning group becomes the parent (its chain leads to the top)
    before = int((parent >= 0).sum())
    _best_per_owned(owner[winning], owned[winning], (sums[inverse][winning], q[winning]),
                    parent)
    return int((parent >= 0).sum()) - before


def _group_ids(owned: I64, cls: I64, group: I64, n_cls: int, n_group: int) -> I64:
    """Dense id of each row's (owned, class, group)."""
    if len(owned) == 0:
        return owned
    if (int(owned.max()) + 1) * n_cls * n_group < 2**62:
        order = np.argsort((owned * n_cls + cls) * n_group + group)
    else:  # too large for one int64 key
        order = np.lexsort((group, cls, owned))
    new = np.zeros(len(order), dtype=np.bool_)
    new[0] = True
    for column in (owned, cls, group):
        sorted_col = column[order]
        new[1:] |= sorted_col[1:] != sorted_col[:-1]
    ids = np.empty(len(order), dtype=np.int64)
    ids[order] = np.cumsum(new) - 1
    return ids


def ultimate_controllers(prep: Prepared, threshold_q: int = MAJORITY_Q) -> Controllers:
    parent = majority_parents(prep, threshold_q)
    terminal, cycle_label, members = _resolve(parent)
    for _ in range(MAX_GROUP_ROUNDS):
        if _group_round(prep, parent, terminal, cycle_label, threshold_q) == 0:
            break
        terminal, cycle_label, members = _resolve(parent)
    return Controllers(parent, terminal, cycle_label, members)
