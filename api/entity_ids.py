"""Entity ids as people type them: in any letter case, or a bare LEI.

``/v1/entities/<id>`` answers for the canonical id, a merged member's id (redirected), and,
through ``alias``, an id written in another letter case or an LEI on its own (both
redirected to the canonical id, so the caller learns it). A case-folded id two entities
share is not guessed at.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from stdnum import lei

if TYPE_CHECKING:
    from api.snapshot import Snapshot

_lock = threading.Lock()
_folded_of: dict[str, dict[str, str | None]] = {}  # generation -> folded id -> canonical


def _folded(snapshot: Snapshot) -> dict[str, str | None]:
    """Case-folded id (canonical or member) -> canonical id; None where two differ."""
    with _lock:
        found = _folded_of.get(snapshot.generation)
        if found is None:
            found = {}
            pairs = [*((e.id, e.id) for e in snapshot.entities), *snapshot.redirects.items()]
            for given, canonical in pairs:
                key = given.casefold()
                found[key] = canonical if found.get(key, canonical) == canonical else None
            _folded_of.clear()  # one generation is served at a time
            _folded_of[snapshot.generation] = found
        return found


def alias(snapshot: Snapshot, given: str) -> str | None:
    """The canonical id ``given`` stands for when it is not an id as written: another
    letter case, or an LEI (bare or after a prefix); None when it stands for none."""
    canonical = _folded(snapshot).get(given.casefold())
    if canonical is not None:
        return canonical
    for candidate in (given, given.rpartition(":")[2]):
        if lei.is_valid(candidate):
            pos = snapshot.by_identifier("lei", candidate)
            if pos is not None:
                return snapshot.entities[pos].id
    return None
