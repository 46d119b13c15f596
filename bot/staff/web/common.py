"""What the staff web's parts share: the per-application state, request keys and small helpers."""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from multidict import MultiDictProxy

from bot.ratelimit import Network
from bot.staff.exports import Labels
from bot.staff.flags import Flag
from bot.staff.review import ReviewService
from bot.staff.stats import CaseStats
from bot.staff.templates.pages import Frame
from bot.staff.templates.words import LANGS, word
from bot.staff.web.sessions import OneTimeSignIn, SessionStore, SignInThrottle, StaffSession
from bot.webpage import StaticFile, is_https
from flows.policy import Policy, Text
from storage.base import Storage

if TYPE_CHECKING:
    from bot.staff.web.overview import Refreshed
    from bot.staff.web.postgres_sessions import PostgresSessionStore

log = logging.getLogger("bot.staff.web")  # one name for the whole staff web, as before the split

PREFIX = "/staff"
TEXT_MAX = 1000
EXPORT_TYPES = {  # the downloads of bot.staff.web.files, linked from the case list
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/x-ndjson; charset=utf-8",
    "zip": "application/zip",
}
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# The one stylesheet (``bot/staff/static/staff.css``), named by its content's hash.
STYLESHEET = StaticFile.load("bot.staff", "static/staff.css", "text/css", f"{PREFIX}/static")


@dataclass
class StaffWeb:
    """Everything the staff handlers share; one per application, no globals."""

    storage: Storage
    policy: Policy
    review: ReviewService
    token_digest: bytes
    sessions: SessionStore | PostgresSessionStore
    throttle: SignInThrottle
    trusted_proxies: tuple[Network, ...]  # whose X-Forwarded-For names the client
    flags: Refreshed[Mapping[str, frozenset[Flag]]]
    stats: Refreshed[CaseStats]
    clock: Callable[[], float]
    labels: dict[str, Labels]  # by language
    warned_forwarded: bool = False  # said once that X-Forwarded-For is ignored
    one_time: OneTimeSignIn | None = None  # the printed one-time link, without STAFF_WEB_TOKEN

    def label(self, lang: str) -> Labels:
        return self.labels[lang]


STAFF_KEY = web.AppKey("staff_web", StaffWeb)
SESSION_KEY = web.RequestKey("staff_session", StaffSession)
STARTED_KEY = web.RequestKey("staff_started", float)


async def read_form(
    request: web.Request,
) -> MultiDictProxy[str | bytes | bytearray | web.FileField]:
    """The POSTed form, or a plain 400 when it cannot be read.

    aiohttp raises on bytes that are not UTF-8 and on a multipart part without a
    field name; no browser sends either, and neither may become a 500.
    """
    try:
        return await request.post()
    except ValueError:  # UnicodeDecodeError is one
        log.warning("staff POST %s refused: unreadable form", request.path)
        raise web.HTTPBadRequest(text="unreadable form") from None


def frame(request: web.Request, here: str, *, switch_to: str | None = None) -> Frame:
    """The page's frame; the language switch reloads this page, or goes to ``switch_to``.

    A page answering a POST (a confirmation) must switch to a page one can GET.
    """
    session = request[SESSION_KEY]
    other = "en" if session.lang == "ko" else "ko"
    params = {k: v for k, v in request.query.items() if k != "lang"}
    params["lang"] = other
    flash, session.flash = session.flash, None
    return Frame(
        base=PREFIX,
        lang=session.lang,
        staff=session.staff,
        csrf=session.csrf,
        here=here,
        switch_url=f"{switch_to or request.path}?{urlencode(params)}",
        flash=flash,
    )


def see_other(location: str) -> web.Response:
    """A 303 to ``location`` that can still carry cookies (a raised HTTPSeeOther cannot)."""
    return web.Response(status=303, headers={"Location": location})


def url(path: str, params: Mapping[str, str]) -> str:
    return f"{PREFIX}/{path}" + (f"?{urlencode(params)}" if params else "")


def query_lang(request: web.Request) -> str:
    lang = request.query.get("lang", "ko")
    return lang if lang in LANGS else "ko"


def set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, *, max_age: int
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="Strict",
        secure=is_https(request),
    )


def parse_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if DATE.fullmatch(text) else None
    except ValueError:
        return None


def documents_for(policy: Policy, tier_id: str) -> list[Text]:
    """Documents to offer for a case: its tier's list, else every tier's (each once)."""
    tier = policy.tiers.get(tier_id)
    if tier is not None and tier.documents:
        return list(tier.documents)
    return list(dict.fromkeys(d for t in policy.tiers.values() for d in t.documents))


def export_name(kind: str, lang: str) -> str:
    return word(lang, "export.zip") if kind == "zip" else kind.upper()


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    lang: str,
    status: int = 200,
) -> web.Response:
    """A page from its template (autoescaped), with the words of ``lang`` as ``w``."""
    values = {"lang": lang, "w": partial(word, lang), "stylesheet": STYLESHEET.url, **context}
    return aiohttp_jinja2.render_template(template, request, values, status=status)
