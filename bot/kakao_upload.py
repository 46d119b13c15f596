"""Documents for a KakaoTalk person: a one-time web upload link at the evidence question.

A KakaoTalk chatbot receives photos (the secure-image plugin) but no documents. At a
step that takes files the skill adds a link, ``/kakao/upload/<token>``, to a plain
upload page on this server: the person opens it in KakaoTalk's browser, picks their PDF
or spreadsheet, and the files go to *their* conversation (``UserKey("kakao", id)``), in
their turn, through the same intake as any file: checked, stored and counted like the
web chat's uploads (read with :func:`bot.webchat.uploads.read_form`, streamed to the
store's spool folder, never held in memory).

The token names the person and an expiry (:data:`LINK_SECONDS`), signed with a key
derived from ``KAKAO_SKILL_SECRET``; it works for one upload only (its nonce is
marked with ``mark_request("kakao_upload", …)`` once files were taken). A wrong,
expired or used token gets the same short page; nothing about the person is shown.
The page has no script, the server's CSP and security headers, and a POST must come
from this server's own page (same origin).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from aiohttp import web

from bot.intake import Handled, IncomingFiles, IntakeService
from bot.webchat.uploads import BadForm, Form, TooBig, read_form, spool_folder
from bot.webpage import (
    add_security_headers,
    content_security_policy,
    is_https,
    same_origin,
    template_options,
)
from flows.conversation import FILE_STATES
from flows.identity import UserKey
from flows.texts import t

log = logging.getLogger(__name__)

UPLOAD_PATH = "/kakao/upload"
USED = "kakao_upload"  # the request-id channel one-time tokens are marked under
LINK_SECONDS = 30 * 60
_CSP = content_security_policy(scripts=False)
TEMPLATES = Path(__file__).resolve().parent / "kakao_templates"


@dataclass(frozen=True)
class Ticket:
    """What a valid token grants: uploading once for this person until ``expires``."""

    user_id: str
    expires: int
    nonce: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class UploadLinks:
    """Makes and checks the one-time tokens, and serves the upload page."""

    def __init__(
        self,
        service: IntakeService,
        secret: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.key = hashlib.sha256(b"kakao-upload-link\x00" + secret.encode()).digest()
        self.clock = clock
        self.env = jinja2.Environment(**template_options(TEMPLATES))

    # -- tokens ------------------------------------------------------------------------------
    def token(self, user: UserKey) -> str:
        expires = int(self.clock()) + LINK_SECONDS
        payload = f"{user.id}.{expires}.{secrets.token_hex(8)}".encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()[:16]

    def read(self, token: str) -> Ticket | None:
        """The token's ticket, or None when it is forged, broken, expired or used."""
        try:
            body, signature = token.split(".")
            payload = _unb64(body)
            if not hmac.compare_digest(_unb64(signature), self._sign(payload)):
                return None
            user_id, expires, nonce = payload.decode().split(".")
            ticket = Ticket(user_id, int(expires), nonce)
            UserKey("kakao", user_id)  # a well-formed key, or ValueError
        except (ValueError, UnicodeDecodeError):
            return None
        if ticket.expires < self.clock() or self.service.storage.seen_request(USED, nonce):
            return None
        return ticket

    def link(self, base_url: str, user: UserKey) -> str:
        return f"{base_url.rstrip('/')}{UPLOAD_PATH}/{self.token(user)}"

    # -- the page ----------------------------------------------------------------------------
    def mount(self, app: web.Application) -> None:
        app.router.add_get(UPLOAD_PATH + "/{token}", self.page)
        app.router.add_post(UPLOAD_PATH + "/{token}", self.upload)

    async def page(self, request: web.Request) -> web.Response:
        """The upload form, or the same refusal for any token that is not good."""
        # Storage is read in a worker thread: a slow disk must not hold the event loop,
        # which answers KakaoTalk within its 5 s.
        ticket = await asyncio.to_thread(self.read, request.match_info["token"])
        if ticket is None:
            return self._refused(request)
        user = UserKey("kakao", ticket.user_id)
        lang = await asyncio.to_thread(self.service.user_lang, user)
        if not await asyncio.to_thread(self.service.takes_files, user):
            return self._page(lang, [t(lang, "kakao.upload.passed")], status=409)
        return self._page(lang, [t(lang, "kakao.upload.intro")], form=True)

    async def upload(self, request: web.Request) -> web.Response:
        """Take the files into the person's conversation, once."""
        if not same_origin(request):
            return self._refused(request, status=403)
        ticket = await asyncio.to_thread(self.read, request.match_info["token"])
        if ticket is None:
            return self._refused(request)
        user = UserKey("kakao", ticket.user_id)
        lang = await asyncio.to_thread(self.service.user_lang, user)
        try:
            form = await read_form(request, spool_folder(self.service.storage))
        except TooBig:
            return self._page(lang, [t(lang, "kakao.upload.too_big")], status=413)
        except BadForm:
            return self._page(lang, [t(lang, "kakao.upload.broken")], status=400)
        try:
            if not form.files:
                return self._page(lang, [t(lang, "kakao.upload.none")], status=400)
            async with self.service.sequencer.turn(user, self.service.sequencer.take(user)):
                taken = await asyncio.to_thread(self._take, user, ticket.nonce, form)
        finally:
            form.discard()
        if taken == "passed":
            return self._page(lang, [t(lang, "kakao.upload.passed")], status=409)
        if taken == "used":
            return self._refused(request)  # used meanwhile (a double submit)
        assert isinstance(taken, Handled)
        texts = [r.text for r in taken.replies] + [t(lang, "kakao.upload.back")]
        return self._page(lang, texts)

    def _take(self, user: UserKey, nonce: str, form: Form) -> Handled | str:
        """The files into the conversation, in the person's turn of the store (one
        transaction on PostgreSQL, across instances): the link checked unused, the
        files taken, the link marked used. The same form posted to two instances at
        once is taken by one; the other finds the link used."""
        storage = self.service.storage
        with self.service.turn(user):
            record = storage.load_conversation(user)
            if record is None or record.state not in FILE_STATES:
                return "passed"
            if storage.seen_request(USED, nonce):
                return "used"
            handled = self.service.handle_input(user, IncomingFiles(tuple(form.files)))
            storage.mark_request(USED, nonce)
        return handled

    def _refused(self, request: web.Request, *, status: int = 404) -> web.Response:
        lang = "ko" if "ko" in request.headers.get("Accept-Language", "ko")[:2] else "en"
        return self._page(lang, [t(lang, "kakao.upload.invalid")], status=status)

    def _page(
        self, lang: str, texts: list[str], *, form: bool = False, status: int = 200
    ) -> web.Response:
        page = self.env.get_template("upload.html").render(
            lang=lang,
            title=t(lang, "kakao.upload.title"),
            texts=texts,
            form=form,
            choose=t(lang, "kakao.upload.choose"),
            send=t(lang, "kakao.upload.send"),
        )
        response = web.Response(text=page, content_type="text/html", status=status)
        add_security_headers(response, _CSP)
        response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the URL
        return response


def base_url_of(request: web.Request) -> str:
    """This server's public base URL as Kakao reached it (behind a TLS proxy too)."""
    host = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip() or request.host
    return f"{'https' if is_https(request) else 'http'}://{host}"
