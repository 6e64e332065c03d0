"""An evaluation as stored columns and back, so a generation keeps what its answers were
computed from: explanations (``explain.py``) are then read off the stored evaluation when
someone asks, never by evaluating the policy again.

``evaluation_columns`` flattens a ``ControlResult`` into numpy columns (named by their path,
``lo.restricted``, ``prepared.q_hi``, ...) and plain values; ``evaluation_from`` rebuilds it.
Input issues are not kept (they were logged when the generation was built).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np

from graph.control.combine import Prepared
from graph.control.engine import Bound, ControlResult, Unknowns
from graph.control.policies import Policy

_NESTED: dict[str, type[Any]] = {"lo": Bound, "hi": Bound, "prepared": Prepared,
                                 "unknowns": Unknowns}
_SKIPPED = ("policy", "issues")


def evaluation_columns(result: ControlResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """(arrays by dotted name, plain values by dotted name) of one evaluation."""
    arrays: dict[str, Any] = {}
    values: dict[str, Any] = {}

    def walk(obj: Any, prefix: str) -> None:
        for f in dataclasses.fields(obj):
            if f.name in _SKIPPED:
                continue
            value = getattr(obj, f.name)
            name = prefix + f.name
            if isinstance(value, np.ndarray):
                arrays[name] = value
            elif dataclasses.is_dataclass(value):
                walk(value, name + ".")
            elif isinstance(value, dt.date):
                values[name] = value.isoformat()
            else:
                values[name] = value

    walk(result, "")
    return arrays, values


def evaluation_from(policy: Policy, arrays: dict[str, Any], values: dict[str, Any]
                    ) -> ControlResult:
    """The evaluation ``evaluation_columns`` flattened, under its policy."""
    def fields_of(cls: type[Any], prefix: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = prefix + f.name
            if f.name in _SKIPPED:
                continue
            if name in arrays:
                kwargs[f.name] = arrays[name]
            elif name in values:
                kwargs[f.name] = values[name]
            elif f.name in _NESTED:
                kwargs[f.name] = _NESTED[f.name](**fields_of(_NESTED[f.name], name + "."))
        return kwargs

    kwargs = fields_of(ControlResult, "")
    kwargs["as_of"] = dt.date.fromisoformat(str(kwargs["as_of"]))
    return ControlResult(policy=policy, **kwargs)
