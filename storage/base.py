"""The storage contract every implementation fulfils (in memory, TinyDB, later PostgreSQL)."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

from flows.identity import UserKey
from flows.record import ConversationRecord
from storage.door_memory import DoorMemory
from storage.errors import CaseNotFound, CorruptFile
from storage.limit_counters import LimitCounters
from storage.records import (
    USER_SENDER,
    AuditEntry,
    Case,
    CaseChange,
    CaseDraft,
    CaseFilter,
    CaseMessage,
    CaseSummary,
    Notice,
)

log = logging.getLogger(__name__)

# The orders of :meth:`Storage.list_cases_page`.
CASE_SORTS = ("oldest", "newest", "amount_desc", "amount_asc")


class Storage(ABC):
    """Durable home of conversations, users' languages, cases, evidence, processed requests,
    notices and the audit log.

    Promises every implementation keeps (and ``tests/storage/test_contract.py`` checks):

    - A method that returned has made its write durable: a crash afterwards loses nothing.
    - Records are copies both ways: mutating what you passed in or got back
      changes nothing stored.
    - Methods are safe to call from several threads at once (the bot runs
      different users' updates concurrently).
    """

    # Every call waits on a server (PostgreSQL): a door makes even its small calls
    # (seen_request, mark_request) in a worker thread, never on its event loop. Memory
    # and TinyDB answer those from memory or a buffered append: on the loop is cheaper.
    remote: bool = False
    # user_turn claims its request (PostgreSQL: ON CONFLICT DO NOTHING), so a door that
    # takes a request through the turn needs no seen_request before it: the claim finds
    # a duplicate (and take_unreplied one already answered) in the same worker-thread call.
    claims_in_turn: bool = False

    # -- conversations in progress -------------------------------------------------
    @abstractmethod
    def load_conversation(self, user_id: UserKey) -> ConversationRecord | None:
        """Return the user's conversation, or None when there is none."""

    @abstractmethod
    def save_conversation(self, record: ConversationRecord) -> None:
        """Store the conversation, replacing the user's previous one."""

    @abstractmethod
    def delete_conversation(self, user_id: UserKey) -> None:
        """Forget the user's conversation; deleting a missing one is not an error."""

    @abstractmethod
    def iter_conversations(self) -> Iterator[ConversationRecord]:
        """Yield every stored conversation (for reminders and expiry)."""

    # -- per-user preferences --------------------------------------------------------
    @abstractmethod
    def load_user_lang(self, user_id: UserKey) -> str | None:
        """Return the language the user chose (``/lang``), or None when they chose none."""

    @abstractmethod
    def save_user_lang(self, user_id: UserKey, lang: str | None) -> None:
        """Keep the user's chosen language apart from any conversation; None forgets it.

        It outlives /cancel, expiry and submitting: the language is the user's, not a draft's.
        """

    # -- submitted cases -----------------------------------------------------------
    @abstractmethod
    def create_case(self, draft: CaseDraft, now: float) -> Case:
        """Store a new case with a fresh case number and return it.

        Idempotent per ``draft.draft_id``: submitting the same draft again returns
        the case created the first time instead of a second one.
        """

    @abstractmethod
    def get_case(self, case_number: str) -> Case | None:
        """Return the case, or None when no case has that number."""

    @abstractmethod
    def update_case(self, case_number: str, change: CaseChange) -> Case:
        """Apply ``change`` (status / final amount / evidence) and return the case as it is now.

        Writes one audit entry, none when the change changes nothing.

        Raises :class:`storage.CaseNotFound` for an unknown number.
        """

    @abstractmethod
    def list_cases(self, filter: CaseFilter | None = None) -> list[CaseSummary]:
        """Return index rows of matching cases, oldest submission first."""

    # -- the staff list a page at a time, and whole cases in a stream ----------------
    # Written on list_cases and get_case here; a database store (storage/postgres.py)
    # overrides them with SQL on indexed columns and a server-side cursor, so a page
    # or an export never holds every case in memory.
    def list_cases_page(
        self,
        filter: CaseFilter | None = None,
        *,
        sort: str = "oldest",
        number_contains: str = "",
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[int, list[CaseSummary]]:
        """Return how many cases match and the index rows of one page of them.

        ``sort`` is one of :data:`CASE_SORTS`: ``oldest`` (submission, then number),
        ``newest`` (its reverse), ``amount_desc`` / ``amount_asc`` (cases without an
        amount last, ties oldest first). ``number_contains`` keeps the cases whose
        number, hyphens left out, contains it (upper case, as numbers are written).
        """
        rows = self.list_cases(filter)
        if number_contains:
            rows = [r for r in rows if number_contains in r.case_number.replace("-", "")]
        if sort == "newest":
            rows.reverse()
        elif sort == "amount_desc":
            rows.sort(key=lambda r: (r.amount is None, -(r.amount or 0)))
        elif sort == "amount_asc":
            rows.sort(key=lambda r: (r.amount is None, r.amount or 0))
        return len(rows), rows[max(0, offset) : max(0, offset) + max(0, limit)]

    def iter_cases(self, filter: CaseFilter | None = None) -> Iterator[Case]:
        """Yield the whole matching cases, oldest submission first, one at a time.

        A case in the index that cannot be read (see :meth:`get_case`) is skipped.
        """
        for row in self.list_cases(filter):
            try:
                case = self.get_case(row.case_number)
            except CorruptFile as exc:  # moved aside by the store; the others go on
                log.warning("skipped case %s: %s", row.case_number, exc)
                continue
            if case is not None:
                yield case

    # -- messages between a case's reporter and staff -------------------------------
    # A case's thread lives in the case (Case.messages, unread_messages, thread_done)
    # and its state in the index row (CaseSummary.message_count, unread_messages,
    # last_message_at, thread_done), so the list filters and counts without opening
    # threads. These methods are written on update_case (which applies the change with
    # storage.case_changes.apply_update, audits it and keeps the row true); a store may
    # override them but must keep what they promise.
    def add_case_message(self, message: CaseMessage) -> Case:
        """Add ``message`` to its case's thread and return the case as it is now.

        Idempotent per ``message.message_id``. Its files are attached to the case's
        evidence (so the case holds them). Audited as ``case.message`` with the text,
        by ``user:<user key>`` for the reporter, else by the staff sender. Raises
        :class:`storage.CaseNotFound` for an unknown case.
        """
        case = self.get_case(message.case_number)
        if case is None:
            raise CaseNotFound(message.case_number)
        actor = f"user:{case.user_id}" if message.sender == USER_SENDER else message.sender
        return self.update_case(
            case.case_number, CaseChange(actor=actor, now=message.at, message=message)
        )

    def case_messages(self, case_number: str) -> list[CaseMessage]:
        """The case's thread, oldest first; empty for an unknown case."""
        case = self.get_case(case_number)
        return [] if case is None else list(case.messages)

    def set_thread_done(self, case_number: str, *, actor: str, now: float) -> Case:
        """Staff mark the case's thread done (nothing unread); audited as ``case.thread_done``.

        Marking a done thread again changes nothing. Raises :class:`storage.CaseNotFound`.
        """
        return self.update_case(case_number, CaseChange(actor=actor, now=now, thread_done=True))

    # -- evidence files ------------------------------------------------------------
    # Evidence is stored once per sha256, so the same bytes sent by two users are one
    # file with two holders. A case holds its evidence by itself (from create_case and
    # update_case on); a draft holds a file from put_evidence until it releases it. A
    # file is deleted only when nothing holds it any more, decided from a holders index
    # kept beside the files, never by listing every case.
    @abstractmethod
    def put_evidence(self, data: bytes, *, holder: str | None = None) -> str:
        """Store bytes content-addressed, held by ``holder``; return their sha256 hex digest.

        ``holder`` is e.g. :func:`storage.records.draft_holder`; the hold is durable
        before this returns and a release by anybody else cannot delete the file in
        between. Without a holder the bytes are stored for a case the caller is about
        to create with them (until then another holder's release may delete them).
        """

    @abstractmethod
    def release_evidence(self, holder: str, *, keep: Collection[str] = ()) -> list[str]:
        """Let ``holder`` stop holding every file except ``keep``; return the files deleted.

        A released file is deleted when no draft and no case holds it any more.
        Releasing what is not held is not an error. A crash after the release can
        leave a file nobody holds on disk; it never loses a file somebody holds.
        """

    @abstractmethod
    def evidence_holders(self, sha256: str) -> frozenset[str]:
        """Return who holds the file: draft holders and ``case:<number>`` for each case.

        Raises EvidenceNotFound for a malformed hash.
        """

    @abstractmethod
    def put_evidence_file(
        self, path: Path, sha256: str | None = None, *, holder: str | None = None
    ) -> str:
        """Like :meth:`put_evidence` for the bytes of the file at ``path``; return their sha256.

        The file is taken over: moved in when it can be (a file from
        :meth:`spool_dir`), else copied in pieces, never read whole into memory;
        either way it is gone from ``path`` afterwards. ``sha256`` is the digest
        the caller computed while writing the file, trusted to save reading it
        again: pass it only for a file you wrote yourself.
        """

    def spool_dir(self) -> Path | None:
        """A folder for files being received (downloads) before :meth:`put_evidence_file`.

        On the evidence's file system, so taking a file over is a rename, and
        emptied when the store opens, so a crash leaves nothing behind. None (the
        default): the store has no disk; use the system's temporary folder.
        """
        return None

    @abstractmethod
    def open_evidence(self, sha256: str) -> BinaryIO:
        """Open a stored evidence file for reading (raises EvidenceNotFound)."""

    @abstractmethod
    def evidence_size(self, sha256: str) -> int:
        """Return the size in bytes of a stored evidence file (raises EvidenceNotFound)."""

    # -- processed requests, per channel ----------------------------------------------
    # A channel's door asks before taking a request and marks it once answered, so a
    # request its channel delivers again (Telegram redelivers an unacknowledged
    # update; a browser resends a form) is not taken twice. A request is
    # ``(channel, request_id)``: the channel's name (as in its users' UserKeys) and
    # its own id of the request, a string of 1 to 256 printable characters
    # (Telegram: ``str(update_id)``). The same id on two channels is two requests.
    @abstractmethod
    def seen_request(self, channel: str, request_id: str) -> bool:
        """Tell whether this request of this channel was already processed and answered
        (marked with :meth:`mark_request`; a claim of :meth:`user_turn` whose reply was
        never marked sent is not seen: see :meth:`take_unreplied`).

        Raises ValueError for a malformed channel name or request id.
        """

    @abstractmethod
    def mark_request(self, channel: str, request_id: str) -> None:
        """Remember that this request of this channel was processed.

        Cheap enough to call on the event loop (it never rewrites a file): a mark
        survives the process being killed but need not survive a power cut. The
        memory is bounded: a store keeps at least the ``keep_request_ids`` (default
        :data:`storage.request_ids.DEFAULT_KEEP`, all channels together) newest
        marks and may forget older ones. Losing one only lets a redelivered request
        through: an answer to the conversation is caught by its ``last_input_id``
        (see :meth:`bot.intake.IntakeService.handle`), which asks the current
        question again; a reply that changes nothing (``/status``, a staff export)
        is sent again. Raises ValueError for a malformed channel name or request id.
        """

    def mark_requests(self, requests: Sequence[tuple[str, str]]) -> None:
        """:meth:`mark_request` for each ``(channel, request_id)``, in order. A store that
        waits on a server makes them together (PostgreSQL: one statement for those its
        turns claimed): the Telegram door marks the updates answered meanwhile in one call
        (:class:`bot.request_marks.RequestMarks`). Raises when any could not be marked.
        """
        for channel, request_id in requests:
            self.mark_request(channel, request_id)

    # -- one person's turn, across processes (storage/postgres_turns.py) --------------
    @contextmanager
    def user_turn(self, user_id: UserKey, request: tuple[str, str] | None = None) -> Iterator[bool]:
        """Process one request of ``user_id`` inside this: yields whether to process it.

        One process (this default: memory, TinyDB) orders a person's requests with its
        :class:`bot.sequencer.UserSequencer` and its doors check ``seen_request`` and
        ``mark_request`` themselves, so the default yields True and does nothing else.
        A store shared by several processes (PostgreSQL) makes it one transaction:
        the person's lock, the claim of ``request`` (``(channel, request_id)``; False
        when it was processed already, by any process: do nothing then), the writes of
        the body, commit on leaving; a body that raises leaves nothing, not the claim.
        Reply only after leaving it, then mark the request (``mark_request``) as the
        sign that its reply was sent (see :meth:`take_unreplied`).
        """
        yield True

    def take_unreplied(self, channel: str, request_id: str, wait: float) -> bool:
        """For a request ``user_turn`` found claimed: True when its reply was never sent.

        Called outside any turn. A store shared by several processes (PostgreSQL) waits
        up to ``wait`` seconds for the claiming process to mark the request answered
        (``mark_request`` after its replies were sent); when that does not come (the
        process died between its commit and its reply) the caller takes the request
        over, replies, and marks it; of several callers one is told True. One process
        (this default: memory, TinyDB) never finds a request claimed: False.
        """
        return False

    # -- notices (bot/notices.py) ---------------------------------------------------
    # A notice is stored before anybody tries to deliver it and stays until it was
    # delivered: a failed push is recorded and retried, never dropped.
    @abstractmethod
    def add_notice(self, notice: Notice) -> None:
        """Store a new notice, durably; adding an id already stored changes nothing."""

    @abstractmethod
    def get_notice(self, notice_id: str) -> Notice | None:
        """Return the notice as it is now, or None when no notice has that id."""

    @abstractmethod
    def undelivered_notices(self, user_id: UserKey | None = None) -> list[Notice]:
        """Return the notices not yet delivered (of one user, or everybody's), oldest first.

        Cheap: kept apart from the delivered ones, so a mailbox check on every
        request and the staff overview's count never read delivered notices.
        """

    def undelivered_by_case(self) -> dict[str, int]:
        """How many undelivered notices each case has (cases with none left out).

        For the staff case list on every page view: a store may answer it without
        building every notice (the default does build them).
        """
        counts: dict[str, int] = {}
        for notice in self.undelivered_notices():
            if notice.case_number:
                counts[notice.case_number] = counts.get(notice.case_number, 0) + 1
        return counts

    def claim_notice(self, notice_id: str, now: float, lease: float) -> Notice | None:
        """Take the notice to push it now: None when it is delivered, unknown, or being
        pushed by another process (until ``now + lease``, or until it is marked).

        One process (this default) pushes a person's notices in their turn of its
        sequencer; a store shared by several processes claims the row
        (storage/postgres_claims.py).
        """
        notice = self.get_notice(notice_id)
        return notice if notice is not None and notice.delivered_at is None else None

    @abstractmethod
    def mark_notice_delivered(self, notice_id: str, at: float) -> Notice:
        """Record that the notice reached its person at ``at``; return it as it is now.

        Marking a delivered notice again keeps the first time. Raises
        :class:`storage.NoticeNotFound` for an unknown id.
        """

    @abstractmethod
    def mark_notice_failed(self, notice_id: str, at: float, error: str) -> Notice:
        """Record a failed push (one more attempt, ``error`` its type name); return the notice.

        A delivered notice stays delivered (the failure is ignored). Raises
        :class:`storage.NoticeNotFound` for an unknown id.
        """

    @abstractmethod
    def drop_caseless_notices(self, user_id: UserKey) -> list[str]:
        """Forget the person's undelivered notices that belong to no case; return their ids.

        For /delete_my_data (:meth:`bot.intake.IntakeService.delete_my_data`): a draft's
        reminder or expiry notice is about the draft being deleted and must not be shown
        or pushed afterwards. Notices about a case are kept: they follow the case's
        deletion request, which staff handle. Dropping nothing is not an error.
        """

    # -- the per-client limits' counters, across instances (bot/ratelimit.py) ----------
    def shared_limits(self) -> LimitCounters | None:
        """Where the per-client limits count when several instances share this store.

        None (this default: memory, TinyDB, one process): each limit counts in the
        process's memory. A store shared by several instances (PostgreSQL) returns its
        :class:`storage.limit_counters.LimitCounters`, so that N instances give a client
        no more tries than one.
        """
        return None

    # -- what a door remembers of a person, across instances (bot/kakao.py) ------------
    def door_memory(self) -> DoorMemory | None:
        """Where a door keeps what it remembers of a person between requests.

        None (this default: memory, TinyDB, one process): the door keeps it in the
        process's memory. A store shared by several instances (PostgreSQL) returns its
        :class:`storage.door_memory.DoorMemory`, written in the person's turn, so the
        person's next request may go to any instance.
        """
        return None

    # -- the web chat's pages (bot/webchat/transcript.py) -----------------------------
    # What a visitor's page shows, kept in the store so that any instance of the bot
    # serves any visitor. A transcript is a list of entries, each the request number
    # that added it and the bubbles it added (JSON objects), oldest first; a page's
    # answer appends one entry (one appended line on TinyDB), and a long transcript is
    # replaced by one entry holding what the page still shows. An exception to the
    # durability promise: TinyDB does not fsync these (a power cut only shortens what
    # the page shows; the conversation itself is durable).
    @abstractmethod
    def web_transcript(self, visitor: str) -> list[tuple[int, list[dict[str, Any]]]]:
        """The visitor's entries in order ([] when none); an unreadable entry is skipped."""

    def web_transcript_tail(
        self, visitor: str
    ) -> tuple[int, list[tuple[int, list[dict[str, Any]]]]]:
        """How many entries the visitor's transcript holds, and its newest entries back to
        the newest one holding a bubble not ``mine`` (all of them when none does).

        What an answer needs (its request number, the buttons on the page, when to
        compact) without reading every entry back; a store may do it cheaper than this.
        """
        entries = self.web_transcript(visitor)
        return len(entries), entries[tail_start(entries) :]

    @abstractmethod
    def append_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        """Add one entry at the end of the visitor's transcript."""

    @abstractmethod
    def replace_web_transcript(self, visitor: str, seq: int, bubbles: list[dict[str, Any]]) -> None:
        """Replace the visitor's whole transcript by one entry, at once."""

    @abstractmethod
    def delete_web_transcript(self, visitor: str) -> None:
        """Forget the visitor's transcript; deleting a missing one is not an error."""

    @abstractmethod
    def web_secret(self, proposed: str) -> str:
        """The web chat's signing secret shared by every process on this store: the one
        kept, else ``proposed`` (kept from now on). Callers racing agree on one."""

    # -- audit log -----------------------------------------------------------------
    @abstractmethod
    def append_audit(self, entry: AuditEntry) -> None:
        """Append an entry to the audit log."""

    @abstractmethod
    def iter_audit(self, case_number: str | None = None) -> Iterator[AuditEntry]:
        """Yield audit entries in the order written, optionally for one case."""

    def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing open
        """Release held resources; the default holds none."""


def tail_start(entries: list[tuple[int, list[dict[str, Any]]]]) -> int:
    """Index of the newest entry holding a bubble that is not ``mine`` (0 when none does)."""
    for index in range(len(entries) - 1, -1, -1):
        if any(not bubble.get("mine") for bubble in entries[index][1]):
            return index
    return 0
