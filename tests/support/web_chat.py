"""A web chat visitor over HTTP, as a browser would be: with the page's script or without it.

It reads the pages the server renders (the transcript, the current buttons, the hidden
CSRF and request number) and posts the same forms the page has. ``script=True`` sends
what ``bot/webchat/static/chat.js`` sends (``X-Chat-Script: 1``, a JSON answer);
``script=False`` is a browser without JavaScript (post, 303, get the page again).
Used by the web chat's tests, the hostile corpus, the kill soak and ``bench/web.py``.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass, field

import aiohttp

BUBBLE = re.compile(
    r'<li class="bubble (\w+)"><span class="who">[^<]*</span><p>(.*?)</p></li>', re.DOTALL
)
CHOICE = re.compile(r'<button type="submit" name="choice" value="([^"]*)">(.*?)</button>')
CSRF = re.compile(r'name="csrf" value="([^"]*)"')
NUMBER = re.compile(r'name="n" value="(\d+)"')
TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


@dataclass
class Screen:
    """What the visitor sees now: bubbles (kind, text), the buttons, the forms' hidden values."""

    bubbles: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    csrf: str = ""
    n: str = "1"
    title: str = ""
    takes_files: bool = False
    started: bool = False

    def text(self) -> str:
        return "\n".join(text for _, text in self.bubbles)

    def last_bot(self) -> str:
        for kind, text in reversed(self.bubbles):
            if kind != "mine":
                return text
        return ""

    def read_controls(self, controls: str) -> None:
        self.buttons = [
            (html.unescape(label), html.unescape(v)) for v, label in CHOICE.findall(controls)
        ]
        if found := CSRF.search(controls):
            self.csrf = html.unescape(found.group(1))
        if found := NUMBER.search(controls):
            self.n = found.group(1)
        self.takes_files = 'name="files"' in controls
        self.started = 'class="start"' not in controls


class WebVisitor:
    """One person's browser: its own cookie jar, the last screen it was shown."""

    def __init__(
        self,
        base: str,
        *,
        script: bool,
        lang: str = "ko-KR",
        connector: aiohttp.BaseConnector | None = None,
    ) -> None:
        """``connector``: one shared by many visitors (a benchmark), each with its own cookies."""
        self.base = base
        self.script = script
        self.headers = {"Accept-Language": lang, "Origin": base}
        self.http = aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=connector,
            connector_owner=connector is None,
        )
        self.screen = Screen()
        self.last_status = 0

    async def close(self) -> None:
        await self.http.close()

    async def __aenter__(self) -> WebVisitor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def open(self, path: str = "/") -> Screen:
        async with self.http.get(self.base + path, headers=self.headers) as response:
            self.last_status = response.status
            page = await response.text()
        self.read_page(page)
        return self.screen

    def read_page(self, page: str) -> None:
        screen = Screen()
        screen.bubbles = [(kind, html.unescape(text)) for kind, text in BUBBLE.findall(page)]
        controls = page.split('id="controls"', 1)[-1]
        screen.read_controls(controls)
        if found := CSRF.search(page):
            screen.csrf = html.unescape(found.group(1))
        if found := TITLE.search(page):
            screen.title = html.unescape(found.group(1))
        self.screen = screen

    async def post(
        self, path: str, fields: dict[str, str], files: list[tuple[str, str, bytes]] = ()
    ) -> int:
        """Post a form of the page (with its CSRF token and request number unless given)."""
        values = {"csrf": self.screen.csrf, "n": self.screen.n, **fields}
        data: aiohttp.FormData | dict[str, str]
        if files:
            data = aiohttp.FormData()
            for key, value in values.items():
                data.add_field(key, value)
            for name, mime, body in files:
                data.add_field("files", io.BytesIO(body), filename=name, content_type=mime)
        else:
            data = values
        headers = dict(self.headers)
        if self.script:
            headers["X-Chat-Script"] = "1"
        async with self.http.post(self.base + path, data=data, headers=headers) as response:
            self.last_status = response.status
            if self.script and response.content_type == "application/json":
                body = await response.json()
                self.screen.bubbles += [
                    (kind, html.unescape(text)) for kind, text in BUBBLE.findall(body["bubbles"])
                ]
                self.screen.read_controls(body["controls"])
                self.screen.title = html.unescape(body["title"])
            elif response.content_type == "text/html":
                self.read_page(await response.text())  # a 303 was followed to the page
            else:
                await response.read()
            return response.status

    async def start(self) -> int:
        return await self.post("/say", {"cmd": "start"})

    async def press(self, label: str) -> int:
        for shown, value in self.screen.buttons:
            if shown == label:
                return await self.post("/say", {"choice": value})
        raise AssertionError(f"no button {label!r} among {self.screen.buttons}")

    async def type(self, text: str) -> int:
        return await self.post("/say", {"text": text})

    async def back(self) -> int:
        return await self.post("/say", {"cmd": "back"})

    async def attach(self, *files: tuple[str, str, bytes]) -> int:
        return await self.post("/say", {}, list(files))
