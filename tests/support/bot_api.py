"""A local stand-in for the Telegram Bot API server that speaks its wire format over loopback HTTP."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import logging
import re
import signal
import socket
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Self

import aiohttp
from aiohttp import BodyPartReader, web

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]

# Limits Telegram enforces that a bot can trip over.
DOWNLOAD_LIMIT = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64  # bytes
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]+")
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_LEADING_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?")
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)
_BUTTON_ACTIONS = frozenset(
    [
        "url",
        "callback_data",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    ]
)
# PTB sends every parameter as a form field, JSON-encoding all values except strings (see
# telegram.request.RequestParameter.json_value). These parameters are strings on Telegram's side,
# so a text such as "123" or "true" must stay a string instead of being read as JSON.
_STRING_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "secret_token",
        "ip_address",
        "language_code",
        "action",
        "file_id",
        "document",
        "photo",
        "thumbnail",
        "business_connection_id",
        "emoji",
    ]
)
# Parameters that are JSON objects or arrays; a JSON request body may still carry them as strings.
_JSON_PARAMS = frozenset(
    [
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "reply_parameters",
        "link_preview_options",
    ]
)
_NGINX_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    500: "Internal Server Error",
}
# Telegram sends a photo in several sizes, smallest first; the last one is the original.
_PHOTO_SIZES = ((90, 68), (320, 240), (800, 600), (1280, 960))


@dataclass(frozen=True, slots=True)
class Call:
    """One Bot API request the bot made, with its parameters decoded to Python values.

    Calls are recorded when answered, so a long poll appears after calls that overtook it.
    """

    method: str  # canonical spelling (e.g. "sendMessage") even if the bot used another case
    params: Mapping[str, Any]
    at: float  # time.monotonic() when the request arrived
    error_code: int | None = None  # None when the stand-in answered ok
    via: str = "request"  # or "webhook_reply": returned as the response to a webhook call

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass(frozen=True, slots=True)
class UploadedFile:
    """A file the bot uploaded as a multipart part."""

    filename: str | None
    content_type: str
    data: bytes


_FILLER = bytes(range(256)) * 4096  # 1 MiB


@dataclass(frozen=True, slots=True)
class GeneratedFile:
    """File content made on the fly: ``size`` bytes, distinct per ``seed``, never held whole.

    Lets a test send a hundred 20 MB files without the stand-in holding 2 GB: the
    download streams it in 1 MiB pieces. It starts with ``head`` (e.g. ``b"%PDF-1.4"``).
    """

    size: int
    seed: int
    head: bytes = b"%PDF-1.4\n"

    def __len__(self) -> int:
        return self.size

    def chunks(self) -> Iterator[bytes]:
        first = self.head + b"%% generated file %d\n" % self.seed
        left = self.size
        piece = first[:left]
        while left:
            yield piece
            left -= len(piece)
            piece = _FILLER[:left]

    def sha256(self) -> str:
        digest = hashlib.sha256()
        for piece in self.chunks():
            digest.update(piece)
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class SentDocument:
    """A document the bot sent; data is None when it re-sent a file_id whose bytes are unknown."""

    chat_id: int | str
    message_id: int
    file_name: str | None
    mime_type: str | None
    data: bytes | None
    caption: str | None


@dataclass(frozen=True, slots=True)
class CommandsKey:
    """Where a command list applies: setMyCommands keeps one list per scope and language."""

    scope: str = "default"
    language_code: str = ""
    chat_id: int | str | None = None
    user_id: int | None = None


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    size: int
    data: bytes | GeneratedFile | None
    path: str | None  # None: getFile refuses it (over the download limit)


@dataclass(slots=True)
class _Fault:
    error_code: int
    description: str | None
    retry_after: int


class _APIError(Exception):
    """An error answer, raised by a method implementation and sent as Telegram would."""

    def __init__(self, error_code: int, description: str, parameters: JSONDict | None = None):
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def response(self) -> web.Response:
        if self.error_code == 502:
            # A 502 comes from Telegram's nginx front, not from the Bot API: HTML, not JSON.
            return web.Response(status=502, text=_NGINX_502, content_type="text/html")
        body: JSONDict = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return _json_response(body, status=self.error_code)


def _json_response(body: object, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )


def _bad(description: str) -> _APIError:
    return _APIError(400, f"Bad Request: {description}")


def _utf16_len(text: str) -> int:
    # Entity offsets and lengths count UTF-16 code units.
    return len(text.encode("utf-16-le")) // 2


def _chat_id_value(value: object) -> int | str:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    if isinstance(value, int | str):
        return value
    raise _bad("chat_id is empty")


def _form_value(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    if name == "chat_id":
        return _chat_id_value(value)
    try:
        return json.loads(value)
    except ValueError:
        return value


def _json_value(name: str, value: Any) -> Any:
    if name in _JSON_PARAMS and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None
    if name == "chat_id":
        return _chat_id_value(value)
    return value


async def _read_params(request: web.Request) -> JSONDict:
    """Decode a request's parameters the way Telegram does: query, JSON, form or multipart."""
    params: JSONDict = {k: _form_value(k, v) for k, v in request.query.items()}
    if request.method != "POST" or not request.body_exists:
        return params
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _bad("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise _bad("can't parse JSON request body")
        params.update({k: _json_value(k, v) for k, v in body.items()})
    elif request.content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                content_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "")
                params[part.name] = UploadedFile(
                    part.filename, content_type or "application/octet-stream", await part.read()
                )
            else:
                params[part.name] = _form_value(part.name, await part.text())
        # A parameter may point at a part uploaded under another name (attach://<name>).
        for name, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[name] = params.pop(value.removeprefix("attach://"), value)
    else:
        form = await request.post()
        params.update({k: _form_value(k, v) for k, v in form.items() if isinstance(v, str)})
    return params


# HTML parse mode: the tags Telegram accepts and the entity each becomes.
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)?((?:\s[^<>]*)?)>")
_HTML_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6});")
_HTML_ATTR = re.compile(r"""([A-Za-z-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))""")
_ENTITY_CHARS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def parse_html(markup: str) -> tuple[str, list[JSONDict]]:
    """Return the plain text and entities Telegram makes of an HTML-formatted text.

    Raises the 400 Telegram answers for markup it cannot parse, which is how a bot learns
    that it echoed an unescaped "<" from user input.
    """
    out: list[str] = []
    length = 0  # UTF-16 units written so far
    entities: list[JSONDict] = []
    open_tags: list[tuple[str, JSONDict]] = []
    pos = 0

    def fail(detail: str) -> _APIError:
        return _bad(f"can't parse entities: {detail}")

    def byte_offset(index: int) -> int:
        return len(markup[:index].encode())

    while pos < len(markup):
        nxt = min((i for i in (markup.find("<", pos), markup.find("&", pos)) if i >= 0), default=-1)
        if nxt < 0:
            nxt = len(markup)
        if nxt > pos:
            chunk = markup[pos:nxt]
            out.append(chunk)
            length += _utf16_len(chunk)
            pos = nxt
            continue
        if markup[pos] == "&":
            match = _HTML_ENTITY.match(markup, pos)
            if match is None:  # a lone "&" stays literal, as on Telegram
                out.append("&")
                length += 1
                pos += 1
                continue
            name = match.group(1)
            if name.startswith("#x"):
                char = chr(int(name[2:], 16))
            elif name.startswith("#"):
                char = chr(int(name[1:]))
            else:
                char = _ENTITY_CHARS[name]
            out.append(char)
            length += _utf16_len(char)
            pos = match.end()
            continue
        match = _HTML_TAG.match(markup, pos)
        tag = (match.group(2) or "").lower() if match else ""
        if match is None or not tag:
            raise fail(f'Unsupported start tag "" at byte offset {byte_offset(pos)}')
        if match.group(1):  # end tag
            if not open_tags:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(pos)}")
            open_tag, entity = open_tags.pop()
            if open_tag != tag:
                raise fail(
                    f'Unmatched end tag at byte offset {byte_offset(pos)}, expected "</{open_tag}>", found "</{tag}>"'
                )
            entity["length"] = length - entity["offset"]
            if entity["length"] > 0:
                entities.append(entity)
        else:
            attrs = {
                m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None)
                for m in _HTML_ATTR.finditer(match.group(3))
            }
            if tag not in _HTML_TAGS or (tag == "span" and attrs.get("class") != "tg-spoiler"):
                raise fail(f'Unsupported start tag "{tag}" at byte offset {byte_offset(pos)}')
            entity = {"type": _HTML_TAGS[tag], "offset": length}
            if tag == "a":
                entity["url"] = attrs.get("href", "")
            if tag == "tg-emoji":
                entity["custom_emoji_id"] = attrs.get("emoji-id", "")
            open_tags.append((tag, entity))
        pos = match.end()
    if open_tags:
        raise fail(f'Can\'t find end tag corresponding to start tag "{open_tags[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _update_type(update: Mapping[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


_Handler = Callable[["BotAPIStandIn", JSONDict], Awaitable[Any]]
_METHODS: dict[str, tuple[str, _Handler]] = {}


def _method(name: str) -> Callable[[_Handler], _Handler]:
    """Register a Bot API method; Telegram matches method names case-insensitively."""

    def register(handler: _Handler) -> _Handler:
        _METHODS[name.lower()] = (name, handler)
        return handler

    return register


class BotAPIStandIn:
    """A Bot API server on 127.0.0.1 that records what the bot does and feeds it scripted updates.

    Point PTB at it with ``Bot(token, base_url=api.base_url, base_file_url=api.base_file_url)``.
    Chats are known once a test made their user (:meth:`user`) or an update in them; sending to
    any other chat fails with "chat not found", as it would on Telegram.
    """

    def __init__(self, token: str = "123456:TEST-TOKEN", *, port: int = 0) -> None:
        if not _TOKEN.fullmatch(token):
            raise ValueError(f"not a bot token: {token!r}")
        self.token = token
        self.bot_user: JSONDict = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Intake Test Bot",
            "username": "intake_test_bot",
        }
        # What the bot did, for tests to read.
        self.calls: list[Call] = []
        self.documents_sent: list[SentDocument] = []
        self.downloads: list[str] = []  # file paths the bot downloaded, in order
        # Downloads being served now, and the most there were at once.
        self.downloads_in_flight = 0
        self.max_downloads_in_flight = 0
        # While set to an unset Event, downloads wait for it before sending any byte.
        self.download_gate: asyncio.Event | None = None
        self.callback_answers: dict[str, JSONDict] = {}  # query id -> answerCallbackQuery params

        self._port = port
        self._url: str | None = None
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._closing = False
        # Pulsed (set and replaced) on every change, so waiters wake without polling.
        self._changed = asyncio.Event()

        self._users: dict[int, JSONDict] = {}
        self._chats: dict[int | str, JSONDict] = {}
        self._blocked: set[int] = set()
        self._next_message_ids: dict[int | str, int] = {}
        self._last_user_message: dict[int | str, int] = {}
        self._sent: dict[int | str, list[JSONDict]] = {}
        self._sent_by_id: dict[tuple[int | str, int], JSONDict] = {}
        self._open_queries: set[str] = set()
        self._files: dict[str, _StoredFile] = {}
        self._files_by_path: dict[str, _StoredFile] = {}
        self._commands: dict[CommandsKey, list[JSONDict]] = {}
        self._webhook: JSONDict | None = None
        self._faults: dict[str, deque[_Fault]] = {}

        self._update_ids = itertools.count(100_000_001)
        self._file_numbers = itertools.count(1)
        self._query_ids = itertools.count(4_382_000_000_000_001)
        self._pending: deque[JSONDict] = deque()
        self._last_queued_id = 0
        self._allowed_updates: list[str] | None = None  # None: every type
        self._poll_generation = 0

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on 127.0.0.1 (on a free port unless one was given)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_download)
        app.router.add_post("/stand-in/updates", self._control_updates)
        app.router.add_post("/stand-in/say", self._control_say)
        app.router.add_get("/stand-in/messages/{chat_id}", self._control_messages)
        app.router.add_get("/stand-in/calls", self._control_calls)
        # A long poll still waiting at close returns at once (see close), so shutdown is quick.
        self._runner = web.AppRunner(
            app, handle_signals=False, access_log=None, shutdown_timeout=2.0
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._port))
        await web.SockSite(self._runner, sock).start()
        self._url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Stop serving; long polls in flight return an empty result first."""
        self._closing = True
        self._pulse()
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:PORT``."""
        if self._url is None:
            raise RuntimeError("the Bot API stand-in is not started")
        return self._url

    @property
    def base_url(self) -> str:
        """For ``Bot(base_url=...)``: PTB appends the token and then ``/<method>``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """For ``Bot(base_file_url=...)``: PTB appends the token and then ``/<file_path>``."""
        return f"{self.url}/file/bot"

    # -- scripting: users and updates --------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Kim",
        language_code: str | None = "ko",
        username: str | None = None,
    ) -> JSONDict:
        """Make a Telegram user and their private chat with the bot."""
        user: JSONDict = {"id": user_id, "is_bot": False, "first_name": first_name}
        chat: JSONDict = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            user["username"] = chat["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._chats[user_id] = chat
        self._users[user_id] = user
        return dict(user)

    def block(self, user_id: int) -> None:
        """Make the user block the bot: sending to them fails with 403 Forbidden."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """The user allows the bot again: sending to them works."""
        self._blocked.discard(user_id)

    def text_update(
        self,
        user: JSONDict,
        text: str,
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
        forward: bool = False,
        edited: bool = False,
        message_id: int | None = None,
    ) -> JSONDict:
        """A text message; a leading /command gets its bot_command entity, as Telegram adds it.

        ``edited`` makes an edited_message of ``message_id`` (default: the user's last message
        in that chat).
        """
        fields: JSONDict = {"text": text}
        command = _LEADING_COMMAND.match(text)
        if command:
            fields["entities"] = [
                {"type": "bot_command", "offset": 0, "length": _utf16_len(command.group())}
            ]
        if forward:
            fields["forward_origin"] = {
                "type": "hidden_user",
                "sender_user_name": "Someone Else",
                "date": int(time.time()) - 3600,
            }
        return self._message_update(
            user, fields, chat_type=chat_type, chat_id=chat_id, edited=edited, message_id=message_id
        )

    def command_update(
        self, user: JSONDict, text: str, *, chat_type: str = "private", chat_id: int | None = None
    ) -> JSONDict:
        """A command such as ``"/start sb"``, with its bot_command entity."""
        if not _LEADING_COMMAND.match(text):
            raise ValueError(f"not a command: {text!r}")
        return self.text_update(user, text, chat_type=chat_type, chat_id=chat_id)

    def photo_update(
        self,
        user: JSONDict,
        data: bytes,
        *,
        media_group_id: str | None = None,
        caption: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> JSONDict:
        """A photo in four sizes, smallest first; only the last (largest) downloads as ``data``.

        The smaller sizes download as distinct placeholder bytes, so a bot that saves the
        wrong size is caught.
        """
        sizes = []
        for width, height in _PHOTO_SIZES:
            original = (width, height) == _PHOTO_SIZES[-1]
            content = data if original else b"\xff\xd8\xff\xe0thumbnail %dx%d" % (width, height)
            stored = self._register_file(content, len(content), "photos", ".jpg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.size,
                    "width": width,
                    "height": height,
                }
            )
        fields: JSONDict = {"photo": sizes}
        if caption is not None:
            fields["caption"] = caption
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        return self._message_update(user, fields, chat_type=chat_type, chat_id=chat_id)

    def document_update(
        self,
        user: JSONDict,
        data: bytes | GeneratedFile | None,
        file_name: str,
        mime_type: str,
        *,
        file_size: int | None = None,
        media_group_id: str | None = None,
        caption: str | None = None,
        chat_type: str = "private",
        chat_id: int | None = None,
    ) -> JSONDict:
        """A document; ``data=None`` with a ``file_size`` is one the bot cannot download.

        ``data`` may be a :class:`GeneratedFile`, streamed when downloaded.

        getFile refuses files over 20 MB ("file is too big"), with or without ``data``.
        """
        if data is None and file_size is None:
            raise ValueError("a document without data needs a file_size")
        size = len(data) if file_size is None and data is not None else file_size
        assert size is not None
        suffix = PurePosixPath(file_name).suffix
        stored = self._register_file(data, size, "documents", suffix)
        fields: JSONDict = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_name": file_name,
                "mime_type": mime_type,
                "file_size": size,
            }
        }
        if caption is not None:
            fields["caption"] = caption
        if media_group_id is not None:
            fields["media_group_id"] = media_group_id
        return self._message_update(user, fields, chat_type=chat_type, chat_id=chat_id)

    def sticker_update(self, user: JSONDict, *, emoji: str = "👍") -> JSONDict:
        """A regular (static) sticker."""
        stored = self._register_file(b"RIFF\x00\x00\x00\x00WEBP", 12, "stickers", ".webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": stored.size,
        }
        return self._message_update(user, {"sticker": sticker})

    def voice_update(
        self, user: JSONDict, data: bytes = b"OggS\x00\x02voice", *, duration: int = 2
    ) -> JSONDict:
        """A voice note."""
        stored = self._register_file(data, len(data), "voice", ".oga")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.size,
        }
        return self._message_update(user, {"voice": voice})

    def location_update(
        self, user: JSONDict, *, latitude: float = 37.4005, longitude: float = 127.1086
    ) -> JSONDict:
        """A shared location (default: Pangyo)."""
        return self._message_update(
            user, {"location": {"latitude": latitude, "longitude": longitude}}
        )

    def contact_update(self, user: JSONDict, *, phone_number: str = "+821012345678") -> JSONDict:
        """The user sharing their own contact."""
        contact = {
            "phone_number": phone_number,
            "first_name": user["first_name"],
            "user_id": user["id"],
        }
        return self._message_update(user, {"contact": contact})

    def callback_update(
        self, user: JSONDict, data: str, *, message_id: int, chat_id: int | str | None = None
    ) -> JSONDict:
        """A button press on one of the bot's messages, carrying that message as it is now."""
        chat = user["id"] if chat_id is None else chat_id
        record = self._sent_by_id.get((chat, message_id))
        if record is None:
            raise LookupError(f"the bot sent no message {message_id} to chat {chat}")
        query_id = str(next(self._query_ids))
        self._open_queries.add(query_id)
        query = {
            "id": query_id,
            "from": dict(user),
            "message": _copy(self._public(record)),
            "chat_instance": f"{abs(hash(chat)) % 10**19}",
            "data": data,
        }
        return {"update_id": next(self._update_ids), "callback_query": query}

    def queue(self, update: JSONDict) -> None:
        """Queue an update for getUpdates (polling mode); queue them in the order they were built."""
        update_id = update["update_id"]
        if update_id <= self._last_queued_id:
            # Telegram never sends a lower id after a higher one, and PTB's offset would drop it.
            raise ValueError(
                f"update_id {update_id} is not above the last queued {self._last_queued_id}: "
                "queue updates in the order they were built; to redeliver, deliver() twice "
                "(webhook) or restart the poller before it confirms"
            )
        self._last_queued_id = update_id
        self._pending.append(update)
        self._pulse()

    async def deliver(self, update: JSONDict, *, timeout: float = 30.0) -> int:
        """POST an update to the webhook the bot set (with its secret header); return the status.

        A method call the bot returns in a 2xx JSON response is run, as Telegram runs it
        (Telegram also reads one from a form body; this bot answers with JSON).
        """
        if self._webhook is None or self._session is None:
            raise RuntimeError("no webhook: the bot has not called setWebhook (or not started)")
        headers = {aiohttp.hdrs.CONTENT_TYPE: "application/json"}
        if self._webhook.get("secret_token"):
            headers[SECRET_HEADER] = self._webhook["secret_token"]
        async with self._session.post(
            self._webhook["url"],
            data=json.dumps(update).encode(),
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=timeout),
        ) as response:
            body = await response.read()
            if 200 <= response.status < 300 and response.content_type == "application/json":
                await self._run_webhook_reply(body)
            return response.status

    def fail_next(
        self,
        method: str,
        error_code: int = 429,
        *,
        retry_after: int = 1,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail as Telegram does.

        429 answers like flood control (with ``parameters.retry_after``); 502 answers with
        nginx's HTML page; other codes with the usual error JSON.
        """
        fault = _Fault(error_code, description, retry_after)
        self._faults.setdefault(method.lower(), deque()).extend([fault] * times)

    # -- reading what the bot did ---------------------------------------------------------

    def messages_to(self, chat_id: int | str) -> list[JSONDict]:
        """The bot's messages in a chat, oldest first, as they look now (after edits/deletes).

        Unlike the Message the bot gets back, ``reply_markup`` here is whatever the bot sent,
        reply keyboards included.
        """
        return [_copy(m) for m in self._sent.get(chat_id, ())]

    async def wait_for_messages(
        self, chat_id: int | str, count: int, timeout: float = 10
    ) -> list[JSONDict]:
        """Wait until the bot has sent at least ``count`` messages to the chat; return them all."""
        try:
            await self._wait_until(lambda: len(self._sent.get(chat_id, ())) >= count, timeout)
        except TimeoutError:
            texts = [m.get("text", m.get("caption")) for m in self._sent.get(chat_id, ())]
            raise TimeoutError(
                f"wanted {count} messages to chat {chat_id} within {timeout}s, got {texts}"
            ) from None
        return self.messages_to(chat_id)

    async def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] | None = None,
        timeout: float = 10,
        *,
        since: int = 0,
    ) -> Call:
        """The first call of ``method`` (matching ``predicate``) at index ``since`` or later.

        Pass ``since=len(api.calls)`` to wait for a call that has not happened yet.
        """
        wanted = method.lower()
        found: list[Call] = []

        def match() -> bool:
            for call in itertools.islice(self.calls, since, None):
                if call.method.lower() == wanted and (predicate is None or predicate(call)):
                    found.append(call)
                    return True
            return False

        try:
            await self._wait_until(match, timeout)
        except TimeoutError:
            seen = [c.method for c in self.calls[since:]]
            raise TimeoutError(f"no {method} call within {timeout}s; calls: {seen}") from None
        return found[0]

    @property
    def commands(self) -> dict[CommandsKey, list[JSONDict]]:
        """The command lists the bot set, by scope and language."""
        return {key: _copy(value) for key, value in self._commands.items()}

    @property
    def webhook(self) -> JSONDict | None:
        """The webhook the bot set (url, secret_token, allowed_updates, ...), or None."""
        return None if self._webhook is None else _copy(self._webhook)

    @property
    def pending_update_count(self) -> int:
        """Queued updates the bot has not confirmed yet."""
        return len(self._pending)

    # -- internals ---------------------------------------------------------------------------

    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def _wait_change(self, timeout: float) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._changed.wait()

    async def _wait_until(self, condition: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not condition():
                await self._changed.wait()

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._pulse()

    def _register_file(
        self, data: bytes | GeneratedFile | None, size: int, folder: str, suffix: str
    ) -> _StoredFile:
        number = next(self._file_numbers)
        downloadable = data is not None and size <= DOWNLOAD_LIMIT
        stored = _StoredFile(
            file_id=f"BQACAgUAAxkBAAIB{number:08d}",
            file_unique_id=f"AgADB{number:06d}",
            size=size,
            data=data,
            path=f"{folder}/file_{number}{suffix}" if downloadable else None,
        )
        self._files[stored.file_id] = stored
        if stored.path is not None:
            self._files_by_path[stored.path] = stored
        return stored

    def _chat_of(self, user: JSONDict, chat_type: str, chat_id: int | None) -> JSONDict:
        if chat_type == "private":
            private_id = user["id"] if chat_id is None else chat_id
            default = {"id": private_id, "type": "private", "first_name": user["first_name"]}
            return self._chats.setdefault(private_id, default)
        if chat_type not in ("group", "supergroup"):
            raise ValueError(f"unsupported chat type for a user's message: {chat_type}")
        group_id = -1_000_000_000_000 - user["id"] if chat_id is None else chat_id
        return self._chats.setdefault(
            group_id, {"id": group_id, "type": chat_type, "title": "Test group"}
        )

    def _next_message_id(self, chat_id: int | str) -> int:
        # One sequence per chat for both sides, as in a private chat on Telegram.
        number = self._next_message_ids.get(chat_id, 1)
        self._next_message_ids[chat_id] = number + 1
        return number

    def _message_update(
        self,
        user: JSONDict,
        fields: JSONDict,
        *,
        chat_type: str = "private",
        chat_id: int | None = None,
        edited: bool = False,
        message_id: int | None = None,
    ) -> JSONDict:
        chat = self._chat_of(user, chat_type, chat_id)
        if edited and message_id is None:
            if chat["id"] not in self._last_user_message:
                raise LookupError(f"no earlier message in chat {chat['id']} to edit")
            message_id = self._last_user_message[chat["id"]]
        elif message_id is None:
            message_id = self._next_message_id(chat["id"])
            self._last_user_message[chat["id"]] = message_id
        now = int(time.time())
        message = {"message_id": message_id, "from": dict(user), "chat": dict(chat), "date": now}
        message.update(fields)
        if edited:
            message["edit_date"] = now
        key = "edited_message" if edited else "message"
        return {"update_id": next(self._update_ids), key: message}

    @staticmethod
    def _public(record: JSONDict) -> JSONDict:
        # A Message carries only inline keyboards; reply keyboards are not echoed back (and
        # PTB's Message.de_json would reject one, since it reads reply_markup as inline).
        markup = record.get("reply_markup")
        if markup is None or "inline_keyboard" in markup:
            return record
        return {k: v for k, v in record.items() if k != "reply_markup"}

    def _chat_for(self, params: JSONDict) -> JSONDict:
        if "chat_id" not in params:
            raise _bad("chat_id is empty")
        chat = self._chats.get(params["chat_id"])
        if chat is None:
            raise _bad("chat not found")
        if chat["id"] in self._blocked:
            raise _APIError(403, "Forbidden: bot was blocked by the user")
        return chat

    @staticmethod
    def _formatted(
        params: JSONDict, field: str, limit: int, *, required: bool
    ) -> tuple[str | None, list[JSONDict] | None]:
        raw = params.get(field)
        if raw is None or raw == "":
            if required:
                raise _bad("message text is empty")
            return None, None
        text = str(raw)
        entities = params.get("entities" if field == "text" else "caption_entities")
        parse_mode = params.get("parse_mode")
        if parse_mode is not None and entities is None:
            if parse_mode.lower() == "html":
                text, entities = parse_html(text)
            elif parse_mode.lower() not in ("markdown", "markdownv2"):
                raise _bad("unsupported parse_mode")
            # Markdown modes are passed through unparsed; the bot in this project sends plain text.
        if required and not text.strip():
            raise _bad("message text is empty")
        if len(text) > limit:
            raise _bad("message is too long" if field == "text" else "message caption is too long")
        return text, entities or None

    @staticmethod
    def _markup(params: JSONDict, *, inline_only: bool = False) -> JSONDict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        rows = markup.get("inline_keyboard")
        if rows is None:
            if inline_only:
                raise _bad("inline keyboard expected")
            return markup
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad("can't parse inline keyboard markup")
        for button in itertools.chain.from_iterable(rows):
            if not isinstance(button, dict) or not _BUTTON_ACTIONS & button.keys():
                raise _bad("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise _bad("BUTTON_DATA_INVALID")
        return markup

    def _store(self, chat: JSONDict, fields: JSONDict, markup: JSONDict | None) -> JSONDict:
        message_id = self._next_message_id(chat["id"])
        record: JSONDict = {
            "message_id": message_id,
            "from": dict(self.bot_user),
            "chat": dict(chat),
            "date": int(time.time()),
        }
        record.update({k: v for k, v in fields.items() if v is not None})
        if markup is not None:
            record["reply_markup"] = markup
        self._sent.setdefault(chat["id"], []).append(record)
        self._sent_by_id[(chat["id"], message_id)] = record
        return self._public(record)

    def _editable(self, params: JSONDict) -> JSONDict:
        if "inline_message_id" in params:
            raise _bad("message to edit not found")
        if "message_id" not in params:
            raise _bad("message identifier is not specified")
        chat = self._chat_for(params)
        record = self._sent_by_id.get((chat["id"], int(params["message_id"])))
        if record is None:
            raise _bad("message to edit not found")
        return record

    def _take(self, limit: int) -> list[JSONDict]:
        allowed = self._allowed_updates
        if allowed is not None and any(_update_type(u) not in allowed for u in self._pending):
            # Telegram does not keep updates of types the bot did not ask for.
            self._pending = deque(u for u in self._pending if _update_type(u) in allowed)
        return list(itertools.islice(self._pending, limit))

    def _confirm(self, offset: int) -> None:
        if offset < 0:  # keep only the last -offset updates
            while len(self._pending) > -offset:
                self._pending.popleft()
            return
        while self._pending and self._pending[0]["update_id"] < offset:
            self._pending.popleft()

    def _check_token(self, token: str) -> None:
        if not _TOKEN.fullmatch(token):
            raise _APIError(404, "Not Found")
        if token != self.token:
            raise _APIError(401, "Unauthorized")

    def _take_fault(self, method: str) -> _Fault | None:
        faults = self._faults.get(method.lower())
        return faults.popleft() if faults else None

    # -- HTTP ------------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        async def read() -> JSONDict:
            self._check_token(request.match_info["token"])
            return await _read_params(request)

        return await self._invoke(request.match_info["method"], read, via="request")

    async def _invoke(
        self, name: str, read: Callable[[], Awaitable[JSONDict]], *, via: str
    ) -> web.Response:
        """Run one method call, record it and build Telegram's answer to it."""
        at = time.monotonic()
        entry = _METHODS.get(name.lower())
        method = entry[0] if entry else name
        params: JSONDict = {}
        try:
            params = await read()
            fault = self._take_fault(method)
            if fault is not None:
                raise _fault_error(fault)
            if entry is None:
                raise _APIError(404, "Not Found")
            try:
                result = await entry[1](self, params)
            except (ValueError, TypeError) as exc:  # a parameter of the wrong type
                raise _bad(f"wrong parameter value: {exc}") from None
        except _APIError as error:
            self._record(Call(method, params, at, error.error_code, via))
            return error.response()
        self._record(Call(method, params, at, None, via))
        return _json_response({"ok": True, "result": result})

    async def _run_webhook_reply(self, body: bytes) -> None:
        """Run the method a bot put in its webhook response, as Telegram does.

        The Bot API lets a bot answer an update by returning one method call as the
        webhook's JSON response, ``{"method": "answerCallbackQuery", ...}``; the bot
        never learns whether it worked. Anything else in a 2xx body is ignored.
        """
        try:
            payload = json.loads(body)
        except ValueError:
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("method"), str):
            return
        name = payload.pop("method")

        async def read() -> JSONDict:
            return {k: _json_value(k, v) for k, v in payload.items()}

        await self._invoke(name, read, via="webhook_reply")

    async def _handle_download(self, request: web.Request) -> web.Response:
        try:
            self._check_token(request.match_info["token"])
        except _APIError as error:
            return error.response()
        path = request.match_info["file_path"]
        stored = self._files_by_path.get(path)
        if stored is None or stored.data is None:
            return _APIError(404, "Not Found").response()
        self.downloads.append(path)
        self.downloads_in_flight += 1
        self.max_downloads_in_flight = max(self.max_downloads_in_flight, self.downloads_in_flight)
        self._pulse()
        try:
            if self.download_gate is not None:
                await self.download_gate.wait()
            if not isinstance(stored.data, GeneratedFile):
                return web.Response(body=stored.data, content_type="application/octet-stream")
            response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
            response.content_length = stored.data.size
            await response.prepare(request)
            for piece in stored.data.chunks():
                await response.write(piece)
            await response.write_eof()
            return response
        finally:
            self.downloads_in_flight -= 1
            self._pulse()

    async def _control_updates(self, request: web.Request) -> web.Response:
        body = await request.json()
        updates = body if isinstance(body, list) else [body]
        for update in updates:
            update.setdefault("update_id", next(self._update_ids))
            self.queue(update)
        return _json_response({"ok": True, "result": [u["update_id"] for u in updates]})

    async def _control_say(self, request: web.Request) -> web.Response:
        body = await request.json()
        user_id = int(body["user_id"])
        user = self._users.get(user_id) or self.user(
            user_id, body.get("first_name", "Kim"), body.get("language_code", "ko")
        )
        update = self.text_update(user, str(body["text"]))
        if self._webhook is not None:
            return _json_response({"ok": True, "result": {"status": await self.deliver(update)}})
        self.queue(update)
        return _json_response({"ok": True, "result": {"update_id": update["update_id"]}})

    async def _control_messages(self, request: web.Request) -> web.Response:
        chat_id = _chat_id_value(request.match_info["chat_id"])
        return _json_response({"ok": True, "result": self.messages_to(chat_id)})

    async def _control_calls(self, request: web.Request) -> web.Response:
        def plain(value: object) -> object:
            if isinstance(value, UploadedFile):
                return {"filename": value.filename, "size": len(value.data)}
            return value

        calls = [
            {
                "method": c.method,
                "params": {k: plain(v) for k, v in c.params.items()},
                "error_code": c.error_code,
            }
            for c in self.calls
        ]
        return _json_response({"ok": True, "result": calls})

    # -- Bot API methods -------------------------------------------------------------------------

    @_method("getMe")
    async def _get_me(self, params: JSONDict) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    @_method("getUpdates")
    async def _get_updates(self, params: JSONDict) -> list[JSONDict]:
        conflict = _APIError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; "
            "use deleteWebhook to delete the webhook first",
        )
        if self._webhook is not None:
            raise conflict
        offset = int(params.get("offset", 0))
        limit = min(max(int(params.get("limit", 100)), 1), 100)
        timeout = max(float(params.get("timeout", 0)), 0.0)
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"]) or None
        self._confirm(offset)
        # A newer getUpdates ends an older one still waiting, as on Telegram.
        self._poll_generation += 1
        generation = self._poll_generation
        self._pulse()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            batch = self._take(limit)
            if batch:
                return batch
            if generation != self._poll_generation:
                raise _APIError(409, _DEFAULT_DESCRIPTIONS[409])
            if self._webhook is not None:
                raise conflict
            remaining = deadline - asyncio.get_running_loop().time()
            if self._closing or remaining <= 0:
                return []
            await self._wait_change(remaining)

    @_method("sendMessage")
    async def _send_message(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params)
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        markup = self._markup(params)
        return self._store(chat, {"text": text, "entities": entities}, markup)

    @_method("editMessageText")
    async def _edit_message_text(self, params: JSONDict) -> JSONDict:
        record = self._editable(params)
        if "text" not in record:
            raise _bad("there is no text in the message to edit")
        text, entities = self._formatted(params, "text", MAX_TEXT, required=True)
        # Without reply_markup the edit removes the inline keyboard, as on Telegram.
        markup = self._markup(params, inline_only=True)
        if text == record["text"] and markup == record.get("reply_markup"):
            raise _bad(_NOT_MODIFIED)
        record["text"] = text
        _set_or_drop(record, "entities", entities)
        _set_or_drop(record, "reply_markup", markup)
        record["edit_date"] = int(time.time())
        return self._public(record)

    @_method("editMessageReplyMarkup")
    async def _edit_message_reply_markup(self, params: JSONDict) -> JSONDict:
        record = self._editable(params)
        markup = self._markup(params, inline_only=True)
        if markup == record.get("reply_markup"):
            raise _bad(_NOT_MODIFIED)
        _set_or_drop(record, "reply_markup", markup)
        record["edit_date"] = int(time.time())
        return self._public(record)

    @_method("deleteMessage")
    async def _delete_message(self, params: JSONDict) -> bool:
        chat = self._chat_for(params)
        record = self._sent_by_id.pop((chat["id"], int(params.get("message_id", 0))), None)
        if record is None:
            raise _bad("message to delete not found")
        self._sent[chat["id"]].remove(record)
        return True

    @_method("answerCallbackQuery")
    async def _answer_callback_query(self, params: JSONDict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            # Unknown, expired or already answered: a query takes one answer.
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)
        self.callback_answers[query_id] = dict(params)
        return True

    @_method("sendChatAction")
    async def _send_chat_action(self, params: JSONDict) -> bool:
        self._chat_for(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    @_method("setMyCommands")
    async def _set_my_commands(self, params: JSONDict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.fullmatch(
                str(command.get("command", ""))
            ):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[_commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    @_method("getMyCommands")
    async def _get_my_commands(self, params: JSONDict) -> list[JSONDict]:
        return self._commands.get(_commands_key(params), [])

    @_method("deleteMyCommands")
    async def _delete_my_commands(self, params: JSONDict) -> bool:
        self._commands.pop(_commands_key(params), None)
        return True

    @_method("setWebhook")
    async def _set_webhook(self, params: JSONDict) -> bool:
        url = str(params.get("url", ""))
        if not url:  # an empty url removes the webhook
            return await self._delete_webhook(params)
        if not url.startswith(("http://", "https://")):
            # Like a self-hosted server in --local mode, plain http on any port is accepted.
            raise _bad("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.fullmatch(str(secret)):
            raise _bad("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if "allowed_updates" in params:
            self._allowed_updates = list(params["allowed_updates"]) or None
        self._webhook = {
            "url": url,
            "secret_token": None if secret is None else str(secret),
            "allowed_updates": self._allowed_updates,
            "max_connections": int(params.get("max_connections", 40)),
            "ip_address": params.get("ip_address"),
            "has_custom_certificate": isinstance(params.get("certificate"), UploadedFile),
        }
        self._pulse()  # a long poll in flight now conflicts
        return True

    @_method("deleteWebhook")
    async def _delete_webhook(self, params: JSONDict) -> bool:
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._webhook = None
        return True

    @_method("getWebhookInfo")
    async def _get_webhook_info(self, params: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook is not None:
            info["url"] = self._webhook["url"]
            info["has_custom_certificate"] = self._webhook["has_custom_certificate"]
            info["max_connections"] = self._webhook["max_connections"]
            for key in ("ip_address", "allowed_updates"):
                if self._webhook[key] is not None:
                    info[key] = self._webhook[key]
        return info

    @_method("getFile")
    async def _get_file(self, params: JSONDict) -> JSONDict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad("invalid file_id")
        if stored.path is None:
            raise _bad("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    @_method("sendDocument")
    async def _send_document(self, params: JSONDict) -> JSONDict:
        chat = self._chat_for(params)
        document = params.get("document")
        if isinstance(document, UploadedFile):
            file_name, mime_type, data = document.filename, document.content_type, document.data
            suffix = PurePosixPath(file_name or "").suffix
            stored = self._register_file(data, len(data), "documents", suffix)
        elif isinstance(document, str) and document in self._files:
            stored = self._files[document]
            data = None if isinstance(stored.data, GeneratedFile) else stored.data
            file_name, mime_type = None, None
        elif document is None:
            raise _bad("there is no document in the request")
        else:
            raise _bad("wrong file identifier/HTTP URL specified")
        caption, caption_entities = self._formatted(params, "caption", MAX_CAPTION, required=False)
        markup = self._markup(params)
        described = {"file_name": file_name, "mime_type": mime_type}
        fields = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                **{k: v for k, v in described.items() if v is not None},
                "file_size": stored.size,
            },
            "caption": caption,
            "caption_entities": caption_entities,
        }
        message = self._store(chat, fields, markup)
        self.documents_sent.append(
            SentDocument(chat["id"], message["message_id"], file_name, mime_type, data, caption)
        )
        return message


def _set_or_drop(record: JSONDict, key: str, value: object) -> None:
    if value is None:
        record.pop(key, None)
    else:
        record[key] = value


def _commands_key(params: JSONDict) -> CommandsKey:
    scope = params.get("scope") or {"type": "default"}
    if not isinstance(scope, dict) or "type" not in scope:
        raise _bad("can't parse BotCommandScope JSON object")
    chat_id = scope.get("chat_id")
    return CommandsKey(
        scope=str(scope["type"]),
        language_code=str(params.get("language_code", "")),
        chat_id=None if chat_id is None else _chat_id_value(chat_id),
        user_id=scope.get("user_id"),
    )


def _fault_error(fault: _Fault) -> _APIError:
    if fault.error_code == 429:
        description = fault.description or f"Too Many Requests: retry after {fault.retry_after}"
        return _APIError(429, description, {"retry_after": fault.retry_after})
    description = fault.description or _DEFAULT_DESCRIPTIONS.get(fault.error_code, "Error")
    return _APIError(fault.error_code, description)


def _copy(value: Any) -> Any:
    # Records hold only JSON types; a JSON round trip is a fast deep copy.
    return json.loads(json.dumps(value))


async def _serve(port: int, token: str) -> None:
    async with BotAPIStandIn(token, port=port) as api:
        log.info(
            "Bot API stand-in for token %s: TELEGRAM_API_BASE_URL=%s TELEGRAM_FILE_BASE_URL=%s",
            token,
            api.base_url,
            api.base_file_url,
        )
        log.info(
            'script it: POST %s/stand-in/say {"user_id": 1, "text": "/start"}; '
            "GET %s/stand-in/messages/1",
            api.url,
            api.url,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    """Run the stand-in as a process until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.bot_api", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument("--token", default="123456:TEST-TOKEN", help="the bot token to accept")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    asyncio.run(_serve(args.port, args.token))


if __name__ == "__main__":
    main()
