"""The case list (filter, sort, pages) and one case's page."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from operator import attrgetter
from urllib.parse import urlencode

from aiohttp import web

from bot.notices import replies_of
from bot.staff.exports import kst_days
from bot.staff.flags import Flag
from bot.staff.review import NOTIFY_FAILED, ReviewService, pending_notice
from bot.staff.templates import pages
from bot.staff.templates.helpers import kst
from bot.staff.templates.pages import Document, ListForm, Paging
from bot.staff.templates.words import channel_name, word
from bot.staff.web.common import (
    DATE,
    EXPORT_TYPES,
    PREFIX,
    SESSION_KEY,
    STAFF_KEY,
    documents_for,
    export_name,
    frame,
    render,
    url,
)
from flows.messages import Reply
from flows.policy import Policy
from flows.review import allowed_actions
from storage import AuditEntry, Case, CaseFilter, CaseStatus, CaseSummary
from storage.base import Storage
from storage.case_numbers import ALPHABET, normalize_case_number

routes = web.RouteTableDef()
PAGE_SIZE = 50
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.]+")


@dataclass(frozen=True)
class ListQuery:
    """A parsed list filter; values the policy does not know are dropped, not guessed."""

    form: ListForm
    filter: CaseFilter
    flag: str  # "", "any", "none" or a Flag value
    number: str  # the typed case number, compact and upper case ("" for none)
    page: int

    def params(self, **changes: object) -> dict[str, str]:
        """The query parameters that reproduce this filter (empty ones left out)."""
        form = self.form
        values = {
            "from": form.date_from,
            "to": form.date_to,
            "status": form.status,
            "tier": form.tier,
            "reporter_type": form.reporter_type,
            "service": form.service,
            "flag": form.flag,
            "messages": form.messages,
            "q": form.q,
            "sort": "" if form.sort == "newest" else form.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        values.update({k: str(v) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v}


def parse_list_query(query: Mapping[str, str], policy: Policy) -> ListQuery:
    """Read the list filter from query parameters."""

    def choice(name: str, allowed: set[str]) -> str:
        value = query.get(name, "")
        return value if value in allowed else ""

    def day(name: str) -> tuple[str, dt.date | None]:
        value = query.get(name, "").strip()
        try:
            return (value, dt.date.fromisoformat(value)) if DATE.fullmatch(value) else ("", None)
        except ValueError:
            return "", None

    from_text, first = day("from")
    to_text, last = day("to")
    start, end = kst_days(first, last)
    status = choice("status", {str(s) for s in CaseStatus})
    tier = choice("tier", set(policy.tiers))
    reporter_type = choice("reporter_type", {r.id for r in policy.reporter_types})
    service = choice("service", {s.id for s in policy.services})
    flag = choice("flag", {"any", "none", *(str(f) for f in Flag)})
    messages = choice("messages", {"unread"})
    sort = choice("sort", set(pages.SORTS)) or "newest"
    typed = query.get("q", "")[:40]
    number = _SEPARATORS.sub("", unicodedata.normalize("NFKC", typed)).upper()

    try:
        page = max(1, int(query.get("page", "1")))
    except ValueError:
        page = 1
    return ListQuery(
        form=ListForm(
            date_from=from_text,
            date_to=to_text,
            status=status,
            tier=tier,
            reporter_type=reporter_type,
            service=service,
            flag=flag,
            messages=messages,
            q=typed.strip(),
            sort=sort,
        ),
        filter=CaseFilter(
            submitted_from=start,
            submitted_to=end,
            status=CaseStatus(status) if status else None,
            tier=tier or None,
            reporter_type=reporter_type or None,
            service=service or None,
            unread_messages=True if messages else None,
        ),
        flag=flag,
        number=number,
        page=page,
    )


def matching_rows(
    storage: Storage, query: ListQuery, flags: Mapping[str, frozenset[Flag]]
) -> list[CaseSummary]:
    """Index rows that pass the whole filter, in the requested order (no case file is opened)."""
    rows = storage.list_cases(query.filter)  # oldest submission first
    if query.flag == "any":
        rows = [r for r in rows if r.case_number in flags]
    elif query.flag == "none":
        rows = [r for r in rows if r.case_number not in flags]
    elif query.flag:
        wanted = Flag(query.flag)
        rows = [r for r in rows if wanted in flags.get(r.case_number, ())]
    if query.number:
        rows = _with_number(rows, query.number)
    sort = query.form.sort
    if sort == "newest":
        rows.reverse()
    elif sort == "amount_desc":
        rows.sort(key=lambda r: (r.amount is None, -(r.amount or 0)))
    elif sort == "amount_asc":
        rows.sort(key=lambda r: (r.amount is None, r.amount or 0))
    return rows


def list_page(
    storage: Storage, query: ListQuery, flags: Mapping[str, frozenset[Flag]]
) -> tuple[int, int, list[CaseSummary]]:
    """How many cases match, the page shown (the last one when asked for one past it), its rows.

    Without a flag filter the store pages itself (:meth:`Storage.list_cases_page`: SQL
    on indexed columns for PostgreSQL); a flag filter needs every matching row.
    """
    if query.flag:
        rows = matching_rows(storage, query, flags)
        pages_count = max(1, -(-len(rows) // PAGE_SIZE))
        page = min(query.page, pages_count)
        return len(rows), page, rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    if query.number and any(ch not in ALPHABET for ch in query.number):
        return 0, 1, []
    page = query.page
    while True:
        total, shown = storage.list_cases_page(
            query.filter,
            sort=query.form.sort,
            number_contains=query.number,
            offset=(page - 1) * PAGE_SIZE,
            limit=PAGE_SIZE,
        )
        pages_count = max(1, -(-total // PAGE_SIZE))
        if page <= pages_count:
            return total, page, shown
        page = pages_count


def _with_number(rows: list[CaseSummary], typed: str) -> list[CaseSummary]:
    """Rows whose case number contains ``typed`` (compact, upper case), hyphens ignored.

    Searches one joined string with a regex instead of testing 105,000 strings
    one by one in Python (about three times faster). Every number has the same
    length (XXX-XXX-XXX), so a match's offset tells its row; the pattern cannot
    cross the newline between two numbers.
    """
    if any(ch not in ALPHABET for ch in typed):
        return []
    if not rows:
        return []
    width = len(rows[0].case_number) + 1
    text = "\n".join(map(attrgetter("case_number"), rows))
    if len(text) != width * len(rows) - 1:  # not all the same length: test one by one
        return [r for r in rows if typed in r.case_number.replace("-", "")]
    pattern = re.compile("-?".join(typed))
    found = dict.fromkeys(m.start() // width for m in pattern.finditer(text))
    return [rows[i] for i in found]


@routes.get("/", name="cases")
async def case_list(request: web.Request) -> web.Response:
    """Show one page of the filtered, sorted case list."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    query = parse_list_query(request.query, staff.policy)
    flags = await staff.flags.get()
    total, page, shown = await asyncio.to_thread(list_page, staff.storage, query, flags)
    unread = await asyncio.to_thread(
        lambda: staff.storage.list_cases_page(CaseFilter(unread_messages=True), limit=0)[0]
    )
    # Notices their people have not got yet (pushes failing, or kept for their next
    # visit): few, and kept apart from the delivered ones, so counting them is cheap.
    undelivered = await asyncio.to_thread(staff.storage.undelivered_by_case)
    pages_count = max(1, -(-total // PAGE_SIZE))
    session.list_query = urlencode(query.params(page=page if page > 1 else ""))

    def at(p: int) -> str | None:
        if p == page or not 1 <= p <= pages_count:
            return None
        return f"{PREFIX}/?{urlencode(query.params(page=p if p > 1 else ''))}"

    paging = Paging(
        total=total,
        page=page,
        pages=pages_count,
        first=(page - 1) * PAGE_SIZE + 1 if shown else 0,
        last=(page - 1) * PAGE_SIZE + len(shown),
        links={"first": at(1), "prev": at(page - 1), "next": at(page + 1), "last": at(pages_count)},
    )
    filter_params = query.params(page="", sort="")
    exports = {
        export_name(kind, session.lang): url(f"exporting/{kind}", filter_params)
        for kind in EXPORT_TYPES
    }
    page_values = pages.case_list(
        frame(request, "cases"),
        form=query.form,
        policy=staff.policy,
        labels=staff.label(session.lang),
        rows=shown,
        flags=flags,
        paging=paging,
        exports=exports,
        unread_cases=unread,
        undelivered=undelivered,
    )
    return render(request, "list.html", page_values, lang=session.lang)


@routes.get("/cases/{number}", name="case")
async def case_detail(request: web.Request) -> web.Response:
    """Show one case with its evidence, flags, review actions and audit trail."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    number = normalize_case_number(request.match_info["number"])
    case = await asyncio.to_thread(staff.storage.get_case, number) if number else None
    if case is None:
        message = word(session.lang, "detail.not_found", number=request.match_info["number"])
        page = pages.error(message, back=f"{PREFIX}/")
        return render(request, "error.html", page, lang=session.lang, status=404)
    audit = await asyncio.to_thread(lambda: list(staff.storage.iter_audit(case.case_number)))
    if session.flash and session.flash[0] == "ok" and audit and audit[-1].action == NOTIFY_FAILED:
        # ReviewService keeps a decision whose message failed, and audits the failure last.
        channel = channel_name(session.lang, case.user_id.channel)
        session.flash = ("error", word(session.lang, "done.not_told", channel=channel))
    undelivered, state, resendable = await undelivered_notices(
        staff.review, case, audit, session.lang
    )
    flags = await staff.flags.get()
    tier_name = staff.label(session.lang).tier(
        case.tier,
        channel_cash=staff.policy.channel_cash.support
        if case.channel_cash and staff.policy.channel_cash
        else None,
    )
    page = pages.detail(
        frame(request, "cases"),
        case=case,
        labels=staff.label(session.lang),
        tier_name=tier_name,
        flags=flags.get(case.case_number, ()),
        actions=allowed_actions(staff.review.machine, str(case.status)),
        undelivered=undelivered,
        undelivered_state=state,
        resendable=resendable,
        documents=[
            Document(str(i), text(session.lang))
            for i, text in enumerate(documents_for(staff.policy, case.tier))
        ],
        audit=audit,
        message_id=uuid.uuid4().hex,
        back_url=f"{PREFIX}/" + (f"?{session.list_query}" if session.list_query else ""),
    )
    return render(request, "detail.html", page, lang=session.lang)


async def undelivered_notices(
    review: ReviewService, case: Case, audit: list[AuditEntry], lang: str
) -> tuple[list[Reply], str, bool]:
    """What the case's person was not told yet, where it stands, and whether "send again" helps.

    From the notices still undelivered; a message that failed before notices were
    kept is read from the audit trail (``review.notify_failed`` without a notice id).
    """
    waiting = await review.undelivered(case.case_number)
    replies = [reply for notice in waiting for reply in replies_of(notice)]
    replies += pending_notice(audit) or []
    if not replies:
        return [], "", False
    channel = channel_name(lang, case.user_id.channel)
    if not review.delivers_to(case.user_id):
        return replies, word(lang, "notice.mailbox", channel=channel), False
    tried = [n for n in waiting if n.attempts]
    if not tried:
        return replies, "", True
    last = max(tried, key=lambda n: n.last_attempt_at or 0)
    state = word(
        lang,
        "notice.retrying",
        channel=channel,
        attempts=sum(n.attempts for n in tried),
        error=last.last_error or "-",
        at=kst(last.last_attempt_at or last.created_at),
    )
    return replies, state, True
