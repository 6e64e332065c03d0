"""Strong evidence that two records are two companies, for the clustering's coherence check.

Two records are apart when none of their name pairs is compatible: every pair of names keeps
a different descriptive word on each side, or has different legal forms in a jurisdiction both
records can be in (matching.name_rules). A record with a previous or other name compatible
with the other record is not apart. The answer names the evidence and the two names.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from matching.name_rules import apart
from matching.prepare import Prepared


class RecordsApart:
    def __init__(self, prep: Prepared, places: Sequence[frozenset[int]]) -> None:
        self.prep = prep
        self.places = places
        self.rows: list[list[int]] = [[] for _ in range(prep.n_records)]
        for row, rec in enumerate(prep.name_rec.tolist()):
            self.rows[rec].append(row)
        self.cache: dict[tuple[int, int], str | None] = {}
        self.scopes: dict[frozenset[int], frozenset[str]] = {}
        # records with the same names and places get the same answer: one number per kind
        kinds: dict[Hashable, int] = {}
        # a record with one name: (compact name, legal form), for the common case of equals
        self.plain: list[tuple[str, str] | None] = [
            (prep.forms[rows[0]].han or prep.forms[rows[0]].compact, prep.forms[rows[0]].legal_code)
            if len(rows) == 1 else None for rows in self.rows
        ]
        self.signatures: list[Hashable] = [
            kinds.setdefault((tuple(sorted(prep.forms[r].key for r in rows)), places[rec]), len(kinds))
            for rec, rows in enumerate(self.rows)
        ]

    def __call__(self, x: int, y: int) -> str | None:
        sx, sy = int(self.signatures[x]), int(self.signatures[y])  # type: ignore[call-overload]
        if self.plain[x] is not None and self.plain[x] == self.plain[y]:
            return None  # one name each, written alike, same legal form: nothing apart
        key = (sx, sy) if sx <= sy else (sy, sx)
        if key in self.cache:
            return self.cache[key]
        found = self._apart(x, y)
        self.cache[key] = found
        return found

    def _scope(self, x: int, y: int) -> frozenset[str]:
        px, py = self.places[x], self.places[y]
        both = (px & py) if px and py else (px or py)
        found = self.scopes.get(both)
        if found is None:
            found = self.scopes[both] = frozenset(self.prep.countries[c] for c in both)
        return found

    def _apart(self, x: int, y: int) -> str | None:
        forms, texts = self.prep.forms, self.prep.texts
        scope = self._scope(x, y)
        first: str | None = None
        for i in self.rows[x]:
            for j in self.rows[y]:
                reason = apart(forms[i], forms[j], scope)
                if reason is None:
                    return None
                if first is None:
                    first = f"{reason}: {texts[i]!r} / {texts[j]!r}"
        return first
