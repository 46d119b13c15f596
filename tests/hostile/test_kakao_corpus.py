"""The hostile corpus through the KakaoTalk skill: every typed line and pressed button of it.

A KakaoTalk person can only type text (an utterance) and press quick replies (whose
``extra`` comes back as ``action.clientExtra``; a forged one is the same as a forged
callback data). The corpus's entries made of text, commands and button presses are
sent as skill payloads through the real server at several steps of a report; files,
stickers, group chats, edits and the like have no KakaoTalk skill form and are left out
(photos come through the secure-image plugin, tested in tests/bot/test_kakao.py).

After each entry: every response kept Kakao's limits (checked as it arrives), no reply
leaks an error or a placeholder, none is the internal-error apology, and the person's
conversation still loads. The conversation is put back before the next entry.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from flows.identity import UserKey
from flows.texts import t
from tests.bot.test_kakao import TO_DESCRIPTION, running
from tests.hostile.corpus import CORPUS, Context, Hostile
from tests.support.kakao_platform import KakaoPerson

pytestmark = pytest.mark.slow

_LEAKS = [
    re.compile(r"Traceback"),
    re.compile(r"\b\w*(?:Error|Exception)\b"),
    re.compile(r"object at 0x"),
    re.compile(r"<class '"),
    re.compile(r"\{[a-z_]+\}"),  # a placeholder the texts forgot to fill
]


class NotKakao(Exception):
    """The entry needs something a KakaoTalk skill request cannot carry."""


class KakaoForms:
    """Stands in for the Bot API stand-in's update builders: keeps what Kakao can send."""

    def text_update(self, user: Any, text: str, **options: Any) -> dict:
        if options.get("chat_type", "private") != "private" or set(options) - {"chat_type"}:
            raise NotKakao
        return {"utterance": text}

    def command_update(self, user: Any, text: str, **options: Any) -> dict:
        return self.text_update(user, text, **options)

    def callback_update(self, user: Any, data: str, **options: Any) -> dict:
        return {"extra": {"data": data}}

    def __getattr__(self, name: str) -> Any:
        raise NotKakao(name)


def kakao_form(hostile: Hostile) -> list[dict] | None:
    """The entry as skill requests (utterance / extra), or None when Kakao has no form."""
    context = Context(
        api=KakaoForms(),  # type: ignore[arg-type]
        user={"id": 1, "first_name": "x", "language_code": "ko"},
        first_message_id=1,
        last_message_id=2,
        last_buttons=("consent:agree",),
        other_case="AAA-AAA-AAA",
    )
    try:
        updates = hostile.build(context)
    except Exception:  # NotKakao, or a mutation of a Telegram-only field
        return None
    if not updates or not all(
        isinstance(u, dict) and set(u) <= {"utterance", "extra"} for u in updates
    ):
        return None
    return updates


ENTRIES = [(h, form) for h in CORPUS if h.profile in ("ko", "en") if (form := kakao_form(h))]
STEPS = ("consent", "service", "amount", "evidence", "submitted")


async def seat(person: KakaoPerson, step: str) -> None:
    await person.type("안녕하세요")
    if step == "consent":
        return
    await person.press("동의해요")
    await person.press("소상공인")
    if step == "service":
        return
    if step in ("amount", "evidence", "submitted"):
        for label in TO_DESCRIPTION[2:]:
            await person.press(label)
        await person.type("예약을 못 받았어요")
    if step == "amount":
        return
    await person.type("35만 원")
    await person.press("네, 맞아요")
    await person.type("220-81-62517")
    if step == "evidence":
        return
    await person.press("건너뛰기")
    await person.press("접수하기")


def problems_of(texts: list[str]) -> list[str]:
    found = []
    for text in texts:
        for leak in _LEAKS:
            if leak.search(text):
                found.append(f"leak {leak.pattern!r} in {text[:200]!r}")
        for lang in ("ko", "en"):
            if t(lang, "error.internal") in text:
                found.append(f"internal error for {text[:100]!r}")
    return found


@pytest.mark.parametrize("step", STEPS)
async def test_the_corpus_through_kakao(tmp_path: Path, step: str) -> None:
    assert len(ENTRIES) > 100, len(ENTRIES)  # the corpus is there, not silently empty
    failures = []
    async with running(tmp_path / "data") as bot:
        person = bot.person()
        key = UserKey("kakao", person.user_id)
        await seat(person, step)
        saved = copy.deepcopy(bot.storage.load_conversation(key))
        for hostile, form in ENTRIES:
            person.lang = hostile.profile
            texts = []
            for request in form:
                await person.send(
                    request.get("utterance", "x"),
                    extra=request.get("extra"),
                )
                texts.append(person.text)
            record = bot.storage.load_conversation(key)  # still readable
            problems = problems_of(texts)
            if problems:
                failures.append(f"{hostile.id} at {step}: {problems}")
            # Put the conversation (and the door's memory of the person) back.
            if saved is not None:
                bot.storage.save_conversation(copy.deepcopy(saved))
            elif record is not None:
                bot.storage.delete_conversation(key)
            bot.door.skill.people.pop(key, None)
    assert not failures, "\n".join(failures[:20])
