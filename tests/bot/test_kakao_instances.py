"""Two KakaoTalk doors on one PostgreSQL database: one person, two instances (issue 14).

Open Builder sends a skill request to one URL; behind a load balancer the person's
requests (and Kakao's retries of them) reach either instance. Each instance here is the
one server (:func:`bot.server.serve`) with its own store object and data directory, on
the session's PostgreSQL server (tests/conftest.py).
"""

from __future__ import annotations

import asyncio
import copy
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import aiohttp

from flows.identity import UserKey
from storage import CaseFilter
from storage.postgres import PostgresStorage
from tests.bot.test_kakao import SECRET, USER, running
from tests.support.gate import Gate
from tests.support.kakao_platform import KakaoPerson

STEPS = (
    ("type", "안녕하세요"),
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


def body_for(person: KakaoPerson, kind: str, what: str) -> dict:
    if kind == "type":
        return person.payload(what)
    for quick in person.quick_replies:
        if what in (quick["label"], quick["messageText"]):
            return person.payload(quick["messageText"], extra=quick.get("extra"))
    raise AssertionError(f"no quick reply {what!r} in {person.labels}")


async def post_to(person: KakaoPerson, url: str, body: dict) -> dict:
    async with person.http.post(
        url, json=body, headers={"X-Kakao-Skill-Secret": SECRET}
    ) as response:
        assert response.status == 200, await response.text()
        return await response.json()


async def two_doors(stack: AsyncExitStack, tmp_path: Path, pg_database: str, **kw: Any) -> list:
    bots = []
    for name in ("a", "b"):
        store = PostgresStorage(pg_database, pool_size=4)
        bots.append(await stack.enter_async_context(running(tmp_path / name, storage=store, **kw)))
    return bots


async def test_one_persons_requests_sent_to_two_instances_at_once_apply_once(
    tmp_path: Path, pg_database: str
) -> None:
    """Regression: the KakaoTalk door's turn and its memory of the person (the last answer,
    by which a retry is known) were one process's. A request given to two instances at
    once (Kakao's retry through the load balancer) was applied by both: a typed answer
    landed on the next question too, and the two answers differed. Now each request is
    one turn of the store (the person's lock, the retry fingerprint's claim, the
    conversation and the door's memory of the person written, commit): applied once,
    and both instances give the same answer."""
    async with AsyncExitStack() as stack:
        one, two = await two_doors(stack, tmp_path, pg_database)
        person = one.person()
        for step, (kind, what) in enumerate(STEPS):
            body = body_for(person, kind, what)
            first, second = await asyncio.gather(
                post_to(person, one.url, body), post_to(person, two.url, copy.deepcopy(body))
            )
            assert first == second, (step, first, second)
            person.screen = first
        assert "접수번호" in person.text
        user = UserKey("kakao", USER)
        (case,) = one.storage.list_cases(CaseFilter(user_id=user))
        full = two.storage.get_case(case.case_number)
        assert full.description == "단골 예약 문의를 못 받았어요" and full.amount == 350_000


async def test_the_other_instance_pages_on_and_knows_a_retry(
    tmp_path: Path, pg_database: str
) -> None:
    """Regression: what the door remembers of a person (the last answer, the list page,
    the texts behind "이어서 보기") lived in one instance's memory. On PostgreSQL it is
    in the database: the other instance answers Kakao's retry with the same answer, and
    pages on from where the first one left."""
    async with AsyncExitStack() as stack:
        one, two = await two_doors(stack, tmp_path, pg_database)
        person = one.person()
        await person.type("안녕하세요")
        await person.press("동의해요")
        services = await person.press("소상공인")
        assert "다음 목록 ▶" in person.labels
        # Kakao's retry of that request, to the other instance: the very same answer.
        again = await post_to(person, two.url, person.last_payload)
        assert again == person.screen, "a retry elsewhere got another answer"
        assert "1. " in services
        # "다음 목록 ▶" typed (no extra) at the other instance: the second page ...
        person.skill_url = two.url
        await person.type("다음 목록 ▶")
        assert person.labels[0] == "◀ 이전 목록", person.labels
        # ... and back and on again at the first, whichever instance showed the page.
        person.skill_url = one.url
        await person.type("◀ 이전 목록")
        assert person.labels[0] != "◀ 이전 목록" and "다음 목록 ▶" in person.labels
        await person.type("다음 목록 ▶")
        person.skill_url = two.url
        await person.type("다음 목록 ▶")  # past the last page: stays on it
        assert person.labels[0] == "◀ 이전 목록", person.labels


class SlowPostgres(PostgresStorage):
    """A PostgreSQL store whose conversation saves wait at ``gate`` while it is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gate = Gate()

    def save_conversation(self, record: Any) -> None:
        with self.gate.hold():
            super().save_conversation(record)


async def test_an_answer_too_late_for_one_instance_is_shown_by_the_other(
    tmp_path: Path, pg_database: str
) -> None:
    """Regression: an answer that missed Kakao's 5 s (no callback) was kept as a task of
    the instance that made it; the person's "이어서 보기" reaching the other instance got
    "nothing more" and the answer's words were lost. Now the door's memory of the person
    (in the database) says which answer was not seen, and either instance shows it."""
    async with AsyncExitStack() as stack:
        slow = SlowPostgres(pg_database, pool_size=4)
        one = await stack.enter_async_context(running(tmp_path / "a", storage=slow, budget_s=0.5))
        two = await stack.enter_async_context(
            running(tmp_path / "b", storage=PostgresStorage(pg_database, pool_size=4))
        )
        person = one.person()
        for kind, what in STEPS[:8]:  # to "350,000원 맞으신가요?"
            await person.post(body_for(person, kind, what))
        slow.gate.close()
        working = await person.press("네, 맞아요")
        assert "처리하고 있어요" in working and person.labels == ["이어서 보기"]
        slow.gate.open()
        person.skill_url = two.url
        shown = await person.press("이어서 보기")
        assert "현금 5만 원 지원 대상" in shown, shown  # the late answer's own words
        assert "사업자등록번호" in shown, shown


async def test_an_upload_link_posted_to_two_instances_at_once_is_taken_once(
    tmp_path: Path, pg_database: str
) -> None:
    """Regression: the one-time upload link was checked (seen_request) and spent
    (mark_request) around the intake in one process's turn only, so the same form
    posted to two instances at once could pass both checks and attach its files twice.
    Now the check, the files and the mark are one turn of the store."""
    from tests.bot.test_kakao import LINK, PDF, walk_to_evidence

    async with AsyncExitStack() as stack:
        one, two = await two_doors(stack, tmp_path, pg_database)
        person = one.person()
        found = LINK.search(await walk_to_evidence(person))
        assert found
        url = found.group(1)
        urls = [url, url.replace(f":{one.settings.port}/", f":{two.settings.port}/")]

        async def post(target: str) -> int:
            form = aiohttp.FormData()
            form.add_field("files", PDF, filename="sales.pdf", content_type="application/pdf")
            origin = target.split("/kakao/", 1)[0]
            async with person.http.post(target, data=form, headers={"Origin": origin}) as r:
                await r.read()
                return r.status

        statuses = sorted(await asyncio.gather(*(post(u) for u in urls)))
        assert statuses == [200, 404], statuses
        record = two.storage.load_conversation(UserKey("kakao", USER))
        assert record is not None
        assert [f["name"] for f in record.answers["evidence"]] == ["sales.pdf"]
