"""A labelled set shaped like the product owner's held-out set, built independently of
``matching/generate.py`` (own brands, descriptors, legal forms and variant rules; nothing
here is read from the resolver's seeds or tables).

About 1,000 company records in about 430 clusters across GB/IE/DE/FR/NL/SG/HK/US/CN, Latin
and Han scripts. Each company has one legal form (spelt many ways); records vary by legal-form
spelling, Intl/International, typos inside words (doubled, transposed or dropped letters,
also inside legal-form words), a space moved across a word boundary, short forms
(Semi/Eng/Telecom/Pharma ...), case, a missing country; Han names appear simplified,
traditional, as word-spaced pinyin ("Hengdian Jituan Konggu Youxian Gongsi"), syllable-split
pinyin and with an English alias. Hard negatives on purpose: siblings (one brand, another
descriptive word), legal-form twins (one name, another legal form in the same country) and
namesakes in another country.

``python bench/heldout_style.py OUT_DIR [--seed N]`` writes records.jsonl, truth.csv and
pairs.csv (``left,right,class,same``: the labelled pairs of each error class).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
from dataclasses import dataclass
from pathlib import Path

import opencc
import pypinyin

BRANDS = (
    "Ashcombe", "Belvoir", "Calder", "Dunmore", "Elstree", "Fenwick", "Glenrock", "Harrow", "Ivel",
    "Kestrel", "Lindqvist", "Marlowe", "Northgate", "Orwell", "Pendle", "Quantock", "Redmere",
    "Sandbach", "Thornbury", "Ullswater", "Vantor", "Wexcombe", "Yarrow", "Zephyr", "Albrecht",
    "Brennholt", "Corvin", "Dreisam", "Eichwald", "Falkenried", "Grunholm", "Hartung", "Isarwerk",
    "Kronberg", "Lahnstein", "Moosburg", "Neckar", "Oberlin", "Rheinfels", "Steinach", "Talheim",
    "Ulmbach", "Vogtland", "Wendel", "Aubrac", "Beaumarais", "Cevennes", "Dordane", "Esterel",
    "Forcalq", "Garonne", "Hauterive", "Isoard", "Jurassiane", "Lavandou", "Morvan", "Noirmont",
    "Orbelle", "Quercy", "Rivolet", "Sauveterre", "Tarentaise", "Valmorel", "Amstelveer",
    "Brederode", "Dokkum", "Eemland", "Friesmark", "Gouwzee", "Haarlemmer", "IJsselstein",
    "Kempenaar", "Lingewaard", "Maasland", "Noordkade", "Oosterhout", "Rijnmond", "Schelde",
    "Tholen", "Veluwe", "Waddenzee", "Zeeland", "Merlion", "Tanjong", "Sentosa", "Kallang",
    "Bukit", "Changi", "Serangoon", "Tampines", "Kowloon", "Tsimshan", "Laichi", "Shatin",
    "Wanchai", "Causeway", "Harbourfront", "Sheungwan", "Ballycastle", "Connemara", "Donegal",
    "Glendalough", "Kilkenny", "Liffey", "Shannonside", "Wicklow", "Appalach", "Bayridge",
    "Cascadia", "Driftwood", "Everglade", "Flatiron", "Granite", "Hudsonia", "Ironwood",
    "Juniper", "Keystone", "Lakeshore", "Mesquite", "Northstar", "Ozarka", "Prairie", "Redwood",
    "Sawtooth", "Timberline", "Wasatch", "Yellowpine", "Brightwater", "Coldharbour", "Silverline",
)
# (full word, short forms) - what a company does; siblings differ here
DESCRIPTORS = (
    ("Chemicals", ()), ("Robotics", ()), ("Aviation", ()), ("Pharmaceuticals", ("Pharma",)),
    ("Packaging", ()), ("Semiconductors", ("Semi",)), ("Engineering", ("Eng", "Engg")),
    ("Telecommunications", ("Telecom", "Telecoms")), ("Logistics", ()), ("Textiles", ()),
    ("Analytics", ()), ("Shipping", ()), ("Insurance", ()), ("Foods", ()), ("Mining", ()),
    ("Biotech", ()), ("Software", ()), ("Media", ()), ("Finance", ()), ("Trading", ()),
    ("Technologies", ("Tech",)), ("Management", ("Mgmt",)), ("Industries", ("Inds",)),
    ("Laboratories", ("Labs",)), ("Manufacturing", ("Mfg",)), ("Services", ("Svcs",)),
)
INTL = ("International", "Intl", "Intl.", "INTERNATIONAL")
# country -> legal forms, each a family of spellings of ONE form (first = registered spelling)
FORMS: dict[str, tuple[tuple[str, ...], ...]] = {
    "GB": (("Ltd", "Limited", "LTD.", "Ltd."), ("PLC", "plc", "Public Limited Company", "P.L.C.")),
    "IE": (("Limited", "Ltd", "Ltd."), ("DAC", "Designated Activity Company"), ("PLC", "Public Limited Company")),
    "DE": (("GmbH", "G.m.b.H.", "Gesellschaft mit beschränkter Haftung", "Gesellschaft mbH"),
           ("AG", "Aktiengesellschaft", "A.G.")),
    "FR": (("SA", "S.A.", "Société Anonyme", "Societe Anonyme"), ("SAS", "S.A.S.", "Société par actions simplifiée"),
           ("SARL", "S.A.R.L.", "Société à responsabilité limitée")),
    "NL": (("B.V.", "BV", "Besloten Vennootschap", "B. V."), ("N.V.", "NV", "Naamloze Vennootschap")),
    "SG": (("Pte Ltd", "Pte. Ltd.", "Private Limited", "PTE LTD"),),
    "HK": (("Limited", "Ltd", "Company Limited", "Co., Limited"),),
    "US": (("Inc", "Inc.", "Incorporated", "INC"), ("LLC", "L.L.C.", "Limited Liability Company", "llc"),
           ("Corp", "Corporation", "Corp.")),
    "CN": (("Co., Ltd.", "Company Limited", "Co. Ltd"),),
}
TWINS = {"FR": (0, 1), "US": (0, 1), "DE": (0, 1), "GB": (0, 1), "NL": (0, 1)}  # forms that coexist
COUNTRY_NAMES = {"GB": "United Kingdom", "IE": "Ireland", "DE": "Germany", "FR": "France", "NL": "Netherlands",
                 "SG": "Singapore", "HK": "Hong Kong", "US": "United States", "CN": "China"}
WEIGHTS = {"GB": 14, "IE": 6, "DE": 12, "FR": 12, "NL": 8, "SG": 7, "HK": 8, "US": 16, "CN": 12}
HAN_BRANDS = ("横店", "华远", "金桥", "东湖", "天成", "瑞丰", "海川", "恒通", "鸿图", "新源", "长江", "宏达",
              "安泰", "中凯", "永信", "明阳", "德润", "嘉禾", "泰和", "融创", "盛世", "博雅", "远航", "光明")
# Han descriptor, its English translation
HAN_DESCRIPTORS = (("集团", "Group"), ("控股", "Holdings"), ("科技", "Technology"), ("投资", "Investment"),
                   ("贸易", "Trading"), ("能源", "Energy"), ("物流", "Logistics"), ("医药", "Pharmaceutical"),
                   ("电子", "Electronics"), ("化工", "Chemical"))
HAN_FORMS = ("有限公司", "股份有限公司")


@dataclass(frozen=True)
class Company:
    key: str
    brand: str
    words: tuple[str, ...]  # descriptor words after the brand (Latin) or Han descriptors
    country: str
    form: int  # index into FORMS[country]
    han: bool = False
    lei: str = ""


class HeldOut:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.s2t = opencc.OpenCC("s2t")
        self.count = 0

    def _lei(self) -> str:
        from stdnum.iso7064 import mod_97_10

        base = "".join(self.rng.choices("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=18))
        return base + mod_97_10.calc_check_digits(base)

    def company(self, brand: str, words: tuple[str, ...], country: str, form: int, han: bool = False) -> Company:
        self.count += 1
        lei = self._lei() if self.rng.random() < 0.3 else ""
        return Company(f"C{self.count:04d}", brand, words, country, form, han, lei)

    def families(self, n_clusters: int) -> list[tuple[str, list[Company]]]:
        """Groups of companies sharing a brand: (class of the hard negative, companies)."""
        rng = self.rng
        # one-word brands, then two-word ones ("Ashcombe Marlowe"), as registers have both
        brands = list(BRANDS) + [f"{a} {b}" for a, b in zip(BRANDS, reversed(BRANDS), strict=True) if a != b]
        rng.shuffle(brands)
        han_brands = list(HAN_BRANDS)
        rng.shuffle(han_brands)
        out: list[tuple[str, list[Company]]] = []
        made = 0
        while made < n_clusters and (brands or han_brands):
            country = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
            if country in ("CN", "HK") and han_brands and rng.random() < 0.6:
                group = self._han_family(han_brands.pop(), country)
                out.append(("han_sibling" if len(group) > 1 else "han", group))
            elif brands:
                kind, group = self._latin_family(brands.pop(), country)
                out.append((kind, group))
            else:
                continue
            made += len(out[-1][1])
        return out

    def _latin_family(self, brand: str, country: str) -> tuple[str, list[Company]]:
        rng = self.rng
        roll = rng.random()
        descs = rng.sample(DESCRIPTORS, 3)
        intl = rng.random() < 0.4
        first = (descs[0][0], "International") if intl else (descs[0][0],)
        if roll < 0.35:  # siblings: one brand, another line of business
            n = rng.choice((2, 2, 3))
            group = [self.company(brand, (d[0], "International") if intl and rng.random() < 0.6 else (d[0],),
                                  country, rng.randrange(len(FORMS[country]))) for d in descs[:n]]
            return "sibling", group
        if roll < 0.55 and country in TWINS:  # the same name in two legal forms of one country
            a, b = TWINS[country]
            return "legal_form", [self.company(brand, first, country, a), self.company(brand, first, country, b)]
        if roll < 0.65:  # a namesake in another country
            other = rng.choice([c for c in FORMS if c not in (country, "CN", "HK")])
            return "namesake", [self.company(brand, first, country, 0), self.company(brand, first, other, 0)]
        return "single", [self.company(brand, first, country, rng.randrange(len(FORMS[country])))]

    def _han_family(self, brand: str, country: str) -> list[Company]:
        rng = self.rng
        picks = rng.sample(range(len(HAN_DESCRIPTORS)), 3)
        first = (HAN_DESCRIPTORS[picks[0]][0], HAN_DESCRIPTORS[picks[1]][0]) if rng.random() < 0.5 else (
            HAN_DESCRIPTORS[picks[0]][0],)
        group = [self.company(brand, first, country, 0, han=True)]
        if rng.random() < 0.35:
            group.append(self.company(brand, (HAN_DESCRIPTORS[picks[2]][0],), country, 0, han=True))
        return group

    # ---- records ----------------------------------------------------------------------------

    def records(self, c: Company, n: int) -> list[tuple[dict[str, object], str]]:
        """n records of one company, each with the variant class that made its name."""
        out = []
        for i in range(n):
            name, cls = (self._han_name(c, i) if c.han else self._latin_name(c, i))
            rec: dict[str, object] = {"id": f"{c.key}-{i}", "name": name}
            roll = self.rng.random()
            if roll < 0.6:
                rec["country"] = c.country
            elif roll < 0.75:
                rec["country"] = COUNTRY_NAMES[c.country]
            else:
                cls = cls + "+no_country"
            if c.lei and self.rng.random() < 0.5:
                rec["identifiers"] = {"lei": c.lei}
            out.append((rec, cls))
        return out

    def _latin_name(self, c: Company, i: int) -> tuple[str, str]:
        rng = self.rng
        words = [c.brand, *c.words]
        spellings = FORMS[c.country][c.form]
        if i == 0:
            return " ".join([*words, spellings[0]]), "base"
        cls = "form_spelling"
        form = rng.choice(spellings)
        roll = rng.random()
        if roll < 0.2 and "International" in words:
            words = [rng.choice(INTL[1:]) if w == "International" else w for w in words]
            cls = "intl"
        elif roll < 0.4:
            shortable = [k for k, w in enumerate(words) if any(w == d and s for d, s in DESCRIPTORS)]
            if shortable:
                k = rng.choice(shortable)
                words[k] = rng.choice(next(s for d, s in DESCRIPTORS if d == words[k]))
                cls = "abbreviation"
        elif roll < 0.65:
            words, form = self._typo(words, form)
            cls = "typo"
        elif roll < 0.75:
            text = self._space_moved(" ".join([*words, form]))
            if text:
                return text, "space_moved"
        name = " ".join([*words, form])
        case = rng.random()
        name = name.upper() if case < 0.2 else name.lower() if case < 0.25 else name
        return name, cls

    def _typo(self, words: list[str], form: str) -> tuple[list[str], str]:
        rng = self.rng
        parts = [*words, *form.split()]
        long = [k for k, w in enumerate(parts) if len(w) >= 6 and w.isalpha()]
        if not long:
            return words, form
        k = rng.choice(long)
        w = parts[k]
        j = rng.randrange(1, len(w) - 2)
        op = rng.random()
        if op < 0.4:
            w = w[:j] + w[j] + w[j:]  # doubled letter: "Internationnal"
        elif op < 0.75:
            w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # transposed
        else:
            w = w[:j] + w[j + 1 :]  # dropped
        parts[k] = w
        return parts[: len(words)], " ".join(parts[len(words) :])

    def _space_moved(self, text: str) -> str:
        """"International SAS" -> "Internationa lSAS": the space moved one letter left."""
        spaces = [k for k, ch in enumerate(text) if ch == " " and k > 3 and text[k - 1].isalpha()]
        if not spaces:
            return ""
        k = self.rng.choice(spaces)
        return text[: k - 1] + " " + text[k - 1] + text[k + 1 :]

    def _han_name(self, c: Company, i: int) -> tuple[str, str]:
        rng = self.rng
        han = c.brand + "".join(c.words)
        form = HAN_FORMS[0]
        if i == 0:
            return han + form, "base"
        roll = rng.random()
        if roll < 0.25:
            return str(self.s2t.convert(han + form)), "traditional"
        syllables = pypinyin.lazy_pinyin(han)
        if roll < 0.5:  # word-spaced pinyin: one word per Han word
            words = [_pinyin_word(c.brand), *(_pinyin_word(w) for w in c.words)]
            tail = rng.choice(("Youxian Gongsi", "Co., Ltd."))
            return " ".join([*words, tail]), "pinyin_words"
        if roll < 0.7:
            return " ".join(s.capitalize() for s in syllables) + " Co., Ltd.", "pinyin_syllables"
        english = [HAN_DESCRIPTORS_EN[w] for w in c.words]
        return " ".join([_pinyin_word(c.brand), *english, rng.choice(("Co., Ltd.", "Limited"))]), "english"


HAN_DESCRIPTORS_EN = dict(HAN_DESCRIPTORS)


def _pinyin_word(han: str) -> str:
    return "".join(pypinyin.lazy_pinyin(han)).capitalize()


def build(seed: int = 20, n_clusters: int = 430) -> tuple[list[dict[str, object]], dict[str, str], list[tuple[str, str, str, int]]]:
    gen = HeldOut(seed)
    records: list[dict[str, object]] = []
    truth: dict[str, str] = {}
    pairs: list[tuple[str, str, str, int]] = []
    for kind, group in gen.families(n_clusters):
        members: list[list[tuple[dict[str, object], str]]] = []
        for company in group:
            size = 1 + min(int(gen.rng.expovariate(1 / 1.6)), 6)
            recs = gen.records(company, size)
            members.append(recs)
            for rec, _ in recs:
                records.append(rec)
                truth[str(rec["id"])] = company.key
            base = recs[0][0]["id"]
            for rec, cls in recs[1:]:
                pairs.append((str(base), str(rec["id"]), cls.split("+")[0], 1))
                if cls.endswith("+no_country"):
                    pairs.append((str(base), str(rec["id"]), "no_country", 1))
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                for ra, _ in members[x]:
                    for rb, _ in members[y]:
                        pairs.append((str(ra["id"]), str(rb["id"]), kind, 0))
    return records, truth, pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=20)
    args = parser.parse_args()
    records, truth, pairs = build(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "records.jsonl").open("w", encoding="utf-8") as handle:
        for rec in records:
            handle.write(json.dumps(rec, ensure_ascii=False) + "\n")
    with (args.out / "truth.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "cluster_id"])
        writer.writerows(sorted(truth.items()))
    with (args.out / "pairs.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["left", "right", "class", "same"])
        writer.writerows(pairs)
    print(json.dumps({"records": len(records), "clusters": len(set(truth.values())), "pairs": len(pairs)}))


if __name__ == "__main__":
    main()
