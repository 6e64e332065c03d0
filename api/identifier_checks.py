"""A screening request's identifiers, checked before they are looked up.

An identifier the served generation holds is always accepted (registries publish some
numbers that fail their own checksum). Otherwise the scheme must be one ownergraph knows (a
scheme of the served data, or one python-stdnum validates) and the value must pass that
scheme's validation: a typo in an LEI answers 422 naming it and why, not NO_MATCH.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from graph.errors import BadInput
from matching.identifiers import clean_identifier, scheme_name, stdnum_module

if TYPE_CHECKING:
    from api.snapshot import Snapshot

GB_CRN_FORMAT = "two digits or letters, then six digits"
_schemes_lock = threading.Lock()
_schemes_of: dict[str, frozenset[str]] = {}  # generation -> schemes its identifiers use


def served_schemes(snapshot: Snapshot) -> frozenset[str]:
    with _schemes_lock:
        found = _schemes_of.get(snapshot.generation)
        if found is None:
            found = frozenset(scheme for scheme, _ in snapshot.identifiers)
            _schemes_of.clear()  # one generation is served at a time
            _schemes_of[snapshot.generation] = found
        return found


def check_identifiers(snapshot: Snapshot, identifiers: dict[str, str] | None) -> None:
    """BadInput (422) naming the first identifier whose scheme is unknown or whose value
    is not valid for its scheme."""
    for scheme, value in (identifiers or {}).items():
        if not value.strip() or snapshot.by_identifier(scheme, value) is not None:
            continue
        name = scheme_name(scheme)
        field = f"identifiers.{scheme}"
        module = stdnum_module(name)
        if module is None and name != "gb_crn" and name not in served_schemes(snapshot):
            known = ", ".join(sorted(served_schemes(snapshot) | {"lei", "gb_crn", "cn_uscc"}))
            raise BadInput(f"{field}: unknown identifier scheme {scheme!r} (known: {known}, and "
                           "the national numbers python-stdnum validates, as <country>_<name>)",
                           field=field, scheme=scheme)
        problem = _problem(name, value, module)
        if problem:
            raise BadInput(f"{field}: {value!r} is not a valid {name} ({problem})", field=field,
                           scheme=scheme)


def _problem(name: str, value: str, module: object | None) -> str | None:
    if module is not None:
        try:
            module.validate(value)  # type: ignore[attr-defined]
        except Exception as exc:  # stdnum's ValidationError subclasses say why
            return str(exc).rstrip(".") or type(exc).__name__
        return None
    if name == "gb_crn" and not clean_identifier(name, value).valid:
        return f"expected {GB_CRN_FORMAT}"
    return None
