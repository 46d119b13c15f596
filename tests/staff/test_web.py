"""The staff web page through aiohttp's test client, against every storage.

Review actions go through a real TelegramChannel to the local Bot API stand-in, so
"the user is told" means a message with its button arrived over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import datetime as dt
import html
import io
import itertools
import json
import logging
import re
import socket
import struct
import time
import zipfile
import zlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.intake import IntakeService
from bot.server import run_telegram
from bot.settings import Settings
from bot.staff.review import ReviewService
from bot.staff.web import STAFF_KEY, create_staff_app
from bot.telegram import TelegramChannel
from bot.web import create_app
from flows.conversation import IntakeFlow
from flows.identity import UserKey
from flows.policy import KST, load_policy
from storage import AuditEntry, Case, CaseChange, CaseDraft, CaseStatus, EvidenceRef, Storage
from storage.memory import MemoryStorage
from tests.support.bot_api import BotAPIStandIn
from tests.support.users import tg

TOKEN = "staff-token-for-tests-0123456789"
POLICY = load_policy()
DAY1 = dt.datetime(2022, 10, 19, 9, 0, tzinfo=KST).timestamp()
DAY = 86400
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
CASE_LINK = re.compile(r'href="/staff/cases/([0-9A-Z]{3}-[0-9A-Z]{3}-[0-9A-Z]{3})"')


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real, tiny PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x40\x80\xc0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


# -- fixtures --------------------------------------------------------------------------


_drafts = itertools.count(1)


def add_case(
    storage: Storage,
    *,
    at: float = DAY1,
    status: CaseStatus | None = None,
    **fields: object,
) -> Case:
    """Store a small business's 250,000 KRW loss on KakaoTalk Channel; keywords override."""
    n = next(_drafts)
    values: dict[str, object] = {
        "draft_id": f"web-{n}",
        "user_id": tg(7_000_000 + n),
        "lang": "ko",
        "policy_id": POLICY.id,
        "reporter_type": "small_business",
        "service": "talk_channel",
        "paid": False,
        "monetary": True,
        "tier": "cash_30k",
        "amount": 250_000,
        "tentative_support": 30_000,
        "description": "예약 문의를 받지 못했어요",
    }
    values.update(fields)
    case = storage.create_case(CaseDraft(**values), now=at)  # type: ignore[arg-type]
    if status is not None:
        case = storage.update_case(
            case.case_number, CaseChange(actor="staff:setup", now=at + 1, status=status)
        )
    return case


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Inbox:
    """Collects what the review service would send to users."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, list]] = []

    async def __call__(self, user_id: int, replies: list) -> None:
        self.sent.append((user_id, replies))


class Staff:
    """One browser of a staff member, on aiohttp's test client."""

    def __init__(self, client: TestClient, app: web.Application) -> None:
        self.client = client
        self.app = app
        self.csrf = ""
        self.confirmed = ""  # the last confirmation page

    async def sign_in(
        self, *, name: str = "김담당", token: str = TOKEN, next_url: str = "", headers=None
    ) -> aiohttp.ClientResponse:
        form = await self.client.get("/staff/signin")
        nonce = CSRF.search(await form.text()).group(1)
        return await self.client.post(
            "/staff/signin",
            data={"csrf": nonce, "name": name, "token": token, "lang": "ko", "next": next_url},
            headers=headers,
            allow_redirects=False,
        )

    async def page(self, path: str, status: int = 200) -> str:
        response = await self.client.get(path, allow_redirects=False)
        text = await response.text()
        assert response.status == status, (response.status, text[:300])
        if found := CSRF.search(text):
            self.csrf = found.group(1)
        return text

    async def post(self, path: str, data: dict, *, csrf: bool = True, headers=None):
        if csrf:
            data = {"csrf": self.csrf, **data}
        return await self.client.post(path, data=data, headers=headers, allow_redirects=False)

    async def act(self, number: str, action: str, **fields: object) -> str:
        """Take a review action from the case page, confirming what the user will be told;
        return the page it leads back to."""
        await self.page(f"/staff/cases/{number}")
        response = await self.post(f"/staff/cases/{number}/{action}", fields)
        if response.status == 200:  # the confirmation step: send what it shows
            self.confirmed = await response.text()
            response = await self.post(
                f"/staff/cases/{number}/{action}", confirm_fields(self.confirmed), csrf=False
            )
        assert response.status == 303, await response.text()
        assert response.headers["Location"] == f"/staff/cases/{number}"
        return await self.page(f"/staff/cases/{number}")


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def confirm_fields(page: str) -> dict[str, str]:
    """The hidden fields of a confirmation page's form, as the browser would post them."""
    form = page[page.index('class="confirm-actions"') :]
    return {name: html.unescape(value) for name, value in HIDDEN.findall(form)}


def resend_fields(page: str) -> dict[str, str]:
    """The hidden fields of the case page's "send again" form."""
    form = page[page.index('class="undelivered"') :]
    form = form[: form.index("</form>")]
    return {k: html.unescape(v) for k, v in HIDDEN.findall(form) if k != "csrf"}


def storage_seen(storage: Storage, number: str) -> str:
    return repr(storage.get_case(number).updated_at)


def chat_messages(page: str) -> list[str]:
    """The user's messages as a confirmation or case page shows them."""
    found = re.findall(r'<div class="chat-message" lang="[a-z]+"><p>(.*?)</p>', page, re.S)
    return [html.unescape(text) for text in found]


@contextlib.asynccontextmanager
async def serve(
    storage: Storage,
    *,
    review: ReviewService | None = None,
    clock: Clock | None = None,
    token: str | None = TOKEN,
) -> AsyncIterator[Staff]:
    """Run the bot's web app with the staff web (add cases first: flags are computed at start)."""
    staff_app = create_staff_app(
        storage=storage,
        policy=POLICY,
        review=review or ReviewService(storage, notify=Inbox()),
        settings=Settings(staff_web_token=token),
        clock=clock or Clock(),
    )
    app = create_app(staff=staff_app)
    async with TestClient(TestServer(app)) as client:
        yield Staff(client, staff_app)


async def signed_in(staff: Staff) -> Staff:
    response = await staff.sign_in()
    assert response.status == 303
    return staff


def listed(page: str) -> list[str]:
    return CASE_LINK.findall(page)


# -- sessions and sign-in --------------------------------------------------------------


async def test_nothing_without_a_session_but_sign_in_and_healthz(storage):
    case = add_case(
        storage, evidence=[EvidenceRef(storage.put_evidence(JPEG), "a.jpg", "image/jpeg", 44)]
    )
    async with serve(storage) as staff:
        client = staff.client
        for path in (
            "/staff/",
            "/staff/stats",
            f"/staff/cases/{case.case_number}",
            f"/staff/cases/{case.case_number}/evidence/{case.evidence[0].sha256}",
            "/staff/export/csv",
        ):
            response = await client.get(path, allow_redirects=False)
            assert response.status == 303, path
            assert response.headers["Location"].startswith("/staff/signin?next=/staff/")
        response = await client.post(
            f"/staff/cases/{case.case_number}/reject", data={"reason": "x"}, allow_redirects=False
        )
        assert response.status == 403
        assert storage.get_case(case.case_number).status == CaseStatus.SUBMITTED
        assert (await client.get("/healthz")).status == 200
        response = await client.get("/staff", allow_redirects=False)
        assert response.headers["Location"] == "/staff/"

        signin = await client.get("/staff/signin")
        assert signin.status == 200
        html = await signin.text()
        assert 'name="token"' in html and 'type="password"' in html and "<script" not in html
        headers = signin.headers
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        assert "script-src 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Cache-Control"] == "no-store"


async def test_sign_in_sets_a_strict_cookie_and_names_the_staff(storage):
    async with serve(storage) as staff:
        response = await staff.sign_in(name="  김담당\x07 ")
        assert response.status == 303 and response.headers["Location"] == "/staff/"
        cookie = next(
            c for c in response.headers.getall("Set-Cookie") if c.startswith("staff_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/staff" in cookie
        assert "Secure" not in cookie  # plain http: a Secure cookie would never come back
        page = await staff.page("/staff/")
        assert "김담당 님" in page

        behind_tls = await staff.sign_in(headers={"X-Forwarded-Proto": "https"})
        cookie = next(
            c for c in behind_tls.headers.getall("Set-Cookie") if c.startswith("staff_session=")
        )
        assert "Secure" in cookie


async def test_wrong_token_is_refused_then_throttled_and_never_logged(storage, caplog):
    clock = Clock()
    async with serve(storage, clock=clock) as staff:
        caplog.set_level(logging.INFO, logger="bot.staff.web")
        for _ in range(3):
            response = await staff.sign_in(token="guess-" + TOKEN)
            assert response.status == 401
            assert "맞지 않아요" in await response.text()
            assert not any(
                c.startswith("staff_session=") for c in response.headers.getall("Set-Cookie", [])
            )
        # The fourth wrong token waits, refused without being looked at.
        response = await staff.sign_in(token="again-wrong")
        assert response.status == 429 and int(response.headers["Retry-After"]) >= 1
        assert (await staff.client.get("/staff/", allow_redirects=False)).status == 303
        clock.now += 3
        response = await staff.sign_in(token="again-wrong")
        assert response.status == 401
        response = await staff.sign_in(token="again-wrong")
        assert response.status == 429  # four in a row: a longer wait
        # The right token is never kept out entirely: it gets in while the wait lasts.
        assert (await staff.sign_in()).status == 303
        response = await staff.sign_in(name=" \t ")  # the right token, but no name
        assert response.status == 400 and "이름을 적어 주세요" in await response.text()
        # A success resets the count: three more free tries.
        for _ in range(3):
            assert (await staff.sign_in(token="nope")).status == 401
    assert "wrong token" in caplog.text
    assert TOKEN not in caplog.text and "guess-" not in caplog.text


async def test_sign_in_form_needs_its_nonce_and_a_same_site_origin(storage):
    async with serve(storage) as staff:
        await staff.client.get("/staff/signin")
        response = await staff.client.post(
            "/staff/signin", data={"name": "김담당", "token": TOKEN}, allow_redirects=False
        )
        assert response.status == 403
        response = await staff.sign_in(headers={"Origin": "https://evil.example"})
        assert response.status == 403
        # An off-site "next" is ignored: sign-in never redirects to another site.
        response = await staff.sign_in(next_url="https://evil.example/staff/")
        assert response.headers["Location"] == "/staff/"
        response = await staff.sign_in(next_url="/staff/stats?lang=en")
        assert response.headers["Location"] == "/staff/stats?lang=en"


async def test_post_without_the_csrf_token_is_refused(storage):
    case = add_case(storage)
    number = case.case_number
    async with serve(storage) as staff:
        await signed_in(staff)
        await staff.page(f"/staff/cases/{number}")
        path = f"/staff/cases/{number}/reject"
        assert (await staff.post(path, {"reason": "증빙 없음"}, csrf=False)).status == 403
        assert (await staff.post(path, {"reason": "x", "csrf": "forged"}, csrf=False)).status == 403
        evil = {"Origin": "https://evil.example"}
        assert (await staff.post(path, {"reason": "x"}, headers=evil)).status == 403
        evil = {"Referer": "https://evil.example/page"}
        assert (await staff.post(path, {"reason": "x"}, headers=evil)).status == 403
        assert (await staff.post("/staff/signout", {}, csrf=False)).status == 403
        assert storage.get_case(number).status == CaseStatus.SUBMITTED
        assert not [e for e in storage.iter_audit(number) if e.actor.startswith("staff:김")]
        # The same form with the token and this site's origin goes through.
        origin = {"Origin": str(staff.client.make_url("")).rstrip("/")}
        response = await staff.post(path, {"reason": "증빙 없음"}, headers=origin)
        assert response.status == 200  # the confirmation step
        fields = confirm_fields(await response.text())
        assert (await staff.post(path, fields, csrf=False, headers=evil)).status == 403
        response = await staff.post(path, fields, csrf=False, headers=origin)
        assert response.status == 303
        assert storage.get_case(number).status == CaseStatus.REJECTED


async def test_sessions_expire_and_sign_out_ends_them(storage):
    clock = Clock()
    async with serve(storage, clock=clock) as staff:
        await signed_in(staff)
        await staff.page("/staff/")
        clock.now += 8 * 3600 + 1
        await staff.page("/staff/", status=303)
        await signed_in(staff)
        await staff.page("/staff/")
        response = await staff.post("/staff/signout", {})
        assert response.status == 303 and response.headers["Location"].startswith("/staff/signin")
        await staff.page("/staff/", status=303)


async def test_staff_web_is_off_without_a_token(storage, caplog):
    caplog.set_level(logging.WARNING, logger="bot.staff.web")
    async with serve(storage, token=None) as staff:
        for path in ("/staff/", "/staff/signin", "/staff", "/staff/stats"):
            assert (await staff.client.get(path, allow_redirects=False)).status == 404, path
        assert (await staff.client.get("/healthz")).status == 200
    assert "staff web disabled: STAFF_WEB_TOKEN is not set" in caplog.text


# -- the list --------------------------------------------------------------------------


async def test_list_filters_sorts_and_pages(storage):
    # 55 small-business cases over three days, one user with two cases, and a few others.
    business = [
        add_case(storage, at=DAY1 + i * 3600 + (i // 24) * DAY, amount=100_000 + i * 1000)
        for i in range(55)
    ]
    general = add_case(
        storage,
        at=DAY1 + 5 * DAY,
        reporter_type="general",
        tier="general_package",
        amount=None,
        monetary=False,
        service="kakaomap",
    )
    again = add_case(
        storage,
        at=DAY1 + 6 * DAY,
        user_id=general.user_id,
        reporter_type="general",
        tier="non_monetary",
        monetary=False,
        amount=None,
        service="kakaomap",
    )
    big = add_case(
        storage,
        at=DAY1 + 2 * DAY,
        tier="review",
        amount=9_000_000,
        status=CaseStatus.DOCUMENTS_REQUESTED,
    )
    async with serve(storage) as staff:
        await signed_in(staff)
        page = await staff.page("/staff/")
        assert "전체 58건 중 1–50" in page
        rows = listed(page)
        assert len(rows) == 50 and rows[0] == again.case_number  # newest first
        page2 = await staff.page("/staff/?page=2")
        assert "전체 58건 중 51–58" in page2
        assert set(listed(page2)).isdisjoint(rows) and len(listed(page2)) == 8
        assert listed(await staff.page("/staff/?page=99")) == listed(page2)  # past the end: last

        oldest = listed(await staff.page("/staff/?sort=oldest"))
        assert oldest[0] == business[0].case_number
        by_amount = listed(await staff.page("/staff/?sort=amount_desc"))
        assert by_amount[:2] == [big.case_number, business[-1].case_number]
        by_amount = listed(await staff.page("/staff/?sort=amount_asc&page=2"))
        assert by_amount[-2:] == [general.case_number, again.case_number] or set(
            by_amount[-2:]
        ) == {general.case_number, again.case_number}  # no amount: last

        page = await staff.page("/staff/?reporter_type=general")
        assert sorted(listed(page)) == sorted([general.case_number, again.case_number])
        page = await staff.page("/staff/?status=documents_requested")
        assert listed(page) == [big.case_number]
        page = await staff.page("/staff/?tier=review")
        assert listed(page) == [big.case_number]
        page = await staff.page("/staff/?service=kakaomap&sort=oldest")
        assert listed(page) == [general.case_number, again.case_number]
        first_day = await staff.page("/staff/?from=2022-10-19&to=2022-10-19")
        assert "전체 15건" in first_day  # 09:00 to 23:00 of the first day, KST
        assert set(listed(await staff.page("/staff/?flag=repeat_user"))) == {
            general.case_number,
            again.case_number,
        }
        # 9,000,000 won is more than ten times the small businesses' median.
        assert listed(await staff.page("/staff/?flag=amount_outlier")) == [big.case_number]
        assert "전체 55건" in await staff.page("/staff/?flag=none")
        assert "전체 3건" in await staff.page("/staff/?flag=any")

        number = big.case_number
        assert listed(await staff.page(f"/staff/?q={number.lower()}")) == [number]
        assert number in listed(await staff.page(f"/staff/?q={number.replace('-', '')[2:7]}"))
        assert "조건에 맞는 접수가 없어요" in await staff.page("/staff/?q=<b>")
        # Unknown values are dropped, not trusted: the form shows "all" again.
        page = await staff.page("/staff/?status=<script>&tier=nope&sort=evil")
        assert "전체 58건" in page and "<script>" not in page

        # Filters survive paging and feed the export links.
        page = await staff.page("/staff/?reporter_type=small_business&sort=oldest")
        assert 'href="/staff/?reporter_type=small_business&amp;sort=oldest&amp;page=2"' in page
        assert 'href="/staff/exporting/csv?reporter_type=small_business"' in page


async def test_filters_fold_behind_a_summary_of_the_active_ones(storage):
    """Regression: on a phone the filter form filled the first screen. It now folds into a
    <details> (no script needed) whose summary names the filters in force."""
    add_case(storage)
    async with serve(storage) as staff:
        await signed_in(staff)
        page = await staff.page("/staff/")
        summary = re.search(r'<details class="card filter-box">(.*?)</summary>', page, re.S)
        assert summary is not None and 'id="f-status"' in page
        assert "검색 조건" in summary.group(1) and "조건 없음" in summary.group(1)
        page = await staff.page(
            "/staff/?status=submitted&reporter_type=small_business&from=2022-10-19"
        )
        summary = re.search(r'<details class="card filter-box">(.*?)</summary>', page, re.S)
        shown = re.sub(r"<[^>]+>", " ", summary.group(1))
        assert "상태: 접수됨" in shown and "신고자 유형: 소상공인" in shown
        assert "접수일부터: 2022-10-19" in shown and "조건 없음" not in shown
        english = await staff.page("/staff/?status=submitted&lang=en")
        assert "Status: Submitted" in re.sub(r"<[^>]+>", " ", english)


async def test_list_and_detail_escape_what_users_typed(storage):
    evil = "<script>alert(1)</script>"
    sha = storage.put_evidence(JPEG)
    case = add_case(
        storage,
        description=evil,
        service="other",
        service_other='<img src=x onerror="alert(2)">',
        business_number="<b>220</b>",
        answers={"description": evil, "<i>key</i>": ["<u>", 1]},
        evidence=[EvidenceRef(sha, '"><script>alert(3)</script>.jpg', "image/jpeg", len(JPEG))],
    )
    storage.append_audit(
        AuditEntry(
            at=DAY1 + 5,
            actor="staff:<b>x</b>",
            action="<i>odd</i>",
            case_number=case.case_number,
            detail={"reason": evil},
        )
    )
    async with serve(storage) as staff:
        response = await staff.sign_in(name="<script>alert(4)</script>")
        assert response.status == 303
        for path in ("/staff/", f"/staff/cases/{case.case_number}", "/staff/stats"):
            page = await staff.page(path)
            assert "<script" not in page and "<img src=x" not in page and "<b>" not in page, path
            assert "<i>" not in page and "<u>" not in page
        page = await staff.page(f"/staff/cases/{case.case_number}")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        # Shown as text, escaped (the template engine writes a quote as &#34;, not &quot;).
        assert '<img src=x onerror="alert(2)">' in html.unescape(page)
        assert '"><script>alert(3)</script>.jpg' in html.unescape(page)
        assert "&lt;script&gt;alert(4)&lt;/script&gt; 님" in page
        page = await staff.act(case.case_number, "reject", reason=evil)
        assert "<script" not in page
        assert "staff:&lt;script&gt;alert(4)&lt;/script&gt;" in page


# -- evidence --------------------------------------------------------------------------


async def test_evidence_only_for_its_own_case_with_safe_headers(storage):
    jpeg = storage.put_evidence(JPEG)
    png = storage.put_evidence(png_bytes())
    fake = storage.put_evidence(b"<html><script>alert(1)</script></html>")
    pdf = storage.put_evidence(b"%PDF-1.4 ...")
    mine = add_case(
        storage,
        evidence=[
            EvidenceRef(jpeg, "영수증.jpg", "image/jpeg", len(JPEG)),
            EvidenceRef(png, "화면.png", "image/png", 60),
            EvidenceRef(fake, "사진.png", "image/png", 38),  # says PNG, is HTML
            EvidenceRef(pdf, "장부.pdf", "application/pdf", 12),
        ],
    )
    other = add_case(storage)
    async with serve(storage) as staff:
        await signed_in(staff)
        base = f"/staff/cases/{mine.case_number}/evidence"

        response = await staff.client.get(f"{base}/{jpeg}")
        assert response.status == 200 and await response.read() == JPEG
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["Content-Disposition"].startswith("inline;")
        assert (
            "filename*=UTF-8''%EC%98%81%EC%88%98%EC%A6%9D.jpg"
            in response.headers["Content-Disposition"]
        )
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response.headers["Content-Security-Policy"]

        response = await staff.client.get(f"{base}/{png}")
        assert response.headers["Content-Type"] == "image/png"

        for sha in (fake, pdf):
            response = await staff.client.get(f"{base}/{sha}")
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/octet-stream"
            assert response.headers["Content-Disposition"].startswith("attachment;")
            assert response.headers["X-Content-Type-Options"] == "nosniff"

        # Another case's URL, an unknown hash, a path: nothing.
        for path in (
            f"/staff/cases/{other.case_number}/evidence/{jpeg}",
            f"{base}/{'0' * 64}",
            f"{base}/..%2F..%2Fcase_index.jsonl",
            f"{base}/{jpeg.upper()}",
            f"/staff/cases/AAA-AAA-AAA/evidence/{jpeg}",
        ):
            assert (await staff.client.get(path)).status == 404, path

        page = await staff.page(f"/staff/cases/{mine.case_number}")
        assert f'<img src="{base}/{jpeg}"' in page
        assert f'<img src="{base}/{pdf}"' not in page and f'href="{base}/{pdf}" download' in page


async def test_staff_read_words_not_internal_ids(storage):
    """Regression: "이용자 지원 패키지 (general_package)", "(non_monetary)" in list, filter and
    stats; raw "paid", "yes", "ko" on the English detail page. The two package tiers need
    distinct names."""
    add_case(storage, reporter_type="general", tier="general_package", tentative_support=None)
    quiet = add_case(
        storage,
        reporter_type="general",
        tier="non_monetary",
        monetary=False,
        amount=None,
        tentative_support=None,
        paid=True,
        channel_cash=False,
    )
    ids = ("general_package", "non_monetary", "paid_terms", "small_business", "talk_channel")
    async with serve(storage) as staff:
        await signed_in(staff)
        for lang in ("ko", "en"):
            for path in ("/staff/", "/staff/stats"):
                page = await staff.page(f"{path}?lang={lang}")
                visible = re.sub(r'<[^>]*>|value="[^"]*"', " ", page)
                for raw in ids:
                    assert raw not in visible, (lang, path, raw)
        ko = await staff.page("/staff/?lang=ko")
        assert "이용자 지원 패키지 (금전 피해)" in ko and "이용자 지원 패키지 (문의·의견)" in ko
        en = await staff.page("/staff/?lang=en")
        assert "All-user package (money lost)" in en and "All-user package (no money lost)" in en

        page = await staff.page(f"/staff/cases/{quiet.case_number}?lang=en")
        facts = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", html.unescape(page)))
        assert facts["Paid or free"] == "Paid service"
        assert facts["Monetary loss"] == "No"
        assert facts["User's language"] == "Korean"
        assert facts["Tier"] == "All-user package (no money lost)"
        assert "in Korean" in page and "In their language" not in page
        page = await staff.page(f"/staff/cases/{quiet.case_number}?lang=ko")
        facts = dict(re.findall(r"<dt>([^<]*)</dt><dd>([^<]*)</dd>", page))
        assert facts["이용자 언어"] == "한국어" and facts["유료·무료"] == "유료"


# -- review actions --------------------------------------------------------------------


async def test_review_actions_change_status_audit_and_tell_the_user_on_telegram(storage, tmp_path):
    review_case = add_case(storage, tier="review", amount=800_000, tentative_support=None)
    cash_case = add_case(storage, lang="en")
    async with BotAPIStandIn() as api:
        api.user(review_case.user_id.telegram_id)  # users who talked to the bot: their chats exist
        api.user(cash_case.user_id.telegram_id, language_code="en")
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            data_dir=tmp_path / "bot",
            telegram_max_rate=0,
        )
        service = IntakeService(IntakeFlow(POLICY), storage)
        channel = TelegramChannel(service, settings)
        application = channel.build_application(polling=False)
        async with application:
            review = ReviewService(storage, notices=service.notices)
            async with serve(storage, review=review) as staff:
                await signed_in(staff)
                number = review_case.case_number
                page = await staff.act(
                    number,
                    "request_documents",
                    doc=["1", "3"],
                    other="영업 신고증",
                    note="11월 말까지 보내 주세요",
                )
                assert "서류 보완을 요청하고 이용자에게 알렸어요" in page
                assert "서류 보완 요청" in page
                assert storage.get_case(number).status == CaseStatus.DOCUMENTS_REQUESTED

                (message,) = api.messages_to(review_case.user_id.telegram_id)
                asked = "매출 피해 입증 자료(장부, 매출 내역 등), 사업자 또는 대표자 명의 통장 사본, 영업 신고증"
                assert asked in message["text"] and number in message["text"]
                assert "11월 말까지 보내 주세요" in message["text"]
                (button,) = message["reply_markup"]["inline_keyboard"][0]
                assert button["text"] == "서류 보내기"
                assert button["callback_data"] == f"docs:{number}"

                entries = list(storage.iter_audit(number))
                change = next(
                    e for e in entries if e.action == "case.updated" and e.actor == "staff:김담당"
                )
                assert change.detail["changes"]["status"] == {
                    "from": "submitted",
                    "to": "documents_requested",
                }
                assert change.detail["reason"] == asked
                request = next(e for e in entries if e.action == "review.documents_requested")
                assert request.actor == "staff:김담당" and request.detail["documents"] == asked
                assert request.at > 0
                assert "staff:김담당" in page and asked in page  # the audit trail on the page

                # Paying needs an approval first: refused, nothing changes, nobody is told.
                page = await staff.act(number, "pay")
                assert "할 수 없어요" in page
                assert storage.get_case(number).status == CaseStatus.DOCUMENTS_REQUESTED
                assert len(api.messages_to(review_case.user_id.telegram_id)) == 1
                # Asking for nothing is refused too.
                page = await staff.act(number, "request_documents", other="  ")
                assert "필요한 서류를 하나 이상" in page

                page = await staff.act(number, "reject", reason="매출 감소 증빙이 없어요")
                assert storage.get_case(number).status == CaseStatus.REJECTED
                assert (
                    "매출 감소 증빙이 없어요"
                    in api.messages_to(review_case.user_id.telegram_id)[-1]["text"]
                )
                assert "이 상태에서는 할 수 있는 처리가 없어요" in page

                # Approve with a Korean amount, then pay; the user reads English.
                other = cash_case.case_number
                await staff.act(other, "approve", final_amount="5만원", note="")
                case = storage.get_case(other)
                assert (case.status, case.final_amount) == (CaseStatus.APPROVED, 50_000)
                assert "KRW 50,000" in api.messages_to(cash_case.user_id.telegram_id)[-1]["text"]
                await staff.act(other, "pay")
                assert storage.get_case(other).status == CaseStatus.PAID
                assert len(api.messages_to(cash_case.user_id.telegram_id)) == 2
                actions = [e.action for e in storage.iter_audit(other)]
                assert actions.count("review.approved") == 1 and actions.count("review.paid") == 1

                # A user the bot cannot reach: the decision stands, and the page says so.
                unreachable = add_case(storage, user_id=tg(99))  # no chat with the bot
                page = await staff.act(unreachable.case_number, "reject", reason="중복 접수")
                assert storage.get_case(unreachable.case_number).status == CaseStatus.REJECTED
                assert "이용자에게 알리지 못했어요" in page and "이용자 알림 실패" in page

                assert (
                    await staff.post(f"/staff/cases/{other}/receive_documents", {})
                ).status == 404
                assert (
                    await staff.post("/staff/cases/AAA-AAA-AAA/reject", {"reason": "x"})
                ).status == 404


async def test_review_actions_show_the_users_message_before_sending_it(storage):
    """Regression: approve and reject told the user at one click, with no confirmation."""
    case = add_case(storage, lang="en", tier="review", tentative_support=None)
    number = case.case_number
    inbox = Inbox()
    async with serve(storage, review=ReviewService(storage, notify=inbox)) as staff:
        await signed_in(staff)
        await staff.page(f"/staff/cases/{number}")
        path = f"/staff/cases/{number}/reject"
        response = await staff.post(path, {"reason": "Sales records missing"})
        assert response.status == 200
        page = await response.text()
        assert chat_messages(page) == [
            (
                await staff.app[STAFF_KEY].review.preview(
                    number, "reject", reason="Sales records missing"
                )
            )[0].text
        ]
        assert "Sales records missing" in chat_messages(page)[0]
        assert "not eligible" in chat_messages(page)[0]  # the user's language, not the page's
        assert "접수됨 → <strong>지원 불가</strong>" in page and "<script" not in page
        switch = re.search(r'<a href="([^"]+)" lang="en">', page).group(1)
        assert html.unescape(switch) == f"/staff/cases/{number}?lang=en"  # a page one can GET
        assert storage.get_case(number).status == CaseStatus.SUBMITTED and inbox.sent == []

        # Confirmed: exactly that message goes out.
        response = await staff.post(path, confirm_fields(page), csrf=False)
        assert response.status == 303
        assert storage.get_case(number).status == CaseStatus.REJECTED
        ((_, replies),) = inbox.sent
        assert [r.text for r in replies] == chat_messages(page)

        # A confirmation made for an older state of the case is refused.
        other = add_case(storage, lang="ko")
        await staff.page(f"/staff/cases/{other.case_number}")
        response = await staff.post(
            f"/staff/cases/{other.case_number}/approve", {"final_amount": "30000"}
        )
        stale = confirm_fields(await response.text())
        storage.update_case(
            other.case_number,
            CaseChange(
                actor="staff:other", now=time.time() + 5, status=CaseStatus.DOCUMENTS_REQUESTED
            ),
        )
        response = await staff.post(f"/staff/cases/{other.case_number}/approve", stale, csrf=False)
        assert response.status == 303
        assert "바뀌었어요" in await staff.page(f"/staff/cases/{other.case_number}")
        assert storage.get_case(other.case_number).status == CaseStatus.DOCUMENTS_REQUESTED
        assert len(inbox.sent) == 1

        # Approve still works while documents are requested, and the amount can be corrected.
        page = await staff.act(other.case_number, "approve", final_amount="30000")
        assert "30,000원" in chat_messages(staff.confirmed)[0]
        assert storage.get_case(other.case_number).status == CaseStatus.APPROVED
        assert "지원금 정정" in page
        page = await staff.act(
            other.case_number, "correct_amount", final_amount="30000", reason="x"
        )
        assert "지금 확정된 금액과 같아요" in page
        page = await staff.act(other.case_number, "correct_amount", final_amount="8만원", reason="")
        assert "정정 사유를 적어 주세요" in page
        page = await staff.act(
            other.case_number, "correct_amount", final_amount="8만원", reason="채널 캐시 포함"
        )
        assert "30,000원 → <strong>80,000원</strong>" in staff.confirmed
        assert storage.get_case(other.case_number).final_amount == 80_000
        assert "80,000원" in inbox.sent[-1][1][0].text and "지원금 정정" in page


async def test_without_telegram_the_confirmation_does_not_promise_a_message(storage):
    """Regression: under `python -m bot serve` without a bot token the confirmation page
    said "텔레그램으로 … 보내요" although every notice fails there. It now says the
    decision is saved and the message is kept: sent once the bot can, or shown when the
    person next writes (a notice, retried by the scheduler)."""
    number = add_case(storage).case_number
    async with serve(storage, review=ReviewService(storage)) as staff:  # no notifier
        await signed_in(staff)
        page = html.unescape(await staff.act(number, "reject", reason="중복 접수"))
        assert "텔레그램으로, 한국어로 이대로 보내요" not in staff.confirmed
        assert "이 메시지는 이용자에게 바로 가지 않아요." in staff.confirmed
        assert "보낼 수 있게 되면 보내요" in staff.confirmed
        assert "아직 이용자에게 가지 않아 보관하고 있어요" in page  # as promised
        assert any("중복 접수" in m for m in chat_messages(page))
        assert storage.get_case(number).status == "rejected"
        (kept,) = storage.undelivered_notices()
        assert kept.case_number == number


async def test_a_message_that_failed_is_shown_and_can_be_sent_again(storage):
    """Regression: "saved, but the user could not be told" offered no way to resend."""
    case = add_case(storage)
    number = case.case_number
    reachable = {"now": False}
    inbox = Inbox()

    async def notify(user_id, replies):
        if not reachable["now"]:
            raise ConnectionError("Telegram is down")
        await inbox(user_id, replies)

    async with serve(storage, review=ReviewService(storage, notify=notify)) as staff:
        await signed_in(staff)
        page = await staff.act(number, "reject", reason="중복 접수")
        assert "이용자에게 알리지 못했어요" in page
        assert 'action="/staff/cases/' + number + '/resend"' in page
        assert any("중복 접수" in m for m in chat_messages(page))
        # The audit trail does not dump the stored message.
        assert '"text":' not in html.unescape(page)

        page = await staff.act(number, "resend", **resend_fields(page))
        assert (
            "이용자에게 알리지 못했어요" in page and "/resend" in page
        )  # failed again, still offered

        reachable["now"] = True
        page = await staff.act(number, "resend", **resend_fields(page))
        assert "메시지를 다시 보냈어요" in page and "/resend" not in page
        ((_, replies),) = inbox.sent
        assert "중복 접수" in replies[0].text
        assert "메시지 다시 보냄" in page  # the audit trail
        page = await staff.act(
            number, "resend", confirmed="yes", seen=storage_seen(storage, number)
        )
        assert "다시 보낼 메시지가 없어요" in page and len(inbox.sent) == 1


# -- exports and statistics ------------------------------------------------------------


async def test_exports_stream_the_current_filter(storage):
    sha = storage.put_evidence(JPEG)
    for i in range(6):
        add_case(
            storage,
            at=DAY1 + i * 60,
            evidence=[EvidenceRef(sha, f"r{i}.jpg", "image/jpeg", len(JPEG))],
        )
    add_case(storage, reporter_type="general", tier="non_monetary", monetary=False, amount=None)
    query = "reporter_type=small_business&sort=amount_desc&page=3"
    async with serve(storage) as staff:
        await signed_in(staff)
        response = await staff.client.get(f"/staff/export/csv?{query}")
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert re.match(
            r'attachment; filename="cases-\d{8}-\d{6}\.csv"',
            response.headers["Content-Disposition"],
        )
        body = await response.read()
        assert body.startswith(b"\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
        assert len(rows) == 1 + 6 and rows[0][0] == "접수번호"

        response = await staff.client.get(f"/staff/export/json?{query}")
        lines = (await response.read()).decode().splitlines()
        assert len(lines) == 6
        assert all(json.loads(line)["reporter_type"] == "small_business" for line in lines)
        times = [json.loads(line)["submitted_at"] for line in lines]
        assert times == sorted(times)  # exports go oldest first whatever the page's order

        response = await staff.client.get(f"/staff/export/xlsx?{query}")
        data = await response.read()
        assert data[:2] == b"PK" and "spreadsheetml" in response.headers["Content-Type"]
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            assert "xl/workbook.xml" in book.namelist()

        response = await staff.client.get("/staff/export/zip")
        with zipfile.ZipFile(io.BytesIO(await response.read())) as archive:
            manifest = json.loads(archive.read("manifest.json"))
            assert manifest["count"] == 6
        assert (await staff.client.get("/staff/export/exe")).status == 404

    exports = [e for e in storage.iter_audit() if e.action == "staff.export"]
    assert [e.detail["format"] for e in exports] == ["csv", "json", "xlsx", "zip"]
    assert exports[0].actor == "staff:김담당" and exports[0].detail["cases"] == 6
    assert exports[0].detail["filter"] == {"reporter_type": "small_business"}


async def test_an_export_link_first_shows_that_the_file_is_being_prepared(storage):
    """Regression: a 105,000-case CSV took 22 s from the link with no sign of progress.
    The link now opens a page that says what the file will hold, with a button that
    downloads it (no meta refresh: that downloaded the file again each time the page
    came back, tests/staff/test_browser.py); the download still streams."""
    for i in range(3):
        add_case(storage, at=DAY1 + i * 60)
    add_case(storage, reporter_type="general", tier="general_package")
    async with serve(storage) as staff:
        await signed_in(staff)
        page = await staff.page("/staff/exporting/csv?reporter_type=small_business")
        assert "CSV 파일에 3건이 담겨요" in page
        download = "/staff/export/csv?reporter_type=small_business"
        assert "http-equiv" not in page
        assert f'class="button download-link" href="{download}" download>CSV 파일 내려받기' in page
        assert "<script" not in page
        response = await staff.client.get(download)
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert len((await response.read()).decode("utf-8-sig").splitlines()) == 1 + 3
        english = await staff.page("/staff/exporting/zip?lang=en")
        assert "Evidence ZIP" in english and "4 cases" in english
        await staff.page("/staff/exporting/exe", status=404)


async def test_statistics_page_draws_the_councils_breakdown(storage):
    for i in range(8):
        add_case(storage, at=DAY1 + i * DAY // 2, amount=200_000 + i)
    add_case(storage, at=DAY1 + 3 * DAY, reporter_type="general", paid=True, tier="paid_terms")
    add_case(storage, reporter_type="general", tier="non_monetary", monetary=False, amount=None)
    async with serve(storage) as staff:
        await signed_in(staff)
        page = await staff.page("/staff/stats")
        assert "접수 통계" in page and ">10<" in page  # the total tile
        for label in (
            "신고자 유형",
            "유료 · 무료 서비스",
            "금전 피해 여부",
            "지원 구간",
            "일별 접수 (KST)",
        ):
            assert label in page
        assert "소상공인" in page and "8건" in page and "80.0%" in page
        assert "200,003원" in page or "200,004원" in page  # the median small-business loss
        page = await staff.page("/staff/stats?from=2022-10-19&to=2022-10-22")
        assert page.count('<rect class="col"') == 2 * 4  # 10-19 .. 10-22, wide and narrow
        assert "2022-10-20: 2건" in page  # each column's number as text
        assert "<script" not in page

        english = await staff.page("/staff/stats?lang=en")
        assert "Statistics" in english and "Small business" in english
        assert "Statistics" in await staff.page("/staff/stats")  # the choice is remembered
        assert "Cases" in await staff.page("/staff/")
        assert "접수 목록" in await staff.page("/staff/?lang=ko")

        # Statistics are computed in the background; a review action makes them stale.
        page = await staff.page("/staff/stats")
        assert "기준 (30초마다 새로 계산해요)" in page and "지원 불가" not in page
        await staff.act(listed(await staff.page("/staff/"))[0], "reject", reason="중복")
        await staff.page("/staff/stats")  # starts the recomputation
        await staff.app[STAFF_KEY].stats.refresh()
        assert "지원 불가" in await staff.page("/staff/stats")


async def test_statistics_label_each_count_for_what_it_counts_and_chart_a_date_range(storage):
    """Regression: two cards both read "금전 피해 없음" (67.9 % and 71.2 %); the daily chart ran
    from the first to the last case, so stray dates squashed it, and its dates had no year."""
    for i in range(6):
        add_case(storage, at=DAY1 + i * DAY // 3)
    add_case(
        storage,
        at=DAY1,
        reporter_type="general",
        paid=True,
        monetary=False,
        tier="paid_terms",
        amount=None,
    )
    add_case(
        storage, at=DAY1, reporter_type="general", tier="non_monetary", monetary=False, amount=None
    )
    add_case(storage, at=DAY1 - 400 * DAY)  # a stray date, long before
    clock = Clock()
    clock.now = DAY1 + 10 * DAY
    async with serve(storage, clock=clock) as staff:
        await signed_in(staff)
        for lang in ("ko", "en"):
            page = await staff.page(f"/staff/stats?lang={lang}")
            tiles = re.findall(
                r'<div class="label">([^<]*)</div><div class="value">([^<]*)</div>', page
            )
            rows = re.findall(
                r'<span class="bar-label">([^<]*)</span>.*?<span class="share">([^<]*)</span>', page
            )
            shares: dict[str, set[str]] = {}
            for label, value in tiles + rows:
                shares.setdefault(label, set()).add(value)
            assert all(len(values) == 1 for values in shares.values()), shares
        page = await staff.page("/staff/stats?lang=ko")
        assert "무료 서비스 · 금전 피해 없음" in page
        assert "금전 피해 없음 (유료·무료 서비스 모두)" in page

        # Default range: the last 30 days to today (the policy has no claim window).
        assert "2022-09-30 ~ 2022-10-29" in page
        assert page.count('<rect class="col"') == 2 * 30
        assert "이 기간 밖의 접수: 이전 1건, 이후 0건" in page
        # A range across a new year shows years on the axis.
        page = await staff.page("/staff/stats?from=2021-12-20&to=2022-01-10")
        labels = re.findall(r'text-anchor="(?:start|end|middle)">([^<]+)</text>', page)
        assert "2021-12-20" in labels and "2022-01-10" in labels
        assert page.count('<rect class="col"') == 2 * 22


async def test_flags_are_recomputed_in_the_background_when_old(storage):
    first = add_case(storage)
    clock = Clock()
    async with serve(storage, clock=clock) as staff:
        await signed_in(staff)
        assert "전체 0건" in await staff.page(
            "/staff/?flag=any"
        ) or "조건에 맞는" in await staff.page("/staff/?flag=any")
        add_case(storage, user_id=first.user_id)
        clock.now += 31
        await staff.page("/staff/?flag=any")  # starts the recomputation, shows the old flags
        await staff.app[STAFF_KEY].flags.refresh()
        assert len(listed(await staff.page("/staff/?flag=repeat_user"))) == 2


# -- on the bot's own server -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_the_bot_server_serves_the_staff_web_in_both_modes(mode, tmp_path):
    async with BotAPIStandIn() as api:
        port = _free_port()
        settings = Settings(
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url,
            data_dir=tmp_path / "data",
            port=port,
            webhook_url=f"http://127.0.0.1:{port}/telegram/webhook" if mode == "webhook" else None,
            webhook_secret="s3cret" if mode == "webhook" else None,
            telegram_max_rate=0,
            staff_web_token=TOKEN,
        )
        storage = MemoryStorage()
        service = IntakeService(IntakeFlow(POLICY), storage)
        stop, ready = asyncio.Event(), asyncio.Event()
        task = asyncio.create_task(run_telegram(settings, service, stop=stop, ready=ready))
        try:
            await asyncio.wait_for(ready.wait(), 15)
            async with aiohttp.ClientSession() as http:
                async with http.get(f"http://127.0.0.1:{port}/staff/signin") as response:
                    assert response.status == 200
                    assert "담당자 로그인" in await response.text()
                async with http.get(
                    f"http://127.0.0.1:{port}/staff/", allow_redirects=False
                ) as response:
                    assert response.status == 303
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


async def test_an_evidence_download_never_carries_a_dangerous_extension(storage):
    """Regression: ``invoice.exe.`` accepted as a PDF was downloaded as ``invoice.exe``
    (browsers and Windows drop the trailing dot). It is handed out with its type's extension."""
    pdf = storage.put_evidence(b"%PDF-1.4 ...")
    case = add_case(storage, evidence=[EvidenceRef(pdf, "invoice.exe.", "application/pdf", 12)])
    async with serve(storage) as staff:
        await signed_in(staff)
        response = await staff.client.get(f"/staff/cases/{case.case_number}/evidence/{pdf}")
        assert response.status == 200
        assert response.headers["Content-Disposition"] == (
            "attachment; filename=\"invoice.exe.pdf\"; filename*=UTF-8''invoice.exe.pdf"
        )


async def test_staff_lift_a_persons_limits_from_the_case_page(storage):
    """Staff let the person of a case file past the policy's per-person limits (issue 10,
    item 5): an audited action on the case page; a reason is required."""
    case = add_case(storage)
    async with serve(storage) as staff:
        await signed_in(staff)
        page = await staff.page(f"/staff/cases/{case.case_number}")
        assert f'action="/staff/cases/{case.case_number}/lift-limits"' in page
        assert "1인 접수 한도" in page
        url = f"/staff/cases/{case.case_number}/lift-limits"
        response = await staff.post(url, {"reason": " "})
        assert response.status == 303
        assert "사유를 적어 주세요" in await staff.page(f"/staff/cases/{case.case_number}")
        response = await staff.post(url, {"reason": "가게가 두 곳"}, csrf=False)
        assert response.status == 403  # no CSRF token: refused like every other form
        response = await staff.post(url, {"reason": "가게가 두 곳"})
        assert response.status == 303
        assert response.headers["Location"] == f"/staff/cases/{case.case_number}"
        page = await staff.page(f"/staff/cases/{case.case_number}")
        assert "1인 한도를 풀었어요" in page and "1인 한도 해제" in page
    (entry,) = [e for e in storage.iter_audit(case.case_number) if e.action == "limits.lifted"]
    assert entry.actor.startswith("staff:") and entry.detail["reason"] == "가게가 두 곳"
    assert entry.detail["user_id"] == str(case.user_id)


async def test_the_case_page_and_statistics_name_the_channel_of_each_case(storage):
    """Regression: cases record the channel they came by; the case page called every
    person a Telegram user and the statistics did not count reports per channel."""
    console = add_case(storage, user_id=UserKey("console", "1"))
    telegram = add_case(storage)
    async with serve(storage) as staff:
        await signed_in(staff)
        page = html.unescape(await staff.page(f"/staff/cases/{console.case_number}"))
        assert "이용자(콘솔 ID)" in page and "텔레그램" not in page.split("이용자(")[1][:20]
        page = html.unescape(await staff.page(f"/staff/cases/{telegram.case_number}"))
        assert "이용자(텔레그램 ID)" in page and telegram.user_id.id in page
        stats = html.unescape(await staff.page("/staff/stats"))
        assert "접수 경로" in stats and "콘솔" in stats


async def test_review_words_name_the_channel_of_the_case(storage):
    """Regression: "told on {channel}" came from one constant (``CASE_CHANNEL =
    "telegram"``), so a console case's page said "이용자에게는 텔레그램에서 … 알려요"
    and its confirmation "텔레그램 메시지로 … 보내요". Each case's words now name the
    channel it came by, in the page's language."""
    console = add_case(storage, user_id=UserKey("console", "1"), lang="en")
    telegram = add_case(storage)
    failing = {"on": False}
    inbox = Inbox()

    async def notify(user_id, replies):
        if failing["on"]:
            raise ConnectionError("cannot reach the user")
        await inbox(user_id, replies)

    async with serve(storage, review=ReviewService(storage, notify=notify)) as staff:
        await signed_in(staff)
        for lang, mine, other in (("ko", "콘솔", "텔레그램"), ("en", "Console", "Telegram")):
            await staff.page(f"/staff/?lang={lang}")
            number = console.case_number
            detail = html.unescape(await staff.page(f"/staff/cases/{number}"))
            told = {
                "ko": "이용자에게는 콘솔에서 영어로 알려요.",
                "en": "The user is told on Console, in English.",
            }
            assert told[lang] in detail and other not in detail, lang
            response = await staff.post(f"/staff/cases/{number}/reject", {"reason": "중복"})
            confirm = html.unescape(await response.text())
            sent = {  # the console cannot push: the message waits for the person
                "ko": "이용자가 콘솔에서 다음에 말을 걸 때",
                "en": "the next time they write on Console",
            }
            assert sent[lang] in confirm and other not in confirm, lang

            number = telegram.case_number
            detail = html.unescape(await staff.page(f"/staff/cases/{number}"))
            assert f"{other}" in detail and mine not in detail, lang
            response = await staff.post(f"/staff/cases/{number}/reject", {"reason": "중복"})
            confirm = html.unescape(await response.text())
            assert f"{other}" in confirm and mine not in confirm, lang

        # A notice that failed: the flash names the case's channel too.
        await staff.page("/staff/?lang=ko")
        failing["on"] = True
        page = html.unescape(await staff.act(telegram.case_number, "reject", reason="중복"))
        assert "이용자에게 알리지 못했어요(텔레그램)" in page and "콘솔" not in page


async def test_without_a_notifier_the_confirmation_names_the_cases_channel(storage):
    """Regression: the "bot is not running" confirmation named Telegram for every case.
    Regression: it then read "지금은 콘솔 메시지를 바로 보낼 수 없어요" (as if a console
    message could be sent some other time) and the kept notice "지금 콘솔 알림으로 보낼 수
    없어서": it now says where the person will see it."""
    number = add_case(storage, user_id=UserKey("console", "2")).case_number
    async with serve(storage, review=ReviewService(storage)) as staff:
        await signed_in(staff)
        page = html.unescape(await staff.act(number, "reject", reason="중복 접수"))
        confirmed = html.unescape(staff.confirmed)
        assert "이 메시지는 이용자에게 바로 가지 않아요." in confirmed
        assert "이용자가 콘솔에서 다음에 말을 걸 때 보여 드리거나" in confirmed
        assert "콘솔 메시지" not in confirmed and "콘솔 알림" not in page
        assert "이용자가 콘솔에서 다음에 말을 걸 때 한 번 보여 드리고" in page
        assert "텔레그램" not in confirmed


async def test_staff_see_which_notices_are_still_undelivered(storage):
    """Regression: a notice that did not reach its person was only an audit line on its
    case's page; nothing told staff how many were still waiting, or where."""
    console = add_case(storage, user_id=UserKey("console", "3"))
    blocked = add_case(storage)
    told = add_case(storage)

    async def notify(user_id, replies):
        if user_id == blocked.user_id:
            raise ConnectionError("Telegram is down")

    async with serve(storage, review=ReviewService(storage, notify=notify)) as staff:
        await signed_in(staff)
        for case in (console, blocked, told):
            await staff.act(case.case_number, "reject", reason="중복 접수")
        page = html.unescape(await staff.page("/staff/"))
        assert "이용자에게 아직 전하지 못한 알림이 2개 있어요(접수 2건)." in page
        badge = "/staff/cases/{}#undelivered"
        assert badge.format(console.case_number) in page
        assert badge.format(blocked.case_number) in page
        assert badge.format(told.case_number) not in page

        detail = html.unescape(await staff.page(f"/staff/cases/{blocked.case_number}"))
        assert "텔레그램 알림을 1번 보내 봤지만 전하지 못했어요" in detail
        assert "ConnectionError" in detail and "/resend" in detail
        (kept,) = [n for n in storage.undelivered_notices() if n.user_id == blocked.user_id]
        assert kept.notice_id not in detail  # bookkeeping, not shown in the audit trail
        detail = html.unescape(await staff.page(f"/staff/cases/{console.case_number}"))
        assert "다음에 말을 걸 때 한 번 보여 드리고" in detail
        assert "/resend" not in detail  # nothing to push: it waits for the person
        page = html.unescape(await staff.page("/staff/?lang=en"))
        assert "2 notice(s) not yet delivered to the people they are for (2 case(s))." in page
