"""The web chat on PostgreSQL while the database server is down, and once it is back."""

from __future__ import annotations

from tests.webchat.conftest import open_site

SORRY_KO = "잠시 뒤 다시 보내 주세요"


async def test_an_answer_during_an_outage_gets_the_friendly_words_and_the_next_is_taken(
    tmp_path, own_server
):
    """Regression: with the database down the web chat's first store call (the visitor's
    rate, then their turn) raised out of the handler, and the browser got aiohttp's bare
    '500 Internal Server Error' instead of words it can act on."""
    chat, runner = await open_site(tmp_path / "data", DATABASE_URL=own_server.create_database("w"))
    try:
        async with chat.visitor(script=True) as me:
            await me.open()
            await me.start()
            page = await me.open()
            label, value = page.buttons[0]
            own_server.halt()
            fields = {"csrf": page.csrf, "n": page.n, "choice": value}
            headers = {**me.headers, "X-Chat-Script": "1"}
            async with me.http.post(chat.url + "/say", data=fields, headers=headers) as response:
                status, text = response.status, await response.text()
            assert status == 503 and SORRY_KO in text, (status, text)
            assert "Traceback" not in text and "Internal Server Error" not in text
            own_server.resume()
            assert await me.press(label) == 200  # the first answer once it is back is taken
            assert ("mine", label) in me.screen.bubbles
    finally:
        await runner.cleanup()
        chat.service.storage.close()
