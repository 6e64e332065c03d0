"""POST /v1/screen without the framework's per-request machinery.

The gateway's call is the hot path (thousands per second, a few milliseconds each), and most
of a FastAPI request's cost is routing and dependency solving, not screening. This ASGI
layer answers exactly that one route with the same pieces the FastAPI route uses (auth,
``ScreenRequest`` validation, ``api.screen.screen_one``, the shared error mapping of ``api.problems``); the
FastAPI route stays registered so the OpenAPI document describes it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from api.auth import Scope, token_from_headers
from api.problems import domain_problem, problem, validation_problem
from api.schemas import ScreenRequest
from graph.errors import BadInput, OwnergraphError

log = logging.getLogger(__name__)

ASGIScope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
PATH = "/v1/screen"


class ScreenFastPath:
    def __init__(self, app: Callable[[ASGIScope, Receive, Send], Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        scope["og_route"] = PATH
        response = await self._answer(scope, receive)
        await response(scope, receive, send)

    async def _answer(self, scope: ASGIScope, receive: Receive) -> Response:
        try:
            return await self._screen(scope, receive)
        except OwnergraphError as exc:
            return domain_problem(exc, PATH)
        except ValidationError as exc:
            return validation_problem(exc.errors())
        except Exception:  # same answer as the app's handler for bugs
            log.exception("unhandled error", extra={"path": PATH})
            return problem(500, "internal_error", "internal error; see the server log")

    async def _screen(self, scope: ASGIScope, receive: Receive) -> Response:
        from api.screen import screen_one
        from api.service import Service

        app = scope["app"]
        svc: Service = app.state.service
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        token = token_from_headers(headers.get("authorization"), headers.get("x-api-key"))
        principal = await svc.keys.check(token)  # first sight of a key: one scrypt, off the loop
        principal.require(Scope.SCREEN)
        req = ScreenRequest.model_validate(_json_object(await _body(receive)))
        metrics = app.state.metrics
        if req.as_of:  # may evaluate a policy at another date: off the event loop
            result = await run_in_threadpool(screen_one, svc, req, principal, metrics)
        else:
            result = screen_one(svc, req, principal, metrics)
        return Response(orjson.dumps(result), media_type="application/json")


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"body: not valid JSON ({exc})", field="body") from exc
    if not isinstance(doc, dict):
        raise BadInput("body: expected a JSON object", field="body")
    return doc
