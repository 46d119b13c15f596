"""The web chat's defences over real HTTP: CSRF bound to the identity, the CSP with no inline
script, rate limits per visitor and per address (behind trusted proxies only), no personal
data in URLs."""

from __future__ import annotations

import re

import aiohttp
import pytest

from bot.webchat.app import VISITOR_BURST
from flows.identity import UserKey
from tests.support.web_chat import WebVisitor
from tests.webchat.conftest import ChatSite, open_site
from tests.webchat.test_page import visitor_id


async def consent_shown(me: WebVisitor) -> None:
    await me.open()
    await me.start()
    assert "개인정보" in me.screen.last_bot()


@pytest.mark.parametrize("script", [False, True], ids=["no-script", "script"])
async def test_a_post_without_the_visitors_csrf_token_changes_nothing(site: ChatSite, script):
    async with site.visitor(script=script) as me, site.visitor(script=script) as other:
        await consent_shown(me)
        await consent_shown(other)
        user = UserKey("web", visitor_id(me, site))
        before = site.service.storage.load_conversation(user)
        # No token, a made-up one, and the other visitor's own (valid for them only).
        for token in ("", "x" * 24, other.screen.csrf):
            status = await me.post("/say", {"csrf": token, "choice": "consent:yes"})
            assert status == 403
            assert "화면이 오래되어" in me.screen.text()
        # The right token from another site (a cross-origin form) is refused too.
        me.headers["Origin"] = "https://evil.example"
        assert await me.post("/say", {"choice": "consent:yes"}) == 403
        after = site.service.storage.load_conversation(user)
        assert after.state == before.state == "consent"


async def test_pages_carry_the_csp_and_no_inline_script_or_style(site: ChatSite):
    async with aiohttp.ClientSession() as http:
        for path in ("/", "/status"):
            async with http.get(site.url + path) as response:
                page = await response.text()
                headers = response.headers
            csp = headers["Content-Security-Policy"]
            assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
            assert "frame-ancestors 'none'" in csp and "form-action 'self'" in csp
            assert headers["X-Frame-Options"] == "DENY" and headers["Cache-Control"] == "no-store"
            assert headers["Referrer-Policy"] == "same-origin"
            scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
            assert scripts and all(
                'src="/static/web/chat.' in a and not body for a, body in scripts
            )
            assert not re.search(r"\sstyle=|\son\w+=|javascript:", page)
            script_url = re.search(r'<script src="([^"]+)"', page).group(1)
        async with http.get(site.url + script_url) as response:
            assert response.status == 200
            assert "immutable" in response.headers["Cache-Control"]


async def test_no_personal_data_in_any_url(site: ChatSite):
    """Every form posts to a fixed path; links carry no query; the cookie holds only an id."""
    async with site.visitor(script=False) as me:
        await consent_shown(me)
        async with me.http.get(site.url + "/") as response:
            page = await response.text()
    actions = set(re.findall(r'action="([^"]*)"', page))
    links = set(re.findall(r'href="([^"]*)"', page))
    assert actions <= {"/say", "/lang", "/news"}
    assert all("?" not in link for link in links)
    assert all('method="post"' in form for form in re.findall(r"<form[^>]*>", page))


async def test_a_visitor_sending_too_fast_waits(site: ChatSite):
    async with site.visitor(script=True) as me:
        statuses = [(await me.open()) and me.last_status for _ in range(VISITOR_BURST + 2)]
    assert statuses[:VISITOR_BURST] == [200] * VISITOR_BURST and statuses[-1] == 429


async def test_the_address_limit_counts_the_client_behind_a_trusted_proxy(tmp_path):
    site, runner = await open_site(
        tmp_path / "data", WEB_ADDRESS_RATE="3", TRUSTED_PROXIES="127.0.0.1"
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def get(forwarded: str) -> int:
                headers = {"X-Forwarded-For": forwarded}
                async with http.get(site.url + "/", headers=headers) as response:
                    return response.status

            assert [await get("198.51.100.7") for _ in range(4)] == [200, 200, 200, 429]
            assert await get("198.51.100.8") == 200  # another client behind the same proxy
            # What a client writes into the header itself is never believed.
            assert await get("198.51.100.9, 198.51.100.7") == 429
    finally:
        await runner.cleanup()
        site.service.storage.close()


async def test_a_stolen_form_cannot_act_for_another_identity(site: ChatSite):
    """Cookies are not replayable across identities: a form (token and number) taken from one
    visitor's page, sent with another visitor's cookie, is refused."""
    async with site.visitor(script=False) as victim, site.visitor(script=False) as attacker:
        await consent_shown(victim)
        await consent_shown(attacker)
        victim_user = UserKey("web", visitor_id(victim, site))
        status = await attacker.post(
            "/say", {"csrf": victim.screen.csrf, "n": victim.screen.n, "choice": "consent:yes"}
        )
        assert status == 403
        assert site.service.storage.load_conversation(victim_user).state == "consent"


def test_remembered_signatures_are_each_visitors_own(monkeypatch):
    """The signer remembers verified cookies and CSRF tokens: each is the one computed for
    that visitor alone, a forged cookie for a remembered id is still nobody, and a token
    never opens another visitor's forms, also once the memory was started again."""
    from bot.webchat import identity

    monkeypatch.setattr(identity, "REMEMBERED", 3)
    signer, fresh = identity.Signer(b"one secret"), identity.Signer(b"one secret")
    other_secret = identity.Signer(b"another secret")
    visitors = [f"v{i}" + "x" * 20 for i in range(5)]
    for _ in range(2):  # the second round from memory (and after it was started again)
        for me, other in zip(visitors, visitors[1:] + visitors[:1], strict=True):
            cookie = signer.cookie(me)
            assert cookie == fresh.cookie(me) != signer.cookie(other)
            assert signer.visitor(cookie) == me == fresh.visitor(fresh.cookie(me))
            assert other_secret.visitor(cookie) is None
            forged = f"{me}.{signer.cookie(other).rpartition('.')[2]}"
            assert signer.visitor(forged) is None
            assert signer.csrf(me) == fresh.csrf(me) != signer.csrf(other)
            assert signer.csrf_ok(me, signer.csrf(me))
            assert not signer.csrf_ok(me, signer.csrf(other))
            assert not signer.csrf_ok(other, signer.csrf(me))
    assert max(len(signer._verified), len(signer._csrf), len(signer._cookies)) <= 3
