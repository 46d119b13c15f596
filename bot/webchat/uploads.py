"""A web chat form, read from the request stream: its fields, and its files spooled to disk.

Files are never read into memory: each part streams in 64 KiB pieces to a file in the
store's spool folder (:meth:`storage.Storage.spool_dir`), hashed on the way, and stops
being written the moment it passes :data:`flows.evidence.MAX_FILE_BYTES` (the same limit
as Telegram's; the flow then refuses it by name as too big). A body larger than all the
files a report may take together is refused before it is read (by its Content-Length)
or as soon as it passes that size (without one); a form without files likewise past
:data:`FORM_MAX`. Whatever goes wrong, a file written
here is deleted: a broken upload keeps nothing, and after the flow has had its turn
the caller deletes what the store did not take over (:meth:`Form.discard`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, unquote

from aiohttp import BodyPartReader, hdrs, web
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from bot.intake import IncomingFile
from flows.evidence import MAX_FILE_BYTES, MAX_FILES

CHUNK = 64 * 1024
FIELD_MAX = 8 * 1024  # a text field (an answer of up to a few thousand characters)
FIELDS_MAX = 16
# All the files one answer may carry, and room for the form around them.
BODY_MAX = MAX_FILES * MAX_FILE_BYTES + 1024 * 1024
# A form without files: a typed answer of TEXT_MAX characters, each up to 4 UTF-8 bytes
# written as 3 characters each (%XX), and the form's few other fields.
FORM_MAX = 64 * 1024


class TooBig(Exception):
    """The request body is larger than any answer may be."""


class BadForm(Exception):
    """The body is not a form a browser sends."""


@dataclass
class Form:
    """A posted form's text fields and files (each file on disk, or refused as too big)."""

    fields: dict[str, str] = field(default_factory=dict)
    files: list[IncomingFile] = field(default_factory=list)

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    def discard(self) -> None:
        """Delete the spooled files the store did not take over."""
        for f in self.files:
            if f.path is not None:
                f.path.unlink(missing_ok=True)


def spool_folder(storage: object) -> Path:
    """The store's spool folder (on the evidence's file system), else the system's temporary one."""
    folder = getattr(storage, "spool_dir", lambda: None)()
    return Path(folder) if folder is not None else Path(tempfile.gettempdir())


async def read_form(request: web.Request, spool: Path) -> Form:
    """Read a urlencoded or multipart form; files go to ``spool`` (raises TooBig, BadForm)."""
    if request.content_length is not None and request.content_length > BODY_MAX:
        raise TooBig(request.content_length)
    if request.content_type != "multipart/form-data":
        return await _read_urlencoded(request)
    form = Form()
    try:
        await _read_parts(request, spool, form)
    except BaseException:
        form.discard()
        raise
    return form


async def _read_urlencoded(request: web.Request) -> Form:
    """A urlencoded form (the script's answers without files, and every form without
    files), read up to :data:`FORM_MAX` bytes and parsed with :func:`urllib.parse.parse_qsl`
    (aiohttp's ``request.post()`` builds a multidict and checks its own size limit on top:
    about a third of the form's cost). Past the cap it is refused without reading the rest.
    """
    if request.content_length is not None and request.content_length > FORM_MAX:
        raise TooBig(request.content_length)
    body = bytearray()
    while chunk := await request.content.read(FORM_MAX + 1 - len(body)):
        body += chunk
        if len(body) > FORM_MAX:
            raise TooBig(len(body))
    try:
        text = body.decode("utf-8")  # strict: no browser sends other bytes
        pairs = parse_qsl(text.rstrip(), keep_blank_values=True, encoding="utf-8")
    except ValueError:  # not UTF-8, and the like
        raise BadForm("unreadable form") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name not in fields and len(fields) < FIELDS_MAX:  # the first of a name, as post().get
            fields[name] = value
    return Form(fields=fields)


async def _read_parts(request: web.Request, spool: Path, form: Form) -> None:
    try:
        reader = await request.multipart()
    except (ValueError, AssertionError):
        raise BadForm("not multipart") from None
    total = 0
    parts = 0
    while True:
        try:
            part = await reader.next()
        except (ValueError, AssertionError):
            raise BadForm("broken multipart") from None
        if part is None:
            return
        if not isinstance(part, BodyPartReader):  # a nested multipart: no browser sends one
            raise BadForm("nested multipart")
        parts += 1
        if parts > FIELDS_MAX + MAX_FILES * 4:
            raise BadForm("too many parts")
        name, filename = _part_names(part)
        if filename is None:
            data = await _read_field(part)
            total += len(data)
            if len(form.fields) < FIELDS_MAX and name:
                form.fields[name] = data.decode("utf-8", "replace")
            continue
        file, size = await _spool_part(part, filename, spool, BODY_MAX - total)
        total += size
        if file is not None:
            form.files.append(file)


def _part_names(part: BodyPartReader) -> tuple[str | None, str | None]:
    """A part's field name and file name, from one parse of its Content-Disposition
    (aiohttp's ``part.name`` and ``part.filename`` parse it each, about 26 µs a time)."""
    _, params = parse_content_disposition(part.headers.get(hdrs.CONTENT_DISPOSITION))
    return content_disposition_filename(params, "name"), content_disposition_filename(
        params, "filename"
    )


async def _read_field(part: BodyPartReader) -> bytes:
    data = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        data += chunk
        if len(data) > FIELD_MAX:
            raise BadForm("field too long")
    return bytes(data)


def _file_name(sent: str) -> str:
    """The file's own name: no folders; percent-escapes read (some clients send UTF-8 so)."""
    if sent.isascii() and "%" in sent:
        sent = unquote(sent, errors="strict") if _utf8_escapes(sent) else sent
    return sent.replace("\\", "/").rsplit("/", 1)[-1][:200]


def _utf8_escapes(sent: str) -> bool:
    try:
        unquote(sent, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


async def _spool_part(
    part: BodyPartReader, filename: str, spool: Path, room: int
) -> tuple[IncomingFile | None, int]:
    """Write one file part to ``spool``; past the per-file cap, count its bytes and drop them.

    An empty part without a name is an empty file input ("no file chosen"): nothing.
    """
    name = _file_name(filename)
    mime = part.headers.get("Content-Type", "application/octet-stream")[:100]
    fd, tmp = tempfile.mkstemp(prefix="web-", suffix=".part", dir=spool)
    path = Path(tmp)
    size = 0
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as sink:
            while chunk := await part.read_chunk(CHUNK):
                size += len(chunk)
                if size > room:
                    raise TooBig(size)
                if size <= MAX_FILE_BYTES:
                    sink.write(chunk)
                    digest.update(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    if size == 0 and not name:
        path.unlink(missing_ok=True)
        return None, 0
    if size > MAX_FILE_BYTES:  # too big: the flow names it and says so; nothing is kept
        path.unlink(missing_ok=True)
        return IncomingFile(name=name or "file", mime=mime, size=size), size
    return (
        IncomingFile(
            name=name or "file", mime=mime, size=size, path=path, sha256=digest.hexdigest()
        ),
        size,
    )
