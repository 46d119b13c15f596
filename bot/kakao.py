"""The KakaoTalk channel: a Kakao i Open Builder skill in front of the intake service.

Open Builder POSTs a *skill payload* for every utterance of a KakaoTalk Channel's
chatbot (``userRequest.utterance``, ``userRequest.user.id`` = the bot user key,
``action.clientExtra`` from a pressed quick reply, ``action.params`` with the
secure-image plugin's photos, ``userRequest.callbackUrl`` when the block has the
callback on) and shows the *skill response v2.0* it gets back within 5 seconds:
at most 3 outputs and at most 10 quick replies, no edits, no inline keyboards.
The shapes come from Kakao's skill guide (tests/fixtures/kakao/README.md names the
pages and the public samples they were checked against).

:class:`KakaoSkill` does the channel's job and nothing more:

- **in**: a pressed quick reply carries the flow's button data in its ``extra``
  (``clientExtra.data``); without it, an utterance equal to one of the current
  question's buttons (or its number in a list longer than 10) is that button; words
  such as "뒤로", "접수 확인", "처음부터" are commands (:func:`flows.commands.read_words`);
  photos of the secure-image plugin are fetched at once from Kakao's temporary URLs
  (only from ``KAKAO_IMAGE_HOSTS``), streamed to the store's spool folder, and handed
  over as :class:`bot.intake.IncomingFile` (one that could not be fetched is said so);
  documents, which KakaoTalk cannot send, go by the one-time upload link shown at a
  step that takes files (:mod:`bot.kakao_upload`).
- **out**: the flow's replies as ``simpleText`` outputs (merged, or split at 1,000
  characters, into at most 3; what does not fit waits behind an "이어서 보기" quick
  reply), their buttons as quick replies (a list of more than 10, e.g. the policy's 11
  services, is numbered in the text and paged "다음 목록 ▶" / "◀ 이전 목록": never
  dropped), plus "◀ 뒤로", "접수 확인" or the other language where there is room; a
  command the flow's texts name ("/start 를 눌러 주세요") is named by the quick reply's
  words instead (:func:`kakao_words`).
- **5 seconds**: each request gets :data:`ANSWER_BUDGET_S`; work still running then
  (a slow disk, photos to fetch) goes on in the background, and the answer is
  ``useCallback: true`` with the result posted to ``callbackUrl`` once ready (Kakao
  keeps it valid for a minute, for one use). Without a callback URL the person is told
  to tap "이어서 보기", which shows the result once it is there.
- **retries**: Kakao's payload has no request id. A retry is recognised by its
  fingerprint (:func:`fingerprint`: the user, the utterance, the quick reply's extra,
  the parameters and the block, never the one-time callback URL) seen again for the
  same person within :data:`RETRY_WINDOW_S`: it gets the first answer again and
  changes nothing. Every answer's quick replies carry a fresh tag in their extra
  (:func:`tag_quick_replies`), so a press is told from the same press under another
  answer; only typed text relies on the window alone. Only the person's *last* request
  is a retry: the very same thing sent twice in a row within that window is shown the
  same answer again (the person simply sends it once more), while the same words after
  another answer are new. The last answer is held in this process on TinyDB and in
  the database on PostgreSQL ("Instances" below); the fingerprint is also marked in
  storage (``seen_request("kakao", …)``, :func:`retry_marks`, looked up only when the
  door holds nothing of the person), so a retry reaching a restarted server changes
  nothing either and is shown the current question.
- **notices**: Kakao cannot message a person first without the paid Event API, so
  the door registers no notifier: notices wait in the person's mailbox, and the
  intake shows them (headed "새 메시지 N개") before the answer to their next input,
  once (:meth:`bot.notices.Notices.take_mailbox`).

Per person, requests are handled in arrival order (:class:`bot.sequencer.UserSequencer`),
each in the person's turn of the store (:meth:`bot.intake.IntakeService.turn`).

**Instances**: on PostgreSQL that turn is one transaction across every instance behind
the load balancer (the person's lock, the request's retry mark claimed, the
conversation and what the door remembers of the person written, commit, then the
answer), and that memory (:class:`_Person`: the last answer, the list page, the texts
behind "이어서 보기", an answer not seen) is the database's
(:meth:`storage.base.Storage.door_memory`), so a retry or the next request may reach
any instance. On TinyDB (one process) it stays in this process's memory, the newest
:data:`MAX_PEOPLE` people.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from bot.intake import IncomingFile, IntakeService
from bot.kakao_upload import UploadLinks, base_url_of
from bot.sequencer import UserSequencer
from bot.settings import Settings
from bot.webchat.uploads import spool_folder
from flows.commands import read_words
from flows.conversation import FILE_STATES
from flows.evidence import MAX_FILE_BYTES, MAX_FILES
from flows.identity import UserKey
from flows.locales.ko_particles import fit_particle
from flows.messages import Button, ChoiceInput, CommandInput, Input, Reply, parse_callback
from flows.texts import CATALOG, pick_lang, t
from storage import CorruptFile

log = logging.getLogger(__name__)

KAKAO = "kakao"
SKILL_PATH = "/kakao/skill"
SECRET_HEADER = "X-Kakao-Skill-Secret"

# Kakao's limits on a skill response (skill guide, "SkillResponse" / "SkillTemplate").
MAX_OUTPUTS = 3
MAX_QUICK_REPLIES = 10
MAX_TEXT = 1000  # simpleText.text; KakaoTalk folds text past 500 under "전체보기"
MAX_LABEL = 14  # quickReplies[].label
SKILL_TIMEOUT_S = 5.0  # Kakao gives up on a skill after this
# What a request may take before it is answered with the callback (or "이어서 보기"):
# well inside Kakao's 5 seconds, leaving room for the network both ways.
ANSWER_BUDGET_S = 3.5
# A request whose fingerprint was seen for the same person this recently is a retry.
RETRY_WINDOW_S = 60.0
# People the door keeps in this process's memory on TinyDB (last answer, buttons shown,
# texts still to show); on PostgreSQL the database keeps them (bot/kakao.py "Instances").
MAX_PEOPLE = 10_000
IMAGE_TIMEOUT_S = 20.0
LANG_QUESTION = "lang"
_IMAGE_EXTENSIONS = {"image/png": ".png", "image/webp": ".webp", "image/heic": ".heic"}
_URL = re.compile(r"https?://[^\s,()]+")


class BadSkillRequest(ValueError):
    """A body that is not a skill payload Open Builder would send."""


@dataclass(frozen=True)
class SkillRequest:
    """What the door reads from one skill payload."""

    user_id: str
    utterance: str
    lang: str | None = None
    callback_url: str | None = None
    client_extra: Mapping[str, Any] = field(default_factory=dict)
    image_urls: tuple[str, ...] = ()
    fingerprint: str = ""


def parse_skill_request(data: object) -> SkillRequest:
    """Read a skill payload; raise :class:`BadSkillRequest` for anything else."""
    if not isinstance(data, dict):
        raise BadSkillRequest("not an object")
    user_request = data.get("userRequest")
    if not isinstance(user_request, dict):
        raise BadSkillRequest("no userRequest")
    user = user_request.get("user")
    user_id = user.get("id") if isinstance(user, dict) else None
    if not isinstance(user_id, str) or not user_id:
        raise BadSkillRequest("no userRequest.user.id")
    utterance = user_request.get("utterance", "")
    if not isinstance(utterance, str):
        raise BadSkillRequest("utterance is not a string")
    lang = user_request.get("lang")
    callback = user_request.get("callbackUrl")
    if callback is not None and not (
        isinstance(callback, str) and urlsplit(callback).scheme in ("http", "https")
    ):
        raise BadSkillRequest("callbackUrl is not an http(s) URL")
    action = data.get("action")
    action = action if isinstance(action, dict) else {}
    extra = action.get("clientExtra")
    extra = extra if isinstance(extra, dict) else {}
    params = action.get("params")
    params = params if isinstance(params, dict) else {}
    detail = action.get("detailParams")
    detail = detail if isinstance(detail, dict) else {}
    block = user_request.get("block")
    block_id = block.get("id") if isinstance(block, dict) else None
    return SkillRequest(
        user_id=user_id,
        utterance=utterance,
        lang=lang if isinstance(lang, str) else None,
        callback_url=callback,
        client_extra=extra,
        image_urls=secure_image_urls(params, detail),
        fingerprint=fingerprint(user_id, utterance, extra, params, block_id),
    )


def fingerprint(
    user_id: str, utterance: str, extra: Mapping[str, Any], params: Mapping[str, Any], block: Any
) -> str:
    """What makes a skill request the same request again (see the module docstring)."""
    canonical = json.dumps(
        [user_id, utterance, extra, params, block], sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def retry_marks(fingerprint: str, now: float) -> tuple[str, str]:
    """The request ids a request is marked and looked up under (``seen_request``): its
    fingerprint in this :data:`RETRY_WINDOW_S`-long slot of time, and in the one before
    (a retry may cross a slot's end). Marked under the first only."""
    slot = int(now // RETRY_WINDOW_S)
    return f"{fingerprint}:{slot}", f"{fingerprint}:{slot - 1}"


def secure_image_urls(params: Mapping[str, Any], detail: Mapping[str, Any]) -> tuple[str, ...]:
    """The photo URLs of a secure-image plugin parameter, in order, without repeats.

    The plugin's value is a JSON string such as ``{"privacyAgreement":"Y",
    "imageQuantity":"2","secureUrls":"List(https://…, https://…)","expire":"…"}``
    (under ``action.params.<name>``, and as ``value`` under ``detailParams``). A value
    whose ``privacyAgreement`` is not "Y" carries no photos we may keep.
    """
    urls: list[str] = []
    values = [*params.values()]
    values += [v.get("value") for v in detail.values() if isinstance(v, dict)]
    for value in values:
        parsed = value
        if isinstance(value, str) and "secureUrls" in value:
            with contextlib.suppress(ValueError):
                parsed = json.loads(value)
        if not isinstance(parsed, dict) or "secureUrls" not in parsed:
            continue
        if str(parsed.get("privacyAgreement", "Y")).upper() != "Y":
            continue
        raw = parsed.get("secureUrls")
        found = raw if isinstance(raw, list) else _URL.findall(str(raw))
        for url in found:
            if isinstance(url, str) and url not in urls:
                urls.append(url)
    return tuple(urls[:MAX_FILES])


# -- rendering -------------------------------------------------------------------------------
@dataclass
class Shown:
    """What a response shows: its texts and the buttons under them (all of them)."""

    texts: list[str]
    buttons: list[Button]
    lang: str
    extras: list[dict[str, Any]] = field(default_factory=list)  # door quick replies


def shorten(label: str, limit: int = MAX_LABEL) -> str:
    """A quick reply's label within Kakao's limit (the whole label is its message)."""
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cut a text into pieces of at most ``limit`` characters, at line breaks where possible."""
    pieces: list[str] = []
    rest = text.strip("\n")
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = rest.rfind(" ", 0, limit)
        if cut <= 0:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip("\n ")
    if rest:
        pieces.append(rest)
    return pieces


def pack_outputs(texts: list[str], limit: int = MAX_TEXT) -> list[str]:
    """Join texts (blank line between) into as few bubbles of at most ``limit`` as possible."""
    bubbles: list[str] = []
    for text in texts:
        for piece in split_text(text, limit):
            if bubbles and len(bubbles[-1]) + 2 + len(piece) <= limit:
                bubbles[-1] += "\n\n" + piece
            else:
                bubbles.append(piece)
    return bubbles


def pages_of(buttons: list[Button]) -> list[list[Button]]:
    """Buttons in pages that leave room for "◀ 이전 목록" / "다음 목록 ▶"."""
    if len(buttons) <= MAX_QUICK_REPLIES:
        return [buttons]
    pages, rest = [buttons[: MAX_QUICK_REPLIES - 1]], buttons[MAX_QUICK_REPLIES - 1 :]
    while len(rest) > MAX_QUICK_REPLIES - 1:
        pages.append(rest[: MAX_QUICK_REPLIES - 2])
        rest = rest[MAX_QUICK_REPLIES - 2 :]
    pages.append(rest)
    return pages


def quick_reply(label: str, message: str, extra: Mapping[str, Any] | None = None) -> dict:
    """One quick reply: pressing it sends ``message`` as the person's utterance."""
    reply: dict[str, Any] = {"label": shorten(label), "action": "message", "messageText": message}
    if extra:
        reply["extra"] = dict(extra)
    return reply


def skill_response(
    shown: Shown, *, page: int = 0, outputs: int = MAX_OUTPUTS
) -> tuple[dict, list[str]]:
    """The skill response for ``shown`` (its page ``page`` of buttons), and any texts
    left over for "이어서 보기" (when they need more than ``outputs`` bubbles)."""
    lang = shown.lang
    buttons = shown.buttons
    texts = list(shown.texts)
    pages = pages_of(buttons)
    if len(pages) > 1 and texts:
        numbered = "\n".join(f"{n}. {b.label}" for n, b in enumerate(buttons, 1))
        texts[-1] = f"{texts[-1]}\n\n{numbered}\n{t(lang, 'kakao.numbered')}"
    bubbles = pack_outputs(texts) or [" "]
    rest: list[str] = []
    if len(bubbles) > outputs:
        bubbles, rest = bubbles[:outputs], bubbles[outputs:]
    template: dict[str, Any] = {"outputs": [{"simpleText": {"text": b}} for b in bubbles]}
    quick: list[dict] = []
    if rest:
        quick.append(quick_reply(t(lang, "kakao.continue"), t(lang, "kakao.continue")))
    else:
        page = min(max(page, 0), len(pages) - 1)
        if page > 0:
            label = t(lang, "kakao.previous")
            quick.append(quick_reply(label, label, {"page": page - 1}))
        quick += [quick_reply(b.label, b.label, {"data": b.data}) for b in pages[page]]
        if page < len(pages) - 1:
            label = t(lang, "kakao.more")
            quick.append(quick_reply(label, label, {"page": page + 1}))
        for extra in shown.extras:
            if len(quick) < MAX_QUICK_REPLIES and all(
                q["messageText"] != extra["messageText"] for q in quick
            ):
                quick.append(extra)
    if quick:
        template["quickReplies"] = quick[:MAX_QUICK_REPLIES]
    return {"version": "2.0", "template": template}, rest


def tag_quick_replies(response: dict) -> dict:
    """Give every quick reply of one response the same fresh tag in its ``extra``.

    The extra comes back as ``clientExtra`` and so is part of the request's fingerprint:
    the same quick reply pressed under two different answers is two requests, while a
    double tap, or Kakao's retry of that press, is one.
    """
    tag = secrets.token_hex(4)
    for quick in response.get("template", {}).get("quickReplies", []):
        quick["extra"] = {**quick.get("extra", {}), "r": tag}
    return response


def callback_answer(lang: str) -> dict:
    """The immediate answer of a request whose result goes to its callback URL."""
    return {
        "version": "2.0",
        "useCallback": True,
        "data": {"text": t(lang, "kakao.working_callback")},
    }


# The flow's texts name the commands ("/start 를 눌러 주세요", "Send /status"); KakaoTalk
# has no command menu, so the door names the words its quick replies send instead.
_COMMAND = re.compile(r"(?<![\w/])/(start|status|back)\b(?: ?(으로|로|을|를|만))?")
_COMMAND_WORDS = {"start": "kakao.start", "status": "kakao.status", "back": "kakao.back"}


def kakao_words(text: str, lang: str) -> str:
    """``text`` with each command named as the quick reply that does it, in quotes (with
    the Korean particle that fits the word); a line that starts with a command (the help
    list, which KakaoTalk's typed "/start" still reads) is left as it is."""

    def word(match: re.Match[str]) -> str:
        at = match.start()
        if at == 0 or text[at - 1] == "\n":
            return match.group(0)
        name = t(lang, _COMMAND_WORDS[match.group(1)]).lstrip("◀ ").strip()
        return f"'{name}'{fit_particle(name, match.group(2) or '')}"

    return _COMMAND.sub(word, text)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


# -- the channel ------------------------------------------------------------------------------
@dataclass
class _Answer:
    """One handled request: the response sent, and what is kept for the next ones."""

    response: dict
    fingerprint: str
    at: float  # wall-clock seconds (instances compare it)


@dataclass
class _Person:
    """What the door remembers of a person between requests.

    In this process's memory on one process (memory, TinyDB: :attr:`KakaoSkill.people`,
    the newest :data:`MAX_PEOPLE`); on PostgreSQL in the database
    (:meth:`storage.base.Storage.door_memory`), read and written in the person's turn,
    so their next request may reach any instance (:meth:`to_json` / :meth:`from_json`).
    """

    lang: str | None = None
    shown: Shown | None = None  # the last buttons shown, for an utterance without extra
    page: int = 0
    rest: list[str] = field(default_factory=list)  # texts waiting behind "이어서 보기"
    last: _Answer | None = None  # for recognising a retry
    # The fingerprint of the last answer when it was not seen (too late for Kakao's 5 s,
    # and no callback): the next request shows its texts first.
    late: str | None = None
    at_files: bool = False  # the last answer asked for files (its note was said)
    base_url: str = ""  # this server as Kakao reached it (for the upload link; not kept)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"page": self.page, "rest": self.rest, "at_files": self.at_files}
        if self.lang is not None:
            data["lang"] = self.lang
        if self.shown is not None:
            data["shown"] = {
                "texts": self.shown.texts,
                "buttons": [[b.label, b.data] for b in self.shown.buttons],
                "lang": self.shown.lang,
                "extras": self.shown.extras,
            }
        if self.last is not None:
            data["last"] = {
                "response": self.last.response,
                "fingerprint": self.last.fingerprint,
                "at": self.last.at,
            }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any], late: str | None) -> _Person:
        shown = data.get("shown")
        last = data.get("last")
        return cls(
            lang=data.get("lang"),
            shown=Shown(
                texts=list(shown["texts"]),
                buttons=[Button(str(label), str(value)) for label, value in shown["buttons"]],
                lang=str(shown["lang"]),
                extras=list(shown["extras"]),
            )
            if isinstance(shown, dict)
            else None,
            page=int(data.get("page", 0)),
            rest=list(data.get("rest", [])),
            last=_Answer(last["response"], str(last["fingerprint"]), float(last["at"]))
            if isinstance(last, dict)
            else None,
            late=late,
            at_files=bool(data.get("at_files")),
        )


class KakaoSkill:
    """Turns skill payloads into intake inputs and intake replies into skill responses."""

    def __init__(
        self,
        service: IntakeService,
        settings: Settings,
        *,
        sequencer: UserSequencer | None = None,
        budget_s: float = ANSWER_BUDGET_S,
        uploads: UploadLinks | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.settings = settings
        self.secret = hashlib.sha256((settings.kakao_skill_secret or "").encode()).digest()
        self.sequencer = sequencer or service.sequencer  # the server's one line per person
        self.budget_s = budget_s
        # Documents by a one-time web upload link (bot/kakao_upload.py).
        self.uploads = uploads or UploadLinks(service, settings.kakao_skill_secret or "")
        self.clock = clock
        # What is remembered of the people heard from lately (the newest MAX_PEOPLE):
        # conveniences only; a person forgotten is answered from storage. In this
        # process on one process (memory, TinyDB); on PostgreSQL in the database
        # (``memory``), so that any instance answers the person's next request.
        self.people: OrderedDict[UserKey, _Person] = OrderedDict()
        self.memory = service.storage.door_memory()
        self.session: aiohttp.ClientSession | None = None
        self.tasks: set[asyncio.Task[Any]] = set()

    def _person(self, user: UserKey) -> _Person:
        """The door's memory of ``user``, made the newest; the oldest beyond MAX_PEOPLE go."""
        person = self.people.pop(user, None) or _Person()
        self.people[user] = person
        while len(self.people) > MAX_PEOPLE:
            self.people.popitem(last=False)
        return person

    # -- lifetime ----------------------------------------------------------------------------
    def mount(self, app: web.Application) -> None:
        app.router.add_post(SKILL_PATH, self.skill)
        app.router.add_post(SKILL_PATH + "/{token}", self.skill)
        self.uploads.mount(app)

    async def open(self) -> None:
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=IMAGE_TIMEOUT_S))

    async def close(self) -> None:
        """Finish answers still running (their callbacks are posted), then close."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)
        if self.session is not None:
            await self.session.close()

    # -- the endpoint ------------------------------------------------------------------------
    def authorized(self, request: web.Request) -> bool:
        """The operator's secret came as the header or as the path's last part."""
        given = request.match_info.get("token") or request.headers.get(SECRET_HEADER) or ""
        digest = hashlib.sha256(given.encode("utf-8", "surrogateescape")).digest()
        return bool(given) and hmac.compare_digest(digest, self.secret)

    async def skill(self, request: web.Request) -> web.Response:
        """Answer one skill request within Kakao's 5 seconds (with the callback if need be)."""
        if not self.authorized(request):
            return web.Response(status=403, text="forbidden")
        try:
            skill = parse_skill_request(await request.json())
            user = UserKey(KAKAO, skill.user_id)
        except (ValueError, RecursionError) as exc:  # bad JSON is a ValueError too
            log.warning("kakao skill body refused: %s", exc)
            return web.Response(status=400, text="bad skill payload")
        base_url = base_url_of(request)
        lang = pick_lang(_lang_tag(skill.lang), self.settings.default_lang)
        if self.memory is None:
            lang = self._person(user).lang or lang
        ticket = self.sequencer.take(user)
        task = asyncio.create_task(self._answer(user, skill, ticket, base_url))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        budget = 0.0 if skill.image_urls and skill.callback_url else self.budget_s
        done, _ = await asyncio.wait({task}, timeout=budget)
        if task in done:
            return web.json_response(task.result()[0])
        if skill.callback_url:
            url = skill.callback_url
            follow = asyncio.create_task(self._post_callback(user, task, url, skill.fingerprint))
            self.tasks.add(follow)
            follow.add_done_callback(self.tasks.discard)
            return web.json_response(callback_answer(lang))
        await self._mark_late(user, skill.fingerprint)
        shown = Shown([t(lang, "kakao.working")], [], lang)
        response, _ = skill_response(shown)
        label = t(lang, "kakao.continue")
        response["template"]["quickReplies"] = [quick_reply(label, label, {"nav": "continue"})]
        return web.json_response(tag_quick_replies(response))

    async def _post_callback(
        self, user: UserKey, task: asyncio.Task[tuple[dict, list[str]]], url: str, late: str
    ) -> None:
        """Post the finished answer to the request's one-time callback URL."""
        response, _ = await asyncio.shield(task)
        assert self.session is not None
        for attempt in (1, 2):
            try:
                async with self.session.post(url, json=response) as answer:
                    if answer.status < 500:
                        if answer.status >= 400:
                            log.warning("kakao callback refused with %s", answer.status)
                        return
            except (TimeoutError, aiohttp.ClientError):
                log.warning("kakao callback failed (attempt %s)", attempt)
        # Not delivered: the person sees it on their next request instead.
        await self._mark_late(user, late)

    async def _mark_late(self, user: UserKey, fingerprint: str) -> None:
        """The answer to the request ``fingerprint`` was not seen: shown by the next one.

        Set outside the person's turn (the answer may still be in the making); on
        PostgreSQL in the database, so the next request may reach any instance.
        """
        if self.memory is None:
            self._person(user).late = fingerprint
            return
        memory = self.memory
        try:
            await asyncio.to_thread(
                memory.mark_late, KAKAO, str(user), fingerprint, now=time.time()
            )
        except Exception:  # the answer is kept; only its "not seen" mark is lost
            log.exception("kakao: late answer of user %s not marked", user)

    # -- one request, in the person's turn ------------------------------------------------
    async def _answer(
        self, user: UserKey, skill: SkillRequest, ticket: int, base_url: str = ""
    ) -> tuple[dict, list[str]]:
        async with self.sequencer.turn(user, ticket):
            # Photos are fetched first (their URLs expire), outside the store's turn: no
            # transaction waits on Kakao's servers.
            photos = await self._fetch_photos(user, skill)
            try:
                # One worker thread for the whole turn: a slow disk must not hold the
                # event loop (and with it the timer that answers within Kakao's 5 s).
                response = await asyncio.to_thread(self._take_turn, user, skill, photos, base_url)
            except Exception:  # the store cannot answer (PostgreSQL down): nothing applied
                log.exception("kakao request of user %s failed", user)
                lang = pick_lang(_lang_tag(skill.lang), self.settings.default_lang)
                response, _ = skill_response(Shown([t(lang, "error.internal")], [], lang))
                tag_quick_replies(response)
            finally:
                files = photos.files if isinstance(photos, _DoorSays) else photos or ()
                for f in files:
                    if f.path is not None:  # taken over by the store, or not wanted: gone
                        f.path.unlink(missing_ok=True)
            return response, []

    def _take_turn(
        self,
        user: UserKey,
        skill: SkillRequest,
        photos: tuple[IncomingFile, ...] | _DoorSays | None,
        base_url: str,
    ) -> dict:
        """The request in the person's turn of the store (in a worker thread).

        :meth:`bot.intake.IntakeService.turn`: on PostgreSQL one transaction across every
        instance, the person's lock, the request's retry mark claimed, the conversation
        and the door's memory of the person written, commit; then the answer is sent.
        So a request given to two instances at once (Kakao's retry through the load
        balancer) is applied once and both answer alike; in one process (memory,
        TinyDB) the turn is the sequencer's, and the memory this process's.
        """
        marks = retry_marks(skill.fingerprint, time.time())
        storage = self.service.storage
        with self.service.turn(user, (KAKAO, marks[0])) as claimed:
            person = self._recall(user)
            person.base_url = base_url
            now = self.clock()
            last = person.last
            seen = person.late  # shown by this answer (set again meanwhile: kept)
            if (
                last is not None
                and last.fingerprint == skill.fingerprint
                and now - last.at < RETRY_WINDOW_S
            ):
                # A retry: the same answer, no second effect (and now it was seen).
                seen = seen if seen == last.fingerprint else None
                self._seen(user, person, seen)
                return last.response
            try:
                # Kakao retries the request it got no answer to, i.e. the last one: while
                # the door holds the last answer, only that counts (the same words typed
                # again after another answer are a new request). The storage marks are
                # for a retry whose first answer went with a restart (or a memory
                # forgotten); on PostgreSQL the turn's claim is the first of them.
                if last is None and (
                    not claimed
                    or storage.seen_request(KAKAO, marks[1])
                    or (self.memory is None and storage.seen_request(KAKAO, marks[0]))
                ):
                    # A retry whose first answer this process no longer holds (a
                    # restart): nothing applied twice, the current question again.
                    prompt = self.service.current_prompt(user)
                    record = self._load(user)
                    lang = self._lang(user, person)
                    state = record.state if record is not None else None
                    shown = self._shown([prompt] if prompt else [], lang, state, user, person)
                    response, person.rest = skill_response(shown)
                    person.shown, person.page = shown, 0
                else:
                    response = self._respond(user, person, skill, photos)
            except Exception:
                log.exception("kakao request of user %s failed", user)
                lang = person.lang or pick_lang(_lang_tag(skill.lang), self.settings.default_lang)
                response, _ = skill_response(Shown([t(lang, "error.internal")], [], lang))
                tag_quick_replies(response)
                # Not kept as the last answer: it asks the person to send the same again
                # (the store down, nothing applied), which must then be a new request.
                return response
            tag_quick_replies(response)
            person.last = _Answer(response, skill.fingerprint, now)
            self._seen(user, person, seen)
        storage.mark_request(KAKAO, marks[0])
        return response

    def _recall(self, user: UserKey) -> _Person:
        """The door's memory of the person: this process's, or the database's (in the turn)."""
        if self.memory is None:
            return self._person(user)
        data, late = self.memory.load(KAKAO, str(user))
        if data is None:
            return _Person(late=late)
        try:
            return _Person.from_json(data, late)
        except (KeyError, TypeError, ValueError):  # unreadable: forgotten, as after a restart
            log.warning("kakao memory of user %s unreadable: forgotten", user)
            return _Person(late=late)

    def _seen(self, user: UserKey, person: _Person, seen: str | None) -> None:
        """Keep the memory (on PostgreSQL written back, in the turn); ``seen``: the late
        mark this answer showed, cleared unless another was set meanwhile."""
        if self.memory is None:
            if seen is not None and person.late == seen:
                person.late = None
            return
        self.memory.save(KAKAO, str(user), person.to_json(), now=time.time(), seen=seen)

    async def _fetch_photos(
        self, user: UserKey, skill: SkillRequest
    ) -> tuple[IncomingFile, ...] | _DoorSays | None:
        """The secure-image plugin's photos, when the request is that (not a pressed
        quick reply, not the door's own navigation): fetched before the turn."""
        if not skill.image_urls or isinstance(skill.client_extra.get("data"), str):
            return None
        if _navigation_of(skill) is not None:
            return None
        return await self._photos(user, skill.image_urls)

    def _respond(
        self,
        user: UserKey,
        person: _Person,
        skill: SkillRequest,
        photos: tuple[IncomingFile, ...] | _DoorSays | None,
    ) -> dict:
        """Read the request, run it through the intake, render (in the person's turn)."""
        language_code = _lang_tag(skill.lang)
        earlier: list[str] = []
        last = person.last
        if last is not None and person.late == last.fingerprint:  # an answer not seen
            earlier = _texts_of(last.response)
        nav = _navigation_of(skill, person.page)
        if nav is not None:
            return self._navigate(user, person, nav, earlier)
        read = self._to_input(user, person, skill, photos)
        notes: list[str] = []
        message: Input | tuple[IncomingFile, ...] | None = None
        if isinstance(read, _DoorSays):
            notes = read.texts
            message = read.files or None
        else:
            message = read
        replies: list[Reply] = []
        if message is not None:
            handled = self.service.handle_input(user, message, language_code=language_code)
            replies = handled.replies
            if isinstance(message, CommandInput) and message.name == "help" and replies:
                # What only KakaoTalk has: words instead of a command menu.
                lang = self.service.user_lang(user, language_code)
                first = replies[0]
                help_text = f"{first.text}\n\n{t(lang, 'kakao.help')}"
                replies = [Reply(help_text, first.buttons), *replies[1:]]
        else:
            prompt = self.service.current_prompt(user)
            replies = [prompt] if prompt is not None else []
        record = self._load(user)
        lang = record.lang if record is not None else self.service.user_lang(user, language_code)
        person.lang = lang
        shown = self._shown(replies, lang, record.state if record else None, user, person)
        shown.texts = [*earlier, *notes, *shown.texts]
        person.shown, person.page = shown, 0
        response, person.rest = skill_response(shown)
        return response

    def _state(self, user: UserKey) -> str | None:
        """The person's conversation state (None: no report under way)."""
        record = self._load(user)
        return record.state if record is not None else None

    def _load(self, user: UserKey) -> Any:
        try:
            return self.service.storage.load_conversation(user)
        except CorruptFile:
            return None

    def _navigate(self, user: UserKey, person: _Person, nav: str, earlier: list[str]) -> dict:
        lang = self._lang(user, person)
        if nav == "continue":
            rest = person.rest
            shown = person.shown or Shown([], [], lang)
            texts = earlier + rest if (earlier or rest) else [t(lang, "kakao.nothing_more")]
            if not earlier and not rest:
                prompt = self.service.current_prompt(user)
                state = self._state(user)
                shown = self._shown([prompt] if prompt else [], lang, state, user, person)
                texts += shown.texts
            response, person.rest = skill_response(Shown(texts, shown.buttons, lang, shown.extras))
            return response
        if person.shown is not None:
            shown = person.shown
        else:  # nothing remembered (a restart): the current question
            prompt = self.service.current_prompt(user)
            shown = self._shown([prompt] if prompt else [], lang, self._state(user), user, person)
        try:
            page = int(nav.partition(":")[2])
        except ValueError:
            page = 0
        person.page = min(max(page, 0), len(pages_of(shown.buttons)) - 1)
        response, person.rest = skill_response(shown, page=person.page)
        return response

    def _to_input(
        self,
        user: UserKey,
        person: _Person,
        skill: SkillRequest,
        photos: tuple[IncomingFile, ...] | _DoorSays | None,
    ) -> Input | tuple[IncomingFile, ...] | _DoorSays:
        """What the person did, as the flow's input (or the door's own answer); the
        plugin's ``photos`` were fetched before the turn (:meth:`_fetch_photos`)."""
        data = skill.client_extra.get("data")
        if isinstance(data, str):
            # A button we did not make is treated like a stale one: refused politely.
            return parse_callback(data) or ChoiceInput(question="?", value="?")
        if skill.image_urls and photos is not None:
            return photos
        said = _fold(skill.utterance)
        for lang in CATALOG:
            if said == _fold(t(lang, "lang.name")):
                return ChoiceInput(LANG_QUESTION, lang)
        # The buttons last shown here, then those of the question now asked (the
        # conversation may have moved on elsewhere: a web upload, a restart).
        buttons = person.shown.buttons if person.shown else []
        for pass_ in (1, 2):
            if pass_ == 2:
                prompt = self.service.current_prompt(user)
                buttons = [b for row in prompt.buttons for b in row] if prompt else []
            for button in buttons:
                if said and said in (_fold(button.label), _fold(shorten(button.label))):
                    choice = parse_callback(button.data)
                    if choice is not None:
                        return choice
            numbered = len(buttons) > MAX_QUICK_REPLIES and said.isdigit()
            if numbered and 1 <= int(said) <= len(buttons):
                choice = parse_callback(buttons[int(said) - 1].data)
                if choice is not None:
                    return choice
        if _is_chat_photo(skill.utterance):
            lang = self._lang(user, person)
            return _DoorSays([t(lang, "kakao.chat_photo")])
        return read_words(skill.utterance)

    async def _photos(
        self, user: UserKey, urls: tuple[str, ...]
    ) -> tuple[IncomingFile, ...] | _DoorSays:
        """Fetch the plugin's photos at once (their URLs expire), where files are taken.

        A photo that could not be fetched is not passed on as a file (the flow would
        call it empty): the person is told how many did not come, beside what the
        intake says of the others. One too big is passed on with its size, unread.
        """
        record = await asyncio.to_thread(self._load, user)
        if record is None or record.state not in FILE_STATES:
            # Not at a step that takes files: answered without fetching them.
            return tuple(
                IncomingFile(name=f"photo_{n}.jpg", mime="image/jpeg", size=0)
                for n in range(1, len(urls) + 1)
            )
        # Numbered after the files the person has sent here already (one name, one photo).
        held = len(record.evidence_sha256())
        fetched = await asyncio.gather(
            *(self._fetch(url, held + n) for n, url in enumerate(urls, 1))
        )
        files = tuple(f for f in fetched if f is not None)
        failed = len(fetched) - len(files)
        if failed:
            lang = await asyncio.to_thread(self.service.user_lang, user)
            return _DoorSays([t(lang, "kakao.photos_failed", count=failed)], files)
        return files

    async def _fetch(self, url: str, n: int) -> IncomingFile | None:
        """One photo, streamed to the store's spool folder (never held in memory); a
        too-big one with its size and no bytes; None when it cannot be had."""
        if not self.image_host_allowed(url):
            log.warning("kakao photo refused: host not in KAKAO_IMAGE_HOSTS")
            return None
        assert self.session is not None
        try:
            async with self.session.get(url, allow_redirects=False) as response:
                if response.status != 200:
                    log.warning("kakao photo download failed with %s", response.status)
                    return None
                mime = response.content_type or "image/jpeg"
                name = f"photo_{n}{_IMAGE_EXTENSIONS.get(mime, '.jpg')}"
                if (response.content_length or 0) > MAX_FILE_BYTES:
                    return IncomingFile(name=name, mime=mime, size=response.content_length or 0)
                fd, tmp = tempfile.mkstemp(
                    prefix="kakao-", suffix=".part", dir=spool_folder(self.service.storage)
                )
                path, size, digest = Path(tmp), 0, hashlib.sha256()
                try:
                    with os.fdopen(fd, "wb") as sink:
                        async for chunk in response.content.iter_chunked(64 * 1024):
                            size += len(chunk)
                            if size > MAX_FILE_BYTES:
                                path.unlink(missing_ok=True)
                                return IncomingFile(name=name, mime=mime, size=size)
                            sink.write(chunk)
                            digest.update(chunk)
                except BaseException:
                    path.unlink(missing_ok=True)
                    raise
                return IncomingFile(
                    name=name, mime=mime, size=size, path=path, sha256=digest.hexdigest()
                )
        except (TimeoutError, aiohttp.ClientError):
            log.warning("kakao photo download failed")
            return None

    def image_host_allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = f"{host}:{parts.port}" if parts.port else host
        if parts.scheme not in ("http", "https") or not host:
            return False
        for allowed in self.settings.kakao_image_hosts:
            if allowed.startswith(".") and host.endswith(allowed):
                return True
            if allowed in (host, netloc):
                return True
        return False

    def _lang(self, user: UserKey, person: _Person) -> str:
        """The language the door last spoke to the person in, else theirs (in the turn)."""
        if person.lang is not None:
            return person.lang
        lang: str = self.service.user_lang(user)
        return lang

    def _shown(
        self, replies: list[Reply], lang: str, state: str | None, user: UserKey, person: _Person
    ) -> Shown:
        """The replies as texts and one list of buttons, plus the door's quick replies."""
        texts: list[str] = []
        buttons: list[Button] = []
        at_files = False
        for reply in replies:
            text = kakao_words(reply.text, lang)
            flat = [b for row in reply.buttons for b in row]
            if any(b.data.split(":", 1)[0] in FILE_STATES for b in flat):
                at_files = True
                if not person.at_files:  # said once, where files are first asked for
                    text = f"{text}\n\n{t(lang, 'kakao.evidence')}"
                if person.base_url:  # a fresh one-time link each time (bot/kakao_upload.py)
                    link = self.uploads.link(person.base_url, user)
                    text += "\n\n" + t(lang, "kakao.upload_link", url=link)
            texts.append(text)
            for b in flat:
                if all(b.data != known.data for known in buttons):
                    buttons.append(b)
        person.at_files = at_files
        extras: list[dict[str, Any]] = []
        if at_files:
            photos = t(lang, "kakao.photos")
            extras.append(quick_reply(photos, photos))
        if state is not None and state not in ("consent", "submitted", "closed", "resume"):
            back = t(lang, "kakao.back")
            extras.append(quick_reply(back, t(lang, "words.back").split("|")[0]))
        if state in (None, "submitted", "closed"):
            status = t(lang, "kakao.status")
            extras.append(quick_reply(status, status))
        if state in (None, "submitted", "closed"):  # no report under way: a new one
            start = t(lang, "kakao.start")
            extras.append(quick_reply(start, start))
        if state in (None, "consent", "submitted", "closed"):
            other = t(lang, "kakao.other_lang")
            extras.append(quick_reply(other, other))
        return Shown(texts, buttons, lang, extras)


@dataclass(frozen=True)
class _DoorSays:
    """The door answers this itself (with the current question after it), or says it
    before what the intake answers to ``files``."""

    texts: list[str]
    files: tuple[IncomingFile, ...] = ()


def _navigation_of(skill: SkillRequest, page: int = 0) -> str | None:
    """ "다음 목록" / "이전 목록" / "이어서 보기": the door's own quick replies (typed words
    move from ``page``, the list page last shown)."""
    extra = skill.client_extra
    if "page" in extra:
        return f"page:{extra['page']}"
    if extra.get("nav") == "continue":
        return "continue"
    said = _fold(skill.utterance)
    for lang in CATALOG:
        if said == _fold(t(lang, "kakao.continue")):
            return "continue"
        if said == _fold(t(lang, "kakao.more")):
            return f"page:{page + 1}"
        if said == _fold(t(lang, "kakao.previous")):
            return f"page:{page - 1}"
    return None


def _lang_tag(lang: str | None) -> str | None:
    """Kakao's ``userRequest.lang`` ("ko", older payloads "kr") as an IETF tag."""
    if lang and lang.lower() == "kr":
        return "ko"
    return lang


def _is_chat_photo(utterance: str) -> bool:
    """A photo put straight into the chat reaches the skill as its URL alone."""
    text = utterance.strip()
    return bool(_URL.fullmatch(text)) and "kakao" in (urlsplit(text).hostname or "")


def _texts_of(response: dict) -> list[str]:
    outputs = response.get("template", {}).get("outputs", [])
    return [o["simpleText"]["text"] for o in outputs if "simpleText" in o]
