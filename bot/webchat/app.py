"""The web chat's routes on the one server: the page, its answers, the language and /status.

Every answer is a form post. Without the page's script the server answers it with a
303 back to ``/`` (post, redirect, get), which re-renders the whole transcript, so a
reload never sends an answer twice. The script (``static/chat.js``) posts the same
forms with ``X-Chat-Script: 1`` and gets a small JSON answer instead: the new bubbles
and the controls of the next question as HTML, rendered by the same templates.

Each visitor's requests run one at a time, in arrival order
(:class:`~bot.sequencer.UserSequencer`); the intake runs in a worker thread, as for
Telegram, in the visitor's turn of the store (:meth:`bot.intake.IntakeService.turn`:
on PostgreSQL one transaction with the person's lock, shared by every instance, and
the form's request number claimed, so an answer sent to two instances is applied once). Every post must carry the visitor's CSRF token (signed for that visitor
alone) and come from this origin; every request counts against the visitor's and the
address's rate (the address behind ``TRUSTED_PROXIES`` as for the staff web).
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from bot.intake import MESSAGE_QUESTION, UNREAD, IncomingFile, IntakeService
from bot.notices import Notices
from bot.ratelimit import Backoff, Budget, Rates, address_key, client_address, retry_after
from bot.sequencer import UserSequencer
from bot.settings import Settings
from bot.webchat.identity import CHANNEL, Signer, load_secret
from bot.webchat.transcript import Bubble, Transcript, TranscriptStore
from bot.webchat.uploads import BadForm, Form, TooBig, read_form, spool_folder
from bot.webpage import (
    StaticFile,
    add_security_headers,
    content_security_policy,
    is_https,
    same_origin,
    template_options,
)
from flows.commands import read_line
from flows.conversation import FILE_STATES
from flows.evidence import ALLOWED_TYPES
from flows.identity import UserKey
from flows.messages import ChoiceInput, CommandInput, Input, Reply, parse_callback
from flows.record import ConversationRecord
from flows.texts import CATALOG, pick_lang, t
from storage import CaseFilter, CorruptFile, StorageError
from storage.case_numbers import normalize_case_number

log = logging.getLogger(__name__)

COOKIE = "chat"
COOKIE_DAYS = 90
STATIC = "/static/web"
SCRIPT_HEADER = "X-Chat-Script"
TEXT_MAX = 4000  # characters of one typed answer (Telegram's message limit is 4096)
CSP = content_security_policy(scripts=True)
FOLDER = Path(__file__).parent
# What the file inputs offer: the types the flow accepts, by MIME type and extension.
ACCEPT = ",".join(
    sorted({*ALLOWED_TYPES, *(s for suffixes in ALLOWED_TYPES.values() for s in suffixes)})
)

# Stand-ins for the visitor's values in a cached rendering of the controls (autoescape
# leaves them as they are; no text of ours holds a NUL). A CSRF token is URL-safe base64.
CSRF_MARK = "\x00csrf\x00"
NUMBER_MARK = "\x00n\x00"
CONTROLS_KEPT = 512  # shapes kept (languages x questions x files or not); then started again
# The same stand-ins inside a JSON string (a token and a number need no JSON escaping).
CSRF_JSON = json.dumps(CSRF_MARK)[1:-1]
NUMBER_JSON = json.dumps(NUMBER_MARK)[1:-1]
TEXT_MARK = "\x00text\x00"  # a bubble's text in its kept rendering (see WebChat.bubbles_html)
# The page's: its bubbles and controls (see WebChat.render_page).
BUBBLES_MARK = "\x00bubbles\x00"
CONTROLS_MARK = "\x00controls\x00"
PAGES_KEPT = 64  # page shapes kept (languages x unread counts); then started again

# The largest request number a form may carry (the store keeps it as a 32-bit integer).
MAX_REQUEST_NUMBER = 2**31 - 1

# A visitor: 40 requests in a row, then one every 1.5 s; a lookup code: three free wrong
# tries per address, then doubling waits, and 200 wrong tries an hour from everyone.
VISITOR_PER_MINUTE = 40
VISITOR_BURST = 40


class Shape:
    """A template's output rendered once with stand-ins for the values that change: filled
    by joining its parts with the values (what was put in is never searched again)."""

    def __init__(self, html: str, marks: tuple[str, ...]) -> None:
        self.parts = re.split("(" + "|".join(map(re.escape, marks)) + ")", html)

    def fill(self, values: dict[str, str]) -> str:
        return "".join(values[p] if i % 2 else p for i, p in enumerate(self.parts))


@dataclass
class Turn:
    """What one request did to a visitor's page."""

    transcript: Transcript
    new: list[Bubble]
    lang: str
    takes_files: bool
    unread: int = 0  # notices this page shows that the person had not seen (the title)
    started: bool = True  # a conversation exists (else the page offers to start one)


class WebChat:
    """Everything the web chat's handlers share; one per server."""

    def __init__(
        self,
        service: IntakeService,
        settings: Settings,
        *,
        sequencer: UserSequencer | None = None,
        notices: Notices | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.storage = service.storage
        self.settings = settings
        self.signer = Signer(load_secret(settings.web_secret, self.storage, settings.data_dir))
        self.transcripts = TranscriptStore(self.storage)
        # The server's one line of turns per person and its notices (shared with the
        # scheduler and every door), unless a test brings its own.
        self.sequencer = sequencer or service.sequencer
        self.notices = notices if notices is not None else service.notices
        self.clock = clock
        # The limits count in the database when several instances share it (PostgreSQL):
        # N instances give a client no more tries than one.
        shared = self.storage.shared_limits()
        self.shared_limits = shared is not None
        self.visitor_rates = Rates(
            clock,
            per_minute=VISITOR_PER_MINUTE,
            burst=VISITOR_BURST,
            shared=shared,
            scope="web.visitor",
        )
        rate = settings.web_address_rate
        self.address_rates = (
            Rates(clock, per_minute=rate, burst=rate, shared=shared, scope="web.address")
            if rate
            else None
        )
        self.lookup_backoff = Backoff(
            clock, free=3, max_wait=900.0, shared=shared, scope="web.lookup"
        )
        self.lookup_budget = Budget(
            clock, capacity=200, refill_s=18.0, shared=shared, scope="web.lookups"
        )
        self.env = jinja2.Environment(**template_options(FOLDER / "templates"))
        self.css = StaticFile.load("bot.webchat", "static/chat.css", "text/css", STATIC)
        self.js = StaticFile.load("bot.webchat", "static/chat.js", "text/javascript", STATIC)
        self.spool = spool_folder(self.storage)
        # The script's answers: controls rendered once per shape, titles once per language.
        self._controls: dict[tuple[Any, ...], str] = {}
        self._controls_json: dict[tuple[Any, ...], str] = {}  # the same, JSON-encoded
        self._titles: dict[str, str] = {}  # JSON-encoded
        # A bubble's HTML before and after its text, per language and kind (the page's too).
        self._bubbles: dict[tuple[str, bool, bool], tuple[str, str]] = {}
        self._pages: dict[tuple[str, int], Shape] = {}  # the page, per language and unread count

    def mount(self, app: web.Application) -> None:
        """Add the web chat's routes at the root of the one server."""
        app.router.add_get("/", self.guard(self.page), name="webchat")
        app.router.add_post("/say", self.guard(self.say))
        app.router.add_post("/lang", self.guard(self.language))
        app.router.add_get("/news", self.guard(self.news_count))
        app.router.add_post("/news", self.guard(self.news))
        app.router.add_get("/status", self.guard(self.status_page))
        app.router.add_post("/status", self.guard(self.status_open))
        app.router.add_get(self.css.url, self.css.handler)
        app.router.add_get(self.js.url, self.js.handler)

    # -- every request ------------------------------------------------------------------
    def guard(
        self, handler: Callable[[web.Request, str], Awaitable[web.StreamResponse]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        """Wrap a handler: the visitor (a fresh one if need be), rate limits, headers, cookie."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            visitor = self.signer.visitor(request.cookies.get(COOKIE))
            fresh = visitor is None
            visitor = visitor or self.signer.new_id()
            address = None
            if self.address_rates is not None:
                address = address_key(
                    client_address(
                        request.remote,
                        request.headers.getall("X-Forwarded-For", []),
                        self.settings.trusted_proxies,
                    )
                )
            response: web.StreamResponse
            try:
                if self.shared_limits:  # the database's counters: off the event loop
                    wait = await asyncio.to_thread(self.rate_wait, visitor, address)
                else:
                    wait = self.rate_wait(visitor, address)
                if wait > 0:
                    response = self.too_fast(request, visitor, wait)
                else:
                    try:
                        response = await handler(request, visitor)
                    except web.HTTPException:
                        raise
                    except (TooBig, BadForm) as exc:
                        response = self.refused(request, visitor, exc)
            except StorageError as exc:  # the store cannot answer (PostgreSQL down)
                response = self.unavailable(request, exc)
            add_security_headers(response, CSP)
            if fresh or request.method == "GET":  # a visit keeps the cookie alive
                self.set_cookie(request, response, visitor)
            return response

        return guarded

    def unavailable(self, request: web.Request, problem: Exception) -> web.Response:
        """The store could not answer: nothing was applied; the visitor sends it again."""
        log.warning(
            "web chat %s %s: the store cannot answer: %r", request.method, request.path, problem
        )
        lang = pick_lang(accept_language(request), self.settings.default_lang)
        response = web.Response(
            text=t(lang, "error.internal"), status=503, content_type="text/plain", charset="utf-8"
        )
        response.headers["Retry-After"] = "5"
        return response

    def rate_wait(self, visitor: str, address: str | None) -> float:
        """Spend one request of the visitor and of their address: 0, or seconds to wait."""
        wait = self.visitor_rates.take(visitor)
        if self.address_rates is not None and address is not None:
            wait = max(wait, self.address_rates.take(address))
        return wait

    def set_cookie(self, request: web.Request, response: web.StreamResponse, visitor: str) -> None:
        response.set_cookie(
            COOKIE,
            self.signer.cookie(visitor),
            max_age=COOKIE_DAYS * 24 * 3600,
            path="/",
            httponly=True,
            samesite="Lax",
            secure=is_https(request),
        )

    def lang_of(self, request: web.Request, user: UserKey) -> str:
        """The visitor's language: their draft's, their choice, else the browser's first."""
        return self.service.user_lang(user, accept_language(request))

    # -- the page -----------------------------------------------------------------------
    async def page(self, request: web.Request, visitor: str) -> web.StreamResponse:
        """Show the transcript and the current question's controls."""
        user = UserKey(CHANNEL, visitor)
        ticket = self.sequencer.take(user)
        async with self.sequencer.turn(user, ticket):
            turn = await asyncio.to_thread(self._look, user, request)
        return self.render_page(request, visitor, turn)

    def _look(self, user: UserKey, request: web.Request) -> Turn:
        """The visitor's page as it stands (with any news from the mailbox added)."""
        with self.service.turn(user):  # news taken and the page written in one turn
            return self._look_in_turn(user, request)

    def _look_in_turn(self, user: UserKey, request: web.Request) -> Turn:
        record = self._record(user)
        language_code = accept_language(request)
        transcript = self.transcripts.load(user.id)
        unread = self._unread(user)
        news = self._mailbox(user) if unread else []
        if transcript is None:
            transcript = self._new_transcript(record)
            if record is not None:
                transcript.add([Bubble.of(self.service.flow.prompt(record, CHANNEL))])
            else:
                lang = self._lang(user, None, language_code)
                transcript.add([Bubble(t(lang, "web.welcome"))])
                if not news:  # nothing kept for a mere visit
                    return self._turn(transcript, [], user, None, language_code, lang=lang)
        if news:
            transcript.add(news)
        if news or transcript.seq == 0:
            self.transcripts.save(user.id, transcript)
        return self._turn(transcript, news, user, record, language_code, unread)

    def _turn(
        self,
        transcript: Transcript,
        new: list[Bubble],
        user: UserKey,
        record: ConversationRecord | None,
        language_code: str | None = None,
        unread: int = 0,
        *,
        lang: str | None = None,
    ) -> Turn:
        """The page's state from the conversation as stored (read once by the caller);
        ``lang``: the visitor's language when the caller found it already."""
        if record is None:
            lang = lang or self._lang(user, None, language_code)
            return Turn(transcript, new, lang, False, unread, started=False)
        return Turn(transcript, new, record.lang, record.state in FILE_STATES, unread)

    def render_page(
        self, request: web.Request, visitor: str, turn: Turn, *, status: int = 200
    ) -> web.Response:
        """``chat.html``: rendered once per language and unread count, then the visitor's
        CSRF token, bubbles and controls joined in."""
        context = self.context(visitor, turn)
        key = (turn.lang, turn.unread)
        shape = self._pages.get(key)
        if shape is None:
            marked = {
                **context,
                "csrf": CSRF_MARK,
                "bubbles": Markup(BUBBLES_MARK),
                "controls": Markup(CONTROLS_MARK),
            }
            html = self.env.get_template("chat.html").render(**marked)
            shape = Shape(html, (CSRF_MARK, BUBBLES_MARK, CONTROLS_MARK))
            if len(self._pages) >= PAGES_KEPT:
                self._pages.clear()
            self._pages[key] = shape
        body = shape.fill(
            {
                CSRF_MARK: context["csrf"],
                BUBBLES_MARK: self.bubbles_html(turn.lang, turn.transcript.bubbles),
                CONTROLS_MARK: self.controls(context),
            }
        )
        return web.Response(text=body, content_type="text/html", charset="utf-8", status=status)

    def context(self, visitor: str, turn: Turn) -> dict[str, Any]:
        lang = turn.lang
        started = turn.started or turn.transcript.seq > 0
        return {
            "lang": lang,
            "other": "en" if lang == "ko" else "ko",
            "w": partial(_word, lang),
            "css": self.css.url,
            "js": self.js.url,
            "csrf": self.signer.csrf(visitor),
            "n": turn.transcript.seq + 1,
            "buttons": turn.transcript.buttons,
            "started": started,
            "takes_files": turn.takes_files,
            "accept": ACCEPT,
            "unread": turn.unread,
        }

    # -- answers ------------------------------------------------------------------------
    async def say(self, request: web.Request, visitor: str) -> web.StreamResponse:
        """Take one answer: a pressed button, a typed line, files, back or start over."""
        user = UserKey(CHANNEL, visitor)
        form = await read_form(request, self.spool)
        try:
            if not self.form_ok(request, visitor, form):
                return await self.stale(request, visitor)
            message, mine = self.read_answer(form)
            try:
                n = int(form.get("n"))
            except ValueError:
                n = 0
            if not 0 < n <= MAX_REQUEST_NUMBER:  # forged: a stale form (the page as it is)
                n = 0
            ticket = self.sequencer.take(user)
            async with self.sequencer.turn(user, ticket):
                turn = await asyncio.to_thread(
                    self._answer, user, n, message, mine, accept_language(request)
                )
        finally:
            form.discard()  # files the store took over are gone already
        return self.answered(request, visitor, turn)

    def form_ok(self, request: web.Request, visitor: str, form: Form) -> bool:
        ok = self.signer.csrf_ok(visitor, form.get("csrf")) and same_origin(request)
        if not ok:
            log.warning("web chat POST %s refused: CSRF check failed", request.path)
        return ok

    def read_answer(self, form: Form) -> tuple[Input | tuple[IncomingFile, ...] | None, str]:
        """The input a form carries, and how the visitor's own bubble shows it."""
        command = form.get("cmd")
        if command in ("back", "start"):
            return CommandInput(command), ""
        if form.get("choice"):
            data = form.get("choice")
            # A button we did not make is treated like a stale one: refused politely.
            return parse_callback(data) or ChoiceInput(question="?", value="?"), data
        if form.files:
            return tuple(form.files), ""
        text = form.get("text")[:TEXT_MAX]
        if text.strip():
            return read_line(text), text
        return None, ""

    def _answer(
        self,
        user: UserKey,
        n: int,
        message: Input | tuple[IncomingFile, ...] | None,
        mine: str,
        language_code: str | None,
    ) -> Turn:
        """Run one answer through the intake (in a worker thread, in the visitor's turn).

        The visitor's turn of the store (:meth:`bot.intake.IntakeService.turn`): on
        PostgreSQL one transaction across every instance, the person's lock, the form's
        request number claimed, the conversation and the page written, commit; then the
        page is answered. The same form sent to two instances at once is applied by one;
        the other, and a form older than the last one applied, shows the page as it is.
        """
        request = (CHANNEL, f"{user.id}:{n}") if message is not None and n > 0 else None
        with self.service.turn(user, request) as claimed:
            return self._answer_in_turn(user, n, message, mine, language_code, claimed)

    def _answer_in_turn(
        self,
        user: UserKey,
        n: int,
        message: Input | tuple[IncomingFile, ...] | None,
        mine: str,
        language_code: str | None,
        claimed: bool,
    ) -> Turn:
        """The step's store work, all in this one worker-thread call: the conversation read
        once (the intake is handed it), the transcript's newest entries only (not the whole
        page), the intake's durable save, one appended transcript line."""
        record = self._record(user)
        transcript = self.transcripts.load_tail(user.id) or self._new_transcript(record)
        if message is None or n <= transcript.seq or not claimed:
            # Empty, or sent before (a resent form; on PostgreSQL one another instance
            # took): the page as it is.
            return self._turn(transcript, [], user, record, language_code)
        lang = self._lang(user, record, language_code)
        before = record.case_number if record else None
        shown = self._shown(transcript, message, mine, lang, record is not None)
        loaded: ConversationRecord | object | None = record  # the intake need not read it again
        if record is None and isinstance(message, ChoiceInput):
            # A button on a page whose conversation is gone (or the first one): start first.
            self.service.handle(user, CommandInput("start"), language_code=language_code)
            loaded = UNREAD
        try:
            handled = self.service.handle_input(
                user, message, language_code=language_code, input_id=n, loaded=loaded
            )
            replies = handled.replies
            # The conversation as the intake wrote it: no second read of the store.
            after = handled.record if handled.saved else self._record(user)
            if handled.forgotten:  # /delete_my_data: the page forgets what was said too
                self.transcripts.delete(user.id)
                transcript = Transcript()
        except Exception:
            log.exception("web chat answer of %s failed", user)
            replies = [Reply(t(lang, "error.internal"))]
            after = self._record(user)
        new = [Bubble(shown, mine=True), *(Bubble.of(r) for r in replies)]
        if after is not None and after.case_number and after.case_number != before:
            code = self.signer.lookup_code(after.case_number)
            new.append(Bubble(t(after.lang, "web.lookup", code=code)))
        new += self._mailbox(user)
        transcript.seq = n
        transcript.add(new)
        self.transcripts.save(user.id, transcript)
        return self._turn(transcript, new, user, after, language_code)

    def _shown(
        self,
        transcript: Transcript,
        message: Input | tuple[IncomingFile, ...],
        mine: str,
        lang: str,
        started: bool,
    ) -> str:
        """The visitor's own bubble: what they typed, the label they pressed, their files."""
        if isinstance(message, tuple):
            names = ", ".join(f.name for f in message)
            return t(lang, "web.sent_files", count=len(message), names=names)
        if isinstance(message, CommandInput) and not mine:
            if message.name == "back":
                return t(lang, "web.back")
            return t(lang, "web.start_over" if started else "web.start")
        if isinstance(message, ChoiceInput):
            for row in transcript.buttons:
                for button in row:
                    if button.data == mine:
                        return button.label
            return "?"
        return mine

    def answered(self, request: web.Request, visitor: str, turn: Turn) -> web.Response:
        """The script gets the new bubbles and controls; a plain form post a 303 to the page."""
        if request.headers.get(SCRIPT_HEADER) == "1":
            return self.fragment(visitor, turn)
        return web.Response(status=303, headers={"Location": "/#latest"})

    def fragment(self, visitor: str, turn: Turn, *, status: int = 200) -> web.Response:
        """The script's answer: ``json.dumps`` of the new bubbles, the controls, the title
        and the language, with the controls and the title taken JSON-encoded as kept."""
        context = {**self.context(visitor, turn), "unread": 0}  # shown now: nothing unread
        bubbles = json.dumps(self.bubbles_html(turn.lang, turn.new))
        key = self._controls_key(context)
        controls = self._controls_json.get(key)
        if controls is None:
            controls = json.dumps(self._controls_shape(context))
            if len(self._controls_json) >= CONTROLS_KEPT:
                self._controls_json.clear()
            self._controls_json[key] = controls
        controls = controls.replace(CSRF_JSON, str(context["csrf"])).replace(
            NUMBER_JSON, str(int(context["n"]))
        )
        title = self._titles.get(turn.lang)
        if title is None:  # with nothing unread, the title depends on the language alone
            title = json.dumps(self.env.get_template("title.html").render(**context))
            self._titles[turn.lang] = title
        lang = json.dumps(turn.lang)
        body = f'{{"bubbles": {bubbles}, "controls": {controls}, "title": {title}, "lang": {lang}}}'
        return web.Response(text=body, status=status, content_type="application/json")

    def bubbles_html(self, lang: str, bubbles: list[Bubble]) -> Markup:
        """``bubbles.html`` for these bubbles: each kind rendered once per language, then
        only the bubble's text (escaped as the template escapes it) put in."""
        parts: list[str] = []
        for bubble in bubbles:
            key = (lang, bubble.mine, bubble.notice)
            shape = self._bubbles.get(key)
            if shape is None:
                marked = Bubble(TEXT_MARK, mine=bubble.mine, notice=bubble.notice)
                html = self.env.get_template("bubbles.html").render(
                    w=partial(_word, lang), bubbles=[marked]
                )
                before, after = html.split(TEXT_MARK)
                shape = self._bubbles[key] = (before, after)
            parts += (shape[0], escape(bubble.text), shape[1])
        return Markup("".join(parts))

    def controls(self, context: dict[str, Any]) -> str:
        """``controls.html`` for this context: rendered once per shape (language, started,
        files, buttons), then only the visitor's CSRF token and request number put in."""
        return (
            self._controls_shape(context)
            .replace(CSRF_MARK, str(context["csrf"]))
            .replace(NUMBER_MARK, str(int(context["n"])))
        )

    def _controls_key(self, context: dict[str, Any]) -> tuple[Any, ...]:
        return (context["lang"], context["started"], context["takes_files"], context["buttons"])

    def _controls_shape(self, context: dict[str, Any]) -> str:
        key = self._controls_key(context)
        shape = self._controls.get(key)
        if shape is None:
            marked = {**context, "csrf": CSRF_MARK, "n": NUMBER_MARK}
            shape = self.env.get_template("controls.html").render(**marked)
            if len(self._controls) >= CONTROLS_KEPT:
                self._controls.clear()
            self._controls[key] = shape
        return shape

    async def language(self, request: web.Request, visitor: str) -> web.StreamResponse:
        """Switch the visitor's language (kept for them, and for the draft in progress)."""
        user = UserKey(CHANNEL, visitor)
        form = await read_form(request, self.spool)
        form.discard()
        lang = form.get("lang")
        if not self.form_ok(request, visitor, form) or lang not in CATALOG:
            return await self.stale(request, visitor)
        ticket = self.sequencer.take(user)
        async with self.sequencer.turn(user, ticket):
            turn = await asyncio.to_thread(self._switch, user, lang)
        return self.answered(request, visitor, turn)

    def _switch(self, user: UserKey, lang: str) -> Turn:
        with self.service.turn(user):  # the language and the page written in one turn
            return self._switch_in_turn(user, lang)

    def _switch_in_turn(self, user: UserKey, lang: str) -> Turn:
        self.service.set_language(user, lang)
        record = self._record(user)
        transcript = self.transcripts.load(user.id) or self._new_transcript(record)
        prompt = self.service.flow.prompt(record, CHANNEL) if record is not None else None
        new = [Bubble.of(prompt) if prompt else Bubble(t(lang, "web.welcome"))]
        transcript.add(new)
        self.transcripts.save(user.id, transcript)
        return self._turn(transcript, new, user, record)

    # -- the mailbox --------------------------------------------------------------------
    async def news_count(self, request: web.Request, visitor: str) -> web.StreamResponse:
        """How many notices wait for the visitor (the script asks now and then; nothing taken)."""
        user = UserKey(CHANNEL, visitor)
        unread = await asyncio.to_thread(self._unread, user)
        return web.json_response({"unread": unread})

    async def news(self, request: web.Request, visitor: str) -> web.StreamResponse:
        """Show the waiting notices now (the script's "new messages" button), each once."""
        user = UserKey(CHANNEL, visitor)
        form = await read_form(request, self.spool)
        form.discard()
        if not self.form_ok(request, visitor, form):
            return await self.stale(request, visitor)
        ticket = self.sequencer.take(user)
        async with self.sequencer.turn(user, ticket):
            turn = await asyncio.to_thread(self._look, user, request)
        return self.answered(request, visitor, turn)

    # -- refusals -----------------------------------------------------------------------
    async def stale(self, request: web.Request, visitor: str) -> web.Response:
        """A form from another page or identity (CSRF): show the page as it is now, unchanged."""
        user = UserKey(CHANNEL, visitor)
        lang = self.lang_of(request, user)
        turn = await asyncio.to_thread(self._look_only, user, lang)
        note = Bubble(t(lang, "web.stale"))
        return self.note(request, visitor, turn, note, 403)

    def _look_only(self, user: UserKey, lang: str) -> Turn:
        record = self._record(user)
        transcript = self.transcripts.load(user.id) or self._new_transcript(record)
        if not transcript.bubbles:
            prompt = self.service.flow.prompt(record, CHANNEL) if record is not None else None
            transcript.add([Bubble.of(prompt) if prompt else Bubble(t(lang, "web.welcome"))])
        return self._turn(transcript, [], user, record)

    def note(
        self, request: web.Request, visitor: str, turn: Turn, note: Bubble, status: int
    ) -> web.Response:
        """The page (or the script's fragment) with a note that is shown once, not kept."""
        shown = Turn(
            Transcript(turn.transcript.seq, [*turn.transcript.bubbles]),
            [note],
            turn.lang,
            turn.takes_files,
            started=turn.started,
        )
        shown.transcript.bubbles.append(note)
        if request.headers.get(SCRIPT_HEADER) == "1":
            return self.fragment(visitor, shown, status=status)
        return self.render_page(request, visitor, shown, status=status)

    def too_fast(self, request: web.Request, visitor: str, wait: float) -> web.Response:
        lang = pick_lang(accept_language(request), self.settings.default_lang)
        text = t(lang, "web.too_fast", seconds=math.ceil(wait))
        response = web.Response(text=text, status=429, content_type="text/plain", charset="utf-8")
        response.headers["Retry-After"] = retry_after(wait)
        return response

    def refused(self, request: web.Request, visitor: str, problem: Exception) -> web.Response:
        lang = pick_lang(accept_language(request), self.settings.default_lang)
        big = isinstance(problem, TooBig)
        log.warning("web chat POST %s refused: %s", request.path, type(problem).__name__)
        text = t(lang, "web.too_big" if big else "web.stale")
        response = web.Response(
            text=text, status=413 if big else 400, content_type="text/plain", charset="utf-8"
        )
        if big:
            response.force_close()  # the rest of the body is not read
        return response

    # -- /status ------------------------------------------------------------------------
    async def status_page(self, request: web.Request, visitor: str) -> web.StreamResponse:
        """The lookup form, and the cases of this browser's visitor with their status."""
        user = UserKey(CHANNEL, visitor)
        lang = self.lang_of(request, user)
        return await self.render_status(request, visitor, lang)

    async def render_status(
        self, request: web.Request, visitor: str, lang: str, *, error: str = "", status: int = 200
    ) -> web.Response:
        user = UserKey(CHANNEL, visitor)
        cases = await asyncio.to_thread(self._cases, user, lang)
        transcript = await asyncio.to_thread(self.transcripts.load, visitor)
        body = self.env.get_template("status.html").render(
            n=(transcript.seq if transcript else 0) + 1,
            lang=lang,
            other="en" if lang == "ko" else "ko",
            w=partial(_word, lang),
            css=self.css.url,
            js=self.js.url,
            csrf=self.signer.csrf(visitor),
            cases=cases,
            error=error,
            unread=self._unread(user),
        )
        return web.Response(text=body, content_type="text/html", charset="utf-8", status=status)

    def _cases(self, user: UserKey, lang: str) -> list[tuple[str, str]]:
        """Each case of the visitor: its status line, and the data of its "write to staff" button."""
        rows = self.storage.list_cases(CaseFilter(user_id=user))
        flow = self.service.flow
        return [
            (
                t(
                    lang,
                    "status.line",
                    case_number=row.case_number,
                    tier=flow.tier_name(row.tier, lang),
                    status=t(lang, f"status.{row.status}"),
                ),
                f"{MESSAGE_QUESTION}:{row.case_number}",
            )
            for row in rows
        ]

    async def status_open(self, request: web.Request, visitor: str) -> web.StreamResponse:
        """Open a case by number and lookup code: this browser becomes that case's visitor.

        Throttled per address (three free wrong tries, then doubling waits) and for
        everyone together; an unknown number, another channel's case and a wrong code
        get the same answer.
        """
        user = UserKey(CHANNEL, visitor)
        lang = self.lang_of(request, user)
        form = await read_form(request, self.spool)
        form.discard()
        if not self.form_ok(request, visitor, form):
            return await self.render_status(
                request, visitor, lang, error=t(lang, "web.stale"), status=403
            )
        address = address_key(
            client_address(
                request.remote,
                request.headers.getall("X-Forwarded-For", []),
                self.settings.trusted_proxies,
            )
        )
        wait = await asyncio.to_thread(self._lookup_wait, address)
        if wait > 0:
            error = t(lang, "web.status.throttled", seconds=math.ceil(wait))
            response = await self.render_status(request, visitor, lang, error=error, status=429)
            response.headers["Retry-After"] = retry_after(wait)
            return response
        number = normalize_case_number(form.get("case_number")[:40])
        owner = await asyncio.to_thread(self._owner, number)
        if (
            number is None
            or owner is None
            or not self.signer.lookup_ok(number, form.get("code")[:40])
        ):
            await asyncio.to_thread(self._lookup_failed, address)
            log.warning("web chat lookup from %s refused", address)
            error = t(lang, "web.status.wrong")
            return await self.render_status(request, visitor, lang, error=error, status=403)
        await asyncio.to_thread(self.lookup_backoff.succeeded, address)
        response = web.Response(status=303, headers={"Location": "/status"})
        self.set_cookie(request, response, owner)
        log.info("web chat case opened by lookup code from another browser")
        return response

    def _lookup_wait(self, address: str) -> float:
        return max(self.lookup_backoff.wait_s(address), self.lookup_budget.wait_s())

    def _lookup_failed(self, address: str) -> None:
        self.lookup_backoff.failed(address)
        self.lookup_budget.spend()

    def _owner(self, number: str | None) -> str | None:
        """The web visitor id that filed case ``number`` (None: no such web case)."""
        if number is None:
            return None
        case = self.storage.get_case(number)
        if case is None or case.user_id.channel != CHANNEL:
            return None
        return case.user_id.id

    # -- small reads --------------------------------------------------------------------
    def _record(self, user: UserKey) -> ConversationRecord | None:
        try:
            return self.storage.load_conversation(user)
        except CorruptFile:
            return None

    def _lang(
        self, user: UserKey, record: ConversationRecord | None, language_code: str | None
    ) -> str:
        """:meth:`IntakeService.user_lang` with the conversation the caller has just read in
        this turn (not read again): its language, else the visitor's choice, else the
        browser's."""
        if record is not None:
            return record.lang
        preferred = self.storage.load_user_lang(user)
        return preferred or pick_lang(language_code, self.service.default_lang)

    def _new_transcript(self, record: ConversationRecord | None) -> Transcript:
        """An empty transcript; its counter continues the conversation's (a lost file)."""
        last = record.last_input_id if record is not None else None
        return Transcript(seq=last if isinstance(last, int) else 0)

    def _mailbox(self, user: UserKey) -> list[Bubble]:
        """News kept for the visitor (review decisions, staff messages), each shown once."""
        if self.notices is None:
            return []
        return [Bubble.of(reply, notice=True) for reply in self.notices.take_mailbox(user)]

    def _unread(self, user: UserKey) -> int:
        if self.notices is None:
            return 0
        return int(self.notices.unread_count(user))


def accept_language(request: web.Request) -> str | None:
    """The browser's first language tag (``en-US`` of ``en-US,en;q=0.9,ko;q=0.8``)."""
    header = request.headers.get("Accept-Language", "")
    first = header.split(",", 1)[0].split(";", 1)[0].strip()
    return first[:35] or None


def _word(lang: str, key: str, **values: object) -> str:
    return t(lang, f"web.{key}", CHANNEL, **values)
