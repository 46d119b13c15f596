"""Answering a case's messages and marking its thread done (the case page's "messages" card)."""

from __future__ import annotations

import re

from aiohttp import web

from bot.staff.messages import StaffMessages
from bot.staff.templates.words import channel_name, word
from bot.staff.web.common import PREFIX, SESSION_KEY, STAFF_KEY, read_form, see_other
from storage import CaseNotFound
from storage.case_numbers import normalize_case_number

routes = web.RouteTableDef()
# The case page draws a fresh id into its answer form; posting the form twice stores one answer.
_MESSAGE_ID = re.compile(r"[0-9a-f]{32}")


def _service(request: web.Request) -> StaffMessages:
    staff = request.app[STAFF_KEY]
    return StaffMessages(staff.storage, staff.review, clock=staff.clock)


def _number(request: web.Request) -> str:
    number = normalize_case_number(request.match_info["number"])
    if number is None:
        raise web.HTTPNotFound()
    return number


@routes.post("/cases/{number}/messages", name="answer")
async def answer(request: web.Request) -> web.StreamResponse:
    """Store staff's answer on the case and send it to the person, then back to the case."""
    session = request[SESSION_KEY]
    number = _number(request)
    form = await read_form(request)
    text = str(form.get("text", ""))
    message_id = str(form.get("message_id", ""))
    back = see_other(f"{PREFIX}/cases/{number}#messages")
    if not text.strip():
        session.flash = ("error", word(session.lang, "error.answer_empty"))
        return back
    if not _MESSAGE_ID.fullmatch(message_id):
        raise web.HTTPBadRequest(text="bad form")
    try:
        answered = await _service(request).answer(
            number, staff=session.actor, text=text, message_id=message_id
        )
    except CaseNotFound:
        raise web.HTTPNotFound() from None
    if answered.delivered or not answered.sent:
        session.flash = ("ok", word(session.lang, "done.answer"))
    elif answered.waits:  # a channel that cannot push: the mailbox shows it next time
        session.flash = ("ok", word(session.lang, "done.answer_waits"))
    else:
        channel = channel_name(session.lang, answered.case.user_id.channel)
        session.flash = ("error", word(session.lang, "done.not_told", channel=channel))
    return back


@routes.post("/cases/{number}/thread-done", name="thread_done")
async def thread_done(request: web.Request) -> web.StreamResponse:
    """Mark the case's thread done (audited), then back to the case."""
    session = request[SESSION_KEY]
    number = _number(request)
    await read_form(request)
    try:
        await _service(request).done(number, staff=session.actor)
    except CaseNotFound:
        raise web.HTTPNotFound() from None
    session.flash = ("ok", word(session.lang, "done.thread_done"))
    return see_other(f"{PREFIX}/cases/{number}#messages")
