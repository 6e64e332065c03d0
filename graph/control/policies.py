"""Control policies as data: the built-in table (graph/policies.toml) plus user TOML files."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from graph.errors import BadInput, UnknownName
from graph.model import EntityKind, InterestKind

BUILTIN_FILE = Path(__file__).resolve().parent.parent / "policies.toml"

Mode = Literal["aggregate", "effective"]
Aggregation = Literal["summed", "per_owner"]
NewsTreatment = Literal["review", "ignore", "count"]
# Which owners the pessimistic evaluation treats as possibly restricted (docs/control.md):
# "explicit" - only owners a source says exist but does not identify; "strict" - also every
# unrecorded share and every reporting exception.
Unknowns = Literal["explicit", "strict"]

_MODES = ("aggregate", "effective")
_AGGREGATIONS = ("summed", "per_owner")
_NEWS = ("review", "ignore", "count")
_UNKNOWNS = ("explicit", "strict")
_COMPARISONS = (">", ">=")
_COUNTRY_KEYS = ("jurisdiction", "hq_country", "nationality", "residence")
_KNOWN_KEYS = {
    "description", "roots", "threshold", "comparison", "mode", "aggregation", "share_kinds",
    "control_kinds", "news_claims", "min_confidence", "suspended_from", "suspended_until",
    "effective_from", "effective_until", "as_of", "unknown_makes_insufficient", "unknowns",
}


@dataclass(frozen=True)
class RootRule:
    """Which entities are restricted by themselves (the roots of a policy)."""

    jurisdiction: frozenset[str] = frozenset()
    hq_country: frozenset[str] = frozenset()
    nationality: frozenset[str] = frozenset()
    residence: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    kinds: frozenset[EntityKind] = frozenset()
    ids: frozenset[str] = frozenset()

    @property
    def empty(self) -> bool:
        return not (self.jurisdiction or self.hq_country or self.nationality or self.residence
                    or self.flags or self.kinds or self.ids)


@dataclass(frozen=True)
class Policy:
    name: str
    description: str = ""
    roots: RootRule = field(default_factory=RootRule)
    threshold: float = 0.5
    comparison: str = ">"
    mode: Mode = "aggregate"
    aggregation: Aggregation = "summed"
    share_kinds: tuple[InterestKind, ...] = (InterestKind.SHAREHOLDING, InterestKind.VOTING_RIGHTS)
    control_kinds: tuple[InterestKind, ...] = (
        InterestKind.CONTRACTUAL_CONTROL, InterestKind.CONSOLIDATION_PARENT,
    )
    news_claims: NewsTreatment = "review"
    min_confidence: float = 0.9
    # Outside [effective_from, effective_until) and inside [suspended_from, suspended_until)
    # the policy restricts nobody (e.g. the affiliates rule's one-year suspension).
    effective_from: str | None = None
    effective_until: str | None = None
    suspended_from: str | None = None
    suspended_until: str | None = None
    as_of: str | None = None
    unknown_makes_insufficient: bool = True
    unknowns: Unknowns = "explicit"
    source: str = "built-in"

    @property
    def inclusive(self) -> bool:
        return self.comparison == ">="

    def in_force(self, as_of: dt.date) -> bool:
        day = as_of.isoformat()
        if self.effective_from and day < self.effective_from:
            return False
        if self.effective_until and day >= self.effective_until:
            return False
        if self.suspended_from and self.suspended_from <= day:
            return bool(self.suspended_until and day >= self.suspended_until)
        return True

    def settings_row(self) -> dict[str, str]:
        """A flat, printable view (for ``ownergraph control policies``)."""
        r = self.roots
        roots = [f"{k}={','.join(sorted(getattr(r, k)))}" for k in (*_COUNTRY_KEYS, "flags", "ids")
                 if getattr(r, k)]
        if r.kinds:
            roots.append("kinds=" + ",".join(sorted(k.value for k in r.kinds)))
        window = ""
        if self.effective_from or self.effective_until:
            window += f"in force {self.effective_from or '…'}..{self.effective_until or '…'} "
        if self.suspended_from:
            window += f"suspended {self.suspended_from}..{self.suspended_until or '…'}"
        return {
            "name": self.name, "roots": "; ".join(roots) or "-",
            "threshold": f"{self.comparison} {self.threshold:g}", "mode": self.mode,
            "aggregation": self.aggregation,
            "shares": ",".join(k.value for k in self.share_kinds) or "-",
            "control": ",".join(k.value for k in self.control_kinds) or "-",
            "news": self.news_claims, "unknowns": self.unknowns,
            "window": window.strip() or "-",
            "description": self.description,
        }


def _str_set(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadInput(f"{where}: expected a list of strings", field=where)
    return frozenset(value)


def _kinds(value: Any, where: str) -> tuple[InterestKind, ...]:
    names = _str_set(value, where) if value != [] else frozenset()
    out = []
    for name in sorted(names):
        try:
            out.append(InterestKind(name))
        except ValueError:
            known = ", ".join(k.value for k in InterestKind)
            raise UnknownName(f"{where}: unknown interest kind {name!r}; known: {known}",
                              field=where) from None
    return tuple(out)


def _date(value: Any, where: str) -> str | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    try:
        return dt.date.fromisoformat(text[:10]).isoformat()
    except ValueError:
        raise BadInput(f"{where}: not an ISO date: {value!r}", field=where) from None


def _roots(table: Any, where: str) -> RootRule:
    if table is None:
        return RootRule()
    if not isinstance(table, Mapping):
        raise BadInput(f"{where}: expected a table", field=where)
    unknown = set(table) - {*_COUNTRY_KEYS, "flags", "kinds", "ids"}
    if unknown:
        raise BadInput(f"{where}: unknown keys {sorted(unknown)}", field=where)
    countries = {k: frozenset(c.upper() for c in _str_set(table.get(k, []), f"{where}.{k}"))
                 for k in _COUNTRY_KEYS}
    kinds = set()
    for name in _str_set(table.get("kinds", []), f"{where}.kinds"):
        try:
            kinds.add(EntityKind(name))
        except ValueError:
            raise UnknownName(f"{where}.kinds: unknown entity kind {name!r}",
                              field=f"{where}.kinds") from None
    return RootRule(**countries, flags=_str_set(table.get("flags", []), f"{where}.flags"),
                    kinds=frozenset(kinds), ids=_str_set(table.get("ids", []), f"{where}.ids"))


def _choice(table: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str,
            where: str) -> str:
    value = table.get(key, default)
    if value not in allowed:
        raise BadInput(f"{where}.{key}: {value!r} is not one of {', '.join(allowed)}",
                       field=f"{where}.{key}")
    return str(value)


def policy_from_table(name: str, table: Mapping[str, Any], source: str) -> Policy:
    """Validate one policy table; every error names the policy and the key."""
    where = f"{source}:[{name}]"
    unknown = set(table) - _KNOWN_KEYS
    if unknown:
        raise BadInput(f"{where}: unknown keys {sorted(unknown)}", field=where)
    threshold = table.get("threshold", 0.5)
    if not isinstance(threshold, int | float) or not 0.0 <= float(threshold) <= 1.0:
        raise BadInput(f"{where}.threshold: must be a fraction in [0, 1], got {threshold!r}",
                       field=f"{where}.threshold")
    default = Policy(name=name)
    min_conf = table.get("min_confidence", default.min_confidence)
    if not isinstance(min_conf, int | float) or not 0.0 <= float(min_conf) <= 1.0:
        raise BadInput(f"{where}.min_confidence: must be in [0, 1]", field=where)
    return Policy(
        name=name, description=str(table.get("description", "")),
        roots=_roots(table.get("roots"), f"{where}.roots"), threshold=float(threshold),
        comparison=_choice(table, "comparison", _COMPARISONS, ">", where),
        mode=_choice(table, "mode", _MODES, "aggregate", where),  # type: ignore[arg-type]
        aggregation=_choice(table, "aggregation", _AGGREGATIONS, "summed", where),  # type: ignore[arg-type]
        share_kinds=_kinds(table["share_kinds"], f"{where}.share_kinds")
        if "share_kinds" in table else default.share_kinds,
        control_kinds=_kinds(table["control_kinds"], f"{where}.control_kinds")
        if "control_kinds" in table else default.control_kinds,
        news_claims=_choice(table, "news_claims", _NEWS, "review", where),  # type: ignore[arg-type]
        min_confidence=float(min_conf),
        **{k: _date(table.get(k), f"{where}.{k}") for k in (
            "effective_from", "effective_until", "suspended_from", "suspended_until", "as_of")},
        unknown_makes_insufficient=bool(table.get("unknown_makes_insufficient", True)),
        unknowns=_choice(table, "unknowns", _UNKNOWNS, "explicit", where),  # type: ignore[arg-type]
        source=source,
    )


def parse_policies(text: str, source: str) -> dict[str, Policy]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{source}: invalid TOML: {exc}", file=source) from None
    out: dict[str, Policy] = {}
    for name, table in doc.items():
        if not isinstance(table, Mapping):
            raise BadInput(f"{source}: top-level key {name!r} must be a [policy] table",
                           file=source)
        out[name] = policy_from_table(name, table, source)
    return out


def load_policy_file(path: Path) -> dict[str, Policy]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read policy file: {exc.strerror}", file=str(path)) from None
    return parse_policies(text, str(path))


def builtin_policies() -> dict[str, Policy]:
    return parse_policies(BUILTIN_FILE.read_text(encoding="utf-8"), "built-in")


def known_policies(policy_file: Path | None = None) -> dict[str, Policy]:
    """Built-ins, then the user's policy file (a user policy of the same name wins)."""
    policies = builtin_policies()
    if policy_file is not None:
        policies.update(load_policy_file(policy_file))
    return policies


def resolve_policy(name_or_file: str, policy_file: Path | None = None,
                   as_of: str | None = None) -> Policy:
    """A policy by name, or the single policy in a TOML file; ``as_of`` overrides the file's."""
    path = Path(name_or_file)
    if name_or_file.endswith(".toml") or path.is_file():
        found = load_policy_file(path)
        if len(found) != 1:
            raise BadInput(f"{path}: expected exactly one [policy] table, found {len(found)}",
                           file=str(path))
        policy = next(iter(found.values()))
    else:
        policies = known_policies(policy_file)
        if name_or_file not in policies:
            raise UnknownName(f"unknown policy {name_or_file!r}; known: "
                              f"{', '.join(sorted(policies))}", policy=name_or_file)
        policy = policies[name_or_file]
    if as_of is not None:
        policy = replace(policy, as_of=_date(as_of, "as_of"))
    return policy


def policy_table(policy: Policy) -> dict[str, Any]:
    """The policy as a table ``policy_from_table`` reads back into an equal policy: what a
    generation records of the policies it was computed under."""
    table: dict[str, Any] = {}
    for f in fields(Policy):
        value = getattr(policy, f.name)
        if f.name in ("name", "source") or value is None:
            continue
        if f.name == "roots":
            value = {k: sorted(v.value if k == "kinds" else v for v in getattr(value, k))
                     for k in (*_COUNTRY_KEYS, "flags", "kinds", "ids") if getattr(value, k)}
        elif f.name in ("share_kinds", "control_kinds"):
            value = [k.value for k in value]
        table[f.name] = value
    return table


def policies_in_force(names: list[str], policy_file: Path | None) -> list[Policy]:
    """The policies a generation is computed under: the configured names, in their order,
    then every other policy the user's policy file defines."""
    known = known_policies(policy_file)
    missing = [p for p in names if p not in known]
    if missing:
        raise UnknownName(f"OWNERGRAPH_POLICIES names unknown policies {missing}; known: "
                          f"{', '.join(sorted(known))}", field="policies")
    extra = [name for name in known if name not in names and known[name].source != "built-in"]
    return [known[p] for p in [*names, *extra]]
