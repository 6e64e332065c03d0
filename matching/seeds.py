"""Seed names for the generator, derived from the real sample data and shipped as a list.

``python -m matching.seeds [DATA_ROOT]`` rewrites ``matching/data/seed_names.txt`` from
organisation names found in the GLEIF, BODS, OpenSanctions (FtM), PSC, China and PATSTAT
fixtures (JSON name fields, GLEIF XML legal names, PATSTAT applicant names). The generator
reads the shipped list; it never touches the shared data at generation time.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from matching.datasets import real_data_root
from matching.normalize import normalize

SEED_FILE = Path(__file__).parent / "data" / "seed_names.txt"
TOKEN_FILE = Path(__file__).parent / "data" / "seed_tokens.txt"
HAN_FILE = Path(__file__).parent / "data" / "seed_han.txt"
_HAN_CHAR = re.compile(r"[\u4e00-\u9fff]")
_JSON_KEYS = {"name", "legalname", "legal_name", "fullname", "caption", "othername", "transliteratedname"}
_XML_NAME = re.compile(r"<(?:\w+:)?(?:LegalName|OtherEntityName|TransliteratedOtherEntityName)[^>]*>([^<]{2,200})<")
_PERSON_HINTS = {"person", "naturalperson", "natural_person", "individual"}


def _walk_json(value: object, person: bool = False) -> Iterator[str]:
    if isinstance(value, dict):
        kind = str(value.get("entityType") or value.get("schema") or value.get("statementType") or "")
        person = person or kind.replace(" ", "").lower() in _PERSON_HINTS or "person" in kind.lower()
        for key, item in value.items():
            if isinstance(item, str) and key.replace("_", "").lower() in _JSON_KEYS and not person:
                yield item
            elif isinstance(item, dict | list):
                yield from _walk_json(item, person)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_json(item, person)


def _names_in(path: Path) -> Iterator[str]:
    text = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".xml":
        yield from _XML_NAME.findall(text)
    elif path.suffix in (".json", ".jsonl"):
        chunks = [text] if path.suffix == ".json" else text.splitlines()
        for chunk in chunks:
            try:
                yield from _walk_json(json.loads(chunk))
            except json.JSONDecodeError:
                continue
    elif path.name == "patstat_reference.csv":
        for row in csv.DictReader(text.splitlines()):
            yield row["person_name"].lstrip("* ")


def derive(root: Path) -> list[str]:
    """Distinct organisation names (by normalised core), in a stable order."""
    seen: set[str] = set()
    out: list[str] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "news" not in p.parts):
        for raw in _names_in(path):
            name = " ".join(raw.split())
            forms = normalize(name)
            if forms.empty or forms.weak or forms.initials or len(name) > 120:
                continue
            if not (forms.legal_form or forms.han):
                continue  # without a legal form it may be a person, a fund or a label
            key = forms.han or forms.compact
            if key not in seen:
                seen.add(key)
                out.append(name)
    return out


def derive_tokens(root: Path, names: list[str]) -> list[str]:
    """Distinctive words from the seed names and PATSTAT co-applicant names (real spellings)."""
    tokens: dict[str, None] = {}
    sources = list(names)
    patstat = root / "matching" / "dedupe-patstat" / "patstat_input.csv"
    if patstat.exists():
        with patstat.open(encoding="utf-8", errors="replace", newline="") as handle:
            for row in csv.DictReader(handle):
                sources.extend((row.get("Coauthor") or "").split("**"))
    for text in sources:
        for token in normalize(text).distinctive:
            if token.isalpha() and 4 <= len(token) <= 14:
                tokens.setdefault(token, None)
    return sorted(tokens)


def derive_han(root: Path) -> str:
    """Han characters of organisation names and Chinese news text, most frequent first."""
    counts: dict[str, int] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".json", ".txt", ".jsonl", ".xml")):
        for ch in _HAN_CHAR.findall(path.read_text(encoding="utf-8", errors="replace")):
            counts[ch] = counts.get(ch, 0) + 1
    return "".join(sorted(counts, key=lambda c: (-counts[c], c))[:1500])


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def load() -> list[str]:
    return _lines(SEED_FILE)


def load_tokens() -> list[str]:
    return _lines(TOKEN_FILE)


def load_han() -> str:
    return HAN_FILE.read_text(encoding="utf-8").strip()


def main() -> None:
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else real_data_root()
    names = derive(root)
    SEED_FILE.parent.mkdir(parents=True, exist_ok=True)
    SEED_FILE.write_text("\n".join(names) + "\n", encoding="utf-8")
    tokens = derive_tokens(root, names)
    TOKEN_FILE.write_text("\n".join(tokens) + "\n", encoding="utf-8")
    han = derive_han(root)
    HAN_FILE.write_text(han + "\n", encoding="utf-8")
    print(json.dumps({"seed_names": len(names), "seed_tokens": len(tokens), "han_chars": len(han)}))


if __name__ == "__main__":
    main()
