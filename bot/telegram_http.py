"""python-telegram-bot's Bot API client on aiohttp instead of httpx.

Measured with ``bench/e2e.py``: under concurrent updates PTB's default httpx client
spent about 70 % of the bot's CPU per update (httpcore scans its whole connection
pool on every request and retries a failing ``import sniffio`` for every lock it
makes); aiohttp, already the server this bot runs on, does the same requests for a
fraction of it. PTB supports this through :class:`telegram.request.BaseRequest`.

Files are downloaded with :meth:`AiohttpRequest.download`, streamed to a file and
hashed on the way, never held whole: PTB's own ``File.download_*`` reads the whole
file into memory first.

Requests without files go as a JSON body (the Bot API takes ``application/json``),
encoded from PTB's typed parameters as its :class:`~telegram.request.RequestData`
suggests: a form body would percent-encode every byte of a Korean text in Python.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import BinaryIO

import aiohttp
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

_UNSET = BaseRequest.DEFAULT_NONE
_JSON_HEADERS = {aiohttp.hdrs.CONTENT_TYPE: "application/json"}
# Bytes of a download gathered before they are written and hashed (in a worker thread).
DOWNLOAD_PIECE = 1024 * 1024


class DownloadTooBig(Exception):
    """More bytes arrived than the download's limit: it was stopped there."""


class AiohttpRequest(BaseRequest):
    """One aiohttp session with a bounded connection pool, speaking PTB's request contract."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 64,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector, headers={"User-Agent": self.USER_AGENT}
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=_UNSET,
        write_timeout=_UNSET,
        connect_timeout=_UNSET,
        pool_timeout=_UNSET,
    ) -> tuple[int, bytes]:
        """Send one request; return the status and body (PTB reads the JSON and errors)."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.multipart_data if request_data else {}
        read = self._read_timeout if read_timeout is _UNSET else read_timeout
        connect = self._connect_timeout if connect_timeout is _UNSET else connect_timeout
        pool = self._pool_timeout if pool_timeout is _UNSET else pool_timeout
        write = write_timeout
        if write is _UNSET:
            write = self._media_write_timeout if files else self._write_timeout
        # aiohttp has no separate write timeout; sending is bounded with the read
        # (sock_read covers waiting for the answer after the body went out).
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_sum(pool, connect),  # waiting for a pooled connection, then connecting
            sock_connect=connect,
            sock_read=_sum(read, write) if files else read,
        )
        data: aiohttp.FormData | bytes | None = None
        headers = None
        if files:
            assert request_data is not None
            data = aiohttp.FormData()
            for name, value in request_data.json_parameters.items():
                data.add_field(name, value)
            for name, (filename, content, mime) in files.items():
                data.add_field(name, content, filename=filename, content_type=mime)
        elif request_data is not None and request_data.parameters:
            # UTF-8 as is: a Korean syllable is 3 bytes, not a 6-byte \uXXXX escape.
            data = json.dumps(request_data.parameters, ensure_ascii=False).encode()
            headers = _JSON_HEADERS
        try:
            async with self._session.request(
                method, url, data=data, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # asyncio.TimeoutError is the same class since 3.11
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    async def download(
        self, url: str, sink: BinaryIO, *, limit: int, read_timeout: float | None = 20.0
    ) -> tuple[int, str]:
        """Stream the file at ``url`` into ``sink``; return its size and sha256 hex digest.

        At most about :data:`DOWNLOAD_PIECE` bytes of it are held at a time; they are
        written and hashed in a worker thread. Raises :class:`DownloadTooBig` past
        ``limit`` bytes, :class:`telegram.error.BadRequest` for a refusal (4xx) and
        :class:`~telegram.error.NetworkError` / :class:`~telegram.error.TimedOut` for
        what may pass on a retry.
        """
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=_sum(self._pool_timeout, self._connect_timeout),
            sock_connect=self._connect_timeout,
            sock_read=read_timeout,
        )
        digest = hashlib.sha256()
        size = 0
        try:
            async with self._session.get(url, timeout=timeout) as response:
                if response.status != 200:
                    error = BadRequest if 400 <= response.status < 500 else NetworkError
                    raise error(f"download answered {response.status}")
                if (response.content_length or 0) > limit:
                    raise DownloadTooBig(f"{response.content_length} bytes")
                piece = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    size += len(chunk)
                    if size > limit:
                        raise DownloadTooBig(f"over {limit} bytes")
                    piece += chunk
                    if len(piece) >= DOWNLOAD_PIECE:
                        await asyncio.to_thread(_write, sink, digest, piece)
                        piece = bytearray()
                if piece:
                    await asyncio.to_thread(_write, sink, digest, piece)
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        return size, digest.hexdigest()


def _write(sink: BinaryIO, digest: hashlib._Hash, piece: bytearray) -> None:
    digest.update(piece)
    sink.write(piece)


def _sum(*parts: float | None) -> float | None:
    """Add timeouts, where None (no limit) wins."""
    limits = [p for p in parts if p is not None]
    return None if len(limits) < len(parts) else sum(limits)
