"""Every hostile input of the corpus, through the real bot and the Bot API stand-in, at every step of a report."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import tempfile
import tomllib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio

import flows
from flows.amount import AMOUNT_REASONS, format_amount
from flows.conversation import clean_text
from flows.record import ConversationRecord
from flows.texts import EN, pick_lang, t
from storage import CaseFilter
from tests.hostile.corpus import (
    CORPUS,
    HTTP_REQUESTS,
    PROFILES,
    REFUSED,
    Context,
    Hostile,
    RawRequest,
)
from tests.support.running_bot import (
    BRANCHES,
    SECRET,
    STEPS,
    WALK,
    Person,
    RunningBot,
    act,
    chat_of,
    running_bot,
    walk_to,
)
from tests.support.users import tg

# The whole corpus at every step takes minutes: `make test` runs it, `make test-fast` does not.
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.slow]

# Steps where the user has a report in progress (everything but no_draft and submitted).
DRAFT_STEPS = frozenset(STEPS) - {"no_draft", "submitted"}
# Answers a question may set or change when it is the one being asked.
OWN_KEYS = {
    "consent": {"consent"},
    # An amount typed at the confirmation replaces the one being confirmed (issue 10, 14).
    "amount_confirm": {"amount_confirmed", "amount"},
    "channel": {"has_channel"},
    "evidence": {"evidence", "evidence_done"},
}
# The polling run repeats the corpus at one step, the one that takes the most kinds of
# input: the update path differs (getUpdates and PTB's Updater instead of our webhook
# handler), the conversation logic does not.
POLLING_STEPS = ("evidence",)

# Destructive inputs must do what they say where they apply (elsewhere "may" only permits
# them): (entry id, step) -> the outcome. "resume" is kept, with the resume question asked.
MUST: dict[tuple[str, str], str] = {
    **{(name, s): "forget" for name in ("cmd-cancel", "en-cmd-cancel") for s in DRAFT_STEPS},
    **{(name, "submitted"): "kept" for name in ("cmd-cancel", "en-cmd-cancel")},
    **{
        (name, s): "resume"
        for name in ("cmd-start", "en-cmd-start", "bare-cmd-start", "cmd-start-payload")
        for s in DRAFT_STEPS - {"consent"}
    },
    **{
        (name, "submitted"): "restart"
        for name in ("cmd-start", "en-cmd-start", "bare-cmd-start", "cmd-start-upper")
    },
    ("typed-restart-word", "resume"): "restart",
    ("cb-old-resume-restart", "resume"): "restart",
    ("cb-forged-decline", "consent"): "forget",
    ("typed-no-upper", "consent"): "forget",
    ("en-typed-no-upper", "consent"): "forget",
    ("cb-forged-summary-cancel", "summary"): "forget",
    ("typed-submit-word", "summary"): "submit",
    ("cb-old-summary-submit", "summary"): "submit",
}

STAFF_TOKEN = "hostile-staff-token-0123456789"

_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]+")
# Characters a reply must not carry: they garble or disguise text (the bot strips them
# from typed answers for the same reason).
_INVISIBLE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_LEAKS = [
    re.compile(r"Traceback"),
    re.compile(r"\b\w*(?:Error|Exception)\b"),
    re.compile(r"\{'"),
    re.compile(r"\bNone\b"),
    re.compile(r"object at 0x"),
    re.compile(r"<class '"),
    re.compile(r"\{[a-z_]+\}"),  # a placeholder the texts forgot to fill
]


# -- what the bot may say in English that contains Hangul ----------------------------------
def _english_strings() -> Iterator[str]:
    yield from EN.values()
    policy_file = Path(flows.__file__).parent / "policies" / "kakao_1015.toml"
    stack = [tomllib.loads(policy_file.read_text(encoding="utf-8"))]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("en"), str):
                yield node["en"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


ENGLISH_HANGUL = frozenset(word for s in _english_strings() for word in _HANGUL.findall(s))


def fragment(lang: str, key: str) -> str:
    """The longest literal part of a text (its placeholders differ from reply to reply)."""
    return max(re.split(r"\{[a-z_]+\}", t(lang, key)), key=len).strip()


# -- the bot, and people waiting at each step -----------------------------------------------
class LogTrap(logging.Handler):
    """Keeps every record at ERROR or above, and any record that carries a traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@dataclass
class Seat:
    """A person at one step: their conversation and chat as they were on reaching it."""

    person: Person
    snapshot: ConversationRecord | None
    first_message_id: int
    last_message_id: int
    last_buttons: tuple[str, ...]
    user_lang: str | None = None  # the language the user chose (kept apart from the draft)


class Stage:
    """One running bot, and per profile one person who can be put back at any step."""

    def __init__(self, bot: RunningBot, trap: LogTrap, base_id: int) -> None:
        self.bot = bot
        self.trap = trap
        self.seats: dict[tuple[str, str], Seat] = {}
        self.next_id = base_id
        self.other_case = ""

    async def prepare(self) -> None:
        """Give somebody else a case, so its number can be forged."""
        other = self.new_person("ko")
        await walk_to(other, "submitted")
        self.other_case = self.bot.storage.load_conversation(tg(other.id)).case_number

    def new_person(self, profile: str) -> Person:
        self.next_id += 1
        return Person(self.bot, self.next_id, **PROFILES[profile])

    async def seat(self, profile: str, step: str) -> Seat:
        """The profile's person, with their conversation put back at ``step``."""
        if (profile, step) not in self.seats:
            await self._walk(profile)
        seat = self.seats[(profile, step)]
        self.restore(seat)
        return seat

    async def _walk(self, profile: str) -> None:
        """Walk one person through every step through the real bot, noting each one.

        Branches start from the step they leave, put back in place, and press its
        button on that step's own message.
        """
        person = self.new_person(profile)
        await walk_to(person, "no_draft")
        self._note(profile, "no_draft", person)
        for step, kind, value, replies in WALK:
            await act(person, kind, value, replies)
            self._note(profile, step, person)
        for step, (origin, kind, value, replies) in BRANCHES.items():
            seat = self.seats[(profile, origin)]
            self.restore(seat)
            if kind == "press":
                press = self.bot.api.callback_update(
                    person.user, f"{origin}:{value}", message_id=seat.last_message_id
                )
                await self.bot.send(press, replies=replies)
            else:
                await act(person, kind, value, replies)
            self._note(profile, step, person)

    def _note(self, profile: str, step: str, person: Person) -> None:
        messages = self.bot.api.messages_to(person.id)
        markup = (messages[-1].get("reply_markup") or {}).get("inline_keyboard", [])
        snapshot = self.bot.storage.load_conversation(tg(person.id))
        assert (snapshot.state if snapshot else "no_draft") == step, (step, snapshot)
        self.seats[(profile, step)] = Seat(
            person=person,
            snapshot=snapshot,
            first_message_id=messages[0]["message_id"],
            last_message_id=messages[-1]["message_id"],
            last_buttons=tuple(b["callback_data"] for row in markup for b in row),
            user_lang=self.bot.storage.load_user_lang(tg(person.id)),
        )

    def restore(self, seat: Seat) -> None:
        """Put the person's conversation back as it was when they reached the step.

        The bot's whole memory of a user is this record and the language they chose
        (between updates nothing else is held), so this is the same as walking a fresh
        person there again, only faster.
        """
        storage = self.bot.storage
        if storage.load_user_lang(tg(seat.person.id)) != seat.user_lang:
            storage.save_user_lang(seat.person.id, seat.user_lang)
        current = storage.load_conversation(tg(seat.person.id))
        if seat.snapshot is None:
            if current is not None:
                storage.delete_conversation(seat.person.id)
        elif current is None or _essence(current) != _essence(seat.snapshot):
            storage.save_conversation(seat.snapshot.copy())

    def context(self, seat: Seat) -> Context:
        return Context(
            api=self.bot.api,
            user=dict(seat.person.user),
            first_message_id=seat.first_message_id,
            last_message_id=seat.last_message_id,
            last_buttons=seat.last_buttons,
            other_case=self.other_case,
        )


def _essence(record: ConversationRecord) -> tuple:
    return (
        record.state,
        record.lang,
        record.answers,
        record.history,
        record.draft_id,
        record.case_number,
    )


def _data_dir() -> contextlib.AbstractContextManager[str]:
    # Thousands of fsyncs: on tmpfs they cost nothing (durability has its own tests).
    shm = "/dev/shm"
    usable = os.path.isdir(shm) and os.access(shm, os.W_OK)
    return tempfile.TemporaryDirectory(prefix="hostile-", dir=shm if usable else None)


@contextlib.asynccontextmanager
async def _stage(mode: str, base_id: int) -> AsyncIterator[Stage]:
    trap = LogTrap()
    root = logging.getLogger()
    with _data_dir() as tmp:
        async with running_bot(Path(tmp) / "data", mode, staff_web_token=STAFF_TOKEN) as bot:
            root.addHandler(trap)
            try:
                stage = Stage(bot, trap, base_id)
                await stage.prepare()
                yield stage
            finally:
                root.removeHandler(trap)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def webhook_stage() -> AsyncIterator[Stage]:
    async with _stage("webhook", 800_000) as stage:
        yield stage


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def polling_stage() -> AsyncIterator[Stage]:
    async with _stage("polling", 900_000) as stage:
        yield stage


# -- one input ------------------------------------------------------------------------------
@dataclass
class Observed:
    """What one hostile input did."""

    updates: list[dict]
    before: ConversationRecord | None
    after: ConversationRecord | None
    user_messages: list[str]
    other_messages: list[str]  # in groups and channels
    redelivery_messages: list[str] = field(default_factory=list)
    after_first: ConversationRecord | None = None

    @property
    def all_messages(self) -> list[str]:
        return self.user_messages + self.other_messages


async def send_hostile(stage: Stage, step: str, hostile: Hostile) -> Observed:
    seat = await stage.seat(hostile.profile, step)
    bot, api, person = stage.bot, stage.bot.api, seat.person
    updates = hostile.build(stage.context(seat))
    before = bot.storage.load_conversation(tg(person.id))
    calls = len(api.calls)

    redelivered = [i for i in range(1, len(updates)) if updates[i] is updates[i - 1]]
    seen: list[dict] = []
    after_first = None
    redelivery_messages: list[str] = []
    for i, update in enumerate(updates):
        if i in redelivered:
            after_first = bot.storage.load_conversation(tg(person.id))
            again = await bot.process(update)
            redelivery_messages = [m["text"] for m in again]
        else:
            await bot.process(update)
        seen.append(update)
    if hostile.album:
        await bot.settle()  # the album's reply, after its quiet period, and nothing more
    sent = bot.sent_since(calls)
    elsewhere = {chat_of(u) for u in updates} - {person.id, None}  # groups and channels

    return Observed(
        updates=seen,
        before=before,
        after=bot.storage.load_conversation(tg(person.id)),
        user_messages=[m["text"] for m in sent if m["chat_id"] == person.id],
        other_messages=[m["text"] for m in sent if m["chat_id"] in elsewhere],
        redelivery_messages=redelivery_messages,
        after_first=after_first,
    )


# -- what must hold -------------------------------------------------------------------------
def echoes(observed: Observed) -> list[str]:
    """Texts the user supplied, which a reply may quote back."""
    found: list[str] = []
    for update in observed.updates:
        query = update.get("callback_query")
        message = next(
            (update[k] for k in update if k != "update_id" and k != "callback_query"), None
        )
        if query is not None:
            found.append(query.get("data", ""))
        if message is not None:
            found += [message.get("text", ""), message.get("caption", "")]
            found.append((message.get("document") or {}).get("file_name", ""))
    if observed.before is not None:
        found += [v for v in observed.before.answers.values() if isinstance(v, str)]
    found += [clean_text(s) for s in found]
    return sorted({s for s in found if s.strip()}, key=len, reverse=True)


def expected_lang(step: str, hostile: Hostile, observed: Observed) -> str:
    first = observed.updates[0]
    sender = (
        first.get("callback_query") or next(iter(v for k, v in first.items() if k != "update_id"))
    ).get("from", {})
    if hostile.reply == "group":
        return pick_lang(sender.get("language_code"))
    if hostile.switches_to and observed.after is not None:
        return hostile.switches_to
    if observed.before is None:
        return pick_lang(sender.get("language_code"))
    return observed.before.lang


def check_hygiene(texts: list[str], observed: Observed) -> list[str]:
    problems = []
    quoted = echoes(observed)
    evidence_none = f"{EN['field.evidence']}: {EN['value.no_files']}"
    for text in texts:
        bare = text.replace(evidence_none, "")
        for q in quoted:
            bare = bare.replace(q, "")
        for leak in _LEAKS:
            if leak.search(bare):
                problems.append(f"leak {leak.pattern!r} in reply {text[:300]!r}")
        if not text.strip():
            problems.append("an empty reply")
        if _INVISIBLE_CONTROL.search(text):
            problems.append(f"a control or bidi character in reply {text[:200]!r}")
    return problems


def check_language(texts: list[str], lang: str, observed: Observed) -> list[str]:
    problems = []
    quoted = {w for q in echoes(observed) for w in _HANGUL.findall(q)}
    for text in texts:
        words = set(_HANGUL.findall(text))
        if lang == "ko" and not words:
            problems.append(f"expected Korean, got {text[:200]!r}")
        if lang == "en":
            stray = words - ENGLISH_HANGUL - quoted
            if stray:
                problems.append(
                    f"expected English, got Korean {sorted(stray)[:5]} in {text[:200]!r}"
                )
    return problems


def outcome_of(before: ConversationRecord | None, after: ConversationRecord | None) -> str:
    if before is None:
        return "new" if after is not None else "none"
    if after is None:
        return "forget"
    if after.draft_id != before.draft_id and after.state == "consent":
        return "restart"
    if after.state == "submitted" and before.state != "submitted":
        return "submit"
    return "kept"


def check_draft(
    stage: Stage, step: str, hostile: Hostile, observed: Observed, lang: str
) -> list[str]:
    before, after = observed.before, observed.after
    outcome = outcome_of(before, after)
    replies = "\n".join(observed.user_messages)
    must = MUST.get((hostile.id, step))
    if must is not None:
        reached = "resume" if outcome == "kept" and after.state == "resume" else outcome
        if reached != must:
            return [f"{hostile.id} at {step} must {must}, did {reached}"]
    if outcome == "none":
        return []
    if outcome == "new":
        if after.state != "consent":
            return [f"a first message left the new draft at {after.state}, not consent"]
        return []
    if outcome != "kept" and outcome not in hostile.may:
        return [
            f"{outcome}: the draft at {step} was not kept ({before.answers} -> {after and after.answers})"
        ]
    if outcome == "forget":
        told = [
            fragment(lang, k) for k in ("cancelled", "declined", "delete.done", "delete.requested")
        ]
        if not any(f in replies for f in told):
            return [f"the draft was forgotten without saying so: {replies[:300]!r}"]
        return []
    if outcome == "restart":
        return [] if after.answers == {} else [f"a restart kept answers {after.answers}"]
    if outcome == "submit":
        cases = stage.bot.storage.list_cases(CaseFilter(user_id=before.user_id))
        if len(cases) != 1:
            return [f"{len(cases)} cases for one draft"]
        case = stage.bot.storage.get_case(cases[0].case_number)
        kept = {k: v for k, v in before.answers.items() if not k.startswith("_")}
        return (
            [] if case.answers == kept else [f"the case holds {case.answers}, the draft had {kept}"]
        )
    problems = []
    own = OWN_KEYS.get(before.state, set())
    for key, value in before.answers.items():
        if key in own:
            continue
        if after.answers.get(key, "<missing>") != value:
            problems.append(
                f"answer {key!r} was {value!r}, is now {after.answers.get(key, '<missing>')!r}"
            )
    if hostile.keeps_state and after.state != before.state:
        problems.append(f"the question moved from {before.state} to {after.state}")
    if after.lang != (hostile.switches_to or before.lang):
        problems.append(f"the conversation language became {after.lang}")
    if before.state == "submitted" and after.case_number != before.case_number:
        problems.append(f"the case number changed from {before.case_number} to {after.case_number}")
    return problems


def check_amount(hostile: Hostile, observed: Observed, lang: str) -> list[str]:
    allowed = hostile.amount if isinstance(hostile.amount, tuple) else (hostile.amount,)
    after = observed.after
    replies = "\n".join(observed.user_messages)
    if after is not None and after.state == "amount_confirm":
        got = after.answers["amount"]
        if format_amount(got, lang) not in replies:
            return [f"the amount {got} was kept but not echoed back: {replies[:200]!r}"]
    else:
        got = REFUSED
        hints = [fragment(lang, f"amount.{reason}") for reason in AMOUNT_REASONS]
        if not any(h in replies for h in hints):
            return [f"refused without an amount hint: {replies[:200]!r}"]
    return [] if got in allowed else [f"read as {got!r}, expected one of {allowed}"]


def check(stage: Stage, step: str, hostile: Hostile, observed: Observed) -> list[str]:
    problems = []
    lang = expected_lang(step, hostile, observed)
    texts = observed.all_messages
    if hostile.reply == "user" and not observed.user_messages:
        problems.append("no reply")
    if hostile.reply == "group":
        if observed.user_messages:
            problems.append(f"a group message answered in private: {observed.user_messages}")
        if len(observed.other_messages) != 1:
            problems.append(f"{len(observed.other_messages)} replies in the group, expected 1")
    if hostile.reply == "none" and texts:
        problems.append(f"replies where none were due: {texts}")
    if observed.after_first is not None:
        if observed.redelivery_messages:
            problems.append(
                f"a redelivered update was answered again: {observed.redelivery_messages}"
            )
        if observed.after is None or observed.after_first is None:
            if observed.after is not observed.after_first:
                problems.append("a redelivered update changed the conversation")
        elif _essence(observed.after) != _essence(observed.after_first):
            problems.append("a redelivered update changed the conversation")
    for update in observed.updates:
        query = update.get("callback_query")
        if query and query["id"] not in stage.bot.api.callback_answers:
            problems.append("the button press was not answered (the client spins)")
    problems += check_hygiene(texts, observed)
    problems += check_language(texts, lang, observed)
    key = hostile.expect.get(step) or (hostile.expect.get("*") if step in DRAFT_STEPS else None)
    if key and fragment(lang, key) not in "\n".join(texts):
        problems.append(f"expected {key!r} ({fragment(lang, key)[:60]!r}) in {texts}")
    if hostile.forbid and fragment(lang, hostile.forbid) in "\n".join(texts):
        problems.append(f"{hostile.forbid!r} must not be the answer: {texts}")
    if step == "amount" and hostile.amount is not None:
        problems += check_amount(hostile, observed, lang)
    problems += check_draft(stage, step, hostile, observed, lang)
    return problems


# -- the cases ------------------------------------------------------------------------------
def cases(steps: tuple[str, ...], *, polling: bool = False) -> list:
    """One case per entry, run at every step it applies to. All the bugs this corpus found
    are fixed; each stays covered by its input (a new one is fixed, not pinned as an xfail)."""
    params = []
    for hostile in CORPUS:
        if polling and (hostile.webhook_only or hostile.kind == "delivery"):
            continue  # never reaches a poller / getUpdates cannot hand out an id twice
        wanted = tuple(s for s in steps if hostile.steps is None or s in hostile.steps)
        params.append(pytest.param(hostile, wanted, id=hostile.id))
    return params


async def run_everywhere(stage: Stage, hostile: Hostile, steps: tuple[str, ...]) -> str:
    """Send the input at each step in turn; return a report of what went wrong (or "")."""
    report = []
    for step in steps:
        mark = len(stage.trap.records)
        observed = await send_hostile(stage, step, hostile)
        problems = check(stage, step, hostile, observed)
        problems += [
            f"logged {r.levelname} {r.name}: {r.getMessage()}"
            + (" (with traceback)" if r.exc_info else "")
            for r in stage.trap.records[mark:]
        ]
        if problems:
            report.append(_report(step, hostile, observed, problems))
    return "\n\n".join(report)


def _report(step: str, hostile: Hostile, observed: Observed, problems: list[str]) -> str:
    shown = "\n  ".join(m[:300] for m in observed.all_messages) or "(nothing)"
    return f"{hostile.id} at {step}:\n- " + "\n- ".join(problems) + f"\nreplies:\n  {shown}"


@pytest.mark.parametrize(("hostile", "steps"), cases(STEPS))
async def test_hostile_input(webhook_stage, hostile, steps):
    report = await run_everywhere(webhook_stage, hostile, steps)
    assert not report, report


@pytest.mark.parametrize(("hostile", "steps"), cases(POLLING_STEPS, polling=True))
async def test_hostile_input_polling(polling_stage, hostile, steps):
    report = await run_everywhere(polling_stage, hostile, steps)
    assert not report, report


# -- malformed HTTP requests ----------------------------------------------------------------
async def send_raw(port: int, request: RawRequest) -> tuple[int, bytes]:
    """Send the request's bytes as they are over a fresh connection; return status and body."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = [
            b"POST " + request.path.encode() + b" HTTP/1.1",
            f"Host: 127.0.0.1:{port}".encode(),
            b"Content-Type: " + request.content_type,
            b"Content-Length: " + str(len(request.body)).encode(),
            b"Connection: close",
        ]
        if request.secret:
            head.append(b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode())
        head += [name + b": " + value for name, value in request.headers]
        writer.write(b"\r\n".join(head) + b"\r\n\r\n" + request.body)
        await writer.drain()
        async with asyncio.timeout(20):
            response = await reader.read()
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    status_line, _, rest = response.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


@pytest.mark.parametrize("request_", HTTP_REQUESTS, ids=[r.id for r in HTTP_REQUESTS])
async def test_malformed_http_request(webhook_stage, request_, caplog):
    """Regression: these requests got a 500 and a logged traceback (UnicodeEncodeError on
    the secret header, UnicodeDecodeError / ValueError reading the sign-in form,
    RecursionError on deep JSON, a string or 10^30 update_id, text as an object)."""
    stage = webhook_stage
    mark = len(stage.trap.records)
    calls = len(stage.bot.api.calls)
    with caplog.at_level(logging.INFO):
        status, body = await send_raw(stage.bot.settings.port, request_)
    problems = [
        f"logged {r.levelname} {r.name}: {r.getMessage()}"
        + (" (with traceback)" if r.exc_info else "")
        for r in stage.trap.records[mark:]
    ]
    assert status in request_.status, (status, body[:300], problems)
    assert b"Traceback" not in body and b"Error" not in body, body[:300]
    assert not problems, problems
    assert not any(r.exc_info or r.exc_text for r in caplog.records), caplog.text
    assert stage.bot.sent_since(calls) == []  # nobody is written to because of it
