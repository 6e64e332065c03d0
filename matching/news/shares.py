"""Percentages and bands in news text -> share intervals (fractions)."""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Span

PCT_WORDS = frozenset({"pct", "percent", "%", "per", "pc"})
MAJORITY_WORDS = frozenset({"majority", "controlling"})
MINORITY_WORDS = frozenset({"minority"})
WHOLE_PHRASES = (
    ("wholly", "owned"), ("wholly", "-", "owned"), ("all", "of", "the"), ("whole", "share"),
    ("all", "outstanding"), ("all", "the", "common"), ("all", "the", "outstanding"), ("all", "the", "shares"),
)


@dataclass(frozen=True, slots=True)
class Share:
    """What the text says about the size of the interest."""

    lo: float = 0.0
    hi: float = 1.0
    percent: float | None = None  # the exact number stated, in percent
    band: str = ""  # "majority", "minority", "up to", "more than", "" (unknown) or "exact"

    @property
    def known(self) -> bool:
        return self.percent is not None or bool(self.band)


UNKNOWN = Share()


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if 0.0 < value <= 100.0 else None


def percent_at(span: Span, i: int) -> float | None:
    """The percentage whose number is token ``i`` of ``span`` ("51 pct", "78 percent", "51 %")."""
    if i + 1 >= len(span):
        return None
    unit = span[i + 1].lower_
    if unit not in PCT_WORDS or (unit == "per" and (i + 2 >= len(span) or span[i + 2].lower_ != "cent")):
        return None
    return _number(span[i].text)


def find_share(window: Span) -> Share:
    """First exact percentage in the window, else a band word, else unknown."""
    words = [t.lower_ for t in window]
    for i in range(len(window)):
        value = percent_at(window, i)
        if value is None:
            continue
        before = words[max(0, i - 2) : i]
        if "to" in before and "up" in before:
            return Share(0.0, value / 100, None, "up to")
        if "than" in before or "over" in before:
            return Share(value / 100, 1.0, None, "more than")
        return Share(value / 100, value / 100, value, "exact")
    for n in range(len(words)):
        if any(tuple(words[n : n + len(p)]) == p for p in WHOLE_PHRASES):
            return Share(1.0, 1.0, 100.0, "exact")
        if words[n] in MAJORITY_WORDS or (words[n] == "control" and n > 0 and words[n - 1] in ("take", "took", "taking", "takes")):
            # "more than 50 %": the interval keeps 0.5 as its closed lower end.
            return Share(0.5, 1.0, None, "majority")
        if words[n] in MINORITY_WORDS:
            return Share(0.0, 0.5, None, "minority")
    return UNKNOWN
