"""Evidence downloads from Telegram: only at a step that takes files, streamed, bounded.

A photo or document is first only described (:class:`FileMessage`); it is fetched
when the stored conversation is at a step that takes files
(:meth:`~bot.intake.IntakeService.takes_files`), before the user's turn, or in
it when an earlier update still in line may have moved the user there. A
download streams to a file in the store's spool folder, hashed on the way, and
at most ``DOWNLOADS_PER_USER`` of one user and ``DOWNLOADS_MAX`` in all run at
once. Attempts go through the channel's one retry layer (:class:`Sender`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.intake import IncomingFile, IncomingFiles, IntakeService
from bot.settings import Settings
from bot.telegram_http import AiohttpRequest, DownloadTooBig
from bot.telegram_send import SEND_ATTEMPTS, Sender
from flows.identity import UserKey

log = logging.getLogger(__name__)

# Telegram lets bots download files of up to 20 MB.
DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class FileMessage:
    """A photo or document not fetched yet: what :meth:`Downloads.fetch` needs."""

    file_id: str
    name: str
    mime: str
    size: int | None
    wanted: bool  # an allowed type within the download limit: worth fetching
    group: str | None


class Downloads:
    """Fetches evidence files into the store's spool folder, a few at a time."""

    def __init__(
        self, service: IntakeService, settings: Settings, sender: Sender, bot: Callable[[], Bot]
    ) -> None:
        self.service = service
        self.sender = sender
        self._bot = bot
        self._spool = storage_spool(service.storage)
        self._per_user = settings.downloads_per_user
        self._all = asyncio.Semaphore(settings.downloads_max)
        # user id -> [their semaphore, how many downloads hold or wait for it]
        self._user_slots: dict[UserKey, list[Any]] = {}
        self._holding = 0  # downloads that have both slots

    async def fetch_early(self, user_id: UserKey, file: FileMessage) -> IncomingFiles | FileMessage:
        """Before the user's turn: :meth:`fetch`, but a user not at a step that takes
        files gets the file back unfetched, to be looked at again in the turn."""
        return await self._fetch(user_id, file, last_chance=False)

    async def fetch(self, user_id: UserKey, file: FileMessage) -> IncomingFiles:
        """In the user's turn: download a wanted file if the user is at a step that takes files.

        Otherwise the file becomes an input without bytes, which the flow answers
        ("no files here", or "send it again" if the download failed). Never raises.
        """
        fetched = await self._fetch(user_id, file, last_chance=True)
        assert isinstance(fetched, IncomingFiles)  # the last chance never hands it back
        return fetched

    async def _fetch(
        self, user_id: UserKey, file: FileMessage, *, last_chance: bool
    ) -> IncomingFiles | FileMessage:
        incoming = IncomingFile(name=file.name, mime=file.mime, size=file.size or 0)
        try:
            if file.wanted and await asyncio.to_thread(self.service.takes_files, user_id):
                fetched = await self.download(user_id, file.file_id, file.size)
                if fetched is not None:
                    path, size, digest = fetched
                    incoming = IncomingFile(file.name, file.mime, size, path=path, sha256=digest)
            elif file.wanted and not last_chance:
                return file
        except Exception:
            log.exception("could not fetch file %s of user %s", file.file_id, user_id)
        return IncomingFiles((incoming,), group=file.group)

    def waiting(self) -> int:
        """Downloads waiting for a slot (tests wait on it instead of sleeping)."""
        return sum(entry[1] for entry in self._user_slots.values()) - self._holding

    @contextlib.asynccontextmanager
    async def _slot(self, user_id: UserKey) -> AsyncIterator[None]:
        """One of the user's ``downloads_per_user`` slots, then one of ``downloads_max``."""
        entry = self._user_slots.get(user_id)
        if entry is None:
            entry = self._user_slots[user_id] = [asyncio.Semaphore(self._per_user), 0]
        entry[1] += 1
        try:
            async with entry[0], self._all:
                self._holding += 1
                try:
                    yield
                finally:
                    self._holding -= 1
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._user_slots[user_id]

    async def download(
        self, user_id: UserKey, file_id: str, size: int | None
    ) -> tuple[Path, int, str] | None:
        """Stream a file into the spool folder: its path, size and sha256.

        None when it is over the Bot API's 20 MB, refused, or failed every attempt.
        """
        if size is not None and size > DOWNLOAD_LIMIT:
            return None
        try:
            return await self.sender.retry(
                lambda: self._download_once(user_id, file_id), attempts=SEND_ATTEMPTS
            )
        except (BadRequest, DownloadTooBig) as exc:  # "file is too big" and the like
            log.info("file %s not downloadable: %s", file_id, exc)
        except (NetworkError, RetryAfter) as exc:  # every attempt failed
            log.info("file %s not downloaded: %s", file_id, exc)
        return None

    async def _download_once(self, user_id: UserKey, file_id: str) -> tuple[Path, int, str]:
        """One attempt, in a download slot; the temporary file is removed if it fails."""
        bot = self._bot()
        request = bot.request
        assert isinstance(request, AiohttpRequest)
        async with self._slot(user_id):
            fd, name = tempfile.mkstemp(prefix="download-", suffix=".part", dir=self._spool)
            path = Path(name)
            try:
                with os.fdopen(fd, "wb") as sink:
                    file = await bot.get_file(file_id)
                    got, digest = await request.download(
                        file.file_path or "", sink, limit=DOWNLOAD_LIMIT
                    )
            except BaseException:
                path.unlink(missing_ok=True)
                raise
        return path, got, digest


def storage_spool(storage: Any) -> Path:
    """Where downloads are written: the store's spool folder, else the system's temporary one."""
    folder = storage.spool_dir()
    return Path(folder) if folder is not None else Path(tempfile.gettempdir())
