"""The questions of a damage report, each declared once, in the order a report walks them.

Each :class:`~flows.question.Question` says what it stores, how its answer is read,
when it counts as answered, its text and buttons, how the summary shows it, and which
question comes next (its ``opens`` edges, with the conditions below). The state table
(:mod:`flows.machine`) and the flow (:mod:`flows.conversation`) read
:data:`INTAKE_QUESTIONS`; the README's "Adding a question" says how to add one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flows.amount import format_amount, parse_amount
from flows.bizno import parse_business_number
from flows.errors import AmountError, BusinessNumberError
from flows.policy import Policy
from flows.question import (
    NO_WORDS,
    YES_WORDS,
    Asking,
    Inferred,
    Invalid,
    Next,
    Option,
    Question,
    when,
    yes_no,
)

MAX_DESCRIPTION = 1000
MAX_SERVICE_NAME = 100


# -- conditions of the forward edges ---------------------------------------------------------
@when
def is_other_service(answers: Mapping[str, Any], policy: Policy) -> bool:
    service = policy.service(answers.get("service", ""))
    return bool(service and service.other)


@when
def asks_paid(answers: Mapping[str, Any], policy: Policy) -> bool:
    service = policy.service(answers.get("service", ""))
    return bool(service and service.billing == "both")


@when
def is_monetary(answers: Mapping[str, Any], policy: Policy) -> bool:
    return bool(answers.get("monetary"))


@when
def is_small_business(answers: Mapping[str, Any], policy: Policy) -> bool:
    return answers.get("reporter_type") == "small_business"


@when
def channel_implied(answers: Mapping[str, Any], policy: Policy) -> bool:
    """The damaged service is a Channel itself: no need to ask whether they run one."""
    cash = policy.channel_cash
    return bool(cash and cash.implied(answers))


# -- consent -----------------------------------------------------------------------------------
def _choose_consent(ctx: Asking, value: str) -> bool:
    if value == "decline":
        ctx.close("declined")
        return False
    ctx.answers["consent"] = True
    return True


CONSENT = Question(
    "consent",
    opens=(Next("reporter_type"),),
    answered=lambda ctx: bool(ctx.answers.get("consent")),
    show=lambda ctx: None,
    shows_current=False,
    editable=False,
    options=lambda ctx: [("agree", ctx.t("consent.yes")), ("decline", ctx.t("consent.no"))],
    choose=_choose_consent,
    per_row=2,
    synonyms={
        "agree": YES_WORDS | {"동의", "동의함", "동의합니다", "agree"},
        "decline": NO_WORDS | {"거부", "동의안함", "비동의", "decline"},
    },
)


# -- who and what --------------------------------------------------------------------------------
def _choose_reporter_type(ctx: Asking, value: str) -> bool:
    window = ctx.policy.window_for(value, dt.datetime.fromtimestamp(ctx.now, dt.UTC))
    if not window.open:
        name = _reporter_type_name(ctx, value)
        if window.opens:
            ctx.reask("hint.window_not_open", reporter_type=name, date=window.opens.isoformat())
        else:
            ctx.reask("hint.window_closed", reporter_type=name, date=str(window.closed_on))
        return False
    ctx.answers["reporter_type"] = value
    return True


def _reporter_type_name(ctx: Asking, type_id: str) -> str:
    reporter_type = ctx.policy.reporter_type(type_id)
    return reporter_type.name(ctx.lang) if reporter_type else type_id


def _show_reporter_type(ctx: Asking) -> str | None:
    if "reporter_type" not in ctx.answers:
        return None
    return _reporter_type_name(ctx, ctx.answers["reporter_type"])


REPORTER_TYPE = Question(
    "reporter_type",
    opens=(Next("service"),),
    answered=lambda ctx: "reporter_type" in ctx.answers,
    show=_show_reporter_type,
    options=lambda ctx: [(r.id, r.name(ctx.lang)) for r in ctx.policy.reporter_types],
    choose=_choose_reporter_type,
)


def _choose_service(ctx: Asking, value: str) -> bool:
    a = ctx.answers
    if a.get("service") != value:
        a.pop("paid", None)
    a["service"] = value
    service = ctx.policy.service(value)  # one of the buttons: the policy has it
    if service is not None and service.billing != "both":  # asked only when it is both
        a["paid"] = service.billing == "paid"
    return True


def _show_service(ctx: Asking) -> str | None:
    service = ctx.policy.service(ctx.answers.get("service", ""))
    return service.name(ctx.lang) if service else None


SERVICE = Question(
    "service",
    opens=(
        Next("service_other", when=is_other_service),
        Next("paid", when=asks_paid),
        Next("monetary"),
    ),
    answered=lambda ctx: "service" in ctx.answers,
    show=_show_service,
    options=lambda ctx: [(s.id, s.name(ctx.lang)) for s in ctx.policy.services],
    choose=_choose_service,
    per_row=2,
)


def _parse_service_other(ctx: Asking, text: str) -> str:
    if not text:
        raise Invalid("hint.empty")
    if len(text) > MAX_SERVICE_NAME:
        raise Invalid("hint.too_long", max=MAX_SERVICE_NAME)
    return text


SERVICE_OTHER = Question(
    "service_other",
    opens=(Next("paid", when=asks_paid), Next("monetary")),
    answered=lambda ctx: bool(ctx.answers.get("service_other")),
    show=lambda ctx: ctx.answers.get("service_other"),
    parse=_parse_service_other,
)


def _choose_paid(ctx: Asking, value: str) -> bool:
    ctx.answers["paid"] = value == "paid"
    return True


PAID = Question(
    "paid",
    opens=(Next("monetary"),),
    answered=lambda ctx: "paid" in ctx.answers,
    show=lambda ctx: (
        ctx.t("value.paid" if ctx.answers["paid"] else "value.free")
        if "paid" in ctx.answers
        else None
    ),
    text=lambda ctx: ctx.t("paid", service=ctx.service_name()),
    options=lambda ctx: [("paid", ctx.t("paid.yes")), ("free", ctx.t("paid.no"))],
    choose=_choose_paid,
    per_row=2,
    synonyms={"paid": frozenset({"유료", "paid"}), "free": frozenset({"무료", "free"})},
)


# -- the loss ------------------------------------------------------------------------------------
def _choose_monetary(ctx: Asking, value: str) -> bool:
    ctx.answers["monetary"] = value == "yes"
    return True


MONETARY = Question(
    "monetary",
    opens=(Next("description"),),
    answered=lambda ctx: "monetary" in ctx.answers,
    show=lambda ctx: (
        ctx.t("value.yes_loss" if ctx.answers["monetary"] else "value.no_loss")
        if "monetary" in ctx.answers
        else None
    ),
    options=yes_no("monetary"),  # sentences: one per row
    choose=_choose_monetary,
    synonyms={
        "yes": YES_WORDS | {"있어요", "있음"},
        "no": NO_WORDS | {"없어요", "없음", "문의", "의견"},
    },
)


def _description_options(ctx: Asking) -> list[Option]:
    a = ctx.answers
    if a.get("monetary"):  # optional after a loss: skip, or keep one
        keep = [("keep", ctx.t("keep"))] if a.get("description") else []
        return [*keep, ("skip", ctx.t("description.skip"))]
    return [("keep", ctx.t("keep"))] if a.get("description") else []


def _choose_description(ctx: Asking, value: str) -> bool:
    ctx.answers["description"] = ""  # "skip", offered on the money path only
    return True


def _parse_description(ctx: Asking, text: str) -> str:
    if not text:
        raise Invalid("hint.empty")
    if len(text) > MAX_DESCRIPTION:
        raise Invalid("hint.too_long", max=MAX_DESCRIPTION)
    return text


def _show_description(ctx: Asking) -> str | None:
    a = ctx.answers
    if a.get("monetary") and a.get("description") == "":
        return ctx.t("value.no_description")
    description: str | None = a.get("description")
    return description


DESCRIPTION = Question(
    # The question or opinion; on the money path, what happened (skippable).
    "description",
    opens=(Next("amount", when=is_monetary), Next("summary")),
    answered=lambda ctx: (
        bool(ctx.answers.get("description"))
        or (bool(ctx.answers.get("monetary")) and "description" in ctx.answers)
    ),
    show=_show_description,
    text=lambda ctx: ctx.t(
        "description.loss" if ctx.answers.get("monetary") else "description", max=MAX_DESCRIPTION
    ),
    options=_description_options,
    choose=_choose_description,
    parse=_parse_description,
    synonyms={"skip": frozenset({"건너뛰기", "없어요", "없음", "skip", "none"})},
    field_name=lambda ctx: ctx.t(
        "field.description_loss" if ctx.answers.get("monetary") else "field.description"
    ),
)


def _parse_amount(ctx: Asking, text: str) -> int:
    try:
        return parse_amount(text, cap=ctx.policy.amount_cap)
    except AmountError as exc:
        cap = format_amount(ctx.policy.amount_cap, ctx.lang)
        raise Invalid(f"amount.{exc.reason}", cap=cap) from None


def _store_amount(ctx: Asking, amount: int) -> None:
    ctx.answers["amount"] = amount
    ctx.answers["amount_confirmed"] = False  # a new amount is confirmed again


AMOUNT = Question(
    "amount",
    opens=(Next("amount_confirm"),),
    answered=lambda ctx: "amount" in ctx.answers,
    show=lambda ctx: (
        format_amount(ctx.answers["amount"], ctx.lang) if "amount" in ctx.answers else None
    ),
    parse=_parse_amount,
    store=_store_amount,
)


def _choose_amount_confirm(ctx: Asking, value: str) -> bool:
    if value == "no":
        ctx.move("retry_amount")
        return False
    ctx.answers["amount_confirmed"] = True
    ctx.say_tier()
    return True


def _correct_amount(ctx: Asking, text: str) -> None:
    """Text at the amount confirmation: an amount in it replaces the one being confirmed."""
    try:
        amount = parse_amount(text, cap=ctx.policy.amount_cap)
    except AmountError as exc:
        if exc.reason in ("empty", "no_amount"):
            ctx.reask("hint.empty" if not text else "hint.use_buttons")
        else:
            cap = format_amount(ctx.policy.amount_cap, ctx.lang)
            ctx.reask(f"amount.{exc.reason}", cap=cap)
        return
    _store_amount(ctx, amount)
    ctx.ask()  # confirm the new amount


AMOUNT_CONFIRM = Question(
    "amount_confirm",
    opens=(Next("business_number", when=is_small_business), Next("evidence")),
    keys=("amount_confirmed",),
    answered=lambda ctx: bool(ctx.answers.get("amount_confirmed")),
    show=lambda ctx: None,
    shows_current=False,
    editable=False,
    text=lambda ctx: ctx.t("amount_confirm", amount=format_amount(ctx.answers["amount"], ctx.lang)),
    options=yes_no("amount_confirm"),
    choose=_choose_amount_confirm,
    on_text=_correct_amount,
    per_row=2,
    synonyms={"yes": YES_WORDS, "no": NO_WORDS | {"다시"}},
)


# -- small businesses ----------------------------------------------------------------------------
def _parse_business_number(ctx: Asking, text: str) -> str:
    try:
        return parse_business_number(text)
    except BusinessNumberError as exc:
        raise Invalid(f"bizno.{exc.reason}") from None


BUSINESS_NUMBER = Question(
    "business_number",
    opens=(Next("evidence", when=channel_implied), Next("channel")),
    answered=lambda ctx: "business_number" in ctx.answers,
    show=lambda ctx: ctx.answers.get("business_number"),
    parse=_parse_business_number,
    infers=Inferred("channel", when=channel_implied, answers={"has_channel": True}),
)


def _choose_channel(ctx: Asking, value: str) -> bool:
    ctx.answers["has_channel"] = value == "yes"
    cash = ctx.decision().channel_cash
    if cash:
        ctx.note(cash.text(ctx.lang))
    return True


def _show_channel(ctx: Asking) -> str | None:
    a = ctx.answers
    if channel_implied.test(a, ctx.policy):
        return ctx.t("value.runs_channel")
    if "has_channel" in a:
        return ctx.t("value.runs_channel" if a["has_channel"] else "value.no_channel")
    return None


CHANNEL = Question(
    "channel",
    opens=(Next("evidence"),),
    keys=("has_channel",),
    answered=lambda ctx: "has_channel" in ctx.answers,
    show=_show_channel,
    options=yes_no("channel"),
    choose=_choose_channel,
    per_row=2,
    synonyms={"yes": YES_WORDS, "no": NO_WORDS},
)


# -- evidence ------------------------------------------------------------------------------------
def _evidence_text(ctx: Asking) -> str:
    count = len(ctx.answers.get("evidence", []))
    if ctx.needs_files():
        docs = "\n".join(f"• {d(ctx.lang)}" for d in ctx.decision().tier.documents)
        text = ctx.t("evidence.required", documents=docs)
    else:
        text = ctx.t("evidence.optional")
    return text + ("\n" + ctx.t("evidence.count", count=count) if count else "")


def _evidence_options(ctx: Asking) -> list[Option]:
    if ctx.answers.get("evidence"):
        return [("done", ctx.t("evidence.done"))]
    if ctx.needs_files():
        return [("later", ctx.t("evidence.later"))]
    return [("skip", ctx.t("evidence.skip"))]


def _choose_evidence(ctx: Asking, value: str) -> bool:
    # Without the review's documents the report is still taken: they are asked for
    # after submitting (the case starts as "documents requested").
    a = ctx.answers
    a["evidence_later"] = ctx.needs_files() and not a.get("evidence")
    a["evidence_done"] = True
    return True


def _evidence_answered(ctx: Asking) -> bool:
    a = ctx.answers
    missing = ctx.needs_files() and not a.get("evidence") and not a.get("evidence_later")
    return bool(a.get("evidence_done")) and not missing


def _show_evidence(ctx: Asking) -> str | None:
    files = ctx.answers.get("evidence", [])
    if files:
        return ctx.t("value.files", count=len(files))
    return ctx.t("value.files_later" if ctx.needs_files() else "value.no_files")


EVIDENCE = Question(
    # Files arrive at this step (the flow takes them); a button finishes it.
    "evidence",
    opens=(Next("summary"),),
    keys=("evidence", "evidence_done", "evidence_later"),
    answered=_evidence_answered,
    show=_show_evidence,
    shows_current=False,
    text=_evidence_text,
    options=_evidence_options,
    choose=_choose_evidence,
    on_text=lambda ctx, text: ctx.reask("hint.text_at_evidence"),
    # "done", "skip" and "later" all finish the step, whichever is shown.
    accepts=frozenset({"done", "skip", "later"}),
    synonyms={
        "done": frozenset({"완료", "다 보냈어요", "끝", "done", "finish", "finished"}),
        "skip": frozenset({"건너뛰기", "없어요", "없음", "skip", "none"}),
        "later": frozenset({"나중에", "나중에 보낼게요", "later", "send later"}),
    },
)

# The order a report walks them (the summary and the edit menu list them so).
INTAKE_QUESTIONS: tuple[Question, ...] = (
    CONSENT,
    REPORTER_TYPE,
    SERVICE,
    SERVICE_OTHER,
    PAID,
    MONETARY,
    DESCRIPTION,
    AMOUNT,
    AMOUNT_CONFIRM,
    BUSINESS_NUMBER,
    CHANNEL,
    EVIDENCE,
)
