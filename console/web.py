"""The console's aiohttp application: sign-in by one-time link, sessions, CSRF, language.

Every page runs in one unit of work (`Backend.unit`) and starts by finding the signed-in
staff member again: the session cookie's sha256 must name an unexpired session, and the
member's roles are read anew, so removing a member ends their session at the next request.
Every POST carries the session's CSRF token; the cookie is HttpOnly, SameSite=Strict, and
Secure when CONSOLE_URL is https. Domain refusals become error pages (403, 404, 409, 400),
a refusal of access is also a security event.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
import structlog
from aiohttp import web

from config.logs import user_hash
from console.backend import BACKEND, STAFF, Backend, Staff, backend_of, render, see_other
from tickets.console_login import new_token, token_hash
from tickets.errors import Conflict, DomainError, Forbidden, IllegalTransition, NotFound
from tickets.ports import UpdateWorkspace
from ui.errors_text import error_text
from ui.i18n import SUPPORTED

log = structlog.get_logger(__name__)
COOKIE = "snapreport_console"
TEMPLATES = Path(__file__).parent / "templates"
Page = Callable[[web.Request, UpdateWorkspace, Staff], Awaitable[web.StreamResponse]]


def secure_cookies(backend: Backend) -> bool:
    return (backend.settings.console_url or "").startswith("https://")


@contextmanager
def in_language(backend: Backend, language: str) -> Iterator[None]:
    """The gettext context of a page: the session's language (Chinese by default)."""
    i18n = backend.i18n
    chosen = language if language in SUPPORTED else i18n.default_locale
    with i18n.context(), i18n.use_locale(chosen):
        yield


async def signed_in(request: web.Request, ws: UpdateWorkspace) -> Staff | None:
    """The staff member this browser is signed in as, or None (an ended session is deleted)."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    hashed = token_hash(cookie)
    session = await ws.console.session(token_hash=hashed, now=ws.clock.now())
    if session is None:
        return None
    backend = backend_of(request)
    actor = await ws.people.actor(user_id=session.user_id, admin_ids=backend.settings.admin_ids)
    if not actor.is_staff:  # removed from every department since signing in
        await ws.console.end_session(token_hash=hashed)
        return None
    return Staff(actor=actor, session=session, token_hash=hashed)


def status_of(error: DomainError) -> int:
    if isinstance(error, Forbidden):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict | IllegalTransition):
        return 409
    return 400


def page(
    *, post: bool = False, admin: bool = False
) -> Callable[[Page], Callable[[web.Request], Awaitable[Any]]]:
    """Wrap a page: unit of work, the signed-in member, CSRF on POST, language, refusals.

    `admin`: a settings page, for administrators (`ADMIN_IDS`) only; the use cases check
    it again.
    """

    def wrap(view: Page) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            backend = backend_of(request)
            language = backend.i18n.default_locale
            who: Staff | None = None
            try:
                async with backend.unit() as ws:
                    who = await signed_in(request, ws)
                    if who is None:
                        with in_language(backend, language):
                            return render(request, "signed_out.html", {}, status=401)
                    language = who.session.language
                    if post:
                        form = await request.post()
                        sent = str(form.get("csrf", ""))
                        if not hmac.compare_digest(sent, who.session.csrf):
                            raise Forbidden("csrf")
                    if admin and not who.actor.is_admin:
                        raise Forbidden("not_admin")
                    with in_language(backend, language):
                        request[STAFF] = who
                        return await view(request, ws, who)
            except DomainError as error:
                return await refused(request, error, who, language)

        return handler

    return wrap


async def refused(
    request: web.Request, error: DomainError, who: Staff | None, language: str
) -> web.Response:
    """The unit of work was rolled back: answer the refusal (and log a refused access)."""
    backend = backend_of(request)
    if isinstance(error, Forbidden) and who is not None:
        async with backend.unit() as ws:
            await ws.security.record(
                actor_hash=user_hash(who.actor.user_id),
                kind=f"console_{error.code or 'forbidden'}",
                detail=request.path[:120],
                at=ws.clock.now(),
            )
    log.info("console_refused", code=error.code, path=request.path)
    with in_language(backend, language):
        request[STAFF] = who
        message = error_text(error, backend.settings.tz)
        return render(request, "error.html", {"message": message}, status=status_of(error))


# -- sign in, sign out, language ---------------------------------------------------------------


async def login_form(request: web.Request) -> web.Response:
    """The link's landing page: a button, so that a link preview fetch spends nothing."""
    backend = backend_of(request)
    with in_language(backend, backend.i18n.default_locale):
        return render(request, "login.html", {"token": request.query.get("t", "")})


async def login(request: web.Request) -> web.StreamResponse:
    backend = backend_of(request)
    form = await request.post()
    token = str(form.get("t", ""))
    async with backend.unit() as ws:
        now = ws.clock.now()
        user_id = None
        if token:
            user_id = await ws.console.redeem_login(token_hash=token_hash(token), now=now)
        if user_id is None:
            log.info("console_login_refused")
            with in_language(backend, backend.i18n.default_locale):
                return render(request, "login_refused.html", {}, status=403)
        language = await ws.people.get_language(user_id=user_id) or backend.i18n.default_locale
        cookie = new_token()
        await ws.console.open_session(
            token_hash=token_hash(cookie),
            user_id=user_id,
            csrf=secrets.token_urlsafe(32),
            language=language,
            now=now,
            expires_at=now + timedelta(hours=backend.settings.console_session_hours),
        )
    response = see_other("/console/")
    response.set_cookie(
        COOKIE,
        cookie,
        max_age=backend.settings.console_session_hours * 3600,
        path="/console",
        httponly=True,
        secure=secure_cookies(backend),
        samesite="Strict",
    )
    return response


@page(post=True)
async def logout(request: web.Request, ws: UpdateWorkspace, staff: Staff) -> web.StreamResponse:
    await ws.console.end_session(token_hash=staff.token_hash)
    response = see_other("/console/login")
    response.del_cookie(COOKIE, path="/console")
    return response


@page(post=True)
async def set_language(
    request: web.Request, ws: UpdateWorkspace, staff: Staff
) -> web.StreamResponse:
    form = await request.post()
    language = str(form.get("language", ""))
    if language in SUPPORTED:
        await ws.console.set_language(token_hash=staff.token_hash, language=language)
    back = str(form.get("back", "/console/"))
    return see_other(back if back.startswith("/console/") else "/console/")


# -- the application ---------------------------------------------------------------------------


@web.middleware
async def security_headers(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as exception:
        response = exception
        _set_headers(response)
        raise
    _set_headers(response)
    return response


def _set_headers(response: web.StreamResponse) -> None:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self'; style-src 'self' 'unsafe-inline'; "
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")


def console_app(backend: Backend) -> web.Application:
    """The console, to be mounted at `/console` (see `mount_console`)."""
    from console import (
        casework,
        categories,
        deadlines,
        directory,
        oversight,
        routing,
        templates,
    )

    app = web.Application(middlewares=[security_headers])
    app[BACKEND] = backend
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_post("/language", set_language)
    casework.add_routes(app, page)
    oversight.add_routes(app, page)
    directory.add_routes(app, page)
    routing.add_routes(app, page)
    deadlines.add_routes(app, page)
    categories.add_routes(app, page)
    templates.add_routes(app, page)
    return app


def mount_console(parent: web.Application, backend: Backend) -> None:
    """Serve the console at `/console/` on an existing aiohttp app (before it starts)."""

    async def to_console(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPPermanentRedirect("/console/")

    parent.router.add_get("/console", to_console)
    parent.add_subapp("/console", console_app(backend))
