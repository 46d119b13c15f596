"""One step of an intake conversation: a stored record plus an input gives replies and a new record.

:class:`IntakeFlow` is pure: it reads nothing and writes nothing. The caller loads the
record, calls :meth:`IntakeFlow.handle`, stores what :class:`Outcome` says (evidence
bytes, the case, the record, in that order) and only then sends the replies. The work
of one input is a :class:`~flows.step.Step`; the questions it asks are declared in
:mod:`flows.questions`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flows.amount import format_amount
from flows.evidence import EvidenceRules
from flows.file_step import ALBUM_KEY
from flows.identity import UserKey
from flows.limits import UserUsage
from flows.machine import INTAKE, StateTable, build_machine
from flows.messages import (
    AlbumDeliveredInput,
    AlbumEndInput,
    Button,
    ChoiceInput,
    CommandInput,
    Input,
    MessageInput,
    Reply,
    SupplementInput,
)
from flows.outcome import MessageToStaff, Outcome, Submission, SupplementDone
from flows.policy import Policy, Text, TierDecision, decide_tier
from flows.question import Question
from flows.questions import INTAKE_QUESTIONS, MAX_DESCRIPTION, MAX_SERVICE_NAME
from flows.record import ConversationRecord
from flows.step import LANG_QUESTION, Step, folded_synonyms
from flows.texts import CATALOG, pick_lang, t
from flows.typed_text import clean_file_name, clean_text

__all__ = [
    "ALBUM_KEY",
    "FILE_STATES",
    "MAX_DESCRIPTION",
    "MAX_SERVICE_NAME",
    "IntakeFlow",
    "MessageToStaff",
    "Outcome",
    "Submission",
    "SupplementDone",
    "clean_file_name",
    "clean_text",
]

# The steps that take files; a channel downloads a file only when the user is at one.
# After submitting (and while writing to staff) a file goes to staff with a message.
FILE_STATES = frozenset({"evidence", "supplement", "submitted", "message"})


class IntakeFlow:
    """The damage-report conversation under one compensation policy."""

    def __init__(
        self,
        policy: Policy,
        rules: EvidenceRules | None = None,
        *,
        expire_days: int = 14,
        questions: Sequence[Question] = INTAKE_QUESTIONS,
    ) -> None:
        """``questions`` (the damage report's unless told) are asked in that order."""
        self.policy = policy
        self.rules = rules or EvidenceRules()
        self.expire_days = expire_days
        self.table = INTAKE if questions is INTAKE_QUESTIONS else StateTable(questions)
        self.machine = build_machine(table=self.table)
        self.synonyms = folded_synonyms(questions)

    # -- entry points ------------------------------------------------------------------
    def new_record(self, user_id: UserKey, lang: str, now: float) -> ConversationRecord:
        """Return a fresh draft at the consent question."""
        return ConversationRecord(
            user_id=user_id,
            state="consent",
            lang=lang,
            draft_id=uuid.uuid4().hex,
            created_at=now,
            updated_at=now,
        )

    def handle(
        self,
        record: ConversationRecord | None,
        message: Input,
        *,
        user_id: UserKey,
        now: float,
        language_code: str | None = None,
        default_lang: str = "ko",
        preferred_lang: str | None = None,
        usage: UserUsage | None = None,
        channel: str | None = None,
    ) -> Outcome:
        """Apply one input to the user's conversation (None when they have none).

        The flow takes the record over and may change it: pass a record loaded for
        this input (storage hands out copies), and use the outcome's record after.
        Copying it here cost a third of a step's time. ``preferred_lang`` is the
        language the user chose earlier (``Outcome.lang_chosen``, kept by the caller):
        a new conversation starts in it rather than in the client's language.
        ``usage`` is what the user filed before (the caller looks it up when a report
        may start or files arrive), for the policy's per-person limits. ``channel``
        (``telegram``, ``console``…) fills the texts' channel words (the consent's
        account label, ``flows.texts.CHANNEL_WORDS``); without it they stay neutral.
        """
        usage = usage or UserUsage()
        if record is None:
            lang = preferred_lang if preferred_lang in CATALOG else None
            return self._first_contact(
                message,
                user_id,
                now,
                lang or pick_lang(language_code, default_lang),
                usage,
                channel,
            )
        step = Step(self, record, now)
        step.usage = usage
        step.channel = channel
        step.run(message)
        return step.outcome()

    def case_limit_text(self, usage: UserUsage, lang: str) -> str:
        """Why this person cannot start another report, and how to reach staff."""
        contact = self.policy.contact(lang) if self.policy.contact else ""
        return t(
            lang,
            "limit.cases",
            count=usage.cases,
            max=self.policy.limits.max_cases,
            contact="\n" + contact if contact else "",
        )

    def complete_submission(
        self,
        record: ConversationRecord,
        case_number: str,
        now: float,
        *,
        documents_button: Button | None = None,
    ) -> Outcome:
        """Finish a submission once its case exists: keep only what identifies it.

        A report sent before its review documents says which are due; the channel
        passes ``documents_button`` (its "send documents" button for this case) to
        go under that message.
        """
        decision = self.decision(record.answers)
        done = ConversationRecord(
            user_id=record.user_id,
            state="submitted",
            lang=record.lang,
            draft_id=record.draft_id,
            case_number=case_number,
            created_at=record.created_at,
            updated_at=now,
        )
        lang = record.lang
        text = t(
            lang,
            "submitted",
            case_number=case_number,
            tier=self.tier_label(decision, lang),
            package=t(lang, "tier.package", package=self.policy.package(lang)),
        )
        buttons: tuple[tuple[Button, ...], ...] = ()
        if self.documents_due(record.answers):
            docs = "\n".join(f"• {d(lang)}" for d in self.documents_due(record.answers))
            text += "\n\n" + t(lang, "submitted.documents", documents=docs)
            buttons = ((documents_button,),) if documents_button else ()
        return Outcome(record=done, replies=[Reply(text, buttons)])

    def prompt(self, record: ConversationRecord, channel: str | None = None) -> Reply:
        """The current question of a conversation, with its buttons (to ask again)."""
        step = Step(self, record.copy(), record.updated_at)
        step.channel = channel
        return step.prompt()

    # -- policy views ---------------------------------------------------------------------
    def decision(self, answers: dict[str, Any]) -> TierDecision:
        return decide_tier(answers, self.policy)

    def documents_due(self, answers: dict[str, Any]) -> tuple[Text, ...]:
        """Review documents a report goes without, to be sent after submitting."""
        decision = self.decision(answers)
        if answers.get("monetary") and decision.needs_evidence and not answers.get("evidence"):
            return decision.tier.documents
        return ()

    def tier_label(self, decision: TierDecision, lang: str) -> str:
        """A one-line name of the decided tier, Channel cash included."""
        extra = decision.channel_cash.support if decision.channel_cash else None
        return self.tier_name(decision.tier.id, lang, channel_cash=extra)

    def tier_name(self, tier_id: str, lang: str, *, channel_cash: int | None = None) -> str:
        """A one-line name of a tier for summaries and case lists (the id if unknown)."""
        tier = self.policy.tiers.get(tier_id)
        if tier is None:
            return tier_id
        if tier.kind == "cash" and tier.support:
            label = t(lang, "tier.kind.cash", amount=format_amount(tier.support, lang))
        else:
            label = t(lang, f"tier.kind.{tier.kind}")
        if channel_cash:
            extra = format_amount(channel_cash, lang)
            label = t(lang, "tier.with_channel_cash", tier=label, amount=extra)
        return label

    def _first_contact(
        self,
        message: Input,
        user_id: UserKey,
        now: float,
        lang: str,
        usage: UserUsage,
        channel: str | None,
    ) -> Outcome:
        if isinstance(message, CommandInput) and message.name in ("help", "privacy"):
            text = self._command_text(message.name, lang, channel)
            return Outcome(record=None, replies=[Reply(text)])
        if isinstance(message, AlbumEndInput | AlbumDeliveredInput):
            return Outcome(record=None, replies=[])  # the draft is gone (cancelled): nothing owed
        if isinstance(message, ChoiceInput) and message.question == LANG_QUESTION:
            # A language button pressed with no conversation: start one in that language.
            if message.value in CATALOG:
                lang = message.value
            message = CommandInput("start")
        if isinstance(message, SupplementInput | MessageInput):  # a case's button, no draft
            record = ConversationRecord(
                user_id=user_id,
                state="submitted",
                lang=lang,
                case_number=message.case_number,
                created_at=now,
            )
            step = Step(self, record, now)
            step.usage = usage
            step.channel = channel
            step.run(message)
            return step.outcome()
        if not usage.may_start(self.policy.limits):
            return Outcome(record=None, replies=[Reply(self.case_limit_text(usage, lang))])
        record = self.new_record(user_id, lang, now)
        step = Step(self, record, now)
        step.usage = usage
        step.channel = channel
        if isinstance(message, CommandInput) and message.name == "start":
            step.apply_start_payload(message.arg)
        elif isinstance(message, CommandInput) and message.name == "lang":
            step.run(message)
            return step.outcome()
        step.ask()
        return step.outcome()

    def _command_text(self, name: str, lang: str, channel: str | None = None) -> str:
        if name == "privacy":
            return t(lang, "privacy", channel, expire_days=self.expire_days)
        return t(lang, name, channel)
