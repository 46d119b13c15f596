"""Review actions on one case (confirmed first, then taken) and lifting the per-person limits."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any

from aiohttp import web

from bot.staff.limits import lift_limits
from bot.staff.templates import pages
from bot.staff.templates.words import channel_name, word
from bot.staff.web.common import (
    PREFIX,
    SESSION_KEY,
    STAFF_KEY,
    TEXT_MAX,
    documents_for,
    frame,
    parse_date,
    read_form,
    render,
    see_other,
)
from flows.amount import parse_amount
from flows.errors import AmountError
from flows.review import STAFF_ACTIONS, ReviewError, ReviewInputError, next_status
from storage import Case, CaseNotFound
from storage.case_numbers import normalize_case_number

log = logging.getLogger("bot.staff.web")  # one name for the whole staff web, as before the split
routes = web.RouteTableDef()
RESEND = "resend"  # sending a message that failed again: a page action, not a review step


@routes.post("/cases/{number}/lift-limits", name="lift_limits")
async def lift_limits_action(request: web.Request) -> web.StreamResponse:
    """Lift the policy's per-person limits for whoever filed this case (audited), then go back."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    number = normalize_case_number(request.match_info["number"])
    if number is None:
        raise web.HTTPNotFound()
    reason = str((await read_form(request)).get("reason", "")).strip()[:TEXT_MAX]
    back = see_other(f"{PREFIX}/cases/{number}")
    if not reason:
        session.flash = ("error", word(session.lang, "error.limits_reason"))
        return back
    try:
        await asyncio.to_thread(
            lift_limits, staff.storage, number, actor=session.actor, now=time.time(), reason=reason
        )
    except CaseNotFound:
        raise web.HTTPNotFound() from None
    log.info("staff %r: lifted the per-person limits from case %s", session.staff, number)
    session.flash = ("ok", word(session.lang, "done.limits_lifted"))
    return back


@routes.post("/cases/{number}/{action}", name="action")
async def review_action(request: web.Request) -> web.StreamResponse:
    """Show what a review action will tell the user; once confirmed, take it and go back to the case.

    The first POST (from the case page) only renders a confirmation page with
    the exact message; it carries the parsed values as hidden fields plus
    ``confirmed=yes`` and the case's ``updated_at`` as seen, so a case that
    someone changed in between is not decided on an outdated view.
    """
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    action = request.match_info["action"]
    number = normalize_case_number(request.match_info["number"])
    if (action not in STAFF_ACTIONS and action != RESEND) or number is None:
        raise web.HTTPNotFound()
    case = await asyncio.to_thread(staff.storage.get_case, number)
    if case is None:
        raise web.HTTPNotFound()
    form = await request.post()
    lang = session.lang

    def field(name: str, limit: int = TEXT_MAX) -> str:
        return str(form.get(name, "")).strip()[:limit]

    def refuse(key: str, **values: object) -> web.Response:
        session.flash = ("error", word(lang, key, **values))
        return back

    back = see_other(f"{PREFIX}/cases/{number}")
    confirmed = field("confirmed") == "yes"
    if confirmed and field("seen") != seen_stamp(case):
        return refuse("error.changed")
    values: dict[str, Any] = {}
    if action == "request_documents":
        documents = field("documents", 2000)
        if not confirmed:
            known = documents_for(staff.policy, case.tier)
            chosen = [
                known[int(v)](case.lang)
                for v in map(str, form.getall("doc", []))
                if v.isdigit() and int(v) < len(known)
            ]
            if field("other", 500):
                chosen.append(field("other", 500))
            documents = ", ".join(chosen)
        if not documents:
            return refuse("error.documents")
        values = {"documents": documents, "note": field("note")}
        values["deadline"] = staff.review.deadline(parse_date(field("deadline", 10)))
    elif action in ("approve", "correct_amount"):
        amount = parse_final_amount(field("final_amount", 40), staff.policy.amount_cap)
        if amount is None:
            return refuse("error.amount")
        values = {"final_amount": amount}
        if action == "approve":
            values["note"] = field("note")
        elif not field("reason"):
            return refuse("error.correction_reason")
        elif amount == case.final_amount:
            return refuse("error.same_amount")
        else:
            values["reason"] = field("reason")
    elif action == "reject":
        if not field("reason"):
            return refuse("error.reason")
        values = {"reason": field("reason")}
    try:
        if action == RESEND:
            if not confirmed:
                raise web.HTTPNotFound()  # the case page shows the message it resends
            if not await staff.review.resend(number, staff=session.actor):
                return refuse("done.not_told", channel=channel_name(lang, case.user_id.channel))
        elif not confirmed:
            replies = await staff.review.preview(number, action, **values)
            after = next_status(staff.review.machine, str(case.status), action)
            page = pages.confirm(
                frame(request, "cases", switch_to=f"{PREFIX}/cases/{number}"),
                case=case,
                labels=staff.label(lang),
                action=action,
                status_after=after,
                values=values,
                replies=replies,
                hidden={
                    **{k: str(v) for k, v in values.items()},
                    "confirmed": "yes",
                    "seen": seen_stamp(case),
                },
                delivers=staff.review.delivers_to(case.user_id),
            )
            return render(request, "confirm.html", page, lang=lang)
        elif action == "request_documents":
            await staff.review.request_documents(number, staff=session.actor, **values)
        elif action == "approve":
            await staff.review.approve(number, staff=session.actor, **values)
        elif action == "correct_amount":
            await staff.review.correct_amount(number, staff=session.actor, **values)
        elif action == "reject":
            await staff.review.reject(number, staff=session.actor, **values)
        elif action == "pay":
            await staff.review.mark_paid(number, staff=session.actor)
    except ReviewInputError:
        return refuse("error.resend_nothing" if action == RESEND else "error.input")
    except ReviewError:
        current = await asyncio.to_thread(staff.storage.get_case, number)
        status = staff.label(lang).status(str(current.status if current else case.status))
        session.flash = (
            "error",
            word(lang, "error.not_allowed", action=word(lang, f"action.{action}"), status=status),
        )
        return back
    except CaseNotFound:
        raise web.HTTPNotFound() from None
    staff.stats.stale()  # the status counts changed
    log.info("staff %r: %s on case %s", session.staff, action, number)
    session.flash = ("ok", word(lang, f"done.{action}"))
    return back


def seen_stamp(case: Case) -> str:
    """What a confirmation form remembers of the case it was made for."""
    return repr(case.updated_at)


def parse_final_amount(text: str, cap: int) -> int | None:
    """A final amount in won: plain digits (0 allowed) or any amount the intake understands."""
    plain = re.sub(r"[\s,원₩]|KRW", "", text, flags=re.IGNORECASE)
    if plain.isascii() and plain.isdigit():
        value = int(plain)
        return value if value <= cap else None
    try:
        return parse_amount(text, cap=cap)
    except AmountError:
        return None
