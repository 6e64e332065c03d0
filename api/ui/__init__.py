"""The investigator web UI (pages under /ui), served by the API app and reading only /v1."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from api.settings import Settings

STATIC = Path(__file__).resolve().parent / "static"


def install(app: FastAPI, settings: Settings) -> None:
    """Pages, static assets and the session layer. Call after every other middleware is
    added: the session layer must sit in front of all of them (the screen fast path
    authenticates before routing)."""
    from api.ui.pages import router
    from api.ui.sessions import SessionAuth, SessionStore

    sessions = SessionStore(settings.home)
    app.state.ui_sessions = sessions
    app.include_router(router)
    app.mount("/ui/static", StaticFiles(directory=STATIC), name="ui-static")
    app.add_middleware(SessionAuth, sessions=sessions)
