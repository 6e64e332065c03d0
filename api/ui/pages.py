"""The web UI's pages under /ui: HTML shells whose scripts read everything from /v1.

Pages carry no data of their own: the browser fetches the public API with the session
cookie (see ``api.ui.sessions``), so what a user sees is exactly what their key may read.
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.ui.sessions import CSRF_COOKIE, MAX_AGE_SECONDS, SESSION_COOKIE, Session, SessionStore
from graph.errors import Unauthorized

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
MAX_LOGIN_BODY = 4096
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
                               "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
NAV = (("/ui/", "Search", "search"), ("/ui/review", "Review queue", "review"),
       ("/ui/generation", "Generation", "generation"))

CURRENT = ' aria-current="page"'

router = APIRouter(prefix="/ui", include_in_schema=False)


def _sessions(request: Request) -> SessionStore:
    store = request.app.state.ui_sessions
    assert isinstance(store, SessionStore)
    return store


def _session(request: Request) -> tuple[str, Session] | None:
    """The signed-in session, while its key is still valid (a revoked key ends it)."""
    sid = request.cookies.get(SESSION_COOKIE)
    session = _sessions(request).get(sid)
    if not sid or session is None:
        return None
    if request.app.state.service.keys.cached(session.token) is None:
        _sessions(request).drop(sid)
        return None
    return sid, session


def _template(name: str) -> Template:
    return Template((TEMPLATES / name).read_text(encoding="utf-8"))


def render(name: str, *, title: str, current: str, request: Request,
           session: tuple[str, Session] | None, status: int = 200,
           values: dict[str, str] | None = None,
           markup: dict[str, str] | None = None) -> HTMLResponse:
    """The layout around one page body; every value is HTML-escaped here, except ``markup``
    (HTML this module built itself)."""
    safe = {k: html.escape(v, quote=True) for k, v in (values or {}).items()}
    body = _template(name).substitute({**safe, **(markup or {})})
    user = role = csrf = ""
    if session is not None:
        sid, s = session
        user, role, csrf = s.principal.name, s.principal.role.value, _sessions(request).csrf(sid)
    nav = "".join(
        f'<li><a href="{href}"{CURRENT if key == current else ""}>{label}</a></li>'
        for href, label, key in NAV) if session else ""
    page = _template("layout.html").substitute(
        title=html.escape(title), body=body, nav=nav, user=html.escape(user),
        role=html.escape(role), csrf=html.escape(csrf), page=html.escape(current),
        account="" if session is None else _template("account.html").substitute(
            user=html.escape(user), role=html.escape(role), csrf=html.escape(csrf)))
    return HTMLResponse(page, status_code=status, headers=SECURITY_HEADERS)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/ui/login?next={quote(target, safe='')}", status_code=303)


def _page(request: Request, name: str, title: str, current: str,
          markup: dict[str, str] | None = None, **values: str) -> Response:
    session = _session(request)
    if session is None:
        return _login_redirect(request)
    return render(name, title=title, current=current, request=request, session=session,
                  markup=markup, values=values)


@router.get("")
def ui_root() -> RedirectResponse:
    return RedirectResponse("/ui/", status_code=307)


@router.get("/")
def search_page(request: Request) -> Response:
    return _page(request, "search.html", "Search", "search",
                 markup={"countries": _country_options()})


@router.get("/entity/{entity_id:path}")
def entity_page(request: Request, entity_id: str) -> Response:
    return _page(request, "entity.html", "Entity", "entity", entity_id=entity_id)


@router.get("/report/{entity_id:path}")
def report_page(request: Request, entity_id: str) -> Response:
    return _page(request, "report.html", "Evidence report", "report", entity_id=entity_id)


@router.get("/review")
def review_page(request: Request) -> Response:
    return _page(request, "review.html", "Review queue", "review")


@router.get("/generation")
def generation_page(request: Request) -> Response:
    return _page(request, "generation.html", "Generation", "generation")


# ------------------------------------------------------------------------------ login


def _safe_next(raw: str | None) -> str:
    """Only our own pages: no scheme, no host, no protocol-relative ``//``."""
    if not raw:
        return "/ui/"
    parsed = urlparse(raw)
    if parsed.scheme or parsed.netloc or not raw.startswith("/ui/") or raw.startswith("//"):
        return "/ui/"
    return raw


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render("login.html", title="Sign in", current="login", request=request, session=None,
                  values={"next": _safe_next(next), "error": "", "error_hidden": "hidden"})


def _same_origin(request: Request) -> bool:
    """Login and logout forms must come from our own pages (a cross-site form post would
    otherwise log the victim into the attacker's key)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    parsed = urlparse(origin)
    return parsed.netloc == request.headers.get("host") and parsed.scheme == request.url.scheme


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > MAX_LOGIN_BODY:
        return {}
    parsed = parse_qs(raw.decode("utf-8", "replace"), max_num_fields=10)
    return {k: v[0] for k, v in parsed.items() if v}


@router.post("/login")
async def login(request: Request) -> Response:
    form = await _form(request)
    next_page = _safe_next(form.get("next"))
    if not _same_origin(request):
        return _login_failed(request, next_page, "This sign-in form did not come from this site.",
                             403)
    key = (form.get("api_key") or "").strip()
    keys = request.app.state.service.keys
    try:
        principal = await keys.check(key or None)
    except Unauthorized:
        return _login_failed(request, next_page, "That API key is not valid.", 401)
    sid = _sessions(request).create(key, principal)
    response = RedirectResponse(next_page, status_code=303)
    secure = request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, sid, max_age=MAX_AGE_SECONDS, path="/", httponly=True,
                        samesite="strict", secure=secure)
    response.set_cookie(CSRF_COOKIE, _sessions(request).csrf(sid), max_age=MAX_AGE_SECONDS,
                        path="/", httponly=False, samesite="strict", secure=secure)
    return response


def _login_failed(request: Request, next_page: str, message: str, status: int) -> HTMLResponse:
    return render("login.html", title="Sign in", current="login", request=request, session=None,
                  status=status, values={"next": next_page, "error": message, "error_hidden": ""})


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await _form(request)
    session = _session(request)
    if session is not None and _same_origin(request) and \
            _sessions(request).csrf_ok(session[0], form.get("csrf")):
        _sessions(request).drop(session[0])
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    response.delete_cookie(CSRF_COOKIE, path="/", samesite="strict")
    return response


def _country_options() -> str:
    """<option>s for the country filter (ISO 3166-1 alpha-2 from pycountry)."""
    import pycountry

    countries: list[Any] = sorted(pycountry.countries, key=lambda c: c.name)
    return "\n".join(f'<option value="{c.alpha_2}">{html.escape(c.name)} ({c.alpha_2})</option>'
                     for c in countries)
