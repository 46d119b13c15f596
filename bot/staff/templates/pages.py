"""The staff pages as functions of plain values; every inserted value goes through ``esc``.

Nothing here reads storage or the request: handlers in :mod:`bot.staff.web` gather
what a page shows and these functions only turn it into HTML. No page carries a
script, and the only style is the stylesheet in ``<head>`` (allowed by its hash).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape as esc
from typing import Any

from bot.staff.exports import Labels
from bot.staff.flags import Flag, flag_name
from bot.staff.stats import CaseStats, DayRange
from bot.staff.templates.charts import bars, day_columns
from bot.staff.templates.style import CSS
from bot.staff.templates.words import word
from flows.amount import format_amount
from flows.messages import Reply
from flows.policy import KST, Policy
from storage.records import AuditEntry, Case, CaseStatus, CaseSummary

PREVIEW_TYPES = ("image/jpeg", "image/png", "image/webp")


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
    q: str = ""
    sort: str = "newest"


SORTS = ("newest", "oldest", "amount_desc", "amount_asc")


@dataclass(frozen=True)
class Document:
    """A document staff can ask for: the value posted and the label in the staff's language."""

    value: str
    label: str


# -- shells ------------------------------------------------------------------------


def _head(lang: str, title: str, extra: str = "") -> str:
    return (
        f'<!doctype html><html lang="{esc(lang)}"><head><meta charset="utf-8">{extra}'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="same-origin">'
        '<link rel="icon" href="data:,">'
        f"<title>{esc(title)} · {esc(word(lang, 'app'))}</title>"
        f"<style>{CSS}</style></head>"
    )


def layout(frame: Frame, title: str, body: str, *, head: str = "") -> str:
    """A signed-in page: top bar with navigation, language switch and sign-out; ``head`` goes in <head>."""
    lang = frame.lang

    def nav(name: str, href: str) -> str:
        here = ' class="here" aria-current="page"' if frame.here == name else ""
        return f'<a href="{esc(href)}"{here}>{esc(word(lang, f"nav.{name}"))}</a>'

    flash = ""
    if frame.flash:
        kind, text = frame.flash
        role = "status" if kind == "ok" else "alert"
        flash = f'<div class="flash {esc(kind)}" role="{role}">{esc(text)}</div>'
    return (
        _head(lang, title, head) + "<body>"
        '<header class="topbar"><div class="topbar-inner">'
        f'<a class="brand" href="{esc(frame.base)}/">{esc(word(lang, "app"))}</a>'
        f'<nav class="nav">{nav("cases", frame.base + "/")}{nav("stats", frame.base + "/stats")}</nav>'
        '<div class="who">'
        f'<a href="{esc(frame.switch_url)}" lang="{"ko" if lang == "en" else "en"}">{esc(word(lang, "nav.switch"))}</a>'
        f"<span>{esc(word(lang, 'nav.signed_in', name=frame.staff))}</span>"
        f'<form method="post" action="{esc(frame.base)}/signout">{csrf_field(frame.csrf)}'
        f'<button class="link-button" type="submit">{esc(word(lang, "nav.signout"))}</button></form>'
        "</div></div></header>"
        f"<main>{flash}{body}</main></body></html>"
    )


def bare_page(lang: str, title: str, body: str) -> str:
    """A page without a session: sign-in and errors."""
    return _head(lang, title) + f"<body><main>{body}</main></body></html>"


def csrf_field(token: str) -> str:
    return f'<input type="hidden" name="csrf" value="{esc(token)}">'


def error_page(lang: str, message: str, *, back: str | None = None) -> str:
    """A short error page; ``back`` links to somewhere useful."""
    link = f'<p><a href="{esc(back)}">{esc(word(lang, "detail.back"))}</a></p>' if back else ""
    return bare_page(
        lang, message, f'<div class="card signin"><p role="alert">{esc(message)}</p>{link}</div>'
    )


# -- sign-in -----------------------------------------------------------------------


def signin_page(
    lang: str, *, base: str, nonce: str, name: str = "", error: str = "", next_url: str = ""
) -> str:
    """The sign-in form: a name for the audit trail and the shared access token."""
    other = "en" if lang == "ko" else "ko"
    switch = f"{base}/signin?lang={other}" + (f"&next={next_url}" if next_url else "")
    alert = f'<div class="flash error" role="alert">{esc(error)}</div>' if error else ""
    body = (
        '<div class="signin">'
        f'<p class="muted"><span class="brand-text">{esc(word(lang, "app"))}</span> · '
        f'<a href="{esc(switch)}" lang="{other}">{esc(word(lang, "nav.switch"))}</a></p>'
        f'<div class="card"><h1>{esc(word(lang, "signin.title"))}</h1>'
        f'<p class="lead">{esc(word(lang, "signin.lead"))}</p>{alert}'
        f'<form method="post" action="{esc(base)}/signin">'
        f"{csrf_field(nonce)}"
        f'<input type="hidden" name="lang" value="{esc(lang)}">'
        f'<input type="hidden" name="next" value="{esc(next_url)}">'
        '<div class="field">'
        f'<label for="name">{esc(word(lang, "signin.name"))}</label>'
        f'<input type="text" id="name" name="name" value="{esc(name)}" maxlength="40" required autocomplete="name">'
        f'<div class="hint">{esc(word(lang, "signin.name_hint"))}</div></div>'
        '<div class="field">'
        f'<label for="token">{esc(word(lang, "signin.token"))}</label>'
        '<input type="password" id="token" name="token" required autocomplete="current-password"></div>'
        f'<button class="button" type="submit">{esc(word(lang, "signin.submit"))}</button>'
        "</form></div></div>"
    )
    return bare_page(lang, word(lang, "signin.title"), body)


# -- the case list -----------------------------------------------------------------


def _options(pairs: Iterable[tuple[str, str]], selected: str, *, all_label: str) -> str:
    out = [f'<option value="">{esc(all_label)}</option>']
    for value, label in pairs:
        mark = " selected" if value == selected else ""
        out.append(f'<option value="{esc(value)}"{mark}>{esc(label)}</option>')
    return "".join(out)


def _select(name: str, label: str, options: str) -> str:
    return (
        f'<div><label for="f-{name}">{esc(label)}</label>'
        f'<select id="f-{name}" name="{name}">{options}</select></div>'
    )


def list_page(
    frame: Frame,
    *,
    form: ListForm,
    policy: Policy,
    labels: Labels,
    rows: Sequence[CaseSummary],
    flags: Mapping[str, frozenset[Flag]],
    paging: Paging,
    exports: Mapping[str, str],
) -> str:
    """The filterable, sortable, paged case list with export links for the same filter."""
    lang = frame.lang

    def w(key: str, **values: object) -> str:
        return esc(word(lang, key, **values))

    all_label = word(lang, "filter.all")
    statuses = [(str(s), labels.status(s)) for s in CaseStatus]
    tiers = [(tier_id, labels.tier(tier_id)) for tier_id in policy.tiers]
    types = [(r.id, labels.reporter_type(r.id)) for r in policy.reporter_types]
    services = [(s.id, labels.service(s.id)) for s in policy.services]
    flag_choices = [
        ("any", word(lang, "filter.flag_any")),
        ("none", word(lang, "filter.flag_none")),
    ]
    flag_choices += [(str(f), flag_name(f, lang)) for f in Flag]
    sorts = "".join(
        f'<option value="{s}"{" selected" if s == form.sort else ""}>{w(f"sort.{s}")}</option>'
        for s in SORTS
    )
    named = {
        "status": dict(statuses),
        "tier": dict(tiers),
        "reporter_type": dict(types),
        "service": dict(services),
        "flag": dict(flag_choices),
    }
    active = [
        (word(lang, f"filter.{key}"), named[key].get(value, value) if key in named else value)
        for key, value in (
            ("from", form.date_from),
            ("to", form.date_to),
            ("status", form.status),
            ("tier", form.tier),
            ("reporter_type", form.reporter_type),
            ("service", form.service),
            ("flag", form.flag),
            ("q", form.q),
        )
        if value
    ]
    if form.sort != "newest":
        active.append((word(lang, "filter.sort"), word(lang, f"sort.{form.sort}")))
    chips = (
        "".join(f'<span class="chip">{esc(name)}: {esc(value)}</span>' for name, value in active)
        or f'<span class="chip none">{w("filter.none")}</span>'
    )
    # Folded by default (on a phone the form alone filled the first screen); the
    # summary names what is in force. <details> needs no script under the CSP.
    filters = (
        '<details class="card filter-box">'
        f'<summary><span class="summary-title">{w("filter.legend")}</span>'
        f'<span class="chips">{chips}</span></summary>'
        f'<form method="get" action="{esc(frame.base)}/" aria-label="{w("filter.legend")}">'
        '<div class="filters">'
        f'<div><label for="f-from">{w("filter.from")}</label>'
        f'<input type="date" id="f-from" name="from" value="{esc(form.date_from)}"></div>'
        f'<div><label for="f-to">{w("filter.to")}</label>'
        f'<input type="date" id="f-to" name="to" value="{esc(form.date_to)}"></div>'
        + _select(
            "status",
            word(lang, "filter.status"),
            _options(statuses, form.status, all_label=all_label),
        )
        + _select(
            "tier", word(lang, "filter.tier"), _options(tiers, form.tier, all_label=all_label)
        )
        + _select(
            "reporter_type",
            word(lang, "filter.reporter_type"),
            _options(types, form.reporter_type, all_label=all_label),
        )
        + _select(
            "service",
            word(lang, "filter.service"),
            _options(services, form.service, all_label=all_label),
        )
        + _select(
            "flag",
            word(lang, "filter.flag"),
            _options(flag_choices, form.flag, all_label=all_label),
        )
        + f'<div><label for="f-q">{w("filter.q")}</label>'
        f'<input type="search" id="f-q" name="q" value="{esc(form.q)}" placeholder="{w("filter.q_hint")}" maxlength="40"></div>'
        f'<div><label for="f-sort">{w("filter.sort")}</label><select id="f-sort" name="sort">{sorts}</select></div>'
        '<div class="filter-actions">'
        f'<button class="button" type="submit">{w("filter.apply")}</button>'
        f'<a class="button quiet" href="{esc(frame.base)}/">{w("filter.reset")}</a></div>'
        "</div></form></details>"
    )
    if paging.total:
        count = w(
            "list.count",
            total=f"{paging.total:,}",
            first=f"{paging.first:,}",
            last=f"{paging.last:,}",
        )
    else:
        count = w("list.empty")
    export_links = "".join(f'<a href="{esc(url)}">{esc(name)}</a>' for name, url in exports.items())
    toolbar = (
        '<div class="toolbar">'
        f'<div class="count" role="status">{count}</div>'
        f'<div class="exports"><span>{w("export.title")}</span>{export_links}</div>'
        "</div>"
    )
    heads = (
        "case_number",
        "submitted_at",
        "status",
        "reporter_type",
        "service",
        "amount",
        "tier",
        "flags",
    )
    head = "".join(
        f'<th scope="col"{" class=num" if h == "amount" else ""}>{w(f"col.{h}")}</th>'
        for h in heads
    )
    body_rows = []
    for row in rows:
        cells = {
            "case_number": f'<a class="case-link mono" href="{esc(frame.base)}/cases/{esc(row.case_number)}">{esc(row.case_number)}</a>',
            "submitted_at": f'<span class="when-cell">{esc(kst(row.submitted_at))}</span>',
            "status": status_badge(row.status, labels),
            "reporter_type": esc(labels.reporter_type(row.reporter_type)),
            "service": esc(labels.service(row.service)),
            "amount": esc(money(row.amount, lang))
            if row.monetary and row.amount is not None
            else '<span class="muted">-</span>',
            "tier": esc(labels.tier(row.tier)),
            "flags": flag_badges(flags.get(row.case_number, ()), lang)
            or '<span class="muted">-</span>',
        }
        body_rows.append(
            "<tr>"
            + "".join(
                f'<td data-label="{w(f"col.{h}")}"{" class=num" if h == "amount" else ""}>{cells[h]}</td>'
                for h in heads
            )
            + "</tr>"
        )
    table = ""
    if rows:
        table = (
            '<div class="cases"><table>'
            f'<caption class="visually-hidden">{w("list.title")}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body_rows)}</tbody></table></div>"
        )
    return layout(
        frame,
        word(lang, "list.title"),
        f"<h1>{w('list.title')}</h1>{filters}{toolbar}{table}{_pager(paging, lang)}",
    )


def export_page(frame: Frame, *, name: str, count: int, download_url: str, back_url: str) -> str:
    """The page an export link opens: what is being prepared; it then starts the download itself.

    A meta refresh (allowed under the CSP, unlike a script) opens the download;
    the browser keeps this page on screen and shows the file arriving in its
    download list, since the response is an attachment that starts at once.
    """
    lang = frame.lang

    def w(key: str, **values: object) -> str:
        return esc(word(lang, key, **values))

    body = (
        f'<p><a href="{esc(back_url)}">{w("detail.back")}</a></p>'
        f"<h1>{w('export.preparing_title', format=name)}</h1>"
        '<section class="card export-status" role="status">'
        f"<p><strong>{w('export.preparing', format=name, n=f'{count:,}')}</strong></p>"
        f'<p class="muted">{w("export.progress")}</p>'
        f'<p><a class="download-link" href="{esc(download_url)}">{w("export.manual")}</a></p>'
        "</section>"
    )
    refresh = f'<meta http-equiv="refresh" content="0; url={esc(download_url)}">'
    return layout(frame, word(lang, "export.preparing_title", format=name), body, head=refresh)


def _pager(paging: Paging, lang: str) -> str:
    if paging.pages <= 1:
        return ""

    def link(key: str, rel: str = "") -> str:
        url = paging.links.get(key)
        label = esc(word(lang, f"list.{key}"))
        if url is None:
            return f'<span class="off">{label}</span>'
        rel_attr = f' rel="{rel}"' if rel else ""
        return f'<a href="{esc(url)}"{rel_attr}>{label}</a>'

    where = esc(word(lang, "list.page", page=f"{paging.page:,}", pages=f"{paging.pages:,}"))
    return (
        f'<nav class="pager" aria-label="pages">{link("first")}{link("prev", "prev")}'
        f'<span class="where">{where}</span>{link("next", "next")}{link("last")}</nav>'
    )


# -- the case detail ---------------------------------------------------------------


def detail_page(
    frame: Frame,
    *,
    case: Case,
    policy: Policy,
    labels: Labels,
    tier_name: str,
    flags: Iterable[Flag],
    actions: Sequence[str],
    documents: Sequence[Document],
    audit: Sequence[AuditEntry],
    back_url: str,
    undelivered: Sequence[Reply] | None = None,
) -> str:
    """One case: facts, description, evidence, flags, the allowed review actions and the audit trail.

    ``undelivered`` is a message to the user that failed and was not sent since;
    the page shows it with a button that sends it again.
    """
    lang = frame.lang

    def w(key: str, **values: object) -> str:
        return esc(word(lang, key, **values))

    base = f"{frame.base}/cases/{case.case_number}"
    service = labels.service(case.service, case.service_other)
    facts = [
        (w("col.submitted_at"), esc(kst(case.submitted_at))),
        (w("col.reporter_type"), esc(labels.reporter_type(case.reporter_type))),
        (w("col.service"), esc(service)),
        (w("detail.billing"), esc(labels.paid(case.paid))),
        (w("detail.monetary"), esc(labels.yes_no(case.monetary))),
        (w("col.amount"), esc(money(case.amount, lang)) if case.amount is not None else "-"),
        (w("col.tier"), esc(tier_name)),
        (
            w("detail.tentative"),
            esc(money(case.tentative_support, lang)) if case.tentative_support is not None else "-",
        ),
        (w("detail.channel_cash"), esc(labels.yes_no(case.channel_cash))),
        (
            w("detail.final_amount"),
            esc(money(case.final_amount, lang)) if case.final_amount is not None else "-",
        ),
        (w("detail.business_number"), esc(case.business_number or "-")),
        (w("detail.user"), f'<span class="mono">{esc(str(case.user_id))}</span>'),
        (w("detail.lang"), esc(labels.language(case.lang))),
        (w("detail.updated_at"), esc(kst(case.updated_at))),
    ]
    facts_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    description = (
        f'<p class="description">{esc(case.description)}</p>'
        if case.description
        else f'<p class="muted">{w("detail.no_description")}</p>'
    )
    answers = "".join(
        f"<tr><th>{esc(str(k))}</th><td>{esc(_plain(v))}</td></tr>" for k, v in case.answers.items()
    )
    answers_html = (
        f"<details><summary>{w('detail.answers')}</summary>"
        f'<table class="answers">{answers}</table></details>'
        if answers
        else ""
    )
    flag_html = flag_badges(flags, lang) or f'<span class="muted">{w("detail.no_flags")}</span>'
    left = (
        f'<section class="card" aria-labelledby="h-facts"><h2 id="h-facts">{w("detail.summary")}</h2>'
        f'<dl class="facts">{facts_html}</dl></section>'
        f'<section class="card" aria-labelledby="h-desc"><h2 id="h-desc">{w("detail.description")}</h2>'
        f"{description}{answers_html}</section>"
        f'<section class="card" aria-labelledby="h-ev"><h2 id="h-ev">{w("detail.evidence")}</h2>'
        f"{_evidence(case, base, lang)}</section>"
    )
    right = (
        f'<section class="card" aria-labelledby="h-flags"><h2 id="h-flags">{w("detail.flags")}</h2>'
        f"<div>{flag_html}</div></section>"
        f'<section class="card" aria-labelledby="h-act"><h2 id="h-act">{w("detail.actions")}</h2>'
        f"{_undelivered(frame, case, base, undelivered, labels)}"
        f"{_actions(frame, case, base, actions, documents, labels)}"
        f"{_limits_form(frame, base)}</section>"
        f'<section class="card audit" aria-labelledby="h-audit"><h2 id="h-audit">{w("detail.audit")}</h2>'
        f"{_audit(audit, labels, lang)}</section>"
    )
    body = (
        f'<p><a href="{esc(back_url)}">{w("detail.back")}</a></p>'
        '<div class="detail-head">'
        f'<h1 class="mono">{esc(case.case_number)}</h1>{status_badge(case.status, labels)}</div>'
        f'<div class="detail-grid"><div>{left}</div><div>{right}</div></div>'
    )
    return layout(frame, case.case_number, body)


def _evidence(case: Case, base: str, lang: str) -> str:
    if not case.evidence:
        return f'<p class="muted">{esc(word(lang, "detail.no_evidence"))}</p>'
    items = []
    for ref in case.evidence:
        url = esc(f"{base}/evidence/{ref.sha256}")
        name = esc(ref.name)
        if ref.mime in PREVIEW_TYPES:
            picture = f'<a href="{url}"><img src="{url}" alt="{name}" loading="lazy"></a>'
        else:
            kind = ref.name.rsplit(".", 1)[-1].upper()[:5] if "." in ref.name else "FILE"
            picture = f'<div class="file-icon" aria-hidden="true">{esc(kind)}</div>'
        items.append(
            f"<figure>{picture}<figcaption><div>{name}</div>"
            f'<div class="muted">{esc(size_text(ref.size))} · '
            f'<a href="{url}" download>{esc(word(lang, "detail.download"))}</a></div>'
            "</figcaption></figure>"
        )
    return f'<div class="evidence">{"".join(items)}</div>'


def _actions(
    frame: Frame,
    case: Case,
    base: str,
    actions: Sequence[str],
    documents: Sequence[Document],
    labels: Labels,
) -> str:
    lang = frame.lang

    def w(key: str, **values: object) -> str:
        return esc(word(lang, key, **values))

    if not actions:
        return f'<p class="muted">{w("detail.no_actions")}</p>'
    forms = [
        f'<p class="hint">{w("detail.tell_user", lang=labels.language(case.lang))} '
        f"{w('detail.confirm_first')}</p>"
    ]
    for action in actions:
        fields = ""
        button = "button"
        if action == "request_documents":
            checks = "".join(
                f'<label><input type="checkbox" name="doc" value="{esc(d.value)}"> {esc(d.label)}</label>'
                for d in documents
            )
            fields = (
                f'<fieldset class="field checks"><legend>{w("field.documents")}</legend>{checks}</fieldset>'
                f'<div class="field"><label for="a-other">{w("field.other_documents")}</label>'
                '<input type="text" id="a-other" name="other" maxlength="500"></div>'
                f'<div class="field"><label for="a-note">{w("field.note")}</label>'
                '<textarea id="a-note" name="note" maxlength="1000"></textarea></div>'
            )
        elif action == "approve":
            default = "" if case.tentative_support is None else str(case.tentative_support)
            fields = (
                f'<div class="field"><label for="a-amount">{w("field.final_amount")}</label>'
                f'<input type="text" id="a-amount" name="final_amount" value="{esc(default)}" inputmode="numeric" required maxlength="30">'
                f'<div class="hint">{w("field.final_amount_hint")}</div></div>'
                f'<div class="field"><label for="a-anote">{w("field.note")}</label>'
                '<textarea id="a-anote" name="note" maxlength="1000"></textarea></div>'
            )
            button = "button good"
        elif action == "correct_amount":
            current = "" if case.final_amount is None else str(case.final_amount)
            fields = (
                f'<div class="field"><label for="a-camount">{w("field.corrected_amount")}</label>'
                f'<input type="text" id="a-camount" name="final_amount" value="{esc(current)}" inputmode="numeric" required maxlength="30">'
                f'<div class="hint">{w("field.corrected_hint", amount=money(case.final_amount, lang))}</div></div>'
                f'<div class="field"><label for="a-creason">{w("field.correction_reason")}</label>'
                '<textarea id="a-creason" name="reason" required maxlength="1000"></textarea></div>'
            )
            button = "button quiet"
        elif action == "reject":
            fields = (
                f'<div class="field"><label for="a-reason">{w("field.reason")}</label>'
                '<textarea id="a-reason" name="reason" required maxlength="1000"></textarea></div>'
            )
            button = "button danger"
        elif action == "pay":
            fields = (
                f'<p class="hint">{w("field.paid_hint", amount=money(case.final_amount, lang))}</p>'
            )
            button = "button good"
        forms.append(
            f'<form class="action" method="post" action="{esc(base)}/{esc(action)}">'
            f"<h3>{w(f'action.{action}')}</h3>{csrf_field(frame.csrf)}{fields}"
            f'<button class="{button}" type="submit">{w("confirm.check", action=word(lang, f"action.{action}"))}</button></form>'
        )
    return "".join(forms)


def _undelivered(
    frame: Frame, case: Case, base: str, replies: Sequence[Reply] | None, labels: Labels
) -> str:
    """A message the user never got, shown as sent, with a button to send it again."""
    if not replies:
        return ""
    lang = frame.lang
    return (
        '<div class="undelivered" role="alert">'
        f"<h3>{esc(word(lang, 'resend.title'))}</h3>"
        f'<p class="hint">{esc(word(lang, "resend.lead", lang=labels.language(case.lang)))}</p>'
        f"{notice_preview(replies, case.lang)}"
        f'<form method="post" action="{esc(base)}/resend">{csrf_field(frame.csrf)}'
        '<input type="hidden" name="confirmed" value="yes">'
        f'<input type="hidden" name="seen" value="{esc(repr(case.updated_at))}">'
        f'<button class="button" type="submit">{esc(word(lang, "resend.button"))}</button></form>'
        "</div>"
    )


def _limits_form(frame: Frame, base: str) -> str:
    """Lift the policy's per-person limits for whoever filed the case (an audited action)."""
    lang = frame.lang
    return (
        f'<details class="limits"><summary>{esc(word(lang, "limits.title"))}</summary>'
        f'<p class="hint">{esc(word(lang, "limits.lead"))}</p>'
        f'<form method="post" action="{esc(base)}/lift-limits">{csrf_field(frame.csrf)}'
        f"<label>{esc(word(lang, 'audit.reason'))} "
        '<input name="reason" maxlength="500" required></label> '
        f'<button class="button" type="submit">{esc(word(lang, "limits.button"))}</button>'
        "</form></details>"
    )


def notice_preview(replies: Sequence[Reply], lang: str) -> str:
    """Messages as the user's chat shows them: the text as typed, buttons under it."""
    out = []
    for reply in replies:
        buttons = "".join(
            f'<span class="chat-button">{esc(b.label)}</span>' for row in reply.buttons for b in row
        )
        out.append(
            f'<div class="chat-message" lang="{esc(lang)}"><p>{esc(reply.text)}</p>'
            + (f'<div class="chat-buttons">{buttons}</div>' if buttons else "")
            + "</div>"
        )
    return "".join(out)


def confirm_page(
    frame: Frame,
    *,
    case: Case,
    labels: Labels,
    action: str,
    status_after: str,
    values: Mapping[str, Any],
    replies: Sequence[Reply],
    hidden: Mapping[str, str],
) -> str:
    """The step before a review action: what changes, and exactly what the user will be told."""
    lang = frame.lang

    def w(key: str, **v: object) -> str:
        return esc(word(lang, key, **v))

    base = f"{frame.base}/cases/{case.case_number}"
    name = word(lang, f"action.{action}")
    facts = [(w("col.case_number"), f'<span class="mono">{esc(case.case_number)}</span>')]
    status_line = esc(labels.status(case.status))
    if status_after != str(case.status):
        status_line += f" → <strong>{esc(labels.status(status_after))}</strong>"
    facts.append((w("col.status"), status_line))
    if "final_amount" in values:
        amount = f"<strong>{esc(money(values['final_amount'], lang))}</strong>"
        if action == "correct_amount":
            amount = f"{esc(money(case.final_amount, lang))} → {amount}"
        facts.append((w("detail.final_amount"), amount))
    elif action == "pay":
        facts.append((w("detail.final_amount"), esc(money(case.final_amount, lang))))
    facts_html = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    inputs = "".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">' for k, v in hidden.items()
    )
    button = {"reject": "button danger", "approve": "button good", "pay": "button good"}.get(
        action, "button"
    )
    body = (
        f'<p><a href="{esc(base)}">{w("confirm.back", number=case.case_number)}</a></p>'
        f"<h1>{w('confirm.title', action=name)}</h1>"
        '<section class="card confirm">'
        f'<dl class="facts">{facts_html}</dl>'
        f"<h2>{w('confirm.message')}</h2>"
        f'<p class="hint">{w("confirm.channel", lang=labels.language(case.lang))}</p>'
        f"{notice_preview(replies, case.lang)}"
        f'<form method="post" action="{esc(base)}/{esc(action)}" class="confirm-actions">'
        f"{csrf_field(frame.csrf)}{inputs}"
        f'<button class="{button}" type="submit">{w(f"confirm.send.{action}")}</button>'
        f'<a class="button quiet" href="{esc(base)}">{w("confirm.cancel")}</a></form>'
        "</section>"
    )
    return layout(frame, word(lang, "confirm.title", action=name), body)


def _audit(entries: Sequence[AuditEntry], labels: Labels, lang: str) -> str:
    items = []
    for entry in reversed(entries):  # newest first: what staff look for
        what = word(lang, f"audit.{entry.action}")
        if what == f"audit.{entry.action}":
            what = entry.action
        lines = _audit_details(entry, labels, lang)
        detail = "".join(f"<div>{esc(line)}</div>" for line in lines)
        items.append(
            f'<li><div class="when">{esc(kst(entry.at, seconds=True))} · <span class="mono">{esc(entry.actor)}</span></div>'
            f'<div class="what">{esc(what)}</div>{detail}</li>'
        )
    return f"<ol>{''.join(items)}</ol>"


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
    # Bookkeeping, not something staff act on; an undelivered notice is shown above the actions.
    for key in ("draft_id", "notice", "documents_by_lang"):
        detail.pop(key, None)
    for key, value in detail.items():
        if value in ("", None):
            continue
        if key in ("final_amount", "previous") and isinstance(value, int):
            value = money(value, lang)
        elif key == "tier" and isinstance(value, str):
            value = labels.tier(value)
        shown = word(lang, f"audit.{key}")
        lines.append(f"{key if shown == f'audit.{key}' else shown}: {_plain(value)}")
    return lines


# -- statistics --------------------------------------------------------------------


def stats_page(
    frame: Frame,
    *,
    stats: CaseStats,
    policy: Policy,
    labels: Labels,
    computed_at: float,
    every_s: float,
    days: DayRange,
) -> str:
    """The council's breakdown as tiles and charts, every number also as text.

    Every case counts in the tiles and bar charts; the daily chart shows ``days``.
    """
    lang = frame.lang

    def w(key: str, **values: object) -> str:
        return esc(word(lang, key, **values))

    if stats.total == 0:
        return layout(
            frame,
            word(lang, "stats.title"),
            f'<h1>{w("stats.title")}</h1><div class="card muted">{w("stats.none")}</div>',
        )
    total = stats.total

    def cases(n: int) -> str:
        return word(lang, "unit.cases", n=f"{n:,}")

    def share(n: int) -> str:
        return f"{100 * n / total:.1f}%"

    non_monetary = total - stats.paid - stats.free_monetary
    tiles = (
        '<div class="tiles">'
        + _tile(word(lang, "stats.total"), f"{total:,}", policy.name(lang))
        + _tile(word(lang, "stats.paid_share"), share(stats.paid), cases(stats.paid))
        + _tile(
            word(lang, "stats.free_monetary_share"),
            share(stats.free_monetary),
            cases(stats.free_monetary),
        )
        + _tile(word(lang, "stats.free_non_monetary"), share(non_monetary), cases(non_monetary))
        + "</div>"
    )

    def chart(title: str, items: list[tuple[str, int]], note: str = "") -> str:
        rows = [(label, n, cases(n)) for label, n in items]
        note_html = f'<p class="note">{esc(note)}</p>' if note else ""
        return (
            f'<section class="card chart"><h2>{esc(title)}</h2>{note_html}'
            f"{bars(rows, total=total)}</section>"
        )

    type_order = [r.id for r in policy.reporter_types]
    charts = [
        chart(
            word(lang, "stats.reporter_type"),
            [(labels.reporter_type(k), n) for k, n in _ordered(stats.by_reporter_type, type_order)],
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
        charts.append(
            f'<section class="card chart"><h2>{w("stats.median")}</h2>'
            f'<p class="note">{w("stats.median_note")}</p>{bars(medians, wide_values=True)}</section>'
        )
    per_day_rows = "".join(
        f'<tr><td>{esc(day)}</td><td class="num">{n:,}</td></tr>' for day, n in days.days.items()
    )
    chart_title = word(lang, "stats.per_day")
    outside = ""
    if days.before or days.after:
        outside = f'<p class="note">{w("stats.outside", before=f"{days.before:,}", after=f"{days.after:,}")}</p>'
    in_range = sum(days.days.values())
    range_form = (
        f'<form class="range" method="get" action="{esc(frame.base)}/stats">'
        f'<div><label for="s-from">{w("stats.from")}</label>'
        f'<input type="date" id="s-from" name="from" value="{days.first.isoformat()}"></div>'
        f'<div><label for="s-to">{w("stats.to")}</label>'
        f'<input type="date" id="s-to" name="to" value="{days.last.isoformat()}"></div>'
        f'<button class="button quiet" type="submit">{w("stats.show_range")}</button></form>'
    )
    per_day = (
        f'<section class="card chart"><h2>{w("stats.per_day")}</h2>'
        f'<p class="note">{w("stats.range", first=days.first.isoformat(), last=days.last.isoformat(), n=f"{in_range:,}")}</p>'
        f"{range_form}{outside}"
        # The picture scales with the page: a narrow drawing keeps its text readable on phones.
        + day_columns(days.days, title=chart_title, unit=word(lang, "unit.cases"), css_class="wide")
        + day_columns(
            days.days,
            title=chart_title,
            unit=word(lang, "unit.cases"),
            width=360,
            labels=3,
            css_class="narrow",
        )
        + f'<details class="day-table"><summary>{w("stats.per_day_table")}</summary>'
        f'<table><thead><tr><th>{w("stats.day")}</th><th class="num">{w("stats.cases")}</th></tr></thead>'
        f"<tbody>{per_day_rows}</tbody></table></details></section>"
    )
    as_of = f'<p class="muted as-of">{w("stats.as_of", when=kst(computed_at, seconds=True), every=f"{every_s:g}")}</p>'
    body = f'<h1>{w("stats.title")}</h1>{as_of}{tiles}{per_day}<div class="charts">{"".join(charts)}</div>'
    return layout(frame, word(lang, "stats.title"), body)


def _tile(label: str, value: str, sub: str) -> str:
    return (
        f'<div class="tile"><div class="label">{esc(label)}</div>'
        f'<div class="value">{esc(value)}</div><div class="sub">{esc(sub)}</div></div>'
    )


def _ordered(counts: Mapping[str, Any], order: list[str]) -> list[tuple[str, Any]]:
    """Items in the policy's order; ids the policy does not know come last."""
    known = [(k, counts[k]) for k in order if k in counts]
    return known + [(k, v) for k, v in counts.items() if k not in order]


# -- small pieces ------------------------------------------------------------------


def status_badge(status: str, labels: Labels) -> str:
    return f'<span class="badge status-{esc(str(status))}">{esc(labels.status(status))}</span>'


def flag_badges(flags: Iterable[Flag], lang: str) -> str:
    return "".join(
        f'<span class="badge flag">{esc(flag_name(f, lang))}</span>' for f in sorted(flags)
    )


def kst(timestamp: float, *, seconds: bool = False) -> str:
    """A POSIX time as a Korean wall-clock time."""
    when = dt.datetime.fromtimestamp(timestamp, KST)
    return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def money(value: int | None, lang: str) -> str:
    return "-" if value is None else format_amount(int(value), "en" if lang == "en" else "ko")


def size_text(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def _plain(value: Any) -> str:
    """A stored value as one line of text (structures as compact JSON)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)
