"""Publication guards: refuse a generation that looks like broken input, not like news.

Pure functions over the previous and the new generation. Each reason names the limit and
the setting that moves it; ``--force`` publishes anyway (and the publish log says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from api.generations.artifact import Artifact
from api.generations.diff import align


@dataclass(frozen=True)
class GuardLimits:
    max_verdict_change_pct: float
    max_source_shrink_pct: float


def verdict_change_reasons(old: Artifact, new: Artifact, limit: float) -> list[str]:
    old_of, _ = align(old, new)
    common = [(old_of[str(e)], j) for j, e in enumerate(new.arrays.ids.tolist())
              if str(e) in old_of]
    if not common:
        return []
    i = np.array([c[0] for c in common])
    j = np.array([c[1] for c in common])
    reasons = []
    for policy in sorted(set(old.answers) & set(new.answers)):
        moved = int((old.answers[policy].verdict[i] != new.answers[policy].verdict[j]).sum())
        pct = 100.0 * moved / len(common)
        if pct > limit:
            reasons.append(
                f"{moved} of {len(common)} entities ({pct:.1f} %) change verdict under policy "
                f"{policy!r}, more than the limit of {limit:g} % "
                "(OWNERGRAPH_GUARD_MAX_VERDICT_CHANGE_PCT)")
    return reasons


def source_shrink_reasons(old: dict[str, Any], new: dict[str, Any], ran: list[str],
                          limit: float) -> list[str]:
    """Sources read in this run whose record count fell by more than ``limit`` percent."""
    reasons = []
    for name in ran:
        before = int((old.get(name) or {}).get("records") or 0)
        after = int((new.get(name) or {}).get("records") or 0)
        if before <= 0:
            continue
        pct = 100.0 * (before - after) / before
        if pct > limit:
            reasons.append(
                f"source {name!r} shrank {pct:.1f} % ({before} -> {after} records read), more "
                f"than the limit of {limit:g} % (OWNERGRAPH_GUARD_MAX_SOURCE_SHRINK_PCT)")
    return reasons


def check(old: Artifact | None, new: Artifact, limits: GuardLimits) -> list[str]:
    """Why ``new`` must not replace ``old`` ([] when it may)."""
    if old is None:
        return []
    ran = list(new.manifest.get("run", {}).get("sources") or [])
    return (source_shrink_reasons(old.manifest.get("sources") or {}, new.manifest.get("sources") or {},
                                  ran, limits.max_source_shrink_pct)
            + verdict_change_reasons(old, new, limits.max_verdict_change_pct))
