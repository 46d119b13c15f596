"""What one answer through the web chat costs the store: counted calls, never a timing.

bench/web.py measures the CPU; these pin the work behind it, so that a change that adds a
read or a thread hop to every step shows here, not only as a slower benchmark.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from tests.webchat.conftest import ChatSite
from tests.webchat.test_page import TO_DESCRIPTION

COUNTED = ("load_conversation", "web_transcript", "web_transcript_tail", "save_conversation")


def count_calls(site: ChatSite, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the store's calls of ``COUNTED`` (and the door's worker-thread hops)."""
    calls: Counter[str] = Counter()
    storage = site.service.storage

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return real(*args, **kwargs)

        return call

    for name in COUNTED:
        if hasattr(storage, name):
            monkeypatch.setattr(storage, name, counted(name, getattr(storage, name)))
    monkeypatch.setattr(asyncio, "to_thread", counted("to_thread", asyncio.to_thread))
    return calls


async def test_an_answer_reads_the_conversation_once(site: ChatSite, monkeypatch):
    """Regression: each answer read the person's conversation twice (the web chat's own read
    for the page, then the intake's for the answer), and parsed the whole transcript again
    (every bubble of every earlier answer) to learn the request number and the buttons."""
    async with site.visitor(script=True) as me:
        await me.open()
        await me.start()
        for label in TO_DESCRIPTION[:3]:
            await me.press(label)
        calls = count_calls(site, monkeypatch)
        await me.press(TO_DESCRIPTION[3])
        assert "금전 피해" in me.screen.last_bot()
        assert calls["load_conversation"] == 1
        assert calls["save_conversation"] == 1
        assert calls["web_transcript"] == 0 and calls["web_transcript_tail"] == 1
        assert calls["to_thread"] == 1  # the step's store work in one worker-thread call
        calls.clear()
        await me.type("단골 예약 문의를 못 받았어요")
        assert calls["load_conversation"] == 1 and calls["web_transcript"] == 0


async def test_a_button_after_the_conversation_is_gone_still_starts_one(site: ChatSite):
    """The web chat passes the conversation it read to the intake: when there is none (an old
    page's button), the intake starts one first, as before."""
    async with site.visitor(script=True) as me:
        await me.open()
        await me.start()
        await me.press(TO_DESCRIPTION[0])
        user = next(iter(site.service.storage.iter_conversations())).user_id
        site.service.storage.delete_conversation(user)
        await me.press(TO_DESCRIPTION[1])  # the page still shows the reporter-type buttons
        assert me.last_status == 200
        assert "개인정보" in me.screen.last_bot()  # a new report, at its first question


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("takes_files", [False, True])
@pytest.mark.parametrize("seq", [0, 7])
async def test_controls_rendered_once_per_shape_are_the_templates_own(
    site: ChatSite, lang: str, takes_files: bool, seq: int
):
    """The script's controls come from a rendering kept per shape (language, started, files,
    buttons) with the visitor's CSRF token and request number put in: byte for byte what
    the template renders for that visitor, whoever asked for the shape first."""
    from bot.webchat.app import Turn
    from bot.webchat.transcript import Bubble, Transcript
    from flows.messages import Button

    chat = site.door.chat
    buttons = ((Button("Yes <\"&\"> 'sure'", "q:yes"), Button("아니요", "q:no")),)
    for visitor in ("vFirst000000000000000", "vSecond00000000000000"):
        transcript = Transcript(seq=seq)
        transcript.add([Bubble("question?", buttons=buttons if seq else ())])
        turn = Turn(transcript, [], lang, takes_files, started=bool(seq))
        context = {**chat.context(visitor, turn), "unread": 0}
        direct = chat.env.get_template("controls.html").render(**context)
        assert chat.controls(context) == direct
        assert chat.signer.csrf(visitor) in direct and f'value="{seq + 1}"' in direct


async def test_an_answer_signs_nothing_again(site: ChatSite, monkeypatch):
    """Regression: each answer computed three HMACs (the cookie's signature checked, the
    CSRF token computed to check the form's, then again for the answer's controls); a
    visitor's are computed once and remembered (they depend on the id and the secret alone)."""
    signer = site.door.chat.signer
    macs: Counter[str] = Counter()
    real = signer._mac

    def counted(purpose: str, value: str, size: int = 18) -> str:
        macs[purpose] += 1
        return real(purpose, value, size)

    monkeypatch.setattr(signer, "_mac", counted)
    for script in (True, False):  # without the script: the post, then the page (its cookie)
        async with site.visitor(script=script) as me:
            await me.open()
            await me.start()
            await me.press(TO_DESCRIPTION[0])
            macs.clear()
            await me.press(TO_DESCRIPTION[1])
            assert me.last_status == 200 and "서비스" in me.screen.last_bot()
            assert sum(macs.values()) == 0


async def test_a_first_visit_and_its_start_read_the_conversation_once_each(
    site: ChatSite, monkeypatch
):
    """Regression: with no conversation yet, the door asked the intake for the visitor's
    language (IntakeService.user_lang), which read the conversation the door had just read,
    twice on the first visit (the welcome, then the page's language) and once on start."""
    calls = count_calls(site, monkeypatch)
    async with site.visitor(script=True) as me:
        await me.open()
        assert calls["load_conversation"] == 1
        calls.clear()
        await me.start()
        assert "개인정보" in me.screen.last_bot()
        assert calls["load_conversation"] == 1  # the door's; the intake is told there is none


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_bubbles_rendered_once_per_kind_are_the_templates_own(site: ChatSite, lang: str):
    """The bubbles (the script's new ones, the page's whole transcript) come from a rendering
    kept per language and kind with each text escaped and put in: byte for byte what the
    template renders, for hostile texts too (markup, quotes, the stand-in itself)."""
    from bot.webchat.app import TEXT_MARK
    from bot.webchat.transcript import Bubble

    chat = site.door.chat
    texts = ("평범한 답", "<script>alert(1)</script> & \"q\" 'a'", TEXT_MARK, "", "a\nb\x00")
    bubbles = [
        Bubble(text, mine=mine, notice=notice)
        for text in texts
        for mine, notice in ((True, False), (False, False), (False, True))
    ]
    context = chat.context("vFirst000000000000000", _turn(lang))
    direct = chat.env.get_template("bubbles.html").render(**context, bubbles=bubbles)
    assert chat.bubbles_html(lang, bubbles) == direct
    assert chat.bubbles_html(lang, []) == ""


def _turn(lang: str) -> Any:
    from bot.webchat.app import Turn
    from bot.webchat.transcript import Transcript

    return Turn(Transcript(seq=3), [], lang, False)


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("unread", [0, 2])
async def test_the_page_rendered_once_per_shape_is_the_templates_own(
    site: ChatSite, lang: str, unread: int
):
    """The whole page (the no-script path's every step) comes from a rendering kept per
    language and unread count, with the visitor's token, bubbles and controls joined in:
    byte for byte what the template renders for that visitor, whoever asked first, also
    when a visitor's own text holds the stand-ins."""
    from aiohttp.test_utils import make_mocked_request
    from markupsafe import Markup

    from bot.webchat.app import BUBBLES_MARK, CONTROLS_MARK, CSRF_MARK, Turn
    from bot.webchat.transcript import Bubble, Transcript
    from flows.messages import Button

    chat = site.door.chat
    request = make_mocked_request("GET", "/")
    buttons = ((Button("예 <&>", "q:yes"),),)
    for visitor in ("vFirst000000000000000", "vSecond00000000000000"):
        transcript = Transcript(seq=4)
        transcript.add([Bubble("질문?", buttons=buttons)])
        transcript.add([Bubble(f"{visitor} {CSRF_MARK}{BUBBLES_MARK}{CONTROLS_MARK}", mine=True)])
        turn = Turn(transcript, [], lang, False, unread)
        context = chat.context(visitor, turn)
        direct = chat.env.get_template("chat.html").render(
            **context,
            bubbles=chat.bubbles_html(lang, transcript.bubbles),
            controls=Markup(chat.controls(context)),
        )
        page = chat.render_page(request, visitor, turn).text
        assert page == direct
        assert page.count(chat.signer.csrf(visitor)) == 5 and visitor in page


@pytest.mark.parametrize("lang", ["ko", "en"])
async def test_the_scripts_answer_is_the_json_of_its_parts(site: ChatSite, lang: str):
    """The script's answer is put together from JSON kept per shape (the controls with the
    visitor's token and number put in, the title per language): byte for byte
    ``json.dumps`` of the bubbles, controls, title and language, for each of two visitors."""
    import json

    from bot.webchat.app import Turn
    from bot.webchat.transcript import Bubble, Transcript
    from flows.messages import Button

    chat = site.door.chat
    buttons = ((Button('네 "맞아요" <&>', "q:yes"), Button("아니요", "q:no")),)
    for visitor in ("vFirst000000000000000", "vSecond00000000000000"):
        transcript = Transcript(seq=5)
        new = [
            Bubble(f'{visitor} "typed" \\ </script>', mine=True),
            Bubble("질문?", buttons=buttons),
        ]
        transcript.add(new)
        turn = Turn(transcript, new, lang, False, 3)
        context = {**chat.context(visitor, turn), "unread": 0}
        expected = {
            "bubbles": chat.env.get_template("bubbles.html").render(**context, bubbles=new),
            "controls": chat.env.get_template("controls.html").render(**context),
            "title": chat.env.get_template("title.html").render(**context),
            "lang": lang,
        }
        for _ in range(2):  # rendered, then from what was kept
            response = chat.fragment(visitor, turn)
            assert response.content_type == "application/json"
            assert response.text == json.dumps(expected)
