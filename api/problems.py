"""Error answers (RFC 7807-style bodies): the one place domain errors become status codes.

Each error class of ``graph.errors`` carries its HTTP status; the app's handlers, the screen
fast path and the UI's session layer all answer through these functions.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import orjson
from starlette.responses import Response

from graph.errors import OwnergraphError

log = logging.getLogger("api.app")


def problem(status: int, code: str, message: str, field: str | None = None,
            **details: Any) -> Response:
    body = {"code": code, "message": message, "field": field, "details": details}
    return Response(orjson.dumps(body, default=str), status_code=status,
                    media_type="application/json")


def domain_problem(exc: OwnergraphError, path: str = "") -> Response:
    """The one place where domain errors become status codes (each error class carries its
    status; see graph/errors.py)."""
    field = exc.details.get("field")
    details = {k: v for k, v in exc.details.items() if k != "field"}
    if exc.status >= 500:
        log.warning("request failed", extra={"path": path, "code": exc.code})
    response = problem(exc.status, exc.code, exc.message,
                       str(field) if field is not None else None, **details)
    if exc.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    return response


def validation_problem(errors: Sequence[Any]) -> Response:
    """Invalid requests: 422 naming the first offending field, all errors in details."""
    first = errors[0] if errors else {"loc": (), "msg": "invalid request"}
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "header")]
    field = ".".join(loc) or None
    message = f"{field}: {first.get('msg')}" if field else str(first.get("msg"))
    return problem(422, "bad_input", message, field,
                   errors=[{"field": ".".join(str(p) for p in e.get("loc", ())),
                            "message": e.get("msg")} for e in errors[:20]])
