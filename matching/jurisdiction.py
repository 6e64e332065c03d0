"""Where each record can be: its stated country, or the countries its legal form is used in.

A legal entity is registered in one jurisdiction, so two clusters that each know where they
are, and disagree, are two companies (a same-name company in another country). A record
without a country still says something through its legal form: "GmbH" is German, Swiss or
Austrian, "S.à r.l." Luxembourgish or French. Which countries a written legal form goes
with is learnt from the records being resolved that state both (no hand list): a country
counts when it holds at least ``min_share`` of at least ``min_seen`` such records. A spelling
too rare for that ("Gesellschaft mit beschränkter Haftung" in a small set) is placed by its
canonical form's spellings together (matching.legal_forms: GmbH, G.m.b.H. ...).
"""

from __future__ import annotations

from collections import Counter, defaultdict

from matching.normalize import NameForms
from matching.prepare import Prepared

MIN_SEEN = 20
MIN_SHARE = 0.03


def form_counts(prep: Prepared) -> dict[str, Counter[int]]:
    """Written legal form -> how many name rows of records stating each country carry it."""
    seen: dict[str, Counter[int]] = defaultdict(Counter)
    for row, rec in enumerate(prep.name_rec.tolist()):
        code = int(prep.country[rec])
        if code >= 0:
            for key in place_keys(prep.forms[row]):
                seen[key][code] += 1
    return seen


def place_keys(form: NameForms) -> tuple[str, ...]:
    """What a name's legal form is counted and looked up under, in that order: as written,
    then (``=``) by its canonical code, which pools its spellings ("GmbH", "G.m.b.H.",
    "Gesellschaft mit beschränkter Haftung") when one spelling alone is too rare to place a
    record. None without a legal form."""
    if not form.legal_phrase:
        return ()
    return (form.legal_phrase, "=" + form.legal_code) if form.legal_code else (form.legal_phrase,)


def implied_countries(
    seen: dict[str, Counter[int]], min_seen: int = MIN_SEEN, min_share: float = MIN_SHARE
) -> dict[str, frozenset[int]]:
    """The countries a written legal form goes with, from its counts (:func:`form_counts`)."""
    out: dict[str, frozenset[int]] = {}
    for phrase, counts in seen.items():
        total = sum(counts.values())
        if total >= min_seen:
            out[phrase] = frozenset(c for c, n in counts.items() if n >= min_share * total)
    return out


def form_countries(prep: Prepared) -> dict[str, frozenset[int]]:
    """Written legal form -> the country codes (indices into ``prep.countries``) it is used
    in: learnt from the whole record set when ``prep`` holds a part of it."""
    if prep.corpus is not None:
        return prep.corpus.form_countries
    return implied_countries(form_counts(prep))


def plausible_countries(prep: Prepared) -> list[frozenset[int]]:
    """Per record: {its country}, else the countries all its legal forms share (each as
    written, else by its canonical form), else {} (unknown)."""
    implied = form_countries(prep)
    out: list[frozenset[int]] = [frozenset()] * prep.n_records
    hinted: dict[int, frozenset[int]] = {}
    for row, rec in enumerate(prep.name_rec.tolist()):
        if prep.country[rec] >= 0:
            continue
        places = next((implied[k] for k in place_keys(prep.forms[row]) if implied.get(k)), None)
        if places:
            # aliases with different legal forms: only where all of them fit ({} = unknown)
            hinted[rec] = hinted[rec] & places if rec in hinted else places
    for rec, places in hinted.items():
        out[rec] = places
    for rec, code in enumerate(prep.country.tolist()):
        if code >= 0:
            out[rec] = frozenset({code})
    return out
