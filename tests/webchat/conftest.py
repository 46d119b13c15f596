"""A real server over loopback with the web chat door (and the staff web) on a TinyDB store."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web

from bot.__main__ import build_service, build_storage
from bot.intake import IntakeService
from bot.server import WebChatDoor
from bot.settings import Settings, load_settings
from bot.web import create_app
from tests.support.web_chat import WebVisitor


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ChatSite:
    url: str
    service: IntakeService
    door: WebChatDoor
    settings: Settings

    def visitor(self, *, script: bool, lang: str = "ko-KR") -> WebVisitor:
        return WebVisitor(self.url, script=script, lang=lang)


SiteFactory = Callable[..., "AsyncIterator[ChatSite]"]


async def open_site(data_dir: Path, **env: str) -> tuple[ChatSite, web.AppRunner]:
    settings = load_settings({"DATA_DIR": str(data_dir), **env})
    storage = build_storage(settings)
    service = build_service(settings, storage)
    door = WebChatDoor(settings, service)
    app = create_app()
    door.mount(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return ChatSite(f"http://127.0.0.1:{port}", service, door, settings), runner


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[ChatSite]:
    chat, runner = await open_site(tmp_path / "data")
    try:
        yield chat
    finally:
        await runner.cleanup()
        chat.service.storage.close()
