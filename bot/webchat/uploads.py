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

Which of the two a body is comes from its raw Content-Type (:func:`is_multipart`), and
multipart bodies are read here, not with aiohttp's ``MultipartReader`` (see the section
below): a part's headers cost a few µs instead of about 100.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl, unquote

from aiohttp import StreamReader, hdrs, web

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


def is_multipart(content_type: str) -> bool:
    """Whether a raw Content-Type header is ``multipart/form-data``: its media type (before
    any ';'), whitespace-trimmed, in any case. aiohttp's ``request.content_type`` gives the
    same answer for every header an HTTP client sends, but parses it through the email
    package first (about 0.1 ms for each new value, and every upload's boundary is new)."""
    return content_type.partition(";")[0].strip().lower() == "multipart/form-data"


async def read_form(request: web.Request, spool: Path) -> Form:
    """Read a urlencoded or multipart form; files go to ``spool`` (raises TooBig, BadForm)."""
    if request.content_length is not None and request.content_length > BODY_MAX:
        raise TooBig(request.content_length)
    content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
    if not is_multipart(content_type):
        return await _read_urlencoded(request)
    form = Form()
    try:
        await _read_parts(request.content, _boundary(content_type), spool, form)
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
    length = request.content_length
    if length is not None and length > FORM_MAX:
        raise TooBig(length)
    body = bytearray()
    while chunk := await request.content.read(FORM_MAX + 1 - len(body)):
        body += chunk
        if len(body) > FORM_MAX:
            raise TooBig(len(body))
        if len(body) == length:  # all of it: aiohttp's stream ends there (no read to learn so)
            break
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


# -- multipart/form-data -----------------------------------------------------------------------
#
# Read here rather than with aiohttp's MultipartReader, whose per-part header work cost more
# than the rest of an upload's reading: it parses each part's headers into a multidict, the
# part's Content-Type, and its Content-Disposition twice (the second time for the names),
# each parse re-escaping 128 characters for a regular expression (about 30 µs a time).
# The grammar is RFC 7578's (RFC 2046 framing, RFC 9110 header fields) as far as browsers
# write it; anything else is refused as a whole (BadForm), never partly read.

HEAD_MAX = 8 * 1024  # one part's header block: a browser's is a few hundred bytes
# RFC 2046: 1 to 70 characters, the last not a space.
BOUNDARY = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]")
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
# One parameter after a ';': a token name, then a token or a quoted string (any character
# but controls other than HTAB; a backslash escapes the next one). Raw UTF-8 is read as
# browsers write it (the header block is decoded first). A quoted string that only closes
# when its backslashes are not escapes is read as browsers write it (they escape nothing
# with a backslash: a name ending in one is sent as it is, e.g. filename="scan\").
PARAM = re.compile(
    rf'[ \t]*;[ \t]*(?:({_TOKEN})[ \t]*=[ \t]*(?:"((?:[^"\\\x00-\x08\x0a-\x1f\x7f]'
    rf'|\\[^\x00-\x08\x0a-\x1f\x7f])*)"|"([^"\x00-\x08\x0a-\x1f\x7f]*)"|({_TOKEN}))[ \t]*)?'
)
DISPOSITION = re.compile(rf"[ \t]*({_TOKEN})[ \t]*")
QUOTED_PAIR = re.compile(r"\\(.)")
CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
TOKEN = re.compile(_TOKEN)
EXTENDED = re.compile(r"(?i:utf-8)'[^']*'([!#$&+.^_`|~0-9A-Za-z%-]*)")


def _boundary(content_type: str) -> bytes:
    """The boundary parameter of a multipart Content-Type (the first one, quotes removed,
    as aiohttp's ``parse_mimetype`` reads it), checked against RFC 2046."""
    for item in content_type.split(";")[1:]:
        key, _, value = item.partition("=")
        if key.strip().lower() == "boundary":
            value = value.strip(' "')
            if BOUNDARY.fullmatch(value) is None:
                break
            return value.encode()
    raise BadForm("no usable boundary")


class _Parts:
    """The body of a multipart form, read part by part from the request stream.

    At most :data:`CHUNK` bytes and a part's header block are held at a time; every byte
    of the stream is counted against :data:`BODY_MAX` as it arrives.
    """

    def __init__(self, stream: StreamReader, boundary: bytes) -> None:
        self.stream = stream
        self.delimiter = b"\r\n--" + boundary
        self.buffer = b"\r\n"  # so that the first delimiter is found like all the others
        self.read = 0
        self.in_part = True  # the preamble is read (and dropped) as a part without headers
        self.over = False  # the closing delimiter was read

    async def fill(self) -> None:
        """Append the next bytes of the stream to the buffer (BadForm at its end)."""
        chunk = await self.stream.read(CHUNK)
        if not chunk:
            raise BadForm("broken multipart")
        self.read += len(chunk)
        if self.read > BODY_MAX:
            raise TooBig(self.read)
        self.buffer += chunk

    async def piece(self) -> bytes:
        """The next bytes of the current part's body; b"" once the part is over."""
        if not self.in_part:
            return b""
        delimiter = self.delimiter
        while True:
            at = self.buffer.find(delimiter)
            if at >= 0:
                data = self.buffer[:at]
                self.buffer = self.buffer[at + len(delimiter) :]
                self.in_part = False
                await self._after_delimiter()
                return data
            # Keep back what could be the start of a delimiter cut by the stream's pieces.
            keep = len(delimiter) - 1
            if len(self.buffer) > keep:
                cr = self.buffer.find(b"\r", len(self.buffer) - keep)
                cut = cr if cr >= 0 else len(self.buffer)
                if cut > 0:
                    data, self.buffer = self.buffer[:cut], self.buffer[cut:]
                    return data
            await self.fill()

    async def _after_delimiter(self) -> None:
        """After a delimiter: "--" ends the form; else the line ends (RFC 2046 allows
        spaces before its CRLF) and a part's headers follow."""
        while len(self.buffer) < 2:
            await self.fill()
        if self.buffer.startswith(b"--"):
            self.over = True
            return
        while (end := self.buffer.find(b"\r\n")) < 0:
            if len(self.buffer) > 64:
                raise BadForm("broken multipart")
            await self.fill()
        if self.buffer[:end].strip(b" \t"):
            raise BadForm("broken multipart")
        self.buffer = self.buffer[end + 2 :]

    async def skip(self) -> None:
        """Read to the end of the current part (the preamble)."""
        while await self.piece():
            pass

    async def headers(self) -> tuple[str | None, str | None, str]:
        """The next part's headers: its field name, file name and media type; starts its body."""
        while True:
            if self.buffer.startswith(b"\r\n"):
                raise BadForm("part without headers")
            end = self.buffer.find(b"\r\n\r\n")
            if end > HEAD_MAX or (end < 0 and len(self.buffer) > HEAD_MAX):
                raise BadForm("part headers too long")
            if end >= 0:
                break
            await self.fill()
        try:
            block = self.buffer[:end].decode("utf-8")  # browsers write names in UTF-8
        except UnicodeDecodeError:
            raise BadForm("part headers not UTF-8") from None
        self.buffer = self.buffer[end + 4 :]
        self.in_part = True
        return _part_head(block)


def _part_head(block: str) -> tuple[str | None, str | None, str]:
    disposition = None
    mime = "application/octet-stream"
    for line in block.split("\r\n"):
        # A token, ':', the value without the spaces and tabs around it. Split and strip,
        # not one pattern: ``:[ \t]*(.*?)[ \t]*`` backtracks over a run of spaces (n**3).
        header, colon, value = line.partition(":")
        if not colon or TOKEN.fullmatch(header) is None or CONTROL.search(line):
            raise BadForm("unreadable part header")  # a fold, a bare CR or LF, a NUL ...
        header = header.lower()
        value = value.strip(" \t")
        if header == "content-disposition":
            if disposition is not None:
                raise BadForm("two Content-Dispositions")
            disposition = value
        elif header == "content-type":
            mime = value
            if mime.split(";")[0].strip().lower().partition("/")[0] == "multipart":
                raise BadForm("nested multipart")  # no browser sends one
    if disposition is None:
        raise BadForm("part without a Content-Disposition")
    name, filename = _names(disposition)
    return name, filename, mime[:100]


def _names(disposition: str) -> tuple[str | None, str | None]:
    """A form-data Content-Disposition's field name and file name (RFC 7578: ``name``,
    ``filename``, and RFC 5987's ``filename*`` in UTF-8, which wins). Anything that is not
    that grammar, or a parameter twice, is refused."""
    kind = DISPOSITION.match(disposition)
    if kind is None or kind.group(1).lower() != "form-data":
        raise BadForm("not form-data")
    params: dict[str, str] = {}
    at = kind.end()
    while at < len(disposition):
        param = PARAM.match(disposition, at)
        if param is None or param.end() == at:
            raise BadForm("unreadable Content-Disposition")
        at = param.end()
        key, quoted, literal, token = param.groups()
        if key is None:  # an empty parameter (a trailing ';')
            continue
        key = key.lower()
        if key in params:
            raise BadForm("a Content-Disposition parameter twice")
        if quoted is not None:
            params[key] = QUOTED_PAIR.sub(r"\1", quoted) if "\\" in quoted else quoted
        else:
            params[key] = literal if literal is not None else token
    filename = params.get("filename")
    if (extended := params.get("filename*")) is not None:
        value = EXTENDED.fullmatch(extended)
        if value is None:
            raise BadForm("unreadable filename*")
        try:
            filename = unquote(value.group(1), "utf-8", "strict")
        except UnicodeDecodeError:
            raise BadForm("unreadable filename*") from None
    return params.get("name"), filename


async def _read_parts(stream: StreamReader, boundary: bytes, spool: Path, form: Form) -> None:
    parts = _Parts(stream, boundary)
    await parts.skip()  # the preamble (none from a browser), up to the first delimiter
    count = 0
    while not parts.over:
        count += 1
        if count > FIELDS_MAX + MAX_FILES * 4:
            raise BadForm("too many parts")
        name, filename, mime = await parts.headers()
        if filename is None:
            data = await _read_field(parts)
            if len(form.fields) < FIELDS_MAX and name:
                form.fields[name] = data.decode("utf-8", "replace")
            continue
        file = await _spool_part(parts, filename, mime, spool)
        if file is not None:
            form.files.append(file)


async def _read_field(parts: _Parts) -> bytes:
    data = bytearray()
    while chunk := await parts.piece():
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


async def _spool_part(parts: _Parts, filename: str, mime: str, spool: Path) -> IncomingFile | None:
    """Write one file part to ``spool``; past the per-file cap, count its bytes and drop them.

    An empty part without a name is an empty file input ("no file chosen"): nothing, and
    no file made for it (the spool file is made with the part's first bytes).
    """
    name = _file_name(filename)
    path: Path | None = None
    sink: BinaryIO | None = None
    size = 0
    digest = hashlib.sha256()
    try:
        while chunk := await parts.piece():
            size += len(chunk)
            if size > MAX_FILE_BYTES:
                continue  # too big: counted, not kept
            if sink is None:
                path, sink = _spool_file(spool)
            sink.write(chunk)
            digest.update(chunk)
        if size == 0:
            if not name:
                return None
            path, sink = _spool_file(spool)  # an empty file with a name: kept, as sent
        if sink is not None:
            sink.close()  # writes out its buffered last bytes: a full disk fails here too
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        if sink is not None:
            with contextlib.suppress(OSError):  # the first failure is the one raised
                sink.close()
        raise
    if size > MAX_FILE_BYTES:  # too big: the flow names it and says so; nothing is kept
        if path is not None:
            path.unlink(missing_ok=True)
        return IncomingFile(name=name or "file", mime=mime, size=size)
    return IncomingFile(
        name=name or "file", mime=mime, size=size, path=path, sha256=digest.hexdigest()
    )


def _spool_file(spool: Path) -> tuple[Path, BinaryIO]:
    fd, tmp = tempfile.mkstemp(prefix="web-", suffix=".part", dir=spool)
    return Path(tmp), os.fdopen(fd, "wb")
