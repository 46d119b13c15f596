"""The intake conversation written the way most PTB bots are: a ConversationHandler with PicklePersistence.

It is the baseline ``bench/e2e.py`` measures our bot against. It asks the same
questions with the same texts and buttons (``flows.texts``, the 1015 policy),
parses amounts and business numbers with the same parsers and decides the tier
with the same policy code, and on each button press makes the same three Bot API
calls our bot makes (answer the query, edit the pressed message to show the
choice, send the next question), so the two differ in architecture, not in the
work asked of them.

The architecture is PTB's textbook one: state lives in the ConversationHandler
and ``user_data``, saved by ``PicklePersistence`` every ``update_interval``
seconds (60, the default) and at shutdown, so a crash loses up to a minute of
answers; updates are processed one at a time (``concurrent_updates`` off, the
default); the webhook is PTB's own ``run_webhook`` (tornado, which the venv has),
which answers Telegram 200 as soon as the update is queued, before it is handled.
``PEER_CONCURRENT_UPDATES=N`` turns on PTB's concurrent processing of N updates,
for a second data point. Configured by the same environment variables as
``python -m bot telegram``.
"""

from __future__ import annotations

import itertools
import os
import sys
import warnings
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ConversationHandler,
    MessageHandler,
    PicklePersistence,
    filters,
)
from telegram.warnings import PTBUserWarning

from flows.amount import format_amount, parse_amount
from flows.bizno import parse_business_number
from flows.errors import AmountError, BusinessNumberError
from flows.policy import Policy, decide_tier, load_policy
from flows.texts import pick_lang, t

WEBHOOK_PATH = "telegram/webhook"
(
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
    SUMMARY,
) = (
    "consent",
    "reporter_type",
    "service",
    "service_other",
    "paid",
    "monetary",
    "description",
    "amount",
    "amount_confirm",
    "business_number",
    "channel",
    "evidence",
    "summary",
)


class PeerBot:
    """Handlers of the conversation; the policy is loaded once and shared."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self._case_numbers = itertools.count(1)

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def lang(context: ContextTypes.DEFAULT_TYPE, update: Update | None = None) -> str:
        data = context.user_data
        if "lang" not in data:
            user = update.effective_user if update else None
            data["lang"] = pick_lang(user.language_code if user else None)
        return data["lang"]

    @staticmethod
    def keyboard(question: str, options: list[tuple[str, str]], per_row: int) -> Any:
        buttons = [
            InlineKeyboardButton(label, callback_data=f"{question}:{v}") for v, label in options
        ]
        return InlineKeyboardMarkup(
            [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
        )

    async def ask(
        self,
        update: Update,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
    ) -> None:
        assert update.effective_chat is not None
        await update.effective_chat.send_message(text, reply_markup=markup)

    async def take_choice(self, update: Update) -> str:
        """Answer the query, mark the pressed button on its message and return its value."""
        query = update.callback_query
        assert query is not None and query.data is not None
        await query.answer()
        message = query.message
        label = None
        if message is not None and getattr(message, "reply_markup", None):
            label = next(
                (
                    b.text
                    for row in message.reply_markup.inline_keyboard
                    for b in row
                    if b.callback_data == query.data
                ),
                None,
            )
        if label and getattr(message, "text", None):
            await query.edit_message_text(f"{message.text}\n\n✓ {label}")
        return query.data.partition(":")[2]

    def yes_no(self, lang: str, question: str) -> InlineKeyboardMarkup:
        options = [("yes", t(lang, f"{question}.yes")), ("no", t(lang, f"{question}.no"))]
        return self.keyboard(question, options, 1 if question == MONETARY else 2)

    # -- questions -------------------------------------------------------------------------
    async def ask_monetary(self, update: Update, lang: str) -> str:
        await self.ask(update, t(lang, MONETARY), self.yes_no(lang, MONETARY))
        return MONETARY

    async def ask_evidence(self, update: Update, lang: str, note: str | None = None) -> str:
        text = t(lang, "evidence.optional")
        markup = self.keyboard(EVIDENCE, [("skip", t(lang, "evidence.skip"))], 1)
        await self.ask(update, f"{note}\n\n{text}" if note else text, markup)
        return EVIDENCE

    async def ask_summary(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        lang, a = self.lang(context), context.user_data
        reporter = self.policy.reporter_type(a["reporter_type"])
        service = self.policy.service(a["service"])
        lines = [
            f"• {t(lang, 'field.reporter_type')}: {reporter.name(lang) if reporter else '-'}",
            f"• {t(lang, 'field.service')}: {service.name(lang) if service else '-'}",
            f"• {t(lang, 'field.paid')}: {t(lang, 'value.paid' if a.get('paid') else 'value.free')}",
        ]
        if a.get("monetary"):
            lines.append(f"• {t(lang, 'field.amount')}: {format_amount(a['amount'], lang)}")
        else:
            lines.append(f"• {t(lang, 'field.description')}: {a.get('description', '-')}")
        if "business_number" in a:
            lines.append(f"• {t(lang, 'field.business_number')}: {a['business_number']}")
        lines.append(f"• {t(lang, 'field.tier')}: {decide_tier(a, self.policy).tier.id}")
        options = [
            ("submit", t(lang, "summary.submit")),
            ("edit", t(lang, "summary.edit")),
            ("cancel", t(lang, "summary.cancel")),
        ]
        text = t(lang, "summary", lines="\n".join(lines))
        await self.ask(update, text, self.keyboard(SUMMARY, options, 1))
        return SUMMARY

    # -- handlers --------------------------------------------------------------------------
    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Start a fresh report at the consent question."""
        context.user_data.clear()
        lang = self.lang(context, update)
        options = [("agree", t(lang, "consent.yes")), ("decline", t(lang, "consent.no"))]
        await self.ask(update, t(lang, CONSENT), self.keyboard(CONSENT, options, 2))
        return CONSENT

    async def consent(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        """Record consent, or forget everything on a refusal."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        if value != "agree":
            context.user_data.clear()
            await self.ask(update, t(lang, "declined"))
            return ConversationHandler.END
        context.user_data["consent"] = True
        options = [(r.id, r.name(lang)) for r in self.policy.reporter_types]
        await self.ask(update, t(lang, REPORTER_TYPE), self.keyboard(REPORTER_TYPE, options, 1))
        return REPORTER_TYPE

    async def reporter_type(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Record the reporter type; ask for the service."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        context.user_data["reporter_type"] = value
        options = [(s.id, s.name(lang)) for s in self.policy.services]
        await self.ask(update, t(lang, SERVICE), self.keyboard(SERVICE, options, 2))
        return SERVICE

    async def service(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Record the service; ask its name, whether it was paid, or about the loss."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        service = self.policy.service(value)
        context.user_data["service"] = value
        if service is not None and service.other:
            await self.ask(update, t(lang, SERVICE_OTHER))
            return SERVICE_OTHER
        if service is not None and service.billing != "both":
            context.user_data["paid"] = service.billing == "paid"
            return await self.ask_monetary(update, lang)
        return await self.ask_paid(update, lang, service.name(lang) if service else "-")

    async def ask_paid(self, update: Update, lang: str, service_name: str) -> str:
        options = [("paid", t(lang, "paid.yes")), ("free", t(lang, "paid.no"))]
        text = t(lang, PAID, service=service_name)
        await self.ask(update, text, self.keyboard(PAID, options, 2))
        return PAID

    async def service_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Record a typed service name; ask whether it was paid."""
        assert update.message is not None
        name = (update.message.text or "").strip()[:100]
        context.user_data["service_other"] = name
        return await self.ask_paid(update, self.lang(context, update), name)

    async def paid(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Record paid or free; ask about a monetary loss."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        context.user_data["paid"] = value == "paid"
        return await self.ask_monetary(update, lang)

    async def monetary(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Ask what happened (skippable after a loss), or the question when there was none."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        context.user_data["monetary"] = value == "yes"
        if value == "yes":
            skip = self.keyboard(DESCRIPTION, [("skip", t(lang, "description.skip"))], 1)
            await self.ask(update, t(lang, "description.loss", max=1000), skip)
            return DESCRIPTION
        await self.ask(update, t(lang, DESCRIPTION, max=1000))
        return DESCRIPTION

    async def description(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Record what happened or a question; ask the amount after a loss, else summarise."""
        if update.callback_query is not None:  # skipped
            await self.take_choice(update)
        else:
            assert update.message is not None
            context.user_data["description"] = (update.message.text or "").strip()[:1000]
        if context.user_data.get("monetary"):
            await self.ask(update, t(self.lang(context, update), AMOUNT))
            return AMOUNT
        return await self.ask_summary(update, context)

    async def amount(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Read the amount; ask to confirm it."""
        assert update.message is not None
        lang = self.lang(context, update)
        try:
            value = parse_amount(update.message.text or "", cap=self.policy.amount_cap)
        except AmountError as exc:
            cap = format_amount(self.policy.amount_cap, lang)
            await self.ask(update, t(lang, f"amount.{exc.reason}", cap=cap))
            return AMOUNT
        context.user_data["amount"] = value
        text = t(lang, AMOUNT_CONFIRM, amount=format_amount(value, lang))
        await self.ask(update, text, self.yes_no(lang, AMOUNT_CONFIRM))
        return AMOUNT_CONFIRM

    async def amount_confirm(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """On yes, tell the tentative tier and go on; on no, ask for the amount again."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        if value != "yes":
            await self.ask(update, t(lang, AMOUNT))
            return AMOUNT
        decision = decide_tier(context.user_data, self.policy)
        lines = [t(lang, "tier.header"), "", decision.tier.text(lang)]
        if decision.substitutes:
            names = ", ".join(s(lang) for s in decision.substitutes)
            lines.append(t(lang, "tier.substitutes", substitutes=names))
        lines += ["", t(lang, "tier.package", package=self.policy.package(lang))]
        lines.append(t(lang, "tier.footer"))
        await self.ask(update, "\n".join(lines))
        if context.user_data.get("reporter_type") == "small_business":
            await self.ask(update, t(lang, BUSINESS_NUMBER))
            return BUSINESS_NUMBER
        return await self.ask_evidence(update, lang)

    async def business_number(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Check the business number; ask about a KakaoTalk Channel."""
        assert update.message is not None
        lang = self.lang(context, update)
        try:
            number = parse_business_number(update.message.text or "")
        except BusinessNumberError as exc:
            await self.ask(update, t(lang, f"bizno.{exc.reason}"))
            return BUSINESS_NUMBER
        context.user_data["business_number"] = number
        cash = self.policy.channel_cash
        if cash is not None and cash.implied(context.user_data):  # the service is a Channel
            context.user_data["has_channel"] = True
            return await self.ask_evidence(update, lang)
        await self.ask(update, t(lang, CHANNEL), self.yes_no(lang, CHANNEL))
        return CHANNEL

    async def channel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Record the Channel answer; ask for evidence."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        context.user_data["has_channel"] = value == "yes"
        cash = decide_tier(context.user_data, self.policy).channel_cash
        return await self.ask_evidence(update, lang, cash.text(lang) if cash else None)

    async def evidence(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> str:
        """Finish the evidence step; show the summary."""
        await self.take_choice(update)
        context.user_data["evidence_done"] = True
        return await self.ask_summary(update, context)

    async def summary(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        """Submit the report into bot_data, or cancel it."""
        value, lang = await self.take_choice(update), self.lang(context, update)
        if value == "edit":  # the peer keeps editing out of scope: ask again
            return await self.ask_summary(update, context)
        if value != "submit":
            context.user_data.clear()
            await self.ask(update, t(lang, "cancelled"))
            return ConversationHandler.END
        number = f"P-{next(self._case_numbers):06d}"
        answers = dict(context.user_data)
        tier = decide_tier(answers, self.policy).tier
        assert update.effective_user is not None
        context.bot_data.setdefault("cases", {})[number] = {
            "user_id": update.effective_user.id,
            "tier": tier.id,
            "answers": answers,
        }
        context.user_data.clear()
        package = self.policy.package(lang)
        await self.ask(
            update, t(lang, "submitted", case_number=number, tier=tier.id, package=package)
        )
        return ConversationHandler.END

    async def cancel(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        """Drop the draft."""
        lang = self.lang(context, update)
        context.user_data.clear()
        await self.ask(update, t(lang, "cancelled"))
        return ConversationHandler.END

    def conversation(self) -> ConversationHandler:
        text = filters.TEXT & ~filters.COMMAND

        def buttons(question: str, callback: Any) -> list[Any]:
            return [CallbackQueryHandler(callback, pattern=f"^{question}:")]

        with warnings.catch_warnings():
            # PTB warns that per_message=False does not track callback queries per message;
            # per user is what this bot wants, as in most PTB conversation bots.
            warnings.simplefilter("ignore", PTBUserWarning)
            return ConversationHandler(
                entry_points=[CommandHandler("start", self.start)],
                states={
                    CONSENT: buttons(CONSENT, self.consent),
                    REPORTER_TYPE: buttons(REPORTER_TYPE, self.reporter_type),
                    SERVICE: buttons(SERVICE, self.service),
                    SERVICE_OTHER: [MessageHandler(text, self.service_other)],
                    PAID: buttons(PAID, self.paid),
                    MONETARY: buttons(MONETARY, self.monetary),
                    DESCRIPTION: [
                        MessageHandler(text, self.description),
                        *buttons(DESCRIPTION, self.description),
                    ],
                    AMOUNT: [MessageHandler(text, self.amount)],
                    AMOUNT_CONFIRM: buttons(AMOUNT_CONFIRM, self.amount_confirm),
                    BUSINESS_NUMBER: [MessageHandler(text, self.business_number)],
                    CHANNEL: buttons(CHANNEL, self.channel),
                    EVIDENCE: buttons(EVIDENCE, self.evidence),
                    SUMMARY: buttons(SUMMARY, self.summary),
                },
                fallbacks=[
                    CommandHandler("cancel", self.cancel),
                    CommandHandler("start", self.start),
                ],
                name="intake",
                persistent=True,
            )


def main() -> None:
    """Serve the webhook until SIGINT/SIGTERM; the pickle is written on the way out."""
    env = os.environ
    data_dir = Path(env.get("DATA_DIR", "data"))
    data_dir.mkdir(parents=True, exist_ok=True)
    persistence = PicklePersistence(
        filepath=data_dir / "peer_conversations.pickle", update_interval=60
    )
    builder = ApplicationBuilder().token(env["TELEGRAM_BOT_TOKEN"]).persistence(persistence)
    if env.get("TELEGRAM_API_BASE_URL"):
        builder = builder.base_url(env["TELEGRAM_API_BASE_URL"])
    if env.get("TELEGRAM_FILE_BASE_URL"):
        builder = builder.base_file_url(env["TELEGRAM_FILE_BASE_URL"])
    concurrent = int(env.get("PEER_CONCURRENT_UPDATES", "0") or 0)
    builder = builder.concurrent_updates(concurrent if concurrent > 1 else False)
    application = builder.build()
    application.add_handler(PeerBot(load_policy()).conversation())
    application.run_webhook(
        listen=env.get("HOST", "127.0.0.1"),
        port=int(env.get("PORT", "8080")),
        url_path=WEBHOOK_PATH,
        webhook_url=env["WEBHOOK_URL"],
        secret_token=env.get("WEBHOOK_SECRET"),
        allowed_updates=["message", "edited_message", "callback_query"],
    )


if __name__ == "__main__":
    main()
