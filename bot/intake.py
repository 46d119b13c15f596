"""The channel-neutral intake service: load a conversation, run the flow, persist, then reply.

Every channel (console, Telegram) turns what the user did into a :mod:`flows.messages`
input and calls :meth:`IntakeService.handle`. The order of writes is the promise:
evidence bytes, then the case (or a message to staff on it), then the conversation,
and only then are replies returned. A crash anywhere before the conversation is
saved makes the user send the same thing again; it never loses or doubles an
answer, because case creation is idempotent per draft and a message per request id.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.notices import Notices
from bot.sequencer import UserSequencer
from flows.conversation import FILE_STATES, IntakeFlow, Outcome, Submission
from flows.identity import UserKey
from flows.limits import MESSAGE_WINDOW, UserUsage
from flows.machine import DRAFT_STATES
from flows.messages import (
    MESSAGE_BUTTON,
    Button,
    ChoiceInput,
    CommandInput,
    EvidenceFile,
    FilesInput,
    Input,
    MessageInput,
    Reply,
    SupplementInput,
)
from flows.policy import LANGS
from flows.record import MESSAGE_KEY, SUPPLEMENT_KEY, ConversationRecord
from flows.texts import CATALOG, pick_lang, t
from storage import (
    AuditEntry,
    Case,
    CaseChange,
    CaseDraft,
    CaseFilter,
    CaseMessage,
    CaseStatus,
    CaseSummary,
    CorruptFile,
    EvidenceRef,
    Storage,
)
from storage.case_numbers import normalize_case_number
from storage.records import USER_SENDER, draft_holder

DELETE_QUESTION = "delete"
# Button under a document request: "docs:<case number>" opens the supplement step.
DOCUMENTS_QUESTION = "docs"
# Button of a case: "msg:<case number>" writes to staff about it (the flow's message step).
MESSAGE_QUESTION = MESSAGE_BUTTON
REQUEST_ACTION = "review.documents_requested"
# Staff lifted the per-person limits for the user of this case (bot/staff/limits.py).
LIMITS_LIFTED = "limits.lifted"
# Audited when a user was reminded of documents still due (once per request).
REMINDED_ACTION = "documents.reminded"
DAY = 24 * 3600
# A case waiting for documents gets one reminder this long after they were asked for.
DOCUMENTS_REMIND_AFTER = 3 * DAY
# How long a "yes, delete my data" button stays good after it was asked.
DELETE_CONFIRM_WINDOW = 15 * 60

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel received it: its bytes in ``data``, or in the file at ``path``.

    A downloaded file (``path``) comes with the ``sha256`` hashed while it was
    written; the evidence store takes the file over when the flow accepts it, so
    its bytes are never held in memory. Neither ``data`` nor ``path``: not fetched.
    """

    name: str
    mime: str
    size: int
    data: bytes | None = None
    path: Path | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class IncomingFiles:
    """Files sent together; ``group`` is an album id whose items arrive one by one."""

    files: tuple[IncomingFile, ...]
    group: str | None = None


@dataclass(frozen=True)
class Handled:
    """What one input came to: the replies, and whether a pressed button was taken.

    ``choice_taken`` is False for a button of a passed question, a forged one, a
    stale confirmation and a redelivered press: the channel marks a pressed
    message with the choice only when it counted.

    ``saved`` is True when this input wrote the person's conversation, ``record``
    being it as written (None: deleted): a door that shows the next question (the
    web chat) need not read it back. False when nothing was written (a redelivery,
    a refusal): read it from the store if needed.

    ``forgotten`` is True when the person confirmed ``/delete_my_data``: a door that
    keeps anything of its own about them (the web chat's transcript) forgets it too.
    """

    replies: list[Reply]
    choice_taken: bool = False
    record: ConversationRecord | None = None
    saved: bool = False
    forgotten: bool = False


# ``handle_input(loaded=...)`` left out: the intake reads the conversation itself.
UNREAD: object = object()

# Seconds a redelivered request waits for the reply of the instance that processed it
# (a live one marks it within a round trip to Telegram) before asking again.
REPLY_WAIT = 3.0


@dataclass(frozen=True)
class SweepResult:
    """What a reminder/expiry check found: replies to send, and when to look again (or None).

    ``action`` ("remind" or "expire") is only recorded by :meth:`IntakeService.sweep_sent`
    once the replies went out: a process stopped in between sends them again rather
    than never (a reminder twice beats a silent draft that disappears).
    """

    replies: list[Reply]
    next_check: float | None
    action: str | None = None
    at: float = 0.0
    # Cases whose documents reminder is among the replies (audited once sent).
    reminded_cases: tuple[str, ...] = ()


class IntakeService:
    """Runs one user's input through the flow against storage, durably."""

    def __init__(
        self,
        flow: IntakeFlow,
        storage: Storage,
        *,
        clock: Callable[[], float] = time.time,
        default_lang: str = "ko",
        remind_after: float = DAY,
        documents_remind_after: float = DOCUMENTS_REMIND_AFTER,
    ) -> None:
        """One service answers every door: each person's words for their channel (the
        texts' channel placeholders, :data:`flows.texts.CHANNEL_WORDS`) come from their
        key's channel (``UserKey("console", …)``), not from a setting of the service."""
        self.flow = flow
        self.storage = storage
        self.clock = clock
        self.default_lang = default_lang
        self.remind_after = remind_after
        self.documents_remind_after = documents_remind_after
        self.expire_after = flow.expire_days * DAY
        # How long a duplicate of a request processed elsewhere waits for that
        # instance's reply before asking the current question itself (handle_request).
        self.reply_wait = REPLY_WAIT
        # One line of turns per person for every door and the scheduler, and one place
        # notices go through: a server has one service, so these are the server's.
        self.sequencer = UserSequencer()
        self.notices = Notices(
            storage, lang_of=self.user_lang, sequencer=self.sequencer, clock=clock
        )
        # Called with each person whose input was handled (the scheduler looks at
        # their draft again once it may need a reminder); may run in a worker thread.
        self.on_input: list[Callable[[UserKey], None]] = []

    def handle(
        self,
        user_id: UserKey,
        message: Input | IncomingFiles | tuple[IncomingFile, ...],
        *,
        language_code: str | None = None,
        input_id: int | str | None = None,
    ) -> list[Reply]:
        """Process one input of one user and return the replies to send.

        Not safe to call concurrently for the same user: channels serialise per user.

        ``input_id`` is the channel's own id of the request; it is kept with the
        conversation (``last_input_id``, saved in the same write as the answer) and
        makes a redelivered input re-ask the current question instead of applying
        the answer a second time. It backs up the door's own check,
        :meth:`storage.base.Storage.seen_request` / ``mark_request``, whose marks
        are not fsync'd: a door asks ``seen_request(channel, str(id))`` before
        calling this and marks the request once it has answered. Its type says how
        ids compare:

        - an ``int`` is an id that increases per person (a Telegram update id; a
          counter in tests/bot/test_new_door.py): an input whose id is at or below
          the last one applied is a redelivery;
        - a ``str`` is an opaque id, unique per request and without order (a web
          form's step token, a KakaoTalk request id): only the same id as the last
          one applied is a redelivery (the usual retry: the last request sent again
          because its answer never arrived). Older requests sent again are caught by
          ``seen_request`` alone. Never make it from the request's content: two
          identical answers to two questions ("yes", "yes") are two requests;
        - ``None``: no check here. A channel whose requests carry no id at all
          (a KakaoTalk skill retry) passes None; a retry is then taken as a new
          input: a pressed choice that is no longer current is refused as stale,
          typed text is applied again to the question now asked.

        A channel keeps to one kind; a person's ids never mix (a UserKey is one
        channel). ``str(input_id)`` is what the door gives ``seen_request``.
        """
        return self.handle_input(
            user_id, message, language_code=language_code, input_id=input_id
        ).replies

    def handle_input(
        self,
        user_id: UserKey,
        message: Input | IncomingFiles | tuple[IncomingFile, ...],
        *,
        language_code: str | None = None,
        input_id: int | str | None = None,
        loaded: ConversationRecord | object | None = UNREAD,
    ) -> Handled:
        """Like :meth:`handle`, also telling whether a pressed button was taken.

        The notices waiting in the person's mailbox (:meth:`bot.notices.Notices.take_mailbox`)
        come first, each shown once: a door that cannot push needs nothing more.

        ``loaded`` is the person's conversation as the door has just read it in this
        person's turn (``load_conversation``; None: they have none), so that a door which
        needs it before the answer (the web chat) does not make the intake read it a
        second time. The intake takes it over (the flow changes it). Left out, the intake
        reads it itself.
        """
        handled = self._handle_input(
            user_id, message, language_code=language_code, input_id=input_id, loaded=loaded
        )
        for hook in self.on_input:
            hook(user_id)
        try:
            mailbox = self.notices.take_mailbox(user_id)
        except Exception:  # the notices stay stored: shown with the next input
            log.exception("mailbox of user %s could not be read", user_id)
            mailbox = []
        if not mailbox:
            return handled
        return dataclasses.replace(handled, replies=[*mailbox, *handled.replies])

    @contextmanager
    def turn(self, user_id: UserKey, request: tuple[str, str] | None = None) -> Iterator[bool]:
        """The person's turn of the store, the one path every door takes for a request.

        :meth:`Storage.user_turn`: yields whether to process ``request`` (``(channel,
        request id)``; None: no claim, the turn only orders the person's requests). On
        PostgreSQL it is one transaction across every instance (the person's lock, the
        claim, every write made in it), committed on leaving: the door replies after.
        In one process (memory, TinyDB) it yields True and does nothing else. Telegram
        goes through it with :meth:`handle_request`; a door whose step writes more than
        the conversation (the web chat's page, KakaoTalk's memory of the person) calls
        :meth:`handle_input` and its own writes inside it.
        """
        with self.storage.user_turn(user_id, request) as claimed:
            yield claimed

    def handle_request(
        self,
        user_id: UserKey,
        message: Input | IncomingFiles | tuple[IncomingFile, ...],
        *,
        request: tuple[str, str] | None,
        language_code: str | None = None,
        input_id: int | str | None = None,
    ) -> Handled | None:
        """:meth:`handle_input` in the person's turn of the store (:meth:`Storage.user_turn`).

        ``request`` is ``(channel, request id)``. None when another process (or this
        one) processed that request already: send nothing then; but when that one
        never replied (killed after its commit) and has not for :attr:`reply_wait`
        seconds, the current question is asked again (:meth:`Storage.take_unreplied`),
        and the door marks the request once it has replied. On PostgreSQL the
        turn is one transaction across every instance of the bot (the person's lock,
        the request's claim, the writes), committed before this returns, so the door
        replies only after it; in one process (memory, TinyDB) it is
        :meth:`handle_input` itself, the door checking and marking the request.
        """
        with self.turn(user_id, request) as claimed:
            log.debug(
                "request %s of user %s: %s",
                request,
                user_id,
                "claimed" if claimed else "claimed before",
            )
            if claimed:
                return self.handle_input(
                    user_id, message, language_code=language_code, input_id=input_id
                )
        # Claimed before: its reply was sent, or is about to be (another instance), or
        # never will be (that instance died after its commit): then ask again.
        if request is None or not self.storage.take_unreplied(*request, self.reply_wait):
            log.debug("request %s of user %s: answered by its claimer", request, user_id)
            return None
        log.debug("request %s of user %s: never answered, taken over", request, user_id)
        with self.turn(user_id):
            record = self.storage.load_conversation(user_id)
            if record is not None:
                if input_id is not None and record.last_input_id != input_id:
                    # The person answered on (they had that reply; only its mark was
                    # lost): asking an older question now would only confuse them.
                    return None
                return Handled([self.flow.prompt(record, user_id.channel)])
            # Nothing to ask again (the request made no conversation): processed again,
            # as one process does with a redelivery it had not marked.
            return self.handle_input(
                user_id, message, language_code=language_code, input_id=input_id
            )

    def _handle_input(
        self,
        user_id: UserKey,
        message: Input | IncomingFiles | tuple[IncomingFile, ...],
        *,
        language_code: str | None,
        input_id: int | str | None,
        loaded: ConversationRecord | object | None = UNREAD,
    ) -> Handled:
        now = self.clock()
        try:
            if loaded is UNREAD:
                record = self.storage.load_conversation(user_id)
            else:
                assert loaded is None or isinstance(loaded, ConversationRecord)
                record = loaded
        except CorruptFile as exc:
            log.error("conversation of user %s unreadable: %s", user_id, exc)
            lang = self.user_lang(user_id, language_code)
            return Handled([Reply(t(lang, "error.corrupt"))])
        if record is not None and _redelivered(input_id, record.last_input_id):
            return Handled([self.flow.prompt(record, user_id.channel)])

        blobs: dict[str, bytes | Path] = {}
        if isinstance(message, tuple):
            message = IncomingFiles(message)
        if isinstance(message, IncomingFiles):
            message = self._files_input(message, blobs)
        # The language the user chose earlier (/lang) starts anything new; a draft has its own.
        preferred = self.storage.load_user_lang(user_id) if record is None else None
        lang = record.lang if record else preferred or pick_lang(language_code, self.default_lang)
        if isinstance(message, CommandInput) and message.name == "status":
            if message.arg.strip():
                return Handled([self.case_status_reply(user_id, message.arg, lang)])
            return Handled([self.status_reply(user_id, lang)])
        if isinstance(message, CommandInput) and message.name == "delete_my_data":
            return Handled([self.delete_question(lang, now)])
        if isinstance(message, ChoiceInput) and message.question == DELETE_QUESTION:
            answer, _, asked_at = message.value.partition(".")
            if answer == "yes" and not _fresh(asked_at, now):
                # A stale confirmation (or one never asked): ask again instead of deleting.
                return Handled([self.delete_question(lang, now)])
            confirmed = answer == "yes"
            replies = self.delete_my_data(user_id, record, lang, confirmed=confirmed, now=now)
            return Handled(replies, choice_taken=True, forgotten=confirmed)
        opens_documents = False
        if isinstance(message, ChoiceInput) and message.question == DOCUMENTS_QUESTION:
            case = self.storage.get_case(message.value)
            if (
                case is None
                or case.user_id != user_id
                or case.status != CaseStatus.DOCUMENTS_REQUESTED
            ):
                # Someone else's or an unknown number gets the same answer: nothing to
                # learn. Only a well-formed number is echoed; forged data never is.
                shown = normalize_case_number(message.value) or "-"
                return Handled([Reply(t(lang, "supplement.not_open", case_number=shown))])
            message = SupplementInput(
                case.case_number, self.requested_documents(case.case_number, lang)
            )
            opens_documents = True
        if isinstance(message, ChoiceInput) and message.question == MESSAGE_QUESTION:
            case = self.storage.get_case(message.value)
            if case is None or case.user_id != user_id:
                # Refused like a forged button: someone else's case and an unknown
                # number get the same answer, and nothing of the data is echoed.
                return Handled([Reply(t(lang, "status.not_found"))])
            message = MessageInput(case.case_number)

        usage = None
        if (
            record is None
            or record.state in ("submitted", "message")
            or isinstance(message, FilesInput | MessageInput)
        ):
            # A report may start, files arrive or a message to staff: the per-person
            # limits (and the message throttle) need the past.
            usage = self.user_usage(user_id, record, message)
        outcome = self.flow.handle(
            record,
            message,
            user_id=user_id,
            now=now,
            language_code=language_code,
            default_lang=self.default_lang,
            channel=user_id.channel,
            preferred_lang=preferred,
            usage=usage,
        )
        choice_taken = outcome.choice_taken or opens_documents
        if outcome.lang_chosen is not None:
            self.storage.save_user_lang(user_id, outcome.lang_chosen)
        holder = draft_holder(user_id)
        for f in outcome.accepted_files:
            assert f.sha256 is not None  # the flow accepts only downloaded files
            blob = blobs[f.sha256]
            if isinstance(blob, Path):
                self.storage.put_evidence_file(blob, f.sha256, holder=holder)
            else:
                self.storage.put_evidence(blob, holder=holder)
        if outcome.submission is not None:
            outcome = self._submit(outcome, now)  # the case holds its files from here on
        if outcome.supplement is not None:
            outcome, _ = self._attach_documents(outcome, user_id, now)
        if outcome.staff_message is not None:
            outcome = self._send_to_staff(outcome, user_id, now, input_id)
        if outcome.record is None:
            if record is not None:
                self.storage.delete_conversation(user_id)
        else:
            if input_id is not None:
                outcome.record.last_input_id = input_id
            self.storage.save_conversation(outcome.record)
        # The draft lets go of what it no longer holds (cancelled, started over, left out
        # of a submission, submitted into a case, an abandoned document upload); a file
        # is deleted only when no other draft and no case holds it.
        self.storage.release_evidence(holder, keep=draft_files(outcome.record))
        return Handled(outcome.replies, choice_taken, outcome.record, saved=True)

    def takes_files(self, user_id: UserKey) -> bool:
        """Whether the user's conversation is at a step that takes files (one small read).

        Channels download a file only then: elsewhere it is answered without its bytes.
        """
        try:
            record = self.storage.load_conversation(user_id)
        except CorruptFile:
            return False
        return record is not None and record.state in FILE_STATES

    def user_lang(self, user_id: UserKey, language_code: str | None = None) -> str:
        """The language to speak to a user in: their draft's, their choice, or their client's."""
        try:
            record = self.storage.load_conversation(user_id)
        except CorruptFile:
            record = None
        if record is not None:
            return record.lang
        preferred = self.storage.load_user_lang(user_id)
        return preferred or pick_lang(language_code, self.default_lang)

    def set_language(self, user_id: UserKey, lang: str) -> None:
        """Make ``lang`` the user's language (a channel's setting, e.g. ``chat --lang``).

        Kept for the user, and applied to the conversation in progress.
        """
        if lang not in CATALOG:
            raise ValueError(f"unknown language {lang!r}")
        self.storage.save_user_lang(user_id, lang)
        record = self.storage.load_conversation(user_id)
        if record is not None and record.lang != lang:
            record.lang = lang
            self.storage.save_conversation(record)

    def current_prompt(self, user_id: UserKey) -> Reply | None:
        """The question a user's stored conversation is waiting on, if any."""
        record = self.storage.load_conversation(user_id)
        return self.flow.prompt(record, user_id.channel) if record else None

    def status_reply(self, user_id: UserKey, lang: str) -> Reply:
        """List the user's submitted cases: number, tier and status, each with a
        "write to staff" button (``msg:<case number>``)."""
        rows = self.storage.list_cases(CaseFilter(user_id=user_id))
        if not rows:
            return Reply(t(lang, "status.none"))
        lines = [t(lang, "status.header")]
        buttons = []
        for row in rows:
            tier_name = self.flow.tier_name(row.tier, lang)
            status = t(lang, f"status.{row.status}")
            lines.append(
                t(lang, "status.line", case_number=row.case_number, tier=tier_name, status=status)
            )
            label = t(lang, "status.write", case_number=row.case_number)
            buttons.append((Button(label, f"{MESSAGE_QUESTION}:{row.case_number}"),))
        return Reply("\n".join(lines), tuple(buttons))

    def case_status_reply(self, user_id: UserKey, typed: str, lang: str) -> Reply:
        """One case by number; a typo is caught by the check character.

        An unknown number and another user's number get the same answer, so
        guessing numbers tells nothing.
        """
        number = normalize_case_number(typed)
        if number is None:
            return Reply(t(lang, "status.bad_number"))
        case = self.storage.get_case(number)
        if case is None or case.user_id != user_id:
            return Reply(t(lang, "status.not_found"))
        tier = self.flow.tier_name(case.tier, lang)
        status = t(lang, f"status.{case.status}")
        return Reply(t(lang, "status.line", case_number=case.case_number, tier=tier, status=status))

    def delete_question(self, lang: str, now: float) -> Reply:
        """Ask before deleting; the yes button is good for DELETE_CONFIRM_WINDOW seconds."""
        buttons = (
            (
                Button(t(lang, "delete.yes"), f"{DELETE_QUESTION}:yes.{int(now)}"),
                Button(t(lang, "delete.no"), f"{DELETE_QUESTION}:no"),
            ),
        )
        return Reply(t(lang, "delete.confirm"), buttons)

    def delete_my_data(
        self,
        user_id: UserKey,
        record: ConversationRecord | None,
        lang: str,
        *,
        confirmed: bool,
        now: float,
    ) -> list[Reply]:
        """Drop the draft and its files; record a deletion request for submitted cases.

        The person's waiting notices that belong to no case (the draft's reminder or
        expiry news) are dropped too, so none is shown or pushed after this answer.
        Notices about a submitted case are kept: they follow that case's deletion
        request, which staff handle (a decision still reaches the person meanwhile).
        """
        if not confirmed:
            return [Reply(t(lang, "delete.kept"))]
        self.storage.save_user_lang(user_id, None)
        self.notices.drop_caseless(user_id)
        lines = []
        if record is not None and record.state != "submitted":
            self.storage.delete_conversation(user_id)
            self.storage.release_evidence(draft_holder(user_id))
            lines.append(t(lang, "delete.done"))
        elif record is not None:
            self.storage.delete_conversation(user_id)
            self.storage.release_evidence(draft_holder(user_id))
        cases = self.storage.list_cases(CaseFilter(user_id=user_id))
        for case in cases:
            self.storage.append_audit(
                AuditEntry(
                    at=now,
                    actor=f"user:{user_id}",
                    action="privacy.deletion_requested",
                    case_number=case.case_number,
                )
            )
        if cases:
            lines.append(t(lang, "delete.requested", count=len(cases)))
        return [Reply("\n".join(lines) if lines else t(lang, "delete.nothing"))]

    def sweep(self, user_id: UserKey) -> SweepResult:
        """Say whether a silent draft is due a reminder or expiry, or a case its
        documents reminder; change nothing yet."""
        draft = self._sweep_draft(user_id)
        documents, due = self._sweep_documents(user_id)
        if not documents:
            return SweepResult(
                draft.replies, _earliest(draft.next_check, due), draft.action, draft.at
            )
        return SweepResult(
            [*(r for r, _ in documents), *draft.replies],
            _earliest(draft.next_check, due),
            draft.action,
            draft.at or self.clock(),
            reminded_cases=tuple(number for _, number in documents),
        )

    def _sweep_draft(self, user_id: UserKey) -> SweepResult:
        now = self.clock()
        try:
            record = self.storage.load_conversation(user_id)
        except CorruptFile:
            return SweepResult([], None)
        if record is None or record.state not in (*DRAFT_STATES, "resume"):
            return SweepResult([], None)
        silent = now - record.updated_at
        days = self.flow.expire_days
        if silent >= self.expire_after:
            return SweepResult([Reply(t(record.lang, "expired", days=days))], None, "expire", now)
        if record.reminded_at is None and silent >= self.remind_after:
            prompt = self.flow.prompt(record, user_id.channel)
            text = t(record.lang, "reminder", days=days) + "\n\n" + prompt.text
            next_check = record.updated_at + self.expire_after
            return SweepResult([Reply(text, prompt.buttons)], next_check, "remind", now)
        due = record.updated_at + (
            self.remind_after if record.reminded_at is None else self.expire_after
        )
        return SweepResult([], due)

    def sweep_sent(self, user_id: UserKey, result: SweepResult) -> None:
        """Record a reminder or expiry whose message went out."""
        for number in result.reminded_cases:
            self.storage.append_audit(
                AuditEntry(at=result.at, actor="system", action=REMINDED_ACTION, case_number=number)
            )
        record = self.storage.load_conversation(user_id)
        if record is None:
            return
        if result.action == "remind":
            record.reminded_at = result.at
            self.storage.save_conversation(record)
        elif result.action == "expire":
            self.storage.delete_conversation(user_id)
            self.storage.release_evidence(draft_holder(user_id))
            self.storage.append_audit(
                AuditEntry(
                    at=result.at,
                    actor="system",
                    action="draft.expired",
                    detail={"user_id": str(user_id)},
                )
            )

    def next_check(self, record: ConversationRecord) -> float | None:
        """When the sweep should next look at this conversation (None: never)."""
        if record.state not in (*DRAFT_STATES, "resume"):
            return None
        if record.reminded_at is None:
            return record.updated_at + self.remind_after
        return record.updated_at + self.expire_after

    def documents_schedule(self) -> dict[UserKey, float]:
        """When each user with a case waiting for documents is due its one reminder.

        One pass over the case index (at start-up): the reminder lives in the
        cases, not in the conversation, so a new report or /cancel does not lose it.
        """
        schedule: dict[UserKey, float] = {}
        for row in self.storage.list_cases(CaseFilter(status=CaseStatus.DOCUMENTS_REQUESTED)):
            due = self._documents_due_at(row.case_number)
            if due is not None:
                schedule[row.user_id] = min(due, schedule.get(row.user_id, due))
        return schedule

    def _documents_due_at(self, case_number: str) -> float | None:
        """When the last document request of a case is due its reminder (None: sent)."""
        asked_at = None
        for entry in self.storage.iter_audit(case_number):
            if entry.action == REQUEST_ACTION:
                asked_at = entry.at
            elif entry.action == REMINDED_ACTION:
                asked_at = None
        return None if asked_at is None else asked_at + self.documents_remind_after

    def _sweep_documents(self, user_id: UserKey) -> tuple[list[tuple[Reply, str]], float | None]:
        """Reminders due for the user's cases still waiting for documents, and the next one."""
        now = self.clock()
        due_now, later = [], None
        waiting = CaseFilter(user_id=user_id, status=CaseStatus.DOCUMENTS_REQUESTED)
        chosen_lang: str | None = None  # read once, and only when a reminder is due
        for row in self.storage.list_cases(waiting):
            due = self._documents_due_at(row.case_number)
            if due is None:
                continue
            if due > now:
                later = _earliest(later, due)
                continue
            case = self.storage.get_case(row.case_number)
            if case is None:
                continue
            # The language the user chose last (/lang), else the one they reported in.
            if chosen_lang is None:
                chosen_lang = self.storage.load_user_lang(user_id) or ""
            lang = chosen_lang or case.lang
            text = t(
                lang,
                "documents.reminder",
                case_number=case.case_number,
                documents=self.requested_documents(case.case_number, lang) or "-",
            )
            button = Button(
                t(lang, "review.send_documents"), f"{DOCUMENTS_QUESTION}:{case.case_number}"
            )
            due_now.append((Reply(text, ((button,),)), case.case_number))
        return due_now, later

    def user_usage(
        self, user_id: UserKey, record: ConversationRecord | None, message: Input
    ) -> UserUsage:
        """What a person filed before, for the policy's per-person limits.

        Their cases come from the case index's per-user map; whether staff lifted
        the limits is read from those cases' audit trails, and only when a limit
        would otherwise bite.
        """
        limits = self.flow.policy.limits
        rows = self.storage.list_cases(CaseFilter(user_id=user_id))
        evidence_bytes = 0
        if limits.max_evidence_bytes is not None:
            for row in rows:
                case = self.storage.get_case(row.case_number) if row.evidence_sha256 else None
                evidence_bytes += sum(e.size for e in case.evidence) if case else 0
        usage = UserUsage(
            cases=len(rows),
            evidence_bytes=evidence_bytes,
            case_numbers=tuple(row.case_number for row in rows),
            recent_messages=self._recent_messages(rows),
        )
        incoming = sum(f.size for f in message.files) if isinstance(message, FilesInput) else 0
        in_progress = sum(
            f.get("size", 0)
            for f in [
                *(record.answers.get("evidence", []) if record else []),
                *(record.answers.get(SUPPLEMENT_KEY, {}).get("files", []) if record else []),
                *(record.answers.get(MESSAGE_KEY, {}).get("files", []) if record else []),
            ]
        )
        room = usage.evidence_room(limits, in_progress)
        if usage.may_start(limits) and (room is None or incoming <= room):
            return usage
        lifted = any(
            entry.action == LIMITS_LIFTED
            for row in rows
            for entry in self.storage.iter_audit(row.case_number)
        )
        return dataclasses.replace(usage, limits_lifted=lifted)

    def _recent_messages(self, rows: list[CaseSummary]) -> int:
        """How many messages the person sent staff within the throttle's window.

        Only cases whose index row shows a message that recent are opened.
        """
        since = self.clock() - MESSAGE_WINDOW
        count = 0
        for row in rows:
            if row.last_message_at is None or row.last_message_at <= since:
                continue
            for m in self.storage.case_messages(row.case_number):
                count += m.from_user and m.at > since
        return count

    def requested_documents(self, case_number: str, lang: str | None = None) -> str:
        """What staff last asked this case for (from the audit log).

        A list the bot wrote at submission is kept in every language, and comes in
        ``lang`` when given; what staff typed comes as they typed it.
        """
        documents = ""
        for entry in self.storage.iter_audit(case_number):
            if entry.action == REQUEST_ACTION:
                documents = str(entry.detail.get("documents", ""))
                by_lang = entry.detail.get("documents_by_lang")
                if lang and isinstance(by_lang, dict) and by_lang.get(lang):
                    documents = str(by_lang[lang])
        return documents

    # -- internals ------------------------------------------------------------------------
    def _attach_documents(
        self, outcome: Outcome, user_id: UserKey, now: float
    ) -> tuple[Outcome, bool]:
        """Attach the documents a user sent to their case; it is then 'documents received'.

        Returns the outcome and whether the files were attached.
        """
        done = outcome.supplement
        assert done is not None
        case = self.storage.get_case(done.case_number)
        lang = outcome.record.lang if outcome.record else self.default_lang
        open_statuses = (CaseStatus.DOCUMENTS_REQUESTED, CaseStatus.DOCUMENTS_RECEIVED)
        if case is None or case.user_id != user_id or case.status not in open_statuses:
            note = Reply(t(lang, "supplement.not_open", case_number=done.case_number))
            return Outcome(record=outcome.record, replies=[note]), False
        refs = tuple(
            EvidenceRef(sha256=f.sha256 or "", name=f.name, mime=f.mime, size=f.size)
            for f in done.files
        )
        self.storage.update_case(
            done.case_number,
            CaseChange(
                actor=f"user:{user_id}",
                now=now,
                status=CaseStatus.DOCUMENTS_RECEIVED,
                add_evidence=refs,
                reason="documents sent by the user",
            ),
        )
        return outcome, True

    def _send_to_staff(
        self, outcome: Outcome, user_id: UserKey, now: float, input_id: int | str | None
    ) -> Outcome:
        """Store what the person wrote to staff on their case (its files go with it; to a
        case waiting for documents they are the documents).

        The message id comes from the channel's request id when there is one, so an
        input redelivered after a crash (before the conversation was saved) adds
        nothing twice.
        """
        sent = outcome.staff_message
        assert sent is not None
        case = self.storage.get_case(sent.case_number)
        if case is None or case.user_id != user_id:
            lang = outcome.record.lang if outcome.record else self.default_lang
            return Outcome(record=outcome.record, replies=[Reply(t(lang, "status.not_found"))])
        message_id = f"{user_id}:{input_id}" if input_id is not None else uuid.uuid4().hex
        case = self.storage.add_case_message(
            CaseMessage(
                message_id=message_id,
                case_number=case.case_number,
                sender=USER_SENDER,
                text=sent.text,
                files=tuple(
                    EvidenceRef(sha256=f.sha256 or "", name=f.name, mime=f.mime, size=f.size)
                    for f in sent.files
                ),
                at=now,
            )
        )
        if sent.files and case.status == CaseStatus.DOCUMENTS_REQUESTED:
            # Files for a case waiting for documents are those documents, sent without
            # the "send documents" button: staff have them, the reminder is not due.
            self.storage.update_case(
                case.case_number,
                CaseChange(
                    actor=f"user:{user_id}",
                    now=now,
                    status=CaseStatus.DOCUMENTS_RECEIVED,
                    reason="documents sent with a message to staff",
                ),
            )
        return outcome

    def _submit(self, outcome: Outcome, now: float) -> Outcome:
        submission = outcome.submission
        assert submission is not None and outcome.record is not None
        case = self.storage.create_case(case_draft(submission), now)  # audits the creation
        button = None
        if submission.documents_due:
            self._request_documents_at_submission(case, submission, now)
            button = Button(
                t(submission.lang, "review.send_documents"),
                f"{DOCUMENTS_QUESTION}:{case.case_number}",
            )
        done = self.flow.complete_submission(
            outcome.record, case.case_number, now, documents_button=button
        )
        return Outcome(record=done.record, replies=outcome.replies + done.replies)

    def _request_documents_at_submission(
        self, case: Case, submission: Submission, now: float
    ) -> None:
        """A review case sent without its documents starts as "documents requested".

        Audited like a staff request (by "system"), so the "send documents" button,
        the staff page and the reminder all read the same list. Each write is
        skipped when a retried submission finds it done.
        """
        documents = ", ".join(d(submission.lang) for d in submission.documents_due)
        if not self.requested_documents(case.case_number):
            self.storage.append_audit(
                AuditEntry(
                    at=now,
                    actor="system",
                    action=REQUEST_ACTION,
                    case_number=case.case_number,
                    # actor "system": at submission; the list also in every language,
                    # for a user who switches language later (reminder, "send documents").
                    detail={
                        "documents": documents,
                        "note": "",
                        "documents_by_lang": {
                            lang: ", ".join(d(lang) for d in submission.documents_due)
                            for lang in LANGS
                        },
                    },
                )
            )
        if case.status == CaseStatus.SUBMITTED:
            self.storage.update_case(
                case.case_number,
                CaseChange(
                    actor="system", now=now, status=CaseStatus.DOCUMENTS_REQUESTED, reason=documents
                ),
            )

    def _files_input(self, incoming: IncomingFiles, blobs: dict[str, bytes | Path]) -> FilesInput:
        evidence = []
        for f in incoming.files:
            digest = None
            size = f.size
            if f.path is not None and f.sha256 is not None:
                digest = f.sha256
                blobs[digest] = f.path
            elif f.data is not None:
                digest = hashlib.sha256(f.data).hexdigest()
                blobs[digest] = f.data
                size = len(f.data)
            evidence.append(EvidenceFile(name=f.name, mime=f.mime, size=size, sha256=digest))
        return FilesInput(tuple(evidence), group=incoming.group)


def case_draft(submission: Submission) -> CaseDraft:
    """Map the flow's submission onto the storage record."""
    return CaseDraft(
        draft_id=submission.draft_id,
        user_id=submission.user_id,
        lang=submission.lang,
        policy_id=submission.policy_id,
        reporter_type=submission.reporter_type,
        service=submission.service,
        paid=submission.paid,
        monetary=submission.monetary,
        tier=submission.tier,
        service_other=submission.service_other,
        amount=submission.amount,
        tentative_support=submission.tentative_support,
        channel_cash=submission.channel_cash,
        business_number=submission.business_number,
        description=submission.description,
        evidence=[
            EvidenceRef(sha256=f.sha256 or "", name=f.name, mime=f.mime, size=f.size)
            for f in submission.evidence
        ],
        answers=dict(submission.answers),
    )


def _earliest(a: float | None, b: float | None) -> float | None:
    """The earlier of two times, either of which may be None (never)."""
    return b if a is None else a if b is None else min(a, b)


def _redelivered(input_id: int | str | None, last: int | str | None) -> bool:
    """Whether an input with ``input_id`` was applied already (see IntakeService.handle)."""
    if input_id is None or last is None:
        return False
    if type(input_id) is int and type(last) is int:
        return input_id <= last  # increasing ids: at or below the last one
    return input_id == last  # opaque ids have no order: only the last one itself


def _fresh(asked_at: str, now: float) -> bool:
    """Whether a confirmation asked at ``asked_at`` (POSIX seconds) is still good."""
    try:
        return 0 <= now - int(asked_at) <= DELETE_CONFIRM_WINDOW
    except ValueError:
        return False


def draft_files(record: ConversationRecord | None) -> set[str]:
    """The sha256 of every file a draft holds: its evidence and documents being sent."""
    return set() if record is None else record.evidence_sha256()
