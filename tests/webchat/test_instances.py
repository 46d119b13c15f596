"""Two servers on one PostgreSQL database serve one web chat visitor alike (issue 14)."""

from __future__ import annotations

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
