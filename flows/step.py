"""The work of one input on one conversation: dispatch, commands, answers and moves.

A :class:`Step` is made by :class:`~flows.conversation.IntakeFlow` for each input. It
reads the current question's declaration (:mod:`flows.questions`) for its text,
buttons and answer, fires the flow's state table to move, and collects the replies.
It is what a question's callables see as :class:`~flows.question.Asking`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from flows.file_step import ALBUM_KEY, album_lines, hold_album_problems, screen_files
from flows.limits import UserUsage
from flows.machine import Draft, fire, path_of
from flows.messages import (
    MESSAGE_BUTTON,
    AlbumDeliveredInput,
    AlbumEndInput,
    Button,
    ChoiceInput,
    CommandInput,
    EditedInput,
    EvidenceFile,
    FilesInput,
    Input,
    MessageInput,
    Reply,
    SupplementInput,
    TextInput,
    UnsupportedInput,
)
from flows.outcome import MessageToStaff, Outcome, Submission, SupplementDone
from flows.policy import TierDecision
from flows.question import Invalid, Option, Question
from flows.record import MESSAGE_KEY, SUPPLEMENT_KEY, ConversationRecord
from flows.summary import build_submission, summary_lines
from flows.texts import CATALOG, t
from flows.typed_text import clean_text, fold, without_note

if TYPE_CHECKING:
    from flows.conversation import IntakeFlow

# Deep-link payloads of /start that preselect a reporter type (t.me/bot?start=sb).
START_PAYLOADS = {
    "sb": "small_business",
    "biz": "small_business",
    "co": "company",
    "user": "general",
}
LANG_QUESTION = "lang"
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


class Step:
    """The work of one input on one record; collects replies as it goes."""

    usage = UserUsage()  # what the user filed before: the per-person limits need it
    channel: str | None = None  # the person's channel: it fills the texts' channel words

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
        self.staff_message: MessageToStaff | None = None
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
        return t(self.lang, key, self.channel, **values)

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
            staff_message=self.staff_message,
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
                self.notes.extend(album_lines(album, self.t))
                album["answered"] = True
                if album.get("received") and state == "message":
                    self.message_ready()
                elif album.get("received") and state in ("evidence", "supplement"):
                    self.acknowledge_files()
                else:
                    self.ask_if_open()
            return  # nothing pending: that album was already reported
        if album and not (isinstance(message, FilesInput) and message.group == album["group"]):
            self.answers.pop(ALBUM_KEY)
            if not album.get("answered"):  # a lost album end: report it before going on
                self.notes.extend(album_lines(album, self.t))
        if isinstance(message, SupplementInput):
            self.open_supplement(message)
        elif isinstance(message, MessageInput):
            self.open_message(message.case_number)
        elif isinstance(message, CommandInput):
            self.command(message)
        elif isinstance(message, ChoiceInput) and message.question == LANG_QUESTION:
            self.set_lang(message.value)
        elif state == "supplement" and not isinstance(message, UnsupportedInput | EditedInput):
            self.supplement_input(message)
        elif state == "message" and not isinstance(message, UnsupportedInput | EditedInput):
            self.message_input(message)
        elif state == "submitted" and _has_content(message):
            self.start_message(message)
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
                hold_album_problems(self.answers, message.group, [self.t("hint.no_files_here")])
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
        if state == "message" and name in ("cancel", "back", "start"):
            self.close_message("message.stopped")
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
            self.say(self.flow._command_text(name, self.lang, self.channel))
            self.ask_if_open()
        elif name == "lang":
            arg = message.arg.strip().lower()
            if arg in CATALOG:
                self.set_lang(arg)
            else:
                # Each language named in itself, side by side.
                row = tuple(Button(t(c, "lang.name"), f"{LANG_QUESTION}:{c}") for c in CATALOG)
                self.replies.append(Reply(self.t("lang.choose"), (row,)))
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
        in_progress = sum(f.get("size", 0) for f in self.answers.get("evidence", []))
        in_progress += sum(
            f.get("size", 0) for f in self.answers.get(SUPPLEMENT_KEY, {}).get("files", [])
        )
        room = self.usage.evidence_room(self.policy.limits, in_progress)
        if self.record.state == "supplement":
            room = None  # documents staff asked for: never held by the per-person bytes
        taken = screen_files(
            files, stored, self.flow.rules, room, self.policy.limits.max_evidence_bytes, self.t
        )
        self.accepted.extend(taken.accepted)
        if group:
            hold_album_problems(self.answers, group, taken.problems, taken.received)
            return
        if taken.received:
            self.notes.append(self.t("file.received", names=", ".join(taken.received)))
        self.notes.extend(taken.problems)
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

    def summary_choice(self, value: str) -> None:
        if value == "submit":
            self.submission = build_submission(self)
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
        self.go_back_saying(key, **values)

    # -- a message to staff about a submitted case ----------------------------------------------
    # Typing (or sending files) after a submitted case, or pressing "write to staff" on a
    # case (/status, a decision), opens the message step; the message goes to staff as
    # soon as it has something in it and its case is known (asked when there are several),
    # and the person is back where they were.
    def start_message(self, message: Input) -> None:
        """Something typed or sent after submitting: it is for staff."""
        if not self.may_message():
            return
        cases = list(self.usage.case_numbers) or [self.record.case_number or ""]
        self.record.history.append(self.record.state)
        self.answers[MESSAGE_KEY] = {
            "case": cases[0] if len(cases) == 1 else None,
            "text": "",
            "files": [],
            "cases": cases,
        }
        fire(self.flow.machine, self.draft(), "open_message")
        self.sync("message")
        self.message_input(message)

    def open_message(self, case_number: str) -> None:
        """A "write to staff" button of one case (checked by the intake to be the person's)."""
        pending = self.answers.get(MESSAGE_KEY)
        if self.record.state == "message" and pending and pending["case"] is None:
            pending["case"] = case_number  # the case picked for what was written
            self.choice_taken = True
            self.message_ready()
            return
        if self.record.state == "supplement":
            self.reask("hint.stale_button")  # one thing at a time: the documents first
            return
        if not self.may_message():
            self.ask_if_open()
            return
        self.choice_taken = True
        if self.record.state != "message":
            self.record.history.append(self.record.state)
        self.answers[MESSAGE_KEY] = {"case": case_number, "text": "", "files": [], "cases": []}
        fire(self.flow.machine, self.draft(), "open_message")
        self.sync("message")
        self.ask()

    def message_input(self, message: Input) -> None:
        pending = self.answers[MESSAGE_KEY]
        if isinstance(message, ChoiceInput):
            if message.question == "message" and message.value == "stop":
                self.choice_taken = True
                self.close_message("message.stopped")
            else:
                self.reask("hint.stale_button")
            return
        if isinstance(message, FilesInput):
            in_progress = sum(f.get("size", 0) for f in self.answers.get("evidence", []))
            in_progress += sum(f.get("size", 0) for f in pending["files"])
            taken = screen_files(
                message.files,
                pending["files"],
                self.flow.rules,
                self.usage.evidence_room(self.policy.limits, in_progress),
                self.policy.limits.max_evidence_bytes,
                self.t,
            )
            self.accepted.extend(taken.accepted)
            if message.group:  # the album's end sends it, with all its files
                hold_album_problems(self.answers, message.group, taken.problems, taken.received)
                return
            self.notes.extend(taken.problems)
            if not taken.accepted:
                self.ask()  # why each was refused, and what to do
                return
        elif isinstance(message, TextInput):
            text = clean_text(message.text)
            value = self.match_option(text) if pending["case"] is None else None
            if value == "stop" or (pending["case"] is not None and self.is_stop(text)):
                self.close_message("message.stopped")
                return
            if value is not None:
                pending["case"] = value
                self.message_ready()
                return
            if not text:
                self.reask("hint.empty")
                return
            pending["text"] = f"{pending['text']}\n{text}" if pending["text"] else text
        self.message_ready()

    def message_ready(self) -> None:
        """Send what was written when its case is known; else ask which case it is about."""
        pending = self.answers[MESSAGE_KEY]
        if pending["case"] is None or not (pending["text"] or pending["files"]):
            self.ask()
            return
        if not self.may_message():
            self.answers.pop(MESSAGE_KEY)  # its files are let go with it
            self.go_back_saying(None)
            return
        files = tuple(
            EvidenceFile(f["name"], f["mime"], f["size"], f["sha256"]) for f in pending["files"]
        )
        self.staff_message = MessageToStaff(pending["case"], pending["text"], files)
        self.close_message("message.sent", case_number=pending["case"])

    def may_message(self) -> bool:
        """Whether the person may write to staff now; if not, says so (once) and why."""
        if self.usage.may_message(self.policy.limits):
            return True
        self.notes.append(self.t("message.throttled"))
        if self.record.state in ("submitted", "message"):
            self.say("\n".join(self.notes))
            self.notes.clear()
        return False

    def is_stop(self, text: str) -> bool:
        return fold(text) in {fold(self.t("message.stop")), "/stop"}

    def close_message(self, key: str, **values: object) -> None:
        """Leave the message step and go back to where the user was."""
        self.answers.pop(MESSAGE_KEY, None)
        self.go_back_saying(key, **values)

    def go_back_saying(self, key: str | None, **values: object) -> None:
        """Return from a case's step (documents, a message) to where the user was, saying ``key``."""
        target = self.record.history.pop() if self.record.history else "submitted"
        fire(self.flow.machine, self.draft(), "jump", target)
        self.sync(target)
        if key is not None:
            self.notes.append(self.t(key, **values))
        if target == "submitted":
            if self.notes:
                self.say("\n".join(self.notes))
            self.notes.clear()
        else:
            self.ask()

    # -- moving -------------------------------------------------------------------------------
    def draft(self) -> Draft:
        self._draft = self.flow.table.draft_class(self.record.state, self.answers, self.policy)
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
            return self.t("summary", lines="\n".join(summary_lines(self)))
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
        if state == "message":
            pending = self.answers.get(MESSAGE_KEY, {})
            if pending.get("case") is None:
                return self.t("message.which_case")
            return self.t("message.write", case_number=pending["case"])
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
        if state == "message":
            pending = self.answers.get(MESSAGE_KEY, {})
            cases = pending.get("cases", []) if pending.get("case") is None else []
            return [(n, n) for n in cases] + [("stop", self.t("message.stop"))]
        return []

    def buttons(self, state: str) -> tuple[tuple[Button, ...], ...]:
        q = self.question(state)
        per_row = q.per_row if q is not None else 1
        buttons = [
            Button(label, self.button_data(state, value)) for value, label in self.options(state)
        ]
        return tuple(tuple(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row))

    def button_data(self, state: str, value: str) -> str:
        if state == "message" and value != "stop":
            # A case to write about: the intake checks it is the presser's own.
            return f"{MESSAGE_BUTTON}:{value}"
        return f"{state}:{value}"

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
        # The label's words without its note in brackets, when only one button reads so.
        short = [v for v, label in options if key and key == fold(without_note(label))]
        return short[0] if len(short) == 1 else None

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


def _has_content(message: Input) -> bool:
    """Something typed or sent that can go to staff (not a button, not empty)."""
    if isinstance(message, FilesInput):
        return True
    return isinstance(message, TextInput) and bool(clean_text(message.text))
