"""The channel-neutral intake service: load a conversation, run the flow, persist, then reply.

Every channel (console, Telegram) turns what the user did into a :mod:`flows.messages`
input and calls :meth:`IntakeService.handle`. The order of writes is the promise:
evidence bytes, then the case, then the conversation, and only then are replies
returned. A crash anywhere before the conversation is saved makes the user send
the same thing again; it never loses or doubles an answer, because case creation
is idempotent per draft.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from flows.conversation import IntakeFlow, Outcome, Submission
from flows.messages import CommandInput, EvidenceFile, FilesInput, Input, Reply
from flows.record import ConversationRecord
from flows.texts import pick_lang, t
from storage import CaseDraft, CaseFilter, CorruptFile, EvidenceRef, Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IncomingFile:
    """A file as a channel received it; ``data`` is None when it was too big to fetch."""

    name: str
    mime: str
    size: int
    data: bytes | None


class IntakeService:
    """Runs one user's input through the flow against storage, durably."""

    def __init__(
        self,
        flow: IntakeFlow,
        storage: Storage,
        *,
        clock: Callable[[], float] = time.time,
        default_lang: str = "ko",
    ) -> None:
        self.flow = flow
        self.storage = storage
        self.clock = clock
        self.default_lang = default_lang

    def handle(
        self,
        user_id: int,
        message: Input | tuple[IncomingFile, ...],
        *,
        language_code: str | None = None,
    ) -> list[Reply]:
        """Process one input of one user and return the replies to send.

        Not safe to call concurrently for the same user: channels serialise per user.
        A tuple of :class:`IncomingFile` is one submission of files (an album).
        """
        now = self.clock()
        try:
            record = self.storage.load_conversation(user_id)
        except CorruptFile as exc:
            log.error("conversation of user %s unreadable: %s", user_id, exc)
            lang = pick_lang(language_code, self.default_lang)
            return [Reply(t(lang, "error.corrupt"))]

        blobs: dict[str, bytes] = {}
        if isinstance(message, tuple):
            message = self._files_input(message, blobs)
        if isinstance(message, CommandInput) and message.name == "status":
            return [self.status_reply(user_id, self._lang(record, language_code))]

        outcome = self.flow.handle(
            record,
            message,
            user_id=user_id,
            now=now,
            language_code=language_code,
            default_lang=self.default_lang,
        )
        for f in outcome.accepted_files:
            assert f.sha256 is not None  # the flow accepts only downloaded files
            self.storage.put_evidence(blobs[f.sha256])
        if outcome.submission is not None:
            outcome = self._submit(outcome, now)
        if outcome.record is None:
            if record is not None:
                self.storage.delete_conversation(user_id)
        else:
            self.storage.save_conversation(outcome.record)
        return outcome.replies

    def current_prompt(self, user_id: int) -> Reply | None:
        """The question a user's stored conversation is waiting on, if any."""
        record = self.storage.load_conversation(user_id)
        return self.flow.prompt(record) if record else None

    def status_reply(self, user_id: int, lang: str) -> Reply:
        """List the user's submitted cases: number, tier and status."""
        rows = self.storage.list_cases(CaseFilter(user_id=user_id))
        if not rows:
            return Reply(t(lang, "status.none"))
        lines = [t(lang, "status.header")]
        for row in rows:
            tier_name = self.flow.tier_name(row.tier, lang)
            status = t(lang, f"status.{row.status}")
            lines.append(
                t(lang, "status.line", case_number=row.case_number, tier=tier_name, status=status)
            )
        return Reply("\n".join(lines))

    # -- internals ------------------------------------------------------------------------
    def _submit(self, outcome: Outcome, now: float) -> Outcome:
        submission = outcome.submission
        assert submission is not None and outcome.record is not None
        case = self.storage.create_case(case_draft(submission), now)  # audits the creation
        done = self.flow.complete_submission(outcome.record, case.case_number, now)
        return Outcome(record=done.record, replies=outcome.replies + done.replies)

    def _files_input(self, files: tuple[IncomingFile, ...], blobs: dict[str, bytes]) -> FilesInput:
        evidence = []
        for f in files:
            digest = None
            if f.data is not None:
                digest = hashlib.sha256(f.data).hexdigest()
                blobs[digest] = f.data
            size = len(f.data) if f.data is not None else f.size
            evidence.append(EvidenceFile(name=f.name, mime=f.mime, size=size, sha256=digest))
        return FilesInput(tuple(evidence))

    def _lang(self, record: ConversationRecord | None, language_code: str | None) -> str:
        return record.lang if record else pick_lang(language_code, self.default_lang)


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
