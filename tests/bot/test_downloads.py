"""Evidence downloads through the real bot and the local Bot API: when, how many, where to.

Files are fetched only at a step that takes them, streamed to a temporary file
in the data directory (hashed on the way) and moved into the evidence store,
with a bound on how many download at once, per user and overall.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import replace
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings
from storage import CaseChange, CaseStatus
from tests.support.bot_api import GeneratedFile
from tests.support.running_bot import MODES, Person, RunningBot, running_bot, walk_to
from tests.support.users import tg

PDF = "application/pdf"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(params=MODES)
async def bot(request, tmp_path):
    async with running_bot(tmp_path / "data", request.param) as running:
        yield running


def leftovers(bot: RunningBot) -> list[str]:
    return os.listdir(bot.settings.data_dir / "tmp")


@pytest.mark.parametrize("step", ["none", "no_draft", "consent", "amount", "summary"])
async def test_a_file_at_a_step_without_files_is_answered_without_downloading(bot, step):
    """Regression: every file was downloaded before the user's turn, in any state.

    Even with no conversation at all: 20 PDFs of 8 MB took the bot from 60 to
    272 MiB. Now the stored conversation is looked at first; a file sent where
    none is taken gets the friendly answer and is never fetched.
    """
    person = Person(bot, 6100)
    if step != "none":
        await walk_to(person, step)
    before = bot.storage.load_conversation(tg(person.id))
    doc = bot.api.document_update(person.user, b"%PDF-1.4 ledger", "장부.pdf", PDF)
    photo = bot.api.photo_update(person.user, b"\xff\xd8 receipt")
    for update in (doc, photo):
        await bot.process(update)
    assert bot.api.downloads == []
    if before is not None:
        assert "지금은 파일을 받지 않아요" in person.last
        assert bot.storage.load_conversation(tg(person.id)).state == before.state
    assert leftovers(bot) == []


async def test_files_at_the_evidence_step_are_streamed_into_the_store(bot):
    """A file is streamed to a temporary file in the data directory (hashed while it
    arrives) and moved into the store, byte for byte; nothing is left behind, also
    for a file that was refused (here: the same bytes again). The memory this
    saves is shown by ``test_download_memory.py``.
    """
    person = Person(bot, 6101)
    await walk_to(person, "evidence")
    big = GeneratedFile(3 * 1024 * 1024 + 17, seed=1)
    said = []
    for update in (
        bot.api.document_update(person.user, big, "매출장부.pdf", PDF),
        bot.api.document_update(person.user, big, "매출장부 사본.pdf", PDF),
        bot.api.photo_update(person.user, b"\xff\xd8 receipt photo"),
    ):
        said.append(Person.text(await bot.process(update)))
    assert len(bot.api.downloads) == 3
    held = bot.storage.load_conversation(tg(person.id)).answers["evidence"]
    digests = [f["sha256"] for f in held]
    assert digests == [big.sha256(), hashlib.sha256(b"\xff\xd8 receipt photo").hexdigest()]
    assert [f["size"] for f in held] == [big.size, len(b"\xff\xd8 receipt photo")]
    with bot.storage.open_evidence(big.sha256()) as stored:
        assert hashlib.file_digest(stored, "sha256").hexdigest() == big.sha256()
    assert "매출장부 사본.pdf" in said[1] and "이미 받은" in said[1]
    assert leftovers(bot) == []


async def test_documents_for_a_case_are_downloaded(bot):
    """The supplement step (documents staff asked for) takes files too."""
    person = Person(bot, 6102)
    await walk_to(person, "submitted")
    case_number = bot.storage.list_cases()[0].case_number
    bot.storage.update_case(
        case_number, CaseChange(actor="staff:test", now=1.0, status=CaseStatus.DOCUMENTS_REQUESTED)
    )
    update = bot.api.callback_update(
        person.user,
        f"docs:{case_number}",
        message_id=bot.api.messages_to(person.id)[-1]["message_id"],
    )
    await bot.send(update)
    assert bot.storage.load_conversation(tg(person.id)).state == "supplement"
    await bot.process(bot.api.document_update(person.user, b"%PDF-1.4 bank", "통장.pdf", PDF))
    assert len(bot.api.downloads) == 1
    files = bot.storage.load_conversation(tg(person.id)).answers["_supplement"]["files"]
    assert [f["name"] for f in files] == ["통장.pdf"]
    assert leftovers(bot) == []


async def test_downloads_are_bounded_per_user_and_overall(tmp_path):
    """Regression: downloads had no limit on how many ran at once.

    Three users each send three files at once while the Bot API holds every
    download: at most DOWNLOADS_PER_USER of one user's and DOWNLOADS_MAX in all
    are fetched together; the rest wait their turn, and every file arrives.
    """
    async with running_bot(tmp_path / "data", "polling") as bot:
        await bot.stop()
        bot.settings = replace(bot.settings, downloads_max=3, downloads_per_user=2)
        await bot.start()
        people = [Person(bot, 6200 + n) for n in range(3)]
        for person in people:
            await walk_to(person, "evidence")
        gate = bot.api.download_gate = asyncio.Event()
        assert bot.channel is not None
        downloads = bot.channel.downloads
        for person in people[:1]:  # one user alone: two at a time
            for n in range(3):
                bot.api.queue(
                    bot.api.document_update(person.user, b"%%PDF-1.4 a%d" % n, f"a{n}.pdf", PDF)
                )
        # The gate holds what got a slot; the third is seen waiting for one (were
        # it let through, this would never be true: no sleep needed to prove it).
        await wait_until(lambda: downloads.waiting() == 1 and bot.api.downloads_in_flight == 2)
        assert bot.api.max_downloads_in_flight == 2
        for person in people[1:]:
            for n in range(3):
                bot.api.queue(
                    bot.api.document_update(person.user, b"%%PDF-1.4 b%d" % n, f"b{n}.pdf", PDF)
                )
        await wait_until(lambda: downloads.waiting() == 6 and bot.api.downloads_in_flight == 3)
        assert bot.api.max_downloads_in_flight == 3
        gate.set()
        await wait_until(lambda: len(bot.api.downloads) == 9)
        for person in people:
            await wait_until(lambda p=person: len(evidence_of(bot, p)) == 3)
        await wait_until(lambda: leftovers(bot) == [])


def evidence_of(bot: RunningBot, person: Person) -> list[dict]:
    record = bot.storage.load_conversation(tg(person.id))
    return record.answers.get("evidence", []) if record else []


async def wait_until(condition, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_file_sent_right_after_reaching_the_evidence_step_is_fetched_in_its_turn(tmp_path):
    """The step is looked at before the user's turn; earlier updates may still move it.

    A text whose reply Telegram holds back (flood control) keeps the user's line
    busy; behind it a button press reaches the evidence question, and behind that
    a file arrives. When the file was looked at, the stored step did not take
    files yet; in its turn it does, so it is fetched then instead of being
    answered "send it again".
    """
    async with running_bot(tmp_path / "data", "polling") as bot:
        person = Person(bot, 6300)
        await walk_to(person, "channel")
        message, data = person.find_button("no")
        bot.api.fail_next("sendMessage", 429, retry_after=1)
        bot.api.queue(bot.api.text_update(person.user, "잠깐만요"))
        bot.api.queue(bot.api.callback_update(person.user, data, message_id=message["message_id"]))
        doc = bot.api.document_update(person.user, b"%PDF-1.4 late", "영수증.pdf", PDF)
        await bot.process(doc, timeout=20)
        assert [f["name"] for f in evidence_of(bot, person)] == ["영수증.pdf"]
        assert len(bot.api.downloads) == 1
        assert leftovers(bot) == []


def test_download_limits_are_settings_with_defaults():
    assert (load_settings({}).downloads_max, load_settings({}).downloads_per_user) == (4, 2)
    env = {"DOWNLOADS_MAX": "8", "DOWNLOADS_PER_USER": "1"}
    assert (load_settings(env).downloads_max, load_settings(env).downloads_per_user) == (8, 1)
    for name in ("DOWNLOADS_MAX", "DOWNLOADS_PER_USER"):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: "0"})
    example = (ROOT / ".env.example").read_text()
    assert "DOWNLOADS_MAX=4" in example and "DOWNLOADS_PER_USER=2" in example


async def test_a_failed_download_leaves_nothing_behind(bot):
    """A refused download is answered "send it again"; a failed one is retried."""
    person = Person(bot, 6400)
    await walk_to(person, "evidence")
    bot.api.fail_next("getFile", 400, description="Bad Request: wrong file_id")
    doc = bot.api.document_update(person.user, b"%PDF-1.4 one", "one.pdf", PDF)
    assert "one.pdf" in Person.text(await bot.process(doc))
    assert evidence_of(bot, person) == [] and leftovers(bot) == []
    bot.api.fail_next("getFile", 502)
    doc = bot.api.document_update(person.user, b"%PDF-1.4 two", "two.pdf", PDF)
    await bot.process(doc)
    assert [f["name"] for f in evidence_of(bot, person)] == ["two.pdf"]
    assert leftovers(bot) == []
