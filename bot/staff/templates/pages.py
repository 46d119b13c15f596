"""What each staff page shows, as plain values for its template (``*.html`` beside this file).

Nothing here reads storage or the request, and nothing here writes HTML:
handlers in :mod:`bot.staff.web` gather what a page shows, these functions put
it in the shape its template reads, and the template (autoescaped) writes it.
No page carries a script, and the only style is the stylesheet file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.staff.exports import Labels
from bot.staff.flags import Flag, flag_name
from bot.staff.stats import CaseStats, DayRange
from bot.staff.templates.charts import Bars, bars, day_chart
from bot.staff.templates.helpers import kst, money, plain
from bot.staff.templates.words import channel_name, word
from flows.messages import Reply
from flows.policy import Policy
from storage.records import AuditEntry, Case, CaseMessage, CaseStatus, CaseSummary

PREVIEW_TYPES = ("image/jpeg", "image/png", "image/webp")
Context = dict[str, Any]


@dataclass(frozen=True)
class Frame:
    """What every signed-in page shows around its content."""

    base: str  # where the staff app is mounted, e.g. "/staff"
    lang: str
    staff: str
    csrf: str
    here: str  # "cases", "stats" or ""
    switch_url: str  # this page in the other language
    flash: tuple[str, str] | None = None  # ("ok" | "error", text)


@dataclass(frozen=True)
class Paging:
    total: int
    page: int
    pages: int
    first: int  # 1-based number of the first row shown; 0 when none
    last: int
    links: Mapping[str, str | None]  # "first", "prev", "next", "last" -> URL or None


@dataclass(frozen=True)
class ListForm:
    """The list filter as the form shows it (strings, as typed)."""

    date_from: str = ""
    date_to: str = ""
    status: str = ""
    tier: str = ""
    reporter_type: str = ""
    service: str = ""
    flag: str = ""
    messages: str = ""  # "unread": only cases with messages staff have not answered
    q: str = ""
    sort: str = "newest"


SORTS = ("newest", "oldest", "amount_desc", "amount_asc")


@dataclass(frozen=True)
class Document:
    """A document staff can ask for: the value posted and the label in the staff's language."""

    value: str
    label: str


@dataclass(frozen=True)
class EvidenceItem:
    url: str
    name: str
    size: int
    preview: bool  # shown as a picture (the server still checks its bytes)
    kind: str  # the file-type badge when not previewed ("PDF", "FILE")


@dataclass(frozen=True)
class MessageItem:
    """One message of a case's thread as the case page shows it."""

    when: str
    who: str  # "이용자" / "Reporter", or the staff member's name
    from_user: bool
    text: str
    files: tuple[tuple[str, str], ...]  # (url, name)


@dataclass(frozen=True)
class AuditItem:
    when: str
    actor: str
    what: str
    lines: tuple[str, ...]


# -- pages without a session ------------------------------------------------------------


def signin(
    lang: str, *, base: str, nonce: str, name: str = "", error: str = "", next_url: str = ""
) -> Context:
    """The sign-in form: a name for the audit trail and the shared access token."""
    other = "en" if lang == "ko" else "ko"
    switch = f"{base}/signin?lang={other}" + (f"&next={next_url}" if next_url else "")
    return {
        "title": word(lang, "signin.title"),
        "base": base,
        "other": other,
        "switch_url": switch,
        "nonce": nonce,
        "name": name,
        "error": error,
        "next_url": next_url,
    }


def signin_once(
    lang: str, *, base: str, nonce: str, token: str, name: str, error: str = ""
) -> Context:
    """The one-time link's form: a name for the audit trail; the link's token rides along."""
    return {
        "title": word(lang, "signin.title"),
        "base": base,
        "nonce": nonce,
        "token": token,
        "name": name,
        "error": error,
    }


def error(message: str, *, back: str | None = None) -> Context:
    """A short error page; ``back`` links to somewhere useful."""
    return {"title": message, "message": message, "back": back}


# -- the case list ----------------------------------------------------------------------


def case_list(
    frame: Frame,
    *,
    form: ListForm,
    policy: Policy,
    labels: Labels,
    rows: Sequence[CaseSummary],
    flags: Mapping[str, frozenset[Flag]],
    paging: Paging,
    exports: Mapping[str, str],
    unread_cases: int = 0,
    undelivered: Mapping[str, int] | None = None,
) -> Context:
    """The filterable, sortable, paged case list with export links for the same filter.

    ``unread_cases`` counts every case with messages staff have not answered (a link
    to them heads the list). ``undelivered`` counts, per case, the notices its person
    has not got yet (a line heads the list, a badge marks each such row).
    """
    undelivered = dict(undelivered or {})
    lang = frame.lang
    choices: dict[str, list[tuple[str, str]]] = {
        "status": [(str(s), labels.status(s)) for s in CaseStatus],
        "tier": [(tier_id, labels.tier(tier_id)) for tier_id in policy.tiers],
        "reporter_type": [(r.id, labels.reporter_type(r.id)) for r in policy.reporter_types],
        "service": [(s.id, labels.service(s.id)) for s in policy.services],
        "flag": [
            ("any", word(lang, "filter.flag_any")),
            ("none", word(lang, "filter.flag_none")),
            *((str(f), flag_name(f, lang)) for f in Flag),
        ],
        "messages": [("unread", word(lang, "filter.messages_unread"))],
    }
    active = [
        (
            word(lang, f"filter.{key}"),
            dict(choices[key]).get(value, value) if key in choices else value,
        )
        for key, value in (
            ("from", form.date_from),
            ("to", form.date_to),
            ("status", form.status),
            ("tier", form.tier),
            ("reporter_type", form.reporter_type),
            ("service", form.service),
            ("flag", form.flag),
            ("messages", form.messages),
            ("q", form.q),
        )
        if value
    ]
    if form.sort != "newest":
        active.append((word(lang, "filter.sort"), word(lang, f"sort.{form.sort}")))
    return {
        "title": word(lang, "list.title"),
        "frame": frame,
        "form": form,
        "labels": labels,
        "choices": choices,
        "active": active,
        "sorts": SORTS,
        "rows": rows,
        "flags": flags,
        "paging": paging,
        "exports": exports,
        "unread_cases": unread_cases,
        "undelivered": undelivered,
        "undelivered_total": sum(undelivered.values()),
    }


def export(frame: Frame, *, name: str, count: int, download_url: str, back_url: str) -> Context:
    """The page an export link opens: what is being prepared (it then starts the download)."""
    return {
        "title": word(frame.lang, "export.preparing_title", format=name),
        "frame": frame,
        "name": name,
        "count": count,
        "download_url": download_url,
        "back_url": back_url,
    }


# -- the case detail --------------------------------------------------------------------


def detail(
    frame: Frame,
    *,
    case: Case,
    labels: Labels,
    tier_name: str,
    flags: Iterable[Flag],
    actions: Sequence[str],
    documents: Sequence[Document],
    audit: Sequence[AuditEntry],
    back_url: str,
    undelivered: Sequence[Reply] | None = None,
    undelivered_state: str = "",
    resendable: bool = True,
    message_id: str = "",
) -> Context:
    """One case: facts, description, evidence, flags, the allowed review actions and the audit trail.

    ``undelivered`` is what the user was not told yet (notices not delivered);
    ``undelivered_state`` says where it stands (tries and last error, or waiting in
    the person's mailbox); ``resendable`` shows the button that pushes it again now.
    ``message_id`` is the answer form's fresh id (a form posted twice stores one answer).
    """
    lang = frame.lang
    channel = channel_name(lang, case.user_id.channel)

    def w(key: str) -> str:
        return word(lang, key)

    def amount(value: int | None) -> str:
        return money(value, lang) if value is not None else "-"

    facts = [
        (w("col.submitted_at"), kst(case.submitted_at), False),
        (w("col.reporter_type"), labels.reporter_type(case.reporter_type), False),
        (w("col.service"), labels.service(case.service, case.service_other), False),
        (w("detail.billing"), labels.paid(case.paid), False),
        (w("detail.monetary"), labels.yes_no(case.monetary), False),
        (w("col.amount"), amount(case.amount), False),
        (w("col.tier"), tier_name, False),
        (w("detail.tentative"), amount(case.tentative_support), False),
        (w("detail.channel_cash"), labels.yes_no(case.channel_cash), False),
        (w("detail.final_amount"), amount(case.final_amount), False),
        (w("detail.business_number"), case.business_number or "-", False),
        # The person's id on the channel the case came by: "이용자(텔레그램 ID) 123".
        (word(lang, "detail.user", channel=channel), case.user_id.id, True),
        (w("detail.lang"), labels.language(case.lang), False),
        (w("detail.updated_at"), kst(case.updated_at), False),
    ]
    base = f"{frame.base}/cases/{case.case_number}"
    evidence = [
        EvidenceItem(
            url=f"{base}/evidence/{ref.sha256}",
            name=ref.name,
            size=ref.size,
            preview=ref.mime in PREVIEW_TYPES,
            kind=ref.name.rsplit(".", 1)[-1].upper()[:5] if "." in ref.name else "FILE",
        )
        for ref in case.evidence
    ]
    return {
        "title": case.case_number,
        "frame": frame,
        "case": case,
        "channel": channel,  # the words "told on {channel}" name the case's own channel
        "labels": labels,
        "facts": facts,
        "evidence": evidence,
        "flags": sorted(flags),
        "actions": actions,
        "documents": documents,
        "undelivered": undelivered or (),
        "thread": [message_item(m, base, lang) for m in case.messages],
        "message_id": message_id,
        "undelivered_state": undelivered_state,
        "resendable": resendable,
        "seen": repr(case.updated_at),
        "audit": [audit_item(entry, labels, lang) for entry in reversed(audit)],  # newest first
        "back_url": back_url,
    }


def confirm(
    frame: Frame,
    *,
    case: Case,
    labels: Labels,
    action: str,
    status_after: str,
    values: Mapping[str, Any],
    replies: Sequence[Reply],
    hidden: Mapping[str, str],
    delivers: bool = True,
) -> Context:
    """The step before a review action: what changes, and exactly what the user will be told
    (or, when nothing can be delivered, that the message waits to be sent again)."""
    return {
        "title": word(frame.lang, "confirm.title", action=word(frame.lang, f"action.{action}")),
        "frame": frame,
        "case": case,
        "channel": channel_name(frame.lang, case.user_id.channel),
        "labels": labels,
        "action": action,
        "status_after": status_after,
        "values": values,
        "replies": replies,
        "hidden": hidden,
        "delivers": delivers,
    }


def message_item(message: CaseMessage, base: str, lang: str) -> MessageItem:
    """A message of the thread: who wrote it when, its words and its files."""
    who = word(lang, "thread.user") if message.from_user else message.sender.removeprefix("staff:")
    return MessageItem(
        when=kst(message.at, seconds=True),
        who=who,
        from_user=message.from_user,
        text=message.text,
        files=tuple((f"{base}/evidence/{f.sha256}", f.name) for f in message.files),
    )


def audit_item(entry: AuditEntry, labels: Labels, lang: str) -> AuditItem:
    """One audit entry as the case page lists it: when, who, what, and its details as lines."""
    what = word(lang, f"audit.{entry.action}")
    if what == f"audit.{entry.action}":
        what = entry.action
    return AuditItem(
        when=kst(entry.at, seconds=True),
        actor=entry.actor,
        what=what,
        lines=tuple(_audit_details(entry, labels, lang)),
    )


def _audit_details(entry: AuditEntry, labels: Labels, lang: str) -> list[str]:
    detail = dict(entry.detail)
    lines = []
    changes = detail.pop("changes", None)
    if isinstance(changes, dict):
        status = changes.get("status")
        if isinstance(status, dict):
            lines.append(
                f"{word(lang, 'audit.status')}: {labels.status(status.get('from', ''))}"
                f" → {labels.status(status.get('to', ''))}"
            )
        amount = changes.get("final_amount")
        if isinstance(amount, dict):
            lines.append(
                f"{word(lang, 'audit.final_amount')}: {money(amount.get('from'), lang)}"
                f" → {money(amount.get('to'), lang)}"
            )
        added = changes.get("evidence_added")
        if isinstance(added, list):
            names = ", ".join(str(e.get("name", "")) for e in added if isinstance(e, dict))
            lines.append(f"{word(lang, 'audit.evidence_added')}: {names}")
    files = detail.pop("files", None)
    if isinstance(files, list) and files:  # a message's files
        names = ", ".join(str(e.get("name", "")) for e in files if isinstance(e, dict))
        lines.append(f"{word(lang, 'audit.files')}: {names}")
    # Bookkeeping, not something staff act on; an undelivered notice is shown above the actions.
    for key in (
        "draft_id",
        "notice",
        "notice_id",
        "notices",
        "documents_by_lang",
        "message_id",
        "sender",
    ):
        detail.pop(key, None)
    for key, value in detail.items():
        if value in ("", None):
            continue
        if key in ("final_amount", "previous") and isinstance(value, int):
            value = money(value, lang)
        elif key == "tier" and isinstance(value, str):
            value = labels.tier(value)
        shown = word(lang, f"audit.{key}")
        lines.append(f"{key if shown == f'audit.{key}' else shown}: {plain(value)}")
    return lines


# -- statistics -------------------------------------------------------------------------


def statistics(
    frame: Frame,
    *,
    stats: CaseStats,
    policy: Policy,
    labels: Labels,
    computed_at: float,
    every_s: float,
    days: DayRange,
) -> Context:
    """The council's breakdown as tiles and charts, every number also as text.

    Every case counts in the tiles and bar charts; the daily chart shows ``days``.
    """
    lang = frame.lang
    page: Context = {"title": word(lang, "stats.title"), "frame": frame, "total": stats.total}
    if stats.total == 0:
        return page
    total = stats.total

    def cases(n: int) -> str:
        return word(lang, "unit.cases", n=f"{n:,}")

    def share(n: int) -> str:
        return f"{100 * n / total:.1f}%"

    def chart(title: str, items: list[tuple[str, int]], note: str = "") -> tuple[str, str, Bars]:
        return title, note, bars([(label, n, cases(n)) for label, n in items], total=total)

    non_monetary = total - stats.paid - stats.free_monetary
    tiles = [
        (word(lang, "stats.total"), f"{total:,}", policy.name(lang)),
        (word(lang, "stats.paid_share"), share(stats.paid), cases(stats.paid)),
        (
            word(lang, "stats.free_monetary_share"),
            share(stats.free_monetary),
            cases(stats.free_monetary),
        ),
        (word(lang, "stats.free_non_monetary"), share(non_monetary), cases(non_monetary)),
    ]
    type_order = [r.id for r in policy.reporter_types]
    bar_charts = [
        chart(
            word(lang, "stats.reporter_type"),
            [(labels.reporter_type(k), n) for k, n in _ordered(stats.by_reporter_type, type_order)],
        ),
        chart(
            word(lang, "stats.channel"),
            [(channel_name(lang, k), n) for k, n in stats.by_channel.items()],
        ),
        chart(
            word(lang, "stats.kind"),
            [
                (word(lang, "stats.paid"), stats.paid),
                (word(lang, "stats.free_monetary"), stats.free_monetary),
                (word(lang, "stats.free_non_monetary"), non_monetary),
            ],
            word(lang, "stats.kind_note"),
        ),
        chart(
            word(lang, "stats.billing"),
            [(word(lang, "stats.paid"), stats.paid), (word(lang, "stats.free"), stats.free)],
        ),
        chart(
            word(lang, "stats.money"),
            [
                (word(lang, "stats.monetary"), stats.monetary),
                (word(lang, "stats.non_monetary"), stats.non_monetary),
            ],
            word(lang, "stats.money_note"),
        ),
        chart(
            word(lang, "stats.tier"),
            [(labels.tier(k), n) for k, n in _ordered(stats.by_tier, list(policy.tiers))],
        ),
        chart(
            word(lang, "stats.status"),
            [
                (labels.status(k), n)
                for k, n in _ordered(stats.by_status, [str(s) for s in CaseStatus])
            ],
        ),
    ]
    if stats.median_loss:
        medians = [
            (
                labels.reporter_type(k),
                float(v),
                f"{money(round(v), lang)} ({word(lang, 'stats.n', n=f'{stats.loss_cases[k]:,}')})",
            )
            for k, v in _ordered(stats.median_loss, type_order)
        ]
        bar_charts.append(
            (
                word(lang, "stats.median"),
                word(lang, "stats.median_note"),
                bars(medians, wide_values=True),
            )
        )
    title, unit = word(lang, "stats.per_day"), word(lang, "unit.cases")
    day_charts = [
        day_chart(days.days, title=title, unit=unit, css_class="wide"),
        day_chart(days.days, title=title, unit=unit, width=360, labels=3, css_class="narrow"),
    ]
    page.update(
        computed_at=computed_at,
        every_s=every_s,
        tiles=tiles,
        days=days,
        in_range=sum(days.days.values()),
        day_charts=[c for c in day_charts if c is not None],
        bar_charts=bar_charts,
    )
    return page


def _ordered(counts: Mapping[str, Any], order: list[str]) -> list[tuple[str, Any]]:
    """Items in the policy's order; ids the policy does not know come last."""
    known = [(k, counts[k]) for k in order if k in counts]
    return known + [(k, v) for k, v in counts.items() if k not in order]
