"""Files out of the staff web: evidence (sniffed before it is shown inline) and streamed exports."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import logging
import re
import unicodedata
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO
from urllib.parse import quote

from aiohttp import web

from bot.staff.exports import (
    FILE_SUFFIXES,
    export_cases,
    read_cases,
    stream_cases,
    write_evidence_zip,
)
from bot.staff.templates import pages
from bot.staff.templates.words import word
from bot.staff.web.cases import list_page, matching_rows, parse_list_query
from bot.staff.web.common import EXPORT_TYPES, PREFIX, SESSION_KEY, STAFF_KEY, frame, render, url
from flows.evidence import download_name
from flows.policy import KST
from storage import AuditEntry, Case, EvidenceNotFound
from storage.case_numbers import normalize_case_number

log = logging.getLogger("bot.staff.web")  # one name for the whole staff web, as before the split
routes = web.RouteTableDef()

CHUNK = 256 * 1024
# An evidence file opened on its own: nothing in it may run or load anything.
EVIDENCE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
# The first bytes that prove an image type: only these are ever shown inline.
IMAGE_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
}


@routes.get("/cases/{number}/evidence/{sha256}", name="evidence")
async def evidence(request: web.Request) -> web.StreamResponse:
    """Send one evidence file of a case: images inline once their bytes confirm the type, else as a download."""
    staff = request.app[STAFF_KEY]
    number = normalize_case_number(request.match_info["number"])
    sha256 = request.match_info["sha256"]
    if number is None or not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise web.HTTPNotFound()
    case = await asyncio.to_thread(staff.storage.get_case, number)
    ref = next((e for e in case.evidence if e.sha256 == sha256), None) if case else None
    if ref is None:
        raise web.HTTPNotFound()
    try:
        source = await asyncio.to_thread(staff.storage.open_evidence, sha256)
    except EvidenceNotFound:
        raise web.HTTPNotFound() from None
    with source:
        head = await asyncio.to_thread(source.read, CHUNK)
        image = sniff_image(head)
        inline = image is not None and image == _declared_image(ref.mime)
        response = web.StreamResponse(
            headers={
                "Content-Type": image if inline and image else "application/octet-stream",
                "Content-Disposition": content_disposition(
                    "inline" if inline else "attachment", download_name(ref.name, ref.mime)
                ),
                "Content-Security-Policy": EVIDENCE_CSP,
                "Cache-Control": "private, no-store",
            }
        )
        await response.prepare(request)
        chunk = head
        while chunk:
            await response.write(chunk)
            chunk = await asyncio.to_thread(source.read, CHUNK)
    await response.write_eof()
    return response


def sniff_image(head: bytes) -> str | None:
    """The image type the first bytes prove (JPEG, PNG or WebP), or None."""
    for mime, magics in IMAGE_MAGIC.items():
        if head.startswith(magics):
            return mime
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _declared_image(mime: str) -> str | None:
    mime = (mime or "").split(";")[0].strip().lower()
    return "image/jpeg" if mime == "image/jpg" else mime


def content_disposition(kind: str, name: str) -> str:
    """A Content-Disposition header: an ASCII fallback name plus the UTF-8 original (RFC 6266)."""
    cleaned = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip() or "file"
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", cleaned)[:100] or "file"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(cleaned[:200], safe='')}"


def export_name(kind: str, lang: str) -> str:
    return word(lang, "export.zip") if kind == "zip" else kind.upper()


@routes.get("/exporting/{format}", name="export_page")
async def export_page(request: web.Request) -> web.Response:
    """Say what the export link is preparing (how many cases), then let the page start the download.

    A download of 105,000 cases takes tens of seconds; a bare link gave no sign
    of it until the browser's download list showed up.
    """
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    kind = request.match_info["format"]
    if kind not in EXPORT_TYPES:
        raise web.HTTPNotFound()
    query = parse_list_query(request.query, staff.policy)
    flags = await staff.flags.get()
    total, _, _ = await asyncio.to_thread(list_page, staff.storage, query, flags)
    params = query.params(page="", sort="")
    page = pages.export(
        frame(request, "cases", switch_to=f"{PREFIX}/"),  # not this page: it downloads again
        name=export_name(kind, session.lang),
        count=total,
        download_url=url(f"export/{kind}", params),
        back_url=f"{PREFIX}/" + (f"?{session.list_query}" if session.list_query else ""),
    )
    return render(request, "export.html", page, lang=session.lang)


@routes.get("/export/{format}", name="export")
async def export(request: web.Request) -> web.StreamResponse:
    """Stream the cases of the current filter as CSV, XLSX, JSON lines or an evidence zip."""
    staff = request.app[STAFF_KEY]
    session = request[SESSION_KEY]
    kind = request.match_info["format"]
    if kind not in EXPORT_TYPES:
        raise web.HTTPNotFound()
    query = parse_list_query(request.query, staff.policy)
    flags = await staff.flags.get()
    cases: Callable[[], Iterator[Case]]
    if query.flag or query.number:
        rows = await asyncio.to_thread(matching_rows, staff.storage, query, flags)
        rows.sort(key=lambda r: (r.submitted_at, r.case_number))  # oldest first, like the CLI's
        total = len(rows)
        cases = lambda: read_cases(staff.storage, rows)  # noqa: E731
    else:  # every case of the filter, streamed by the store (PostgreSQL: a server-side cursor)
        total, cases = await asyncio.to_thread(stream_cases, staff.storage, query.filter)
    stamp = dt.datetime.fromtimestamp(staff.clock(), KST).strftime("%Y%m%d-%H%M%S")
    suffix = ".zip" if kind == "zip" else FILE_SUFFIXES[kind]
    filename = f"{'evidence' if kind == 'zip' else 'cases'}-{stamp}{suffix}"
    lang = session.lang

    def write(out: BinaryIO) -> int:
        if kind == "zip":
            return write_evidence_zip(cases(), staff.storage, out)
        return export_cases(kind, cases(), out, staff.policy, lang=lang, flags=flags)

    log.info("staff %r exports %d cases as %s", session.staff, total, kind)
    entry = AuditEntry(
        at=staff.clock(),
        actor=session.actor,
        action="staff.export",
        detail={"format": kind, "cases": total, "filter": query.params(page="", sort="")},
    )
    await asyncio.to_thread(staff.storage.append_audit, entry)
    return await stream_from_thread(request, write, EXPORT_TYPES[kind], filename)


class _ChunkPipe(io.RawIOBase):
    """A write-only file for a worker thread: full chunks go to the event loop through a bounded queue."""

    def __init__(self, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[bytes | None]) -> None:
        super().__init__()
        self._loop = loop
        self._queue = queue
        self._buffer = bytearray()
        self.abandoned = False  # set by the loop when the client went away

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        if self.abandoned:
            raise BrokenPipeError("the download was abandoned")
        self._buffer += data
        if len(self._buffer) >= CHUNK:
            self._put(bytes(self._buffer))
            self._buffer.clear()
        return len(data)

    def finish(self) -> None:
        """Send what is buffered and the end mark (from the worker thread)."""
        if self._buffer and not self.abandoned:
            self._put(bytes(self._buffer))
        self._buffer.clear()
        self._put(None)

    def _put(self, chunk: bytes | None) -> None:
        # Blocks the worker while the queue is full: the download's pace sets the export's.
        asyncio.run_coroutine_threadsafe(self._queue.put(chunk), self._loop).result()


async def stream_from_thread(
    request: web.Request, write: Callable[[BinaryIO], int], content_type: str, filename: str
) -> web.StreamResponse:
    """Run ``write(out)`` in a thread and stream what it writes as a download.

    Memory stays at a few chunks whatever the size; if the client goes away the
    writer's next write fails and the thread stops.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=4)
    pipe = _ChunkPipe(loop, queue)

    def work() -> int:
        try:
            return write(pipe)  # type: ignore[arg-type]  # a write-only RawIOBase, all a writer uses of BinaryIO
        finally:
            pipe.finish()

    worker = asyncio.ensure_future(asyncio.to_thread(work))
    response = web.StreamResponse(
        headers={
            "Content-Type": content_type,
            "Content-Disposition": content_disposition("attachment", filename),
        }
    )
    try:
        await response.prepare(request)
        while (chunk := await queue.get()) is not None:
            await response.write(chunk)
        written = await worker
        await response.write_eof()
    except BaseException:
        pipe.abandoned = True
        while not worker.done():  # keep taking chunks so the thread reaches its end
            getter = asyncio.ensure_future(queue.get())
            await asyncio.wait({getter, worker}, return_when=asyncio.FIRST_COMPLETED)
            getter.cancel()
        if worker.done() and not worker.cancelled() and worker.exception() is not None:
            log.error("export %s failed: %r", filename, worker.exception())
        raise
    log.info("export %s: %d written", filename, written)
    return response
