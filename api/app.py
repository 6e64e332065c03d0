"""The FastAPI application: ``create_app(settings)``.

One store per app, opened in the lifespan; the snapshot of the current generation is built
at start-up and replaced atomically by later runs. Errors from ``graph.errors`` become HTTP
answers in one place (``_install_error_handlers``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.problems import domain_problem, problem, validation_problem
from api.service import Service
from api.settings import Settings
from api.snapshot import Snapshot
from graph.errors import NotReady, OwnergraphError
from graph.store import GraphStore

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[..., Awaitable[Any]], Callable[..., Awaitable[Any]]], Awaitable[None]]

DESCRIPTION = """Who ultimately controls this company, and is it controlled from a restricted
jurisdiction? Verdicts (BLOCK / REVIEW / ALLOW / INSUFFICIENT_DATA / NO_MATCH) with the ownership
paths that prove them, served from the current generation. Authenticate with
`Authorization: Bearer <key>` (create keys with `ownergraph keys create --role R`)."""


def create_app(settings: Settings, *, store: GraphStore | None = None,
               snapshot: Snapshot | None = None, open_store: bool = True) -> FastAPI:
    """The app. ``store``/``snapshot`` are injected by tests and benchmarks; otherwise the
    store is opened from settings in the lifespan and the snapshot built from it."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_store = store
        if own_store is None and open_store:
            from graph.stores import open_store as open_graph_store

            own_store = open_graph_store(settings.store_config())
        service = Service(settings, own_store, owns_store=store is None)
        app.state.service = service
        poller = None
        if snapshot is not None:
            service.snapshots.publish(snapshot)
        else:
            _initial_load(service)
            poller = _published_poller(service)
        try:
            yield
        finally:
            if poller is not None:
                poller.stop()
            service.close()

    app = FastAPI(title="ownergraph", version="1.0.0", description=DESCRIPTION,
                  lifespan=lifespan, openapi_url="/openapi.json", docs_url="/docs")
    app.state.metrics = _Metrics()
    app.openapi = lambda: _openapi_with_security(app)  # type: ignore[method-assign]
    _install_error_handlers(app)
    _include_routes(app)
    from api.fastpath import ScreenFastPath

    app.add_middleware(ScreenFastPath)
    app.add_middleware(_BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(_RequestMetrics, metrics=app.state.metrics)
    from api.ui import install as install_ui

    install_ui(app, settings)  # the web UI, last: its session layer goes in front of the rest
    return app


def _openapi_with_security(app: FastAPI) -> dict[str, Any]:
    """The generated document plus the two ways to send an API key."""
    if app.openapi_schema is None:
        from fastapi.openapi.utils import get_openapi

        doc = get_openapi(title=app.title, version=app.version, description=app.description,
                          routes=app.routes)
        doc.setdefault("components", {})["securitySchemes"] = {
            "bearer": {"type": "http", "scheme": "bearer"},
            "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
        open_paths = {"/healthz", "/readyz", "/metrics"}
        for path, item in doc.get("paths", {}).items():
            if path in open_paths:
                continue
            for operation in item.values():
                operation["security"] = [{"bearer": []}, {"apiKey": []}]
        app.openapi_schema = doc
    return app.openapi_schema


def _published_poller(service: Service) -> Any:
    """Swap in generations published by another process (``ownergraph schedule``)."""
    if service.settings.generation_poll_seconds <= 0:
        return None
    from api.generations.serve import Poller

    return Poller(service.settings, service.snapshots,
                  service.settings.generation_poll_seconds).start()


def _initial_load(service: Service) -> None:
    if service.store is None:
        from api.generations.serve import refresh

        try:  # a snapshot-only server (no store) still serves the published generation
            refresh(service.settings, service.snapshots)
        except OwnergraphError as exc:
            log.error("generation could not be loaded", extra={"reason": exc.message})
        return
    try:
        service.reload()
    except NotReady as exc:
        log.warning("no generation to serve yet", extra={"reason": exc.message})
    except OwnergraphError as exc:  # serve /healthz and admin routes; /readyz says not ready
        log.error("generation could not be loaded", extra={"reason": exc.message})


def _include_routes(app: FastAPI) -> None:
    from api import reconcile, routes_admin, routes_entities, routes_generations, routes_screen

    app.include_router(routes_screen.router)
    app.include_router(routes_entities.router)
    app.include_router(routes_admin.router)
    app.include_router(reconcile.router)
    app.include_router(routes_generations.router)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OwnergraphError)
    async def _domain(request: Request, exc: OwnergraphError) -> Response:
        return domain_problem(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return validation_problem(exc.errors())

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return problem(exc.status_code, "http_error", str(exc.detail))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem(500, "internal_error", "internal error; see the server log")


class _BodyLimit:
    """Refuse bodies over the limit before anything parses them (declared or streamed).

    A streamed (chunked) body is read here, up to the limit, and handed on whole: a refusal
    raised from inside the app would reach the framework's body parsing and the screen fast
    path as an unexpected error (a 500 or 400) instead of a 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Callable[..., Awaitable[Any]],
                       send: Callable[..., Awaitable[Any]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, receive, send)
            return
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client went away before its body ended
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        handed = False

        async def whole() -> Any:
            nonlocal handed
            if handed:
                return await receive()  # after the body: the disconnect, when it comes
            handed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, whole, send)

    async def _refuse(self, scope: Scope, receive: Callable[..., Awaitable[Any]],
                      send: Callable[..., Awaitable[Any]]) -> None:
        response = problem(413, "body_too_large",
                           f"request body is larger than {self.max_bytes} bytes "
                           "(OWNERGRAPH_MAX_BODY_BYTES)")
        await response(scope, receive, send)


class _Metrics:
    """Prometheus metrics in a registry owned by this app (no process-global state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("ownergraph_http_requests", "HTTP requests",
                                ["route", "status"], registry=self.registry)
        self.latency = Histogram("ownergraph_http_request_seconds", "request latency",
                                 ["route"], registry=self.registry,
                                 buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                          0.1, 0.25, 1.0, 5.0))
        self.verdicts = Counter("ownergraph_screen_verdicts", "screen answers by verdict",
                                ["policy", "verdict"], registry=self.registry)
        # labelled children cached: prometheus' labels() lookup costs more than the count
        self._children: dict[tuple[str, ...], Any] = {}

    def observe(self, route: str, status: int, seconds: float) -> None:
        self._child("r", route, str(status)).inc()
        self._child("l", route).observe(seconds)

    def verdict(self, policy: str, verdict: str) -> None:
        self._child("v", policy, verdict).inc()

    def _child(self, kind: str, *labels: str) -> Any:
        key = (kind, *labels)
        child = self._children.get(key)
        if child is None:
            metric = {"r": self.requests, "l": self.latency, "v": self.verdicts}[kind]
            child = self._children[key] = metric.labels(*labels)
        return child


class _RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: _Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Callable[..., Awaitable[Any]],
                       send: Callable[..., Awaitable[Any]]) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = [500]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = getattr(scope.get("route"), "path", None) or scope.get("og_route", "unmatched")
            self.metrics.observe(route, status[0], time.perf_counter() - started)
