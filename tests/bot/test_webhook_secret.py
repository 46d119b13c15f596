"""The webhook's secret check, over loopback HTTP against the running bot."""

from __future__ import annotations

import hmac

import aiohttp

import bot.web
from tests.support.running_bot import SECRET, running_bot


async def test_webhook_secret_is_compared_as_digests_of_one_length(tmp_path, monkeypatch):
    """Regression: the secret header was compared as sent with hmac.compare_digest, whose
    time depends on whether the lengths match, so the secret's length leaked; a header
    that is not UTF-8 raised UnicodeEncodeError (a 500)."""
    compared: list[tuple[int, int]] = []
    compare = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return compare(a, b)

    monkeypatch.setattr(bot.web.hmac, "compare_digest", spy)  # hmac's own: staff web's too
    async with running_bot(tmp_path / "data", "webhook") as running:
        url = f"http://127.0.0.1:{running.settings.port}/telegram/webhook"
        update = running.api.text_update(running.api.user(5020), "/start")
        async with aiohttp.ClientSession() as http:
            for sent in ("x", SECRET[:-1], SECRET + "x", "y" * 300):
                headers = {"X-Telegram-Bot-Api-Secret-Token": sent}
                async with http.post(url, json=update, headers=headers) as response:
                    assert response.status == 403
        assert running.api.messages_to(5020) == []
        assert await running.api.deliver(update) == 200  # the right secret still works
    assert len(compared) == 5 and set(compared) == {(32, 32)}, compared  # no staff web here
