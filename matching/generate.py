"""Labelled cross-jurisdiction variants for tests and benchmarks.

Entities are built from real spellings: the seed names, words and Han characters shipped
in ``matching/data`` (derived from the sample data by ``python -m matching.seeds``). Each
entity gets a country, a legal form of that country, identifiers with valid checksums and
an address; its records are variants: legal-form spellings, case, abbreviations, typos,
word order, dropped generic words, traditional/simplified Han, pinyin transliteration,
aliases, changed or missing addresses and countries, missing, shared, and (rarely)
mistyped identifiers. Hard negatives are generated on purpose: sibling companies that share
a name stem ("X Holding" / "X Trading"), and same-name companies in another country with
other identifiers. ``python -m matching.generate N OUT_DIR`` writes records.jsonl + truth.csv.
"""

from __future__ import annotations

import json
import random
import string
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import opencc
import pypinyin
from stdnum.cn import uscc as std_uscc
from stdnum.iso7064 import mod_97_10

from graph.model import Identifier
from matching import seeds
from matching.identifiers import clean_identifier
from matching.normalize import normalize
from matching.records import Record, write_records, write_truth

# Legal forms per country, each a family of the spellings of ONE form (first = as registered):
# a company has one legal form, so its records vary the spelling, never the form ("X GmbH"
# and "X AG" are two companies in Germany).
LEGAL_FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "GB": (("Ltd", "Limited", "LTD."), ("PLC", "Public Limited Company")),
    "DE": (("GmbH", "G.m.b.H.", "Gesellschaft mit beschränkter Haftung"), ("AG", "Aktiengesellschaft")),
    "NL": (("B.V.", "BV", "B. V.", "Besloten Vennootschap"), ("N.V.", "NV")),
    "FR": (("S.A.", "SA", "Société Anonyme"), ("SAS",), ("S.A.R.L.", "SARL")),
    "US": (("Inc.", "Incorporated"), ("LLC", "L.L.C."), ("Corporation", "Corp.")),
    "RU": (("ООО", "LLC", "OOO"), ("АО", "JSC")),
    "CH": (("AG",), ("SA",), ("GmbH",)),
    "LU": (("S.A.",), ("S.à r.l.", "SARL")),
    "CN": (("有限公司", "有限责任公司"), ("股份有限公司",)),
    "HK": (("有限公司", "Limited", "Ltd"),),
}
FAMILY = {(country, family[0]): family for country, families in LEGAL_FORMS.items() for family in families}
LATIN_EQUIVALENT = {"有限公司": "Co., Ltd.", "股份有限公司": "Co., Ltd.", "有限责任公司": "Co., Ltd."}
COUNTRY_WEIGHTS = {"GB": 20, "DE": 12, "NL": 8, "FR": 8, "US": 20, "RU": 6, "CH": 4, "LU": 4, "CN": 12, "HK": 6}
COUNTRY_SPELLINGS = {
    "GB": ("GB", "United Kingdom", "UK"), "DE": ("DE", "Germany", "Deutschland"),
    "NL": ("NL", "Netherlands", "Nederland"), "FR": ("FR", "France"), "US": ("US", "USA", "United States"),
    "RU": ("RU", "Russia", "Russian Federation"), "CH": ("CH", "Switzerland"), "LU": ("LU", "Luxembourg"),
    "CN": ("CN", "China", "PRC"), "HK": ("HK", "Hong Kong"),
}
DESCRIPTORS = ("Holding", "Holdings", "Investment", "Trading", "International", "Group", "Technologies",
               "Capital", "Industries", "Services", "Logistics", "Energy")
SAME_DESCRIPTOR = {"Holdings": "Holding"}  # spellings of one line of business
HAN_DESCRIPTORS = ("科技", "投资", "控股", "集团", "实业", "贸易", "能源", "物流")
ABBREVIATIONS = {"International": "Intl", "Technologies": "Tech", "Industries": "Inds", "Holdings": "Hldgs",
                 "Services": "Svcs", "Group": "Grp"}
STREETS = ("High Street", "Main Street", "Station Road", "Hauptstraße", "Rue de la Paix", "Keizersgracht",
           "Nanjing Road", "Tverskaya", "Bahnhofstrasse", "Broadway")


@dataclass(frozen=True)
class GenConfig:
    n_records: int = 10_000
    seed: int = 1
    mean_extra: float = 3.0  # records per entity = 1 + geometric(mean_extra)
    sibling_rate: float = 0.12  # entities that get a sibling with the same stem
    namesake_rate: float = 0.05  # entities with a same-name company in another country
    typo_rate: float = 0.2
    invalid_identifier_rate: float = 0.01


@dataclass(frozen=True)
class _Entity:
    key: str
    words: tuple[str, ...]  # Latin words (empty for Han names)
    han: str  # simplified Han stem ("" for Latin names)
    country: str
    legal: str
    identifiers: tuple[Identifier, ...]
    address: str


class Generator:
    def __init__(self, config: GenConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.tokens = [t.capitalize() for t in seeds.load_tokens()]
        self.rng.shuffle(self.tokens)  # the Zipf head must not be the alphabet's head
        self.seed_stems = sorted({n for n in (_stem(s) for s in seeds.load()) if n})
        self.han_chars = seeds.load_han()
        self.s2t = opencc.OpenCC("s2t")
        self.used: set[str] = set()
        self.counter = 0

    # ---- entities -----------------------------------------------------------------------

    def _token(self) -> str:
        # Zipf-like: a few words are common, most are rare, as in real registers.
        index = int(len(self.tokens) * self.rng.random() ** 2.2)
        return self.tokens[min(index, len(self.tokens) - 1)]

    def _country(self) -> str:
        return self.rng.choices(list(COUNTRY_WEIGHTS), weights=list(COUNTRY_WEIGHTS.values()))[0]

    def _identifiers(self, country: str) -> tuple[Identifier, ...]:
        out = []
        if self.rng.random() < 0.5:
            base = "".join(self.rng.choices(string.digits + string.ascii_uppercase, k=18))
            out.append(Identifier("lei", base + mod_97_10.calc_check_digits(base)))
        if country == "CN" and self.rng.random() < 0.7:
            body = "91" + "".join(self.rng.choices(string.digits, k=6)) + "".join(
                self.rng.choices("0123456789ABCDEFGHJKLMNPQRTUWXY", k=9))
            out.append(Identifier("cn_uscc", body + std_uscc.calc_check_digit(body)))
        if country == "GB" and self.rng.random() < 0.7:
            out.append(Identifier("gb_crn", "".join(self.rng.choices(string.digits, k=8))))
        return tuple(out)

    def _address(self, country: str) -> str:
        return f"{self.rng.randint(1, 400)} {self.rng.choice(STREETS)} {self.rng.randint(1000, 99999)}"

    def entity(self, stem: tuple[tuple[str, ...], str] | None = None, country: str | None = None) -> _Entity:
        country = country or self._country()
        words, han = stem if stem else self._stem(country)
        self.counter += 1
        return _Entity(
            key=f"E{self.counter:08d}", words=words, han=han, country=country,
            legal=self.rng.choice(LEGAL_FORMS[country])[0], identifiers=self._identifiers(country),
            address=self._address(country),
        )

    def _stem(self, country: str) -> tuple[tuple[str, ...], str]:
        for _ in range(20):
            if country in ("CN", "HK") and self.rng.random() < 0.8:
                han = "".join(self.rng.choices(self.han_chars[:800], k=self.rng.randint(2, 4)))
                if self.rng.random() < 0.5:
                    han += self.rng.choice(HAN_DESCRIPTORS)
                words: tuple[str, ...] = ()
                key = han
            else:
                han = ""
                if self.rng.random() < 0.25 and self.seed_stems:
                    words = (*self.rng.choice(self.seed_stems), self._token())
                else:
                    words = (self._token(), self._token())
                if self.rng.random() < 0.5:
                    words = (*words, self.rng.choice(DESCRIPTORS))
                # Unique by token set (word order varies between records of one entity).
                key = " ".join(sorted(w.lower() for w in words if w not in DESCRIPTORS))
            if key not in self.used:
                self.used.add(key)
                return words, han
        return (self._token(), self._token(), self._token()), ""

    # ---- variants -----------------------------------------------------------------------

    def variant(self, e: _Entity, index: int) -> Record:
        rng = self.rng
        names = [self._name(e, first=index == 0)]
        if rng.random() < 0.1:
            names.append(self._name(e, first=False))
        country: str | None = e.country
        if rng.random() < 0.2:
            country = None
        elif rng.random() < 0.3:
            country = rng.choice(COUNTRY_SPELLINGS[e.country])
        return Record(
            id=f"R{e.key[1:]}-{index}", names=tuple(names), country=country,
            identifiers=self._variant_ids(e), address=self._variant_address(e),
        )

    def _name(self, e: _Entity, first: bool) -> str:
        rng = self.rng
        if e.han:
            return self._han_name(e, first)
        words = list(e.words)
        if not first:
            if rng.random() < 0.1 and len(words) > 2 and words[-1] in DESCRIPTORS:
                words.pop()  # dropped generic word
            if rng.random() < 0.1:
                words = [ABBREVIATIONS.get(w, w) for w in words]
            if rng.random() < 0.08 and len(words) >= 2:
                words[0], words[1] = words[1], words[0]
            if rng.random() < self.config.typo_rate:
                words = self._typo(words)
        legal = e.legal if first else rng.choice(FAMILY[(e.country, e.legal)])
        legal = LATIN_EQUIVALENT.get(legal, legal)
        text = " ".join(words)
        if rng.random() < 0.85:
            text = f"{text}{',' if rng.random() < 0.2 else ''} {legal}"
        case = rng.random()
        return text.upper() if case < 0.3 else text.lower() if case < 0.35 else text

    def _han_name(self, e: _Entity, first: bool) -> str:
        rng = self.rng
        legal = e.legal if e.legal in LATIN_EQUIVALENT else "有限公司"
        family = FAMILY.get((e.country, legal), (legal,))
        if first:
            return e.han + legal
        roll = rng.random()
        if roll < 0.35:
            return str(self.s2t.convert(e.han + rng.choice(family)))
        if roll < 0.6:
            pinyin = " ".join(p.capitalize() for p in pypinyin.lazy_pinyin(e.han))
            if rng.random() < 0.5:
                pinyin = pinyin.replace(" ", "", 1)
            return f"{pinyin} {LATIN_EQUIVALENT[legal]}"
        return e.han + rng.choice(family)

    def _typo(self, words: list[str]) -> list[str]:
        rng = self.rng
        long = [i for i, w in enumerate(words) if len(w) >= 5 and w not in DESCRIPTORS]
        if not long:
            return words
        i = rng.choice(long)
        w = words[i]
        k = rng.randrange(1, len(w) - 1)
        op = rng.random()
        if op < 0.4:
            w = w[:k] + w[k + 1 :]
        elif op < 0.7:
            w = w[:k] + w[k + 1] + w[k] + w[k + 2 :]
        else:
            w = w[:k] + rng.choice(string.ascii_lowercase) + w[k + 1 :]
        return [*words[:i], w, *words[i + 1 :]]

    def _variant_ids(self, e: _Entity) -> tuple[Identifier, ...]:
        out = []
        for ident in e.identifiers:
            if self.rng.random() < 0.55:
                continue
            cleaned = clean_identifier(ident.scheme, ident.value)
            if self.rng.random() < self.config.invalid_identifier_rate:
                typo = ident.value[:-1] + ("0" if ident.value[-1] != "0" else "1")  # mistyped check digit
                mistyped = clean_identifier(ident.scheme, typo)
                # Only where a check digit catches it: a GB company number has none, so its
                # "typo" would be another valid number, i.e. another company by any reading.
                if not mistyped.valid:
                    cleaned = mistyped
            out.append(cleaned)  # a mistyped one is flagged
        return tuple(out)

    def _variant_address(self, e: _Entity) -> str:
        roll = self.rng.random()
        if roll < 0.3:
            return ""
        if roll < 0.45:
            return self._address(e.country)  # moved
        if roll < 0.6:
            return e.address.upper().replace("STREET", "ST")
        return e.address

    # ---- the set ------------------------------------------------------------------------

    def generate(self) -> tuple[list[Record], dict[str, str]]:
        records: list[Record] = []
        truth: dict[str, str] = {}
        cfg = self.config
        while len(records) < cfg.n_records:
            group = [self.entity()]
            base = group[0]
            if self.rng.random() < cfg.sibling_rate and base.words and base.words[-1] in DESCRIPTORS:
                # another line of business: "Holding" and "Holdings" are one descriptor
                taken = {SAME_DESCRIPTOR.get(w, w) for w in base.words}
                other = [w for w in DESCRIPTORS if SAME_DESCRIPTOR.get(w, w) not in taken]
                stem = (*base.words[:2], self.rng.choice(other))
                group.append(self.entity((stem, ""), base.country))
            namesakes = False
            if self.rng.random() < cfg.namesake_rate:
                elsewhere = [c for c in COUNTRY_WEIGHTS if c != base.country and (c in ("CN", "HK")) == bool(base.han)]
                group.append(self.entity((base.words, base.han), self.rng.choice(elsewhere)))
                namesakes = True
            for e in group:
                size = 1 + min(int(self.rng.expovariate(1 / cfg.mean_extra)), 30)
                for index in range(size):
                    if len(records) >= cfg.n_records:
                        break
                    record = self.variant(e, index)
                    if namesakes and (e is base or e is group[-1]):
                        record = _distinguishable(e, record)
                    records.append(record)
                    truth[record.id] = e.key
        return records, truth


def _distinguishable(e: _Entity, record: Record) -> Record:
    """A record of a company with a same-name company elsewhere keeps something that tells
    them apart: its country, a valid identifier or its own address. Without any of these
    ("MIKHAIL GLEICH", nothing else) no reader could say which of the two it is, so a label
    either way would be a guess; such a record states its country instead."""
    own = {e.address, e.address.upper().replace("STREET", "ST")}
    if record.country or record.address in own or any(i.valid for i in record.identifiers):
        return record
    return replace(record, country=e.country)


def _stem(name: str) -> tuple[str, ...]:
    forms = normalize(name)
    if forms.han or not forms.distinctive:
        return ()
    return (forms.distinctive[0].capitalize(),)  # the brand word; seeds repeat with typos


def generate(n_records: int, seed: int = 1, **options: Any) -> tuple[list[Record], dict[str, str]]:
    return Generator(GenConfig(n_records=n_records, seed=seed, **options)).generate()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(".")
    out.mkdir(parents=True, exist_ok=True)
    records, truth = generate(n)
    write_records(out / "records.jsonl", records)
    write_truth(out / "truth.csv", truth)
    print(json.dumps({"records": len(records), "entities": len(set(truth.values()))}))


if __name__ == "__main__":
    main()
