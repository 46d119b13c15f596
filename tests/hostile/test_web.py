"""The hostile corpus through the web chat: every text, command, button and file of
``tests/hostile/corpus.py`` that a web page can carry, at every step of a report, with the
page's script and without it.

The corpus builds Telegram updates; a recording stand-in for the Bot API turns each into
what a browser would post instead (typed text, a pressed button's value, a file). Inputs
only Telegram has (edits, groups, forwards, polls) have no web form and are left out.
After each input: no server error, no traceback or internal-error text on the page, the
visitor's input never appears in the page as markup, the conversation is still readable,
and nothing was logged above a warning. Then the visitor's conversation and transcript
are put back, so every input meets the step as it was.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from bot.ratelimit import Rates
from flows.identity import UserKey
from flows.texts import CATALOG
from tests.hostile.corpus import CORPUS, Context
from tests.support.web_chat import WebVisitor
from tests.webchat.conftest import ChatSite, open_site
from tests.webchat.test_page import TO_DESCRIPTION, visitor_id

pytestmark = pytest.mark.slow

MAX_FILE = 1024 * 1024  # the corpus's 20 MB files are the upload tests' business


@dataclass(frozen=True)
class WebInput:
    kind: str  # "text" | "choice" | "file"
    value: str = ""
    name: str = ""
    mime: str = ""
    data: bytes = b""


class Translate:
    """Stands in for the Bot API stand-in: each update the corpus builds becomes a web input."""

    def text_update(self, user: Any, text: str, **options: Any) -> WebInput:
        return WebInput("text", text)

    def command_update(self, user: Any, text: str, **options: Any) -> WebInput:
        return WebInput("text", text)

    def callback_update(self, user: Any, data: str, **options: Any) -> WebInput:
        return WebInput("choice", data)

    def photo_update(self, user: Any, data: bytes, **options: Any) -> WebInput:
        return WebInput("file", name="photo.jpg", mime="image/jpeg", data=bytes(data))

    def document_update(
        self, user: Any, data: Any, file_name: str, mime_type: str, **options: Any
    ) -> WebInput:
        if not isinstance(data, bytes) or len(data) > MAX_FILE:
            raise LookupError("not a file a test posts")
        return WebInput("file", name=file_name, mime=mime_type, data=data)

    def __getattr__(self, name: str) -> Any:
        raise LookupError(f"{name}: no web form")


def web_inputs() -> list[tuple[str, tuple[WebInput, ...]]]:
    """Each corpus entry a web page can carry, as the inputs it sends (each distinct once)."""
    context = Context(
        api=Translate(),  # type: ignore[arg-type]
        user={},
        first_message_id=1,
        last_message_id=2,
        last_buttons=("consent:agree",),
        other_case="K7F-3QX-9MZ",
    )
    seen: set[tuple[WebInput, ...]] = set()
    found = []
    for hostile in CORPUS:
        try:
            inputs = tuple(hostile.build(context))
        except (LookupError, KeyError, TypeError, AttributeError):
            continue
        if not inputs or not all(isinstance(i, WebInput) for i in inputs) or inputs in seen:
            continue
        seen.add(inputs)
        found.append((hostile.id, inputs))
    return found


INPUTS = web_inputs()
STEPS = ("no_draft", "consent", "description", "amount", "evidence", "summary", "submitted")
INTERNAL = [CATALOG[lang]["error.internal"] for lang in CATALOG]


def test_the_corpus_gives_the_web_many_inputs():
    kinds = {i.kind for _, inputs in INPUTS for i in inputs}
    assert len(INPUTS) > 100 and kinds == {"text", "choice", "file"}


async def walk(me: WebVisitor, step: str) -> None:
    """Bring a visitor to ``step`` of a small business's report."""
    await me.open()
    if step == "no_draft":
        return
    await me.start()
    if step == "consent":
        return
    for label in TO_DESCRIPTION:
        await me.press(label)
    if step == "description":
        return
    await me.type("단골 예약 문의를 못 받았어요")
    if step == "amount":
        return
    await me.type("35만 원")
    await me.press("네, 맞아요")
    await me.type("220-81-62517")
    if step == "evidence":
        return
    await me.press("건너뛰기")
    if step == "summary":
        return
    await me.press("접수하기")
    assert "접수번호" in me.screen.text()


async def send(me: WebVisitor, inputs: tuple[WebInput, ...]) -> list[int]:
    statuses = []
    for item in inputs:
        if item.kind == "file":
            statuses.append(await me.attach((item.name, item.mime, item.data)))
        elif item.kind == "choice":
            statuses.append(await me.post("/say", {"choice": item.value}))
        else:
            statuses.append(await me.post("/say", {"text": item.value}))
    return statuses


def markup_leaks(page: str, inputs: tuple[WebInput, ...]) -> list[str]:
    """Input that holds markup and came out in the page as it was sent (unescaped)."""
    return [
        text
        for item in inputs
        for text in (item.value, item.name)
        if "<" in text and len(text) > 3 and text in page
    ]


def shown_an_error(page: str, said: str, inputs: tuple[WebInput, ...]) -> bool:
    """A traceback or the internal-error text on the page that the visitor did not type."""
    typed = " ".join(item.value + item.name for item in inputs)
    traceback = "Traceback (most recent call last)" in page and "Traceback" not in typed
    return traceback or any(text in said for text in INTERNAL)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def web_site(tmp_path_factory: pytest.TempPathFactory):
    site, runner = await open_site(tmp_path_factory.mktemp("hostile-web") / "data")
    # One visitor sends the whole corpus: no per-visitor limit here (tests/webchat has it).
    site.door.chat.visitor_rates = Rates(time.time, per_minute=10**9, burst=10**9)
    site.door.chat.address_rates = None
    try:
        yield site
    finally:
        await runner.cleanup()
        site.service.storage.close()


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
@pytest.mark.parametrize("step", STEPS)
async def test_the_hostile_corpus_at_every_step(web_site: ChatSite, step, script, caplog):
    site = web_site
    caplog.set_level(logging.WARNING)
    storage = site.service.storage
    problems: list[str] = []
    async with WebVisitor(site.url, script=script) as me:
        await walk(me, step)
        visitor = visitor_id(me, site)
        user = UserKey("web", visitor)
        record = storage.load_conversation(user)
        transcript = site.door.chat.transcripts.load(visitor)
        for hostile_id, inputs in INPUTS:
            mark = len(caplog.records)
            statuses = await send(me, inputs)
            async with me.http.get(site.url + "/", headers=me.headers) as response:
                page_status = response.status
                page = await response.text()
            said = me.screen.text()
            if any(s >= 500 for s in statuses) or page_status != 200:
                problems.append(f"{hostile_id} at {step}: HTTP {statuses} then {page_status}")
            if shown_an_error(page, said, inputs):
                problems.append(f"{hostile_id} at {step}: an internal error shown")
            if leaks := markup_leaks(page, inputs):
                problems.append(f"{hostile_id} at {step}: markup in the page: {leaks}")
            try:
                storage.load_conversation(user)
            except Exception as exc:
                problems.append(f"{hostile_id} at {step}: conversation unreadable: {exc}")
            problems += [
                f"{hostile_id} at {step}: logged {r.levelname} {r.name}: {r.getMessage()[:200]}"
                for r in caplog.records[mark:]
                if r.levelno > logging.WARNING or r.exc_info
            ]
            # Put the step back as it was, for the next input.
            if record is None:
                storage.delete_conversation(user)
            else:
                storage.save_conversation(record)
            if transcript is None:
                site.door.chat.transcripts.delete(visitor)
            else:
                site.door.chat.transcripts.rewrite(visitor, transcript)
            storage.save_user_lang(user, None)
            await me.open()
    assert not problems, "\n".join(problems[:30])
