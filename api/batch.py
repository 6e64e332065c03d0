"""Batch screening, one item at a time: every item gets its own answer line or error line,
carrying the caller's ``ref``; one bad item never fails the others. The HTTP batch route and
``ownergraph screen --batch`` both answer through ``screen_item``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from api.schemas import BatchItem
from api.screen import screen_one
from graph.errors import OwnergraphError

if TYPE_CHECKING:
    from api.auth import Principal
    from api.service import Service


def screen_item(svc: Service, where: str, raw: Any, principal: Principal,
                metrics: Any | None = None) -> dict[str, Any]:
    """The answer line for one item (``where``: how errors name it, ``items.3``)."""
    ref = raw.get("ref") if isinstance(raw, dict) else None
    head = {"ref": ref} if isinstance(ref, str) else {}
    try:
        item = BatchItem.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join([where, *(str(p) for p in first["loc"])])
        return {**head, "error": {"code": "bad_input", "message": f"{field}: {first['msg']}",
                                  "field": field}}
    try:
        return {**head, **screen_one(svc, item, principal, metrics)}
    except OwnergraphError as exc:
        named = exc.details.get("field")
        return {**head, "error": {"code": exc.code, "message": f"{where}: {exc.message}",
                                  "field": f"{where}.{named}" if isinstance(named, str) else where}}


def error_line(where: str, message: str, field: str | None = None) -> dict[str, Any]:
    """An item that could not even be read (a line that is not JSON)."""
    return {"error": {"code": "bad_input", "message": f"{where}: {message}",
                      "field": field or where}}
