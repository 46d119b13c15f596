"""A local stand-in for Kakao's side of a skill: Open Builder's requests, the one-time
callback URLs and the secure-image host, over loopback HTTP.

:class:`KakaoPlatform` serves ``POST /callback/<id>`` (each URL takes one post, as
Kakao's do; a second gets 400) and ``GET /images/<name>`` (photos, optionally slow).
:class:`KakaoPerson` is one KakaoTalk user: it POSTs skill payloads built from the
fixtures in ``tests/fixtures/kakao`` to the real server, checks every response against
Kakao's limits (:func:`tests.support.kakao_schema.check_response`) and presses quick
replies the way KakaoTalk does (the label's ``messageText`` as the utterance, its
``extra`` as ``action.clientExtra``).
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.support.kakao_schema import check_response

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "kakao"


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Photo:
    data: bytes
    mime: str = "image/jpeg"
    delay_s: float = 0.0


class KakaoPlatform:
    """Callback URLs and an image host on one loopback port."""

    def __init__(self) -> None:
        self.callbacks: dict[str, list[dict]] = {}
        self._arrived: dict[str, asyncio.Event] = {}
        self.photos: dict[str, Photo] = {}
        self.photo_requests: list[str] = []
        self._ids = itertools.count(1)
        self.runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/callback/{id}", self._callback)
        app.router.add_get("/images/{name}", self._image)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()

    @property
    def host(self) -> str:
        return self.base_url.removeprefix("http://")

    def callback_url(self) -> str:
        key = str(next(self._ids))
        self.callbacks[key] = []
        self._arrived[key] = asyncio.Event()
        return f"{self.base_url}/callback/{key}"

    async def callback_body(self, url: str, timeout: float = 30) -> dict:
        key = url.rsplit("/", 1)[1]
        await asyncio.wait_for(self._arrived[key].wait(), timeout)
        return self.callbacks[key][0]

    def add_photo(self, name: str, photo: Photo) -> str:
        self.photos[name] = photo
        return f"{self.base_url}/images/{name}?credential=abc&expires=1670000000&signature=x"

    async def _callback(self, request: web.Request) -> web.Response:
        key = request.match_info["id"]
        if key not in self.callbacks or self.callbacks[key]:
            return web.json_response({"status": "FAIL"}, status=400)  # one use only
        body = await request.json()
        check_response(body)
        self.callbacks[key].append(body)
        self._arrived[key].set()
        return web.json_response({"taskId": key, "status": "SUCCESS"})

    async def _image(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.photo_requests.append(name)
        photo = self.photos.get(name)
        if photo is None:
            return web.Response(status=404)
        if photo.delay_s:
            await asyncio.sleep(photo.delay_s)
        return web.Response(body=photo.data, content_type=photo.mime)


@asynccontextmanager
async def kakao_platform() -> AsyncIterator[KakaoPlatform]:
    platform = KakaoPlatform()
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


@dataclass
class KakaoPerson:
    """One KakaoTalk user talking to the skill at ``skill_url``."""

    http: aiohttp.ClientSession
    skill_url: str
    secret: str
    platform: KakaoPlatform
    user_id: str
    lang: str = "ko"
    callback: bool = False  # the block has the callback on
    screen: dict = field(default_factory=dict)
    last_payload: dict = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    late_answers: int = 0  # answered by the callback, or told to tap "이어서 보기"
    follow_late: bool = False  # tap "이어서 보기" by itself (a benchmark's person)

    def payload(
        self,
        utterance: str,
        *,
        extra: dict | None = None,
        photos: list[str] | None = None,
    ) -> dict:
        body = fixture("secure_image" if photos else "utterance")
        body["userRequest"]["user"]["id"] = self.user_id
        body["userRequest"]["user"]["properties"]["botUserKey"] = self.user_id
        body["userRequest"]["utterance"] = utterance
        body["userRequest"]["lang"] = self.lang
        body["action"]["clientExtra"] = extra
        if photos:
            value = json.loads(body["action"]["params"]["secureimage"])
            value["imageQuantity"] = str(len(photos))
            value["secureUrls"] = "List(" + ", ".join(photos) + ")"
            text = json.dumps(value, separators=(",", ":"))
            body["action"]["params"]["secureimage"] = text
            body["action"]["detailParams"]["secureimage"].update(origin=text, value=text)
        if self.callback:
            body["userRequest"]["callbackUrl"] = self.platform.callback_url()
        return body

    async def post(self, body: dict, *, expect: int = 200) -> dict:
        """POST one payload as Open Builder does; the response, checked (or {})."""
        self.last_payload = copy.deepcopy(body)
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with self.http.post(
            self.skill_url, json=body, headers={"X-Kakao-Skill-Secret": self.secret}
        ) as response:
            self.seconds.append(loop.time() - started)
            assert response.status == expect, (response.status, await response.text())
            if expect != 200:
                return {}
            doc = await response.json()
        check_response(doc)
        if doc.get("useCallback") or self._working(doc):
            self.late_answers += 1
        if doc.get("useCallback"):
            doc = await self.platform.callback_body(body["userRequest"]["callbackUrl"])
        self.screen = doc
        if self.follow_late and self._working(doc):
            # "처리하고 있어요": the person taps "이어서 보기" until the answer is there.
            await asyncio.sleep(0.5)
            (quick,) = doc["template"]["quickReplies"]
            return await self.post(self.payload(quick["messageText"], extra=quick["extra"]))
        return doc

    @staticmethod
    def _working(doc: dict) -> bool:
        quick = doc.get("template", {}).get("quickReplies", [])
        return any(q.get("extra") == {"nav": "continue"} for q in quick) and len(quick) == 1

    async def send(self, utterance: str, **kwargs: Any) -> str:
        await self.post(self.payload(utterance, **kwargs))
        return self.text

    async def again(self) -> str:
        """Kakao's retry of the last request (same payload; a new callback URL)."""
        body = copy.deepcopy(self.last_payload)
        if "callbackUrl" in body["userRequest"]:
            body["userRequest"]["callbackUrl"] = self.platform.callback_url()
        await self.post(body)
        return self.text

    async def type(self, text: str) -> str:
        return await self.send(text)

    async def press(self, label: str) -> str:
        """Press the quick reply whose label (or whole message) is ``label``."""
        for quick in self.quick_replies:
            if label in (quick["label"], quick["messageText"]):
                return await self.send(quick["messageText"], extra=quick.get("extra"))
        raise AssertionError(f"no quick reply {label!r} in {self.labels}")

    async def photos(self, *urls: str) -> str:
        return await self.send("사진 보내기", photos=list(urls))

    @property
    def text(self) -> str:
        outputs = self.screen.get("template", {}).get("outputs", [])
        return "\n\n".join(o["simpleText"]["text"] for o in outputs if "simpleText" in o)

    @property
    def quick_replies(self) -> list[dict]:
        return self.screen.get("template", {}).get("quickReplies", [])

    @property
    def labels(self) -> list[str]:
        return [q["label"] for q in self.quick_replies]
