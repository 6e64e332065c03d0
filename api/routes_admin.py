"""Operations: ingest runs, keys, health, readiness and metrics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from api.auth import Principal, Role, Scope
from api.deps import needs, service
from api.routes_screen import ERRORS
from api.schemas import IngestRequest, RunInfo
from api.service import Job
from graph.errors import BadInput, Forbidden, NotFound, OwnergraphError

router = APIRouter()


@router.post("/v1/ingest", status_code=202, response_model=RunInfo, responses=ERRORS,
             tags=["operations"],
             summary="Start a run: ingest files, resolve, compute, publish a new generation")
def post_ingest(request: Request, body: IngestRequest,
                principal: Principal = Depends(needs(Scope.INGEST))) -> Any:
    svc = service(request)
    paths = confined(svc.settings.import_dirs, body.paths)
    svc.require_store()

    def work(job: Job) -> dict[str, Any]:
        from api.generations.run import RunRequest, SourceSpec, run_generation

        spec = SourceSpec(body.format, body.format, paths)
        summary: dict[str, Any] = {}
        run_generation(svc.settings, svc.require_store(), RunRequest(
            (spec,), resolve=body.resolve, publish=body.compute, trigger="api"), job.detail)
        if body.compute:
            summary["generation"] = svc.reload().generation
        return summary

    info: dict[str, Any] = svc.start_job("run", work).info()
    return info


def confined(import_dirs: list[Path], raw_paths: list[str]) -> tuple[Path, ...]:
    """The files a caller named, each inside one of the import directories once symbolic
    links and '..' are resolved (a relative path is taken in the first directory); none
    configured refuses them all. Nothing is said of files outside (not even whether they
    exist)."""
    if not import_dirs:
        raise Forbidden("ingest over the API is off: set OWNERGRAPH_IMPORT_DIRS to the folders "
                        "the server may read source files from", field="paths")
    roots = [d.expanduser().resolve() for d in import_dirs]
    paths = []
    for i, raw in enumerate(raw_paths):
        path = (roots[0] / raw).resolve()  # an absolute raw path replaces the root
        if not any(path.is_relative_to(root) for root in roots):
            raise Forbidden(f"paths.{i}: {raw!r} is outside the import directories "
                            "(OWNERGRAPH_IMPORT_DIRS)", field=f"paths.{i}")
        if not path.is_file():
            raise BadInput(f"paths.{i}: {raw!r} is not a file in the import directories",
                           field=f"paths.{i}")
        paths.append(path)
    return tuple(paths)


@router.get("/v1/runs", responses=ERRORS, tags=["operations"],
            summary="Runs started over the API, and every ingestion run of this data directory")
def get_runs(request: Request, _: Principal = Depends(needs(Scope.READ))) -> Any:
    from ingest.runs import list_runs

    svc = service(request)
    jobs = sorted(svc.jobs.values(), key=lambda j: j.started, reverse=True)
    return {"runs": [j.info() for j in jobs], "ingest_runs": list_runs(svc.settings.home)}


@router.get("/v1/runs/{run_id}", responses={**ERRORS, 404: {}}, tags=["operations"],
            summary="One run: an API run (its steps) or an ingestion run (counts, quarantine)")
def get_run(request: Request, run_id: str = PathParam(..., max_length=100, pattern=r"^[\w.-]+$"),
            _: Principal = Depends(needs(Scope.READ))) -> Any:
    from ingest.runs import load_quarantine, load_run

    svc = service(request)
    if run_id in svc.jobs:
        return svc.job(run_id).info()
    try:
        run = load_run(svc.settings.home, run_id)
    except OwnergraphError:
        raise NotFound(f"no run {run_id!r}", field="run_id") from None
    return {**run, "quarantine": load_quarantine(svc.settings.home, run_id, limit=100)}


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    name: str = Field("", max_length=100)


@router.post("/v1/keys", status_code=201, responses=ERRORS, tags=["operations"],
             summary="Create an API key (the token is shown only in this answer)")
def post_key(request: Request, body: KeyRequest,
             _: Principal = Depends(needs(Scope.KEYS))) -> Any:
    token, record = service(request).keys.create(body.role, body.name)
    return {"key": token, "key_id": record.key_id, "role": record.role.value,
            "name": record.name, "created": record.created}


@router.get("/healthz", tags=["operations"], summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", tags=["operations"], responses={503: {"description": "no generation"}},
            summary="Ready only when a generation is loaded")
def readyz(request: Request) -> Any:
    svc = service(request)
    if not svc.snapshots.ready:
        return Response(b'{"status":"not_ready"}', status_code=503, media_type="application/json")
    snap = svc.snapshot
    return {"status": "ready", "generation": snap.generation, "entities": len(snap.entities),
            "data_as_of": snap.data_as_of, "loaded_at": snap.loaded_at,
            "policies": sorted(snap.policies)}


@router.get("/metrics", tags=["operations"], summary="Prometheus metrics",
            response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry),
                    media_type=CONTENT_TYPE_LATEST)
