"""/status: a case opened from another browser with its number and lookup code (throttled)."""

from __future__ import annotations

import re

from tests.webchat.conftest import ChatSite, open_site
from tests.webchat.test_page import to_evidence


async def file_a_case(site: ChatSite) -> tuple[str, str]:
    async with site.visitor(script=True) as me:
        await to_evidence(me)
        await me.press("건너뛰기")
        await me.press("접수하기")
        text = me.screen.text()
    number = re.search(r"접수번호: (\S+)", text).group(1)
    code = re.search(r"조회 코드: (\S+)", text).group(1)
    return number, code


async def test_another_browser_opens_the_case_with_its_lookup_code(site: ChatSite):
    number, code = await file_a_case(site)
    async with site.visitor(script=False) as other:
        async with other.http.get(site.url + "/status") as response:
            assert number not in await response.text()  # nobody's case yet
        await other.open("/status")
        status = await other.post(
            "/status", {"case_number": number.lower(), "code": code.lower().replace("-", " ")}
        )
        assert status == 200  # the 303 was followed to /status
        async with other.http.get(site.url + "/status") as response:
            shown = await response.text()
        assert f"{number} | " in shown and "접수됨" in shown  # number, tier, status
        assert "채팅으로 돌아가기" in shown  # messages and documents: in the chat
        # The chat of this browser is now that person's: the case is theirs there too.
        page = await other.open("/")
        assert number in page.text()


async def test_a_wrong_code_and_an_unknown_number_get_the_same_answer_then_a_wait(site: ChatSite):
    number, code = await file_a_case(site)
    async with site.visitor(script=False) as guesser:
        await guesser.open("/status")
        answers = []
        for typed_number, typed_code in (
            (number, "AAAA-AAAA"),
            ("X" * 10, code),
            (number, ""),
        ):
            status = await guesser.post(
                "/status", {"case_number": typed_number, "code": typed_code}
            )
            async with guesser.http.get(site.url + "/status") as response:
                assert number not in await response.text()
            answers.append(status)
        assert answers == [403, 403, 403]
        # The fourth try waits, even with the right code.
        status = await guesser.post("/status", {"case_number": number, "code": code})
        assert status == 429
        async with guesser.http.get(site.url + "/status") as response:
            assert number not in await response.text()


async def test_no_personal_data_or_code_in_a_url(site: ChatSite):
    """The lookup form posts; the case number and code never travel in a URL."""
    async with site.visitor(script=False) as me:
        await me.open("/status")
        async with me.http.get(site.url + "/status") as response:
            page = await response.text()
    assert 'method="post" action="/status"' in page
    assert "?case" not in page and "?code" not in page


async def test_two_instances_on_postgresql_give_a_lookup_guesser_no_more_tries(
    tmp_path, pg_database
):
    """Regression: the lookup code's throttle counted in each instance's memory, so wrong
    codes spread over two instances had three free tries at each. On PostgreSQL the
    count is the database's: the fourth wrong try waits, whichever instance it reaches."""
    sites = [await open_site(tmp_path / name, DATABASE_URL=pg_database) for name in "ab"]
    (one, _), (two, _) = sites
    try:
        number, _code = await file_a_case(one)
        async with one.visitor(script=False) as guesser:
            await guesser.open("/status")
            statuses = []
            for n in range(6):
                target = (one, two)[n % 2]
                guesser.base = target.url
                guesser.headers["Origin"] = target.url
                await guesser.open("/status")
                statuses.append(
                    await guesser.post("/status", {"case_number": number, "code": f"AAAA-AAA{n}"})
                )
        assert statuses == [403, 403, 403, 429, 429, 429]
    finally:
        for site, runner in sites:
            await runner.cleanup()
            site.service.storage.close()
