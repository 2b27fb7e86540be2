"""The sandbox's aiohttp application: the page, and a small API for its two phones.

The browser never holds the emulator's control token: it names a phone ("citizen" or
"supervisor"), and this server acts for that phone's user through the control API, in that
user's own chat only. Anything else is a 404, and a file is served only if the phone's chat
shows it. POSTs need the `X-Sandbox` header, which a form on another site cannot send, so a
page elsewhere cannot drive the phones of a sandbox running on this machine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiohttp import web

from emulator.client import ChatUser, ControlApiError
from sandbox.views import chat_view, file_ids

HERE = Path(__file__).parent
# The longest a browser's poll is held open; it polls again as soon as one returns.
POLL_SECONDS = 20.0
PRESS_WAIT = 5.0
MAX_PHOTO = 10 * 1024 * 1024
# Where "share location" puts the phone: People's Square, Shanghai.
LOCATION = (31.2304, 121.4737)
LANGUAGES = ("zh_CN", "en")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True)
class Phone:
    """One phone on the page: its route name, the person holding it, and their chat."""

    name: str
    user: ChatUser


@dataclass(frozen=True)
class Sandbox:
    phones: dict[str, Phone]
    sample_photo: bytes
    i18n: I18n


SANDBOX: web.AppKey[Sandbox] = web.AppKey("sandbox", Sandbox)


def sandbox_app(phones: Sequence[Phone], *, sample_photo: bytes, i18n: I18n) -> web.Application:
    """The page at `/` and its API under `/api/{phone}/`."""
    app = web.Application(middlewares=[guard], client_max_size=MAX_PHOTO + 64 * 1024)
    app[SANDBOX] = Sandbox({p.name: p for p in phones}, sample_photo, i18n)
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True)
    app.router.add_get("/", page)
    app.router.add_static("/static", HERE / "static")
    app.router.add_get("/api/{phone}/chat", chat)
    app.router.add_post("/api/{phone}/text", send_text)
    app.router.add_post("/api/{phone}/photo", send_photo)
    app.router.add_post("/api/{phone}/sample", send_sample)
    app.router.add_post("/api/{phone}/press", press)
    app.router.add_post("/api/{phone}/tap", tap)
    app.router.add_get("/api/{phone}/files/{file_id}", download)
    return app


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse cross-site POSTs; turn the emulator's refusals into 400s; set safe headers."""
    if request.method == "POST" and request.headers.get("X-Sandbox") != "1":
        raise web.HTTPForbidden(text="missing X-Sandbox header")
    try:
        response = await handler(request)
    except ControlApiError as error:
        response = web.json_response({"error": error.message}, status=400)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def phone_of(request: web.Request) -> Phone:
    phone = request.app[SANDBOX].phones.get(request.match_info["phone"])
    if phone is None:
        raise web.HTTPNotFound(text="no such phone in this sandbox")
    return phone


async def page(request: web.Request) -> web.Response:
    sandbox = request.app[SANDBOX]
    language = request.query.get("lang", "")
    if language not in LANGUAGES:
        language = sandbox.i18n.default_locale
    with sandbox.i18n.context(), sandbox.i18n.use_locale(language):
        titles = {"citizen": _("Citizen"), "supervisor": _("Supervisor")}
        phones = [(name, titles.get(name, name)) for name in sandbox.phones]
        return aiohttp_jinja2.render_template(
            "sandbox.html", request, {"_": _, "language": language, "phones": phones}
        )


async def view(phone: Phone) -> dict[str, Any]:
    client = phone.user.client
    # The sequence number first: the transcript read after it holds at least that much.
    seq = (await client.chat(phone.user.chat_id)).last_seq
    return chat_view(phone.name, seq, await phone.user.messages())


async def chat(request: web.Request) -> web.Response:
    """The phone's chat; with `after`, held open until the bot acts past that number."""
    phone = phone_of(request)
    try:
        after = int(request.query.get("after", "-1"))
    except ValueError:
        raise web.HTTPBadRequest(text="after must be a number") from None
    client = phone.user.client
    if after >= 0 and (await client.chat(phone.user.chat_id)).last_seq <= after:
        await client.wait_for_bot_message(phone.user.chat_id, after, POLL_SECONDS)
    return web.json_response(await view(phone))


async def body(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="a JSON body is expected") from None
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="a JSON object is expected")
    return data


async def send_text(request: web.Request) -> web.Response:
    phone = phone_of(request)
    text = str((await body(request)).get("text", "")).strip()
    if not text:
        raise web.HTTPBadRequest(text="nothing to send")
    await phone.user.send(text[:4096])
    return web.json_response(await view(phone))


async def send_photo(request: web.Request) -> web.Response:
    """A photo chosen in the browser, sent as Telegram sends one (re-encoded, no EXIF)."""
    phone = phone_of(request)
    form = await request.post()
    upload = form.get("photo")
    if not isinstance(upload, web.FileField):
        raise web.HTTPBadRequest(text="a photo file is expected")
    caption = str(form.get("caption", "")).strip() or None
    await phone.user.send_photo(upload.file.read(), caption)
    return web.json_response(await view(phone))


async def send_sample(request: web.Request) -> web.Response:
    phone = phone_of(request)
    await phone.user.send_photo(request.app[SANDBOX].sample_photo)
    return web.json_response(await view(phone))


async def press(request: web.Request) -> web.Response:
    """Press an inline button of a message in this phone's chat; show the bot's answer."""
    phone = phone_of(request)
    data = await body(request)
    try:
        message_id = int(data["message_id"])
        callback = str(data["data"])
    except (KeyError, TypeError, ValueError):
        raise web.HTTPBadRequest(text="message_id and data are expected") from None
    answer = await phone.user.client.press(
        phone.user.id, phone.user.chat_id, message_id, callback, wait=PRESS_WAIT
    )
    shown = {"text": answer.text, "alert": answer.show_alert} if answer.text else None
    return web.json_response({**await view(phone), "answer": shown})


async def tap(request: web.Request) -> web.Response:
    """Tap a reply-keyboard button: its text, or the contact or location it asks for."""
    phone = phone_of(request)
    text = str((await body(request)).get("text", ""))
    try:
        await phone.user.tap(text, location=LOCATION)
    except AssertionError:
        raise web.HTTPBadRequest(text="no such button on the keyboard") from None
    return web.json_response(await view(phone))


async def download(request: web.Request) -> web.Response:
    """A photo or file of this phone's chat (never one of another chat)."""
    phone = phone_of(request)
    file_id = request.match_info["file_id"]
    messages = await phone.user.messages()
    if file_id not in file_ids(messages):
        raise web.HTTPNotFound(text="no such file in this chat")
    data = await phone.user.client.download(file_id)
    document = next(
        (m.document for m in messages if m.document and m.document.file_id == file_id), None
    )
    if document is None:
        return web.Response(body=data, content_type="image/jpeg")
    response = web.Response(
        body=data, content_type=document.mime_type or "application/octet-stream"
    )
    response.headers["Content-Disposition"] = "attachment"
    return response
