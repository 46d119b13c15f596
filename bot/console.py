"""The console chat: the same intake flow and storage as Telegram, in a terminal.

Buttons print as numbered choices and are answered by number or label;
``/file PATH`` attaches evidence (quoted, backslash-escaped or ``file://`` paths, as
terminals paste them, are read too). What only the console has (``/file``) is said
by the console itself, in the catalog's ``console.*`` words (``flows/locales/``). With stdin not a terminal it reads
lines until the end of input and exits cleanly, so a conversation can be scripted.
"""

from __future__ import annotations

import mimetypes
import shlex
import sys
from pathlib import Path
from typing import TextIO
from urllib.parse import unquote, urlparse

from bot.intake import IncomingFile, IntakeService
from flows.commands import read_line
from flows.evidence import MAX_FILE_BYTES
from flows.identity import CONSOLE, UserKey
from flows.messages import (
    Button,
    ChoiceInput,
    CommandInput,
    Input,
    Reply,
    parse_callback,
)
from flows.texts import t

# The one person at this terminal (layout-1 data had them as user 1; see storage/migrate.py).
CONSOLE_USER_ID = UserKey(CONSOLE, "1")
FILE_COMMAND = "file"
# Questions that take files: the console tells how to send one there.
FILE_QUESTIONS = ("evidence", "supplement", "message")


class ConsoleChat:
    """One person's chat with the bot on stdin/stdout."""

    def __init__(
        self,
        service: IntakeService,
        *,
        user_id: UserKey = CONSOLE_USER_ID,
        lang: str | None = None,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        """``lang`` (``chat --lang``) is the user's choice: it applies to a draft in progress."""
        self.service = service
        self.user_id = user_id
        self.lang = lang
        self.stdin = stdin
        self.stdout = stdout
        self.buttons: list[Button] = []
        self._at_files = False  # the last question shown takes files

    def run(self) -> int:
        """Chat until end of input; return the process exit code."""
        interactive = self.stdin.isatty()
        if self.lang is not None:
            self.service.set_language(self.user_id, self.lang)
        pending = self.service.current_prompt(self.user_id)
        if pending is not None:  # a draft survived a restart: carry on where it stopped
            self.show([pending])
        else:
            self.send(CommandInput("start"))
        while True:
            if interactive:
                self.stdout.write("> ")
                self.stdout.flush()
            line = self.stdin.readline()
            if not line:
                break
            line = line.rstrip("\r\n")
            if not line.strip() and not interactive:
                continue
            message = self.read(line)
            if message is not None:
                self.send(message)
        if interactive:
            self.stdout.write("\n")
        return 0

    def read(self, line: str) -> Input | tuple[IncomingFile, ...] | None:
        """Turn a typed line into an input: a numbered button, a command, a file, or text.

        None when the console answered it itself (a file that cannot be read).
        """
        text = line.strip()
        if text.isdigit() and self.buttons and 1 <= int(text) <= len(self.buttons):
            choice = parse_callback(self.buttons[int(text) - 1].data)
            if choice is not None:
                return choice
        for button in self.buttons:
            if text == button.label:
                choice = parse_callback(button.data)
                if choice is not None:
                    return choice
        read = read_line(line)
        if isinstance(read, CommandInput) and read.name == FILE_COMMAND:
            incoming = self.load_file(read.arg)
            return None if incoming is None else (incoming,)
        return read

    def load_file(self, path_text: str) -> IncomingFile | None:
        """Read a local file as evidence; None (and one message saying why) when it can't be."""
        if not path_text:
            self.say("no_path")
            return None
        path = find_path(path_text)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            size = path.stat().st_size
            data = path.read_bytes() if size <= MAX_FILE_BYTES else None
        except FileNotFoundError:
            self.say("not_found", path=path)
            return None
        except OSError:  # a folder, no permission…
            self.say("unreadable", path=path)
            return None
        return IncomingFile(name=path.name, mime=mime, size=size, data=data)

    def text(self, key: str, **values: object) -> str:
        lang = self.service.user_lang(self.user_id, self.lang)
        return t(lang, f"console.{key}", **values)

    def say(self, key: str, **values: object) -> None:
        self.stdout.write(self.text(key, **values) + "\n\n")
        self.stdout.flush()

    def send(self, message: Input | tuple[IncomingFile, ...]) -> None:
        replies = self.service.handle(self.user_id, message, language_code=self.lang)
        if isinstance(message, CommandInput) and message.name == "help" and replies:
            first = replies[0]
            replies = [Reply(first.text + "\n" + self.text("help"), first.buttons), *replies[1:]]
        self.show(replies)

    def show(self, replies: list[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            flat = [b for row in reply.buttons for b in row]
            if flat:
                at_files = flat[0].data.split(":", 1)[0] in FILE_QUESTIONS
                if at_files and not self._at_files:  # said once, where files are first asked for
                    reply = Reply(reply.text + "\n" + self.text("evidence"), reply.buttons)
                self._at_files = at_files
            self.stdout.write(reply.text + "\n")
            flat = [b for row in reply.buttons for b in row]
            if flat:
                self.buttons = flat
                for i, button in enumerate(flat, 1):
                    self.stdout.write(f"  [{i}] {button.label}\n")
            self.stdout.write("\n")
        self.stdout.flush()


def find_path(typed: str) -> Path:
    """The file a typed or pasted path names.

    Terminals paste paths quoted ('/a b.jpg'), with backslash-escaped spaces
    (/a\\ b.jpg) or as file:// URLs; a plain path with spaces is taken as typed.
    The first reading that names an existing file wins; otherwise the most likely
    one is returned (for the "not found" message).
    """
    text = typed.strip()
    readings = [text]
    if text.startswith("file://"):
        readings.insert(0, unquote(urlparse(text).path))
    try:
        words = shlex.split(text)
    except ValueError:  # an unbalanced quote: not shell syntax
        words = []
    if len(words) == 1:
        readings.insert(0, words[0])
    for reading in readings:
        path = Path(reading).expanduser()
        if path.exists():
            return path
    return Path(readings[0]).expanduser()


__all__ = ["ChoiceInput", "ConsoleChat", "find_path"]
