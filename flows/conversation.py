"""One step of an intake conversation: a stored record plus an input gives replies and a new record.

:class:`IntakeFlow` is pure: it reads nothing and writes nothing. The caller loads the
record, calls :meth:`IntakeFlow.handle`, stores what :class:`Outcome` says (evidence
bytes, the case, the record, in that order) and only then sends the replies.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flows.amount import format_amount
from flows.evidence import EvidenceRules, format_size
from flows.limits import UserUsage
from flows.machine import INTAKE, Draft, StateTable, build_machine, fire, path_of
from flows.messages import (
    AlbumDeliveredInput,
    AlbumEndInput,
    Button,
    ChoiceInput,
    CommandInput,
    EditedInput,
    EvidenceFile,
    FilesInput,
    Input,
    Reply,
    SupplementInput,
    TextInput,
    UnsupportedInput,
)
from flows.outcome import Outcome, Submission, SupplementDone
from flows.policy import Policy, Text, TierDecision, decide_tier
from flows.question import Invalid, Option, Question
from flows.questions import INTAKE_QUESTIONS, MAX_DESCRIPTION, MAX_SERVICE_NAME
from flows.record import SUPPLEMENT_KEY, ConversationRecord
from flows.texts import CATALOG, pick_lang, t
from flows.typed_text import clean_file_name, clean_text, fold

__all__ = [
    "ALBUM_KEY",
    "FILE_STATES",
    "MAX_DESCRIPTION",
    "MAX_SERVICE_NAME",
    "IntakeFlow",
    "Outcome",
    "Submission",
    "SupplementDone",
    "clean_file_name",
    "clean_text",
]

# Deep-link payloads of /start that preselect a reporter type (t.me/bot?start=sb).
START_PAYLOADS = {
    "sb": "small_business",
    "biz": "small_business",
    "co": "company",
    "user": "general",
}
LANG_QUESTION = "lang"
# Answers key holding an album whose items arrived but whose reply is still due.
ALBUM_KEY = "_album"
# The steps that take files; a channel downloads a file only when the user is at one.
FILE_STATES = frozenset({"evidence", "supplement"})
# Typed words that mean a button of the steps after the questions (each question
# declares its own in flows/questions.py).
SCREEN_SYNONYMS: dict[tuple[str, str], frozenset[str]] = {
    ("supplement", "done"): frozenset({"완료", "다 보냈어요", "끝", "done", "finish", "finished"}),
    ("summary", "submit"): frozenset({"접수", "제출", "submit"}),
    ("resume", "continue"): frozenset({"이어서", "계속", "continue"}),
    ("resume", "restart"): frozenset({"처음부터", "다시", "restart"}),
}


def folded_synonyms(questions: Sequence[Question]) -> dict[tuple[str, str], frozenset[str]]:
    """Every (state, button value) with the typed words meaning it, folded for matching."""
    words = dict(SCREEN_SYNONYMS)
    for q in questions:
        for value in {*q.synonyms, *(("keep",) if q.free_text else ())}:
            words[(q.name, value)] = q.words_for(value)
    return {key: frozenset(fold(w) for w in ws) for key, ws in words.items()}


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
    def new_record(self, user_id: int, lang: str, now: float) -> ConversationRecord:
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
        user_id: int,
        now: float,
        language_code: str | None = None,
        default_lang: str = "ko",
        preferred_lang: str | None = None,
        usage: UserUsage | None = None,
    ) -> Outcome:
        """Apply one input to the user's conversation (None when they have none).

        The flow takes the record over and may change it: pass a record loaded for
        this input (storage hands out copies), and use the outcome's record after.
        Copying it here cost a third of a step's time. ``preferred_lang`` is the
        language the user chose earlier (``Outcome.lang_chosen``, kept by the caller):
        a new conversation starts in it rather than in the client's language.
        ``usage`` is what the user filed before (the caller looks it up when a report
        may start or files arrive), for the policy's per-person limits.
        """
        usage = usage or UserUsage()
        if record is None:
            lang = preferred_lang if preferred_lang in CATALOG else None
            return self._first_contact(
                message, user_id, now, lang or pick_lang(language_code, default_lang), usage
            )
        step = _Step(self, record, now)
        step.usage = usage
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
            package=self.policy.package(lang),
        )
        buttons: tuple[tuple[Button, ...], ...] = ()
        if self.documents_due(record.answers):
            docs = "\n".join(f"• {d(lang)}" for d in self.documents_due(record.answers))
            text += "\n\n" + t(lang, "submitted.documents", documents=docs)
            buttons = ((documents_button,),) if documents_button else ()
        return Outcome(record=done, replies=[Reply(text, buttons)])

    def prompt(self, record: ConversationRecord) -> Reply:
        """The current question of a conversation, with its buttons (to ask again)."""
        return _Step(self, record.copy(), record.updated_at).prompt()

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
        self, message: Input, user_id: int, now: float, lang: str, usage: UserUsage
    ) -> Outcome:
        if isinstance(message, CommandInput) and message.name in ("help", "privacy"):
            return Outcome(record=None, replies=[Reply(self._command_text(message.name, lang))])
        if isinstance(message, AlbumEndInput | AlbumDeliveredInput):
            return Outcome(record=None, replies=[])  # the draft is gone (cancelled): nothing owed
        if isinstance(message, ChoiceInput) and message.question == LANG_QUESTION:
            # A language button pressed with no conversation: start one in that language.
            if message.value in CATALOG:
                lang = message.value
            message = CommandInput("start")
        if isinstance(message, SupplementInput):  # documents asked for after the draft was gone
            record = ConversationRecord(
                user_id=user_id,
                state="submitted",
                lang=lang,
                case_number=message.case_number,
                created_at=now,
            )
            step = _Step(self, record, now)
            step.run(message)
            return step.outcome()
        if not usage.may_start(self.policy.limits):
            return Outcome(record=None, replies=[Reply(self.case_limit_text(usage, lang))])
        record = self.new_record(user_id, lang, now)
        step = _Step(self, record, now)
        step.usage = usage
        if isinstance(message, CommandInput) and message.name == "start":
            step.apply_start_payload(message.arg)
        elif isinstance(message, CommandInput) and message.name == "lang":
            step.run(message)
            return step.outcome()
        step.ask()
        return step.outcome()

    def _command_text(self, name: str, lang: str) -> str:
        return (
            t(lang, "privacy", expire_days=self.expire_days) if name == "privacy" else t(lang, name)
        )


class _Step:
    """The work of one input on one record; collects replies as it goes."""

    usage = UserUsage()  # what the user filed before: the per-person limits need it

    def __init__(self, flow: IntakeFlow, record: ConversationRecord, now: float) -> None:
        self.flow = flow
        self.policy = flow.policy
        self.record = record
        self.now = now
        self.replies: list[Reply] = []
        self.notes: list[str] = []  # said before the next prompt, in the same message
        self.accepted: list[EvidenceFile] = []
        self.submission: Submission | None = None
        self.supplement: SupplementDone | None = None
        self.forget = False
        self.choice_taken = False
        self.lang_chosen: str | None = None

    @property
    def lang(self) -> str:
        return self.record.lang

    @property
    def answers(self) -> dict[str, Any]:
        return self.record.answers

    def t(self, key: str, **values: object) -> str:
        return t(self.lang, key, **values)

    def outcome(self) -> Outcome:
        if self.forget:
            return Outcome(
                record=None,
                replies=self.replies,
                choice_taken=self.choice_taken,
                lang_chosen=self.lang_chosen,
            )
        self.record.updated_at = self.now
        self.record.reminded_at = None
        return Outcome(
            record=self.record,
            replies=self.replies,
            accepted_files=tuple(self.accepted),
            submission=self.submission,
            supplement=self.supplement,
            choice_taken=self.choice_taken,
            lang_chosen=self.lang_chosen,
        )

    # -- dispatch -------------------------------------------------------------------------
    def run(self, message: Input) -> None:
        state = self.record.state
        album = self.answers.get(ALBUM_KEY)
        if isinstance(message, AlbumDeliveredInput):
            if album and album.get("answered") and album["group"] == message.group:
                self.answers.pop(ALBUM_KEY)
            return
        if isinstance(message, AlbumEndInput):
            if album:
                # Kept, marked answered, until the channel says the reply went out: a
                # process that dies before sending it answers again at start-up.
                self.notes.extend(self.album_lines(album))
                album["answered"] = True
                if album.get("received") and state in ("evidence", "supplement"):
                    self.acknowledge_files()
                else:
                    self.ask_if_open()
            return  # nothing pending: that album was already reported
        if album and not (isinstance(message, FilesInput) and message.group == album["group"]):
            self.answers.pop(ALBUM_KEY)
            if not album.get("answered"):  # a lost album end: report it before going on
                self.notes.extend(self.album_lines(album))
        if isinstance(message, SupplementInput):
            self.open_supplement(message)
        elif isinstance(message, CommandInput):
            self.command(message)
        elif isinstance(message, ChoiceInput) and message.question == LANG_QUESTION:
            self.set_lang(message.value)
        elif state == "supplement" and not isinstance(message, UnsupportedInput | EditedInput):
            self.supplement_input(message)
        elif state == "submitted":
            self.say(self.t("already_submitted", case_number=self.record.case_number or "-"))
        elif isinstance(message, UnsupportedInput):
            self.reask("hint.unsupported")
        elif isinstance(message, EditedInput):
            self.reask("hint.edited")
        elif isinstance(message, FilesInput):
            if state == "evidence":
                self.take_files(message.files, message.group)
            elif message.group:
                self.hold_album_problems(message.group, [self.t("hint.no_files_here")])
            else:
                self.reask("hint.no_files_here")
        elif isinstance(message, ChoiceInput):
            if message.question != state:
                self.reask("hint.stale_button")
            elif not self.valid_option(message.value):
                # A question typed in, not chosen, has no buttons to point at.
                self.reask("hint.use_buttons" if self.options(state) else "hint.stale_button")
            else:
                self.choice_taken = True
                self.choose(message.value)
        elif isinstance(message, TextInput):
            self.text(message.text)

    def command(self, message: CommandInput) -> None:
        name, state = message.name, self.record.state
        if state == "supplement" and name in ("cancel", "back", "start"):
            self.close_supplement("supplement.stopped")
            return
        if name == "start":
            if state == "submitted" and not self.usage.may_start(self.policy.limits):
                self.say(self.flow.case_limit_text(self.usage, self.lang))
            elif state == "submitted":
                self.fresh_draft()
            elif state in self.flow.table.draft_states and state != "consent":
                self.record.history.append(state)
                fire(self.flow.machine, self.draft(), "pause")
                self.sync()
                self.ask()
            else:
                self.ask()
        elif name == "cancel":
            if state == "submitted":
                self.say(self.t("already_submitted", case_number=self.record.case_number or "-"))
            else:
                self.forget = True
                self.say(self.t("cancelled"))
        elif name == "back":
            self.back()
        elif name in ("help", "privacy"):
            self.say(self.flow._command_text(name, self.lang))
            self.ask_if_open()
        elif name == "lang":
            arg = message.arg.strip().lower()
            if arg in CATALOG:
                self.set_lang(arg)
            else:
                buttons = (
                    (
                        Button("한국어", f"{LANG_QUESTION}:ko"),
                        Button("English", f"{LANG_QUESTION}:en"),
                    ),
                )
                self.replies.append(Reply(self.t("lang.choose"), buttons))
        else:
            self.reask("hint.unknown_command")

    def set_lang(self, lang: str) -> None:
        if lang not in CATALOG:
            self.reask("hint.use_buttons")
            return
        self.record.lang = lang
        self.lang_chosen = lang
        if self.record.state == "submitted":
            # Nothing is being asked: say in the new language what the user can do next.
            self.notes.append(self.t("lang.set"))
            self.ask()
            return
        self.say(self.t("lang.set"))
        self.ask()

    def back(self) -> None:
        state = self.record.state
        if state in ("submitted", "resume"):
            self.ask()
            return
        if state == "edit_menu":
            target = "summary"
        elif self.record.history:
            target = self.record.history.pop()
        else:
            self.reask("back.first")
            return
        fire(self.flow.machine, self.draft(), "jump", target)
        self.sync(target)
        self.ask()

    # -- answers ----------------------------------------------------------------------------
    def question(self, state: str | None = None) -> Question | None:
        """The declaration of ``state`` (the current state unless told); None after them."""
        return self.flow.table.questions.get(state or self.record.state)

    def text(self, raw: str) -> None:
        text = clean_text(raw)
        q = self.question()
        value = self.match_option(text)  # a button's number, its label or a word for it
        if value is not None:
            self.choose(value)
        elif q is not None and q.free_text:
            self.take_answer(q, text)
        elif q is not None and q.on_text is not None:
            q.on_text(self, text)
        else:
            self.reask("hint.empty" if not text else "hint.use_buttons")

    def take_answer(self, q: Question, text: str) -> None:
        """A typed answer to a free-text question: read, validated, kept, then move on."""
        try:
            q.take(self, text)
        except Invalid as exc:
            self.reask(exc.hint_key, **exc.values)
            return
        self.advance()

    def choose(self, value: str) -> None:
        q = self.question()
        if q is not None:
            keep = value == "keep" and q.free_text  # the answer stays as it is
            if keep or (q.choose is not None and q.choose(self, value)):
                self.advance()
            return
        state = self.record.state
        if state == "summary":
            self.summary_choice(value)
        elif state == "edit_menu":
            self.edit(value)
        elif state == "resume":
            if value == "restart":
                self.fresh_draft()
            else:
                target = self.record.history.pop() if self.record.history else "consent"
                fire(self.flow.machine, self.draft(), "jump", target)
                self.sync(target)
                self.ask()

    def take_files(self, files: tuple[EvidenceFile, ...], group: str | None = None) -> None:
        if self.record.state == "supplement":
            stored: list[dict[str, Any]] = self.answers[SUPPLEMENT_KEY]["files"]
        else:
            stored = self.answers.setdefault("evidence", [])
        known = {f["sha256"] for f in stored}
        received, problems = [], []
        in_progress = sum(f.get("size", 0) for f in self.answers.get("evidence", []))
        in_progress += sum(
            f.get("size", 0) for f in self.answers.get(SUPPLEMENT_KEY, {}).get("files", [])
        )
        room = self.usage.evidence_room(self.policy.limits, in_progress)
        for f in files:
            name = clean_file_name(f.name or "")
            if f.size > self.flow.rules.max_file_bytes:
                size, limit = format_size(f.size), format_size(self.flow.rules.max_file_bytes)
                problems.append(self.t("file.too_big", name=name, size=size, max=limit))
            elif not self.flow.rules.type_allowed(name, f.mime):
                problems.append(self.t("file.bad_type", name=name))
            elif f.size == 0:
                problems.append(self.t("file.empty", name=name))
            elif f.sha256 is None:
                problems.append(self.t("file.not_downloaded", name=name))
            elif f.sha256 in known:
                problems.append(self.t("file.duplicate", name=name))
            elif len(stored) >= self.flow.rules.max_files:
                problems.append(self.t("file.too_many", max=self.flow.rules.max_files, name=name))
            elif room is not None and f.size > room:
                limit = format_size(self.policy.limits.max_evidence_bytes or 0)
                problems.append(self.t("file.quota", name=name, max=limit))
            else:
                if room is not None:
                    room -= f.size
                stored.append({"sha256": f.sha256, "name": name, "mime": f.mime, "size": f.size})
                known.add(f.sha256)
                self.accepted.append(f)
                received.append(name)
        if group:
            self.hold_album_problems(group, problems, received)
            return
        if received:
            self.notes.append(self.t("file.received", names=", ".join(received)))
        self.notes.extend(problems)
        if stored:
            self.acknowledge_files()
        else:
            self.ask()  # nothing taken yet: the question, with what to send, once more

    def acknowledge_files(self) -> None:
        """Say briefly what was received, with the button that finishes (not the whole question)."""
        if self.record.state == "supplement":
            count = len(self.answers[SUPPLEMENT_KEY]["files"])
        else:
            count = len(self.answers.get("evidence", []))
        self.notes.append(self.t("file.ack", count=count))
        reply = Reply("\n".join(self.notes), self.buttons(self.record.state))
        self.notes.clear()
        self.replies.append(reply)

    def hold_album_problems(
        self, group: str, problems: list[str], received: Sequence[str] = ()
    ) -> None:
        """Keep what an album item brought for the album's one reply; say nothing yet."""
        album = self.answers.setdefault(ALBUM_KEY, {"group": group, "received": [], "problems": []})
        album["received"].extend(received)
        for problem in problems:
            if problem not in album["problems"]:
                album["problems"].append(problem)

    def album_lines(self, album: dict[str, Any]) -> list[str]:
        """The lines reporting a finished album."""
        lines = []
        if album.get("received"):
            lines.append(self.t("file.received", names=", ".join(album["received"])))
        lines.extend(album.get("problems", []))
        return lines

    def summary_choice(self, value: str) -> None:
        if value == "submit":
            self.submission = self.build_submission()
            fire(self.flow.machine, self.draft(), "submit")
            self.sync()
        elif value == "edit":
            fire(self.flow.machine, self.draft(), "edit")
            self.sync()
            self.ask()
        else:
            self.forget = True
            self.say(self.t("cancelled"))

    def edit(self, field_name: str) -> None:
        if field_name == "summary":
            target = "summary"
        else:
            target = field_name
            if target in self.record.history:
                del self.record.history[self.record.history.index(target) :]
        fire(self.flow.machine, self.draft(), "jump", target)
        self.sync(target)
        self.ask()

    # -- documents for a submitted case ----------------------------------------------------------
    def open_supplement(self, message: SupplementInput) -> None:
        if self.record.state != "supplement":
            self.record.history.append(self.record.state)
        elif self.answers.get(SUPPLEMENT_KEY, {}).get("case") == message.case_number:
            self.ask()  # the button pressed twice: just ask again
            return
        self.answers[SUPPLEMENT_KEY] = {
            "case": message.case_number,
            "documents": message.documents,
            "files": [],
        }
        fire(self.flow.machine, self.draft(), "open_supplement")
        self.sync()
        self.ask()

    def supplement_input(self, message: Input) -> None:
        if isinstance(message, FilesInput):
            self.take_files(message.files, message.group)
            return
        value = None
        if isinstance(message, ChoiceInput):
            value = message.value if message.question == "supplement" else None
            if value is None:
                self.reask("hint.stale_button")
                return
            self.choice_taken = value == "done"
        elif isinstance(message, TextInput):
            value = self.match_option(clean_text(message.text))
        if value != "done":
            self.reask("hint.text_at_evidence")
            return
        files = self.answers[SUPPLEMENT_KEY]["files"]
        if not files:
            self.reask("supplement.none")
            return
        case_number = self.answers[SUPPLEMENT_KEY]["case"]
        self.supplement = SupplementDone(
            case_number=case_number,
            files=tuple(EvidenceFile(f["name"], f["mime"], f["size"], f["sha256"]) for f in files),
        )
        self.close_supplement("supplement.done", count=len(files), case_number=case_number)

    def close_supplement(self, key: str, **values: object) -> None:
        """Leave the supplement step and go back to where the user was."""
        self.answers.pop(SUPPLEMENT_KEY, None)
        target = self.record.history.pop() if self.record.history else "submitted"
        fire(self.flow.machine, self.draft(), "jump", target)
        self.sync(target)
        self.notes.append(self.t(key, **values))
        if target == "submitted":
            self.say("\n".join(self.notes))
            self.notes.clear()
        else:
            self.ask()

    # -- moving -------------------------------------------------------------------------------
    def draft(self) -> Draft:
        self._draft = Draft(
            self.record.state, self.answers, self.policy, self.flow.table.conditions
        )
        return self._draft

    def sync(self, expected: str | None = None) -> None:
        """Copy the state the machine reached back into the record."""
        self.record.state = self._draft.state
        assert expected is None or self.record.state == expected, (self.record.state, expected)

    def advance(self) -> None:
        """Go forward, skipping questions already answered (after /back or an edit)."""
        for _ in range(len(self.flow.table.names) + 1):
            source = self.record.state
            if not fire(self.flow.machine, self.draft(), "advance"):
                break
            self.sync()
            self.record.history.append(source)
            if not self.answered(self.record.state):
                break
        self.ask()

    def answered(self, state: str) -> bool:
        q = self.question(state)
        return q is not None and q.answered(self)

    def needs_files(self) -> bool:
        return bool(self.answers.get("monetary")) and self.decision().needs_evidence

    def decision(self) -> TierDecision:
        return self.flow.decision(self.answers)

    def move(self, trigger: str) -> None:
        fire(self.flow.machine, self.draft(), trigger)
        self.sync()
        self.ask()

    def fresh_draft(self) -> None:
        self.record = self.flow.new_record(self.record.user_id, self.lang, self.now)
        self.ask()

    def apply_start_payload(self, payload: str) -> None:
        reporter_type = START_PAYLOADS.get(payload.strip().lower())
        if reporter_type and self.policy.reporter_type(reporter_type):
            self.answers["reporter_type"] = reporter_type

    # -- speaking -------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.replies.append(Reply(text))

    def reask(self, hint_key: str, **values: object) -> None:
        self.notes.append(self.t(hint_key, **values))
        self.ask()

    def note(self, text: str) -> None:
        self.notes.append(text)

    def close(self, text_key: str) -> None:
        self.forget = True
        self.say(self.t(text_key))

    def ask_if_open(self) -> None:
        if self.record.state != "submitted":
            self.ask()

    def ask(self) -> None:
        reply = self.prompt()
        if self.notes:
            reply = Reply("\n".join(self.notes) + "\n\n" + reply.text, reply.buttons)
            self.notes.clear()
        self.replies.append(reply)

    def say_tier(self) -> None:
        decision = self.flow.decision(self.answers)
        lines = [self.t("tier.header"), "", decision.tier.text(self.lang)]
        if decision.channel_cash:  # known already when the service is a Channel
            lines.append(decision.channel_cash.text(self.lang))
        if decision.substitutes:
            names = ", ".join(s(self.lang) for s in decision.substitutes)
            lines.append(self.t("tier.substitutes", substitutes=names))
        lines += [
            "",
            self.t("tier.package", package=self.policy.package(self.lang)),
            self.t("tier.footer"),
        ]
        self.say("\n".join(lines))

    def prompt(self) -> Reply:
        state = self.record.state
        q = self.question(state)
        text = q.question_text(self) if q is not None else self.screen_text(state)
        current = q.show(self) if q is not None and q.shows_current else None
        if current:  # the kept answer of a question being revisited
            text += "\n" + self.t("current_answer", answer=current)
            if q is not None and q.free_text and any(v == "keep" for v, _ in self.options(state)):
                text += "\n" + self.t("current_answer.keep")
        return Reply(text, self.buttons(state))

    def screen_text(self, state: str) -> str:
        """The text of a step after the questions."""
        if state == "summary":
            return self.t("summary", lines="\n".join(self.summary_lines()))
        if state == "submitted":
            return self.t("already_submitted", case_number=self.record.case_number or "-")
        if state == "supplement":
            sup = self.answers.get(SUPPLEMENT_KEY, {})
            text = self.t(
                "supplement",
                case_number=sup.get("case", "-"),
                documents=sup.get("documents") or "-",
            )
            count = len(sup.get("files", []))
            return text + ("\n" + self.t("evidence.count", count=count) if count else "")
        return self.t(state)

    def options(self, state: str) -> list[Option]:
        """(value, label) of each button of a step, in display order."""
        q = self.question(state)
        if q is not None:
            return q.buttons_of(self)
        if state == "summary":
            return [
                ("submit", self.t("summary.submit")),
                ("edit", self.t("summary.edit")),
                ("cancel", self.t("summary.cancel")),
            ]
        if state == "edit_menu":
            fields = [q for q in self.path_questions() if q.editable]
            return [(q.name, q.label(self)) for q in fields] + [
                ("summary", self.t("edit_menu.back"))
            ]
        if state == "resume":
            return [("continue", self.t("resume.continue")), ("restart", self.t("resume.restart"))]
        if state == "supplement":
            return [("done", self.t("evidence.done"))]
        return []

    def buttons(self, state: str) -> tuple[tuple[Button, ...], ...]:
        q = self.question(state)
        per_row = q.per_row if q is not None else 1
        buttons = [Button(label, f"{state}:{value}") for value, label in self.options(state)]
        return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))

    def valid_option(self, value: str) -> bool:
        q = self.question()
        if q is not None and value in q.accepts:
            return True
        return any(v == value for v, _ in self.options(self.record.state))

    def match_option(self, text: str) -> str | None:
        """Read typed text as a button: its number, its label or a common word for it."""
        state = self.record.state
        options = self.options(state)
        if not options or not text:
            return None
        key = fold(text)
        if key.isdigit() and 1 <= int(key) <= len(options):
            return options[int(key) - 1][0]
        for value, label in options:
            if key in (fold(label), fold(value)) or key in self.flow.synonyms.get(
                (state, value), ()
            ):
                return value
        return None

    # -- summary ----------------------------------------------------------------------------------
    def path(self) -> list[str]:
        """The questions the answers lead along, then "summary"."""
        return path_of(self.flow.machine, self.answers, self.policy, self.flow.table)

    def path_questions(self) -> list[Question]:
        """The declarations of the questions on the path, in order."""
        questions = self.flow.table.questions
        return [questions[name] for name in self.path() if name in questions]

    def service_name(self) -> str:
        a = self.answers
        service = self.policy.service(a.get("service", ""))
        if service is None:
            return "-"
        if service.other and a.get("service_other"):
            other: str = a["service_other"]
            return other
        return service.name(self.lang)

    def summary_lines(self) -> list[str]:
        lines = []
        for q in self.path_questions():
            if q.editable:
                lines.append(f"• {q.label(self)}: {q.show(self) or '-'}")
            inferred = q.infers  # answered by this path, not asked: shown right after
            if inferred and inferred.when.test(self.answers, self.policy):
                other = self.flow.table.questions[inferred.question]
                lines.append(f"• {other.label(self)}: {other.show(self)}")
        decision = self.decision()
        lines.append(f"• {self.t('field.tier')}: {self.flow.tier_label(decision, self.lang)}")
        lines.append(f"• {self.policy.package(self.lang)}")  # what everyone gets, whatever the tier
        return lines

    def build_submission(self) -> Submission:
        a, asked = self.answers, self.path_questions()
        path = [q.name for q in asked]
        decision = self.flow.decision(a)
        monetary = bool(a.get("monetary"))
        keys = {key for q in asked for key in q.keys}
        answers = {k: v for k, v in a.items() if k in keys}
        for q in asked:  # e.g. the service is a Channel: running one is inferred, not asked
            if q.infers and q.infers.when.test(a, self.policy):
                answers.update(q.infers.answers)
        evidence = tuple(
            EvidenceFile(name=f["name"], mime=f["mime"], size=f["size"], sha256=f["sha256"])
            for f in a.get("evidence", [])
            if "evidence" in path
        )
        return Submission(
            draft_id=self.record.draft_id,
            user_id=self.record.user_id,
            lang=self.lang,
            policy_id=self.policy.id,
            reporter_type=a["reporter_type"],
            service=a["service"],
            service_other=a.get("service_other") if "service_other" in path else None,
            paid=bool(a.get("paid")),
            monetary=monetary,
            tier=decision.tier.id,
            amount=a.get("amount") if monetary else None,
            tentative_support=decision.tier.support,
            channel_cash=decision.channel_cash is not None,
            business_number=a.get("business_number") if "business_number" in path else None,
            description=(a.get("description") or None) if "description" in path else None,
            evidence=evidence,
            answers=answers,
            documents_due=self.flow.documents_due(a) if "evidence" in path else (),
        )
