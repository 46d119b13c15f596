"""Two servers on one PostgreSQL database serve one web chat visitor alike (issue 14)."""

from __future__ import annotations

import asyncio

from yarl import URL

from flows.identity import UserKey
from storage import CaseFilter
from tests.support.web_chat import WebVisitor
from tests.webchat.conftest import open_site


def switch(me: WebVisitor, url: str) -> None:
    """The load balancer sends this browser's next request to the other server."""
    me.base = url
    me.headers["Origin"] = url


async def test_a_visitor_sees_one_page_whichever_instance_answers(tmp_path, pg_database):
    """Regression: the page lived in one instance's DATA_DIR (transcript files and the
    secret made there), so behind a load balancer the other instance did not know the
    visitor's cookie and showed a fresh welcome instead of their conversation."""
    sites = []
    for name in ("a", "b"):  # each instance its own disk, one database
        sites.append(await open_site(tmp_path / name, DATABASE_URL=pg_database))
    (one, _), (two, _) = sites
    try:
        async with WebVisitor(one.url, script=False) as me:
            await me.open()
            await me.start()
            first = await me.open()
            assert first.buttons, "the first question has buttons"
            switch(me, two.url)
            again = await me.open()
            assert again.bubbles == first.bubbles and again.buttons == first.buttons
            # An answer on the second instance continues the same conversation ...
            label = first.buttons[0][0]
            assert await me.press(label) in (200, 303)
            after = await me.open()
            assert after.bubbles[: len(first.bubbles)] == first.bubbles
            assert ("mine", label) in after.bubbles[len(first.bubbles) :]
            # ... and the first instance shows just that page, and takes the next answer.
            switch(me, one.url)
            assert (await me.open()).bubbles == after.bubbles
            assert await me.press(after.buttons[0][0]) in (200, 303)
            me.script = True  # the same browser, now with its script on, on the second
            switch(me, two.url)
            before = list((await me.open()).bubbles)
            assert await me.press(me.screen.buttons[0][0]) == 200
            scripted = list(me.screen.bubbles)  # the page as the script left it
            assert len(scripted) > len(before)
            switch(me, one.url)
            assert (await me.open()).bubbles == scripted
    finally:
        for site, runner in sites:
            await runner.cleanup()
            site.service.storage.close()


# The steps of a small business's report, as (kind, what): a pressed button's label or
# typed words.
REPORT = (
    ("cmd", "start"),
    ("press", "동의해요"),
    ("press", "소상공인"),
    ("press", "카카오톡 채널"),
    ("press", "무료로 이용했어요"),
    ("press", "네, 금전 피해가 있어요"),
    ("type", "단골 예약 문의를 못 받았어요"),
    ("type", "35만 원"),
    ("press", "네, 맞아요"),
    ("type", "220-81-62517"),
    ("press", "건너뛰기"),
    ("press", "접수하기"),
)


def form_of(me: WebVisitor, kind: str, what: str) -> dict[str, str]:
    """The form the visitor's page posts for one step (its CSRF token and request number)."""
    fields = {"csrf": me.screen.csrf, "n": me.screen.n}
    if kind == "cmd":
        return {**fields, "cmd": what}
    if kind == "type":
        return {**fields, "text": what}
    value = dict(me.screen.buttons).get(what)
    assert value is not None, f"no button {what!r} among {me.screen.buttons}"
    return {**fields, "choice": value}


async def post_to(me: WebVisitor, url: str, fields: dict[str, str]) -> int:
    """The browser's form sent to one instance (a plain form post; the 303 not followed)."""
    headers = {**me.headers, "Origin": url}
    async with me.http.post(
        url + "/say", data=fields, headers=headers, allow_redirects=False
    ) as response:
        await response.read()
        return response.status


async def test_one_visitors_answers_sent_to_two_instances_at_once_apply_once_in_order(
    tmp_path, pg_database, monkeypatch
):
    """Regression: the web chat's turn was one process's (its UserSequencer) only. The
    same form sent to two instances at once (a double tap through the load balancer, a
    retry) was applied by both: the visitor's answer twice on the page, the transcript's
    request numbers going back, and an answer applied after a newer one. Now each
    answer is one turn of the store (storage.user_turn: the person's lock, the form's
    request number claimed, the conversation and the page written, commit)."""
    # Every step is sent twice and its page read from both: more than the visitor's
    # burst, which the two instances now count together.
    monkeypatch.setattr("bot.webchat.app.VISITOR_BURST", 1000)
    sites = [await open_site(tmp_path / name, DATABASE_URL=pg_database) for name in "ab"]
    (one, _), (two, _) = sites
    storage = one.service.storage
    try:
        async with WebVisitor(one.url, script=False) as me:
            await me.open()
            visitor = me.http.cookie_jar.filter_cookies(URL(one.url))["chat"].value.split(".")[0]
            for step, (kind, what) in enumerate(REPORT):
                fields = form_of(me, kind, what)
                first, second = (one.url, two.url) if step % 2 else (two.url, one.url)
                statuses = await asyncio.gather(
                    post_to(me, first, fields), post_to(me, second, fields)
                )
                assert statuses == [303, 303], (step, statuses)
                # One page, whichever instance shows it.
                page = list((await me.open()).bubbles)
                switch(me, two.url if me.base == one.url else one.url)
                assert (await me.open()).bubbles == page, step
                mine = [text for who, text in page if who == "mine"]
                assert len(mine) == len(set(mine)), f"an answer shown twice: {mine}"
            # A newer form (n + 1) and the one before it (n), at once to the two
            # instances: the older one is applied before the newer or not at all.
            await me.open()
            n = int(me.screen.n)
            older = {"csrf": me.screen.csrf, "n": str(n), "cmd": "start"}
            newer = {"csrf": me.screen.csrf, "n": str(n + 1), "text": "/status"}
            await asyncio.gather(post_to(me, two.url, newer), post_to(me, one.url, older))
        entries = storage.web_transcript(visitor)
        seqs = [seq for seq, _ in entries]
        assert seqs == sorted(set(seqs)), f"request numbers went back or repeated: {seqs}"
        cases = storage.list_cases(CaseFilter(user_id=UserKey("web", visitor)))
        assert len(cases) == 1 and cases[0].amount == 350_000
        case = storage.get_case(cases[0].case_number)
        assert case.description == "단골 예약 문의를 못 받았어요"
    finally:
        for site, runner in sites:
            await runner.cleanup()
            site.service.storage.close()


async def test_an_address_gets_its_rate_once_across_two_instances(tmp_path, pg_database):
    """Regression: the per-address (and per-visitor) rate counted in each instance's
    memory: behind a load balancer spreading requests over two instances an address got
    twice its rate. On PostgreSQL the two count together."""
    sites = [
        await open_site(tmp_path / name, DATABASE_URL=pg_database, WEB_ADDRESS_RATE="3")
        for name in "ab"
    ]
    try:
        statuses = []
        async with WebVisitor(sites[0][0].url, script=False) as me:
            for n in range(5):
                switch(me, sites[n % 2][0].url)
                await me.open()
                statuses.append(me.last_status)
        assert statuses == [200, 200, 200, 429, 429]
    finally:
        for site, runner in sites:
            await runner.cleanup()
            site.service.storage.close()


async def test_a_forged_request_number_is_a_stale_form_not_an_error(tmp_path, pg_database):
    """Regression: the form's request number was taken as any integer. On PostgreSQL one
    beyond the transcript's integer column (or the request id's 256 characters) failed
    the turn: a bare 500 for a forged form. Now a number out of range is a stale form:
    the page as it is."""
    site, runner = await open_site(tmp_path / "a", DATABASE_URL=pg_database)
    try:
        async with WebVisitor(site.url, script=False) as me:
            await me.open()
            await me.start()
            before = list((await me.open()).bubbles)
            for forged in ("9" * 300, str(2**31), "-5"):
                fields = {"csrf": me.screen.csrf, "n": forged, "text": "안녕"}
                assert await post_to(me, site.url, fields) == 303, forged
            assert (await me.open()).bubbles == before
    finally:
        await runner.cleanup()
        site.service.storage.close()
