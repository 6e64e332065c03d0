"""Ultimate controllers: the top of the majority-control chain, cycles included.

Each entity's majority parent is the owner that certainly (strong statements, lower bounds)
holds more than half of one share measure, or a full-control interest (preferred). Following
parents gives a functional graph; its terminal is either an entity without a majority parent
(the ultimate controller) or a cycle (a group controlling itself: all its members are
returned). Where nobody holds a majority, callers list the significant owners instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse import csgraph

from graph.control.combine import SCALE, UNIT, Prepared

I64 = npt.NDArray[np.int64]


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


def majority_parents(prep: Prepared, threshold_q: int = SCALE) -> I64:
    """Owner with a certain majority (> threshold) or full control in each entity, else -1."""
    n = prep.n
    share_major = ~prep.control & (prep.q_lo > threshold_q)
    candidate = share_major | prep.ctrl_lo
    owner, owned = prep.owner[candidate].astype(np.int64), prep.owned[candidate].astype(np.int64)
    priority = np.where(prep.ctrl_lo[candidate], 2 * UNIT, prep.q_lo[candidate])
    parent = np.full(n, -1, dtype=np.int64)
    if len(owner):
        order = np.lexsort((-owner, priority, owned))  # best last per owned; ties: lowest id
        owned_sorted = owned[order]
        last = np.ones(len(order), dtype=np.bool_)
        last[:-1] = owned_sorted[1:] != owned_sorted[:-1]
        parent[owned_sorted[last]] = owner[order][last]
    return parent


def ultimate_controllers(prep: Prepared) -> Controllers:
    n = prep.n
    parent = majority_parents(prep)
    step = np.where(parent >= 0, parent, np.arange(n))
    has = parent >= 0
    graph = sp.csr_matrix((np.ones(int(has.sum()), dtype=np.int8),
                           (np.flatnonzero(has), parent[has])), shape=(n, n))
    _, labels = csgraph.connected_components(graph, directed=True, connection="strong")
    sizes = np.bincount(labels)
    terminal = step.copy()
    for _ in range(max(1, int(np.ceil(np.log2(max(n, 2)))) + 1)):
        terminal = terminal[terminal]  # pointer doubling: 2**k steps up the chain
    in_cycle = sizes[labels] > 1
    cycle_label = np.where(in_cycle[terminal], labels[terminal], -1).astype(np.int64)
    members: dict[int, list[int]] = {}
    for node in np.flatnonzero(in_cycle):
        members.setdefault(int(labels[node]), []).append(int(node))
    return Controllers(parent, terminal, cycle_label, members)
