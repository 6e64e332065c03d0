"""Which entities a policy restricts by themselves (unknown owners: ``unknowns.py``)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from graph.arrays import GraphArrays, entity_kind_code
from graph.control.policies import Policy
from graph.model import EntityKind

B = npt.NDArray[np.bool_]

# Kinds that by nature have no owners: nothing is "unaccounted" above them.
_OWNERLESS = (EntityKind.PERSON, EntityKind.STATE_BODY, EntityKind.PUBLIC_BODY)


def root_mask(arrays: GraphArrays, policy: Policy) -> B:
    n = arrays.n_entities
    rule = policy.roots
    roots = np.zeros(n, dtype=np.bool_)
    for column in ("jurisdiction", "hq_country", "nationality", "residence"):
        countries = getattr(rule, column)
        if countries:
            # codes are upper-case ISO alpha-2 by the arrays contract (no per-row upper())
            roots |= np.isin(getattr(arrays, column), sorted(countries))
    for flag in rule.flags:
        if flag in arrays.flags:
            roots |= np.asarray(arrays.flags[flag], dtype=np.bool_)
    for kind in rule.kinds:
        roots |= arrays.kind == entity_kind_code(kind)
    if rule.ids:
        roots |= np.isin(arrays.ids, sorted(rule.ids))
    return roots


def can_have_owners(arrays: GraphArrays) -> B:
    codes = [entity_kind_code(k) for k in _OWNERLESS]
    return ~np.isin(arrays.kind, codes)
