"""The console chat: the same intake flow and storage as Telegram, in a terminal.

Buttons print as numbered choices and are answered by number or label;
``/file PATH`` attaches evidence. With stdin not a terminal it reads lines until the
end of input and exits cleanly, so a conversation can be scripted.
"""

from __future__ import annotations

import mimetypes
import sys
from pathlib import Path
from typing import TextIO

from bot.intake import IncomingFile, IntakeService
from flows.evidence import MAX_FILE_BYTES
from flows.messages import (
    Button,
    ChoiceInput,
    CommandInput,
    Input,
    Reply,
    TextInput,
    parse_callback,
)

CONSOLE_USER_ID = 1
FILE_COMMAND = "file"


class ConsoleChat:
    """One person's chat with the bot on stdin/stdout."""

    def __init__(
        self,
        service: IntakeService,
        *,
        user_id: int = CONSOLE_USER_ID,
        lang: str = "ko",
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.service = service
        self.user_id = user_id
        self.lang = lang
        self.stdin = stdin
        self.stdout = stdout
        self.buttons: list[Button] = []

    def run(self) -> int:
        """Chat until end of input; return the process exit code."""
        interactive = self.stdin.isatty()
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
            self.send(self.read(line))
        if interactive:
            self.stdout.write("\n")
        return 0

    def read(self, line: str) -> Input | tuple[IncomingFile, ...]:
        """Turn a typed line into an input: a numbered button, a command, a file, or text."""
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
        if text.startswith("/") and len(text) > 1:
            name, _, arg = text[1:].partition(" ")
            if name == FILE_COMMAND:
                return (self.load_file(arg.strip()),)
            return CommandInput(name=name.lower(), arg=arg.strip())
        return TextInput(line)

    def load_file(self, path_text: str) -> IncomingFile:
        """Read a local file as evidence; a missing one is sent as an empty file to be refused."""
        path = Path(path_text).expanduser()
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        try:
            size = path.stat().st_size
            data = path.read_bytes() if size <= MAX_FILE_BYTES else None
        except OSError:
            self.stdout.write(f"(파일을 열 수 없어요 / cannot open file: {path})\n")
            return IncomingFile(name=path.name or "file", mime=mime, size=0, data=b"")
        return IncomingFile(name=path.name, mime=mime, size=size, data=data)

    def send(self, message: Input | tuple[IncomingFile, ...]) -> None:
        self.show(self.service.handle(self.user_id, message, language_code=self.lang))

    def show(self, replies: list[Reply]) -> None:
        self.buttons = []
        for reply in replies:
            self.stdout.write(reply.text + "\n")
            flat = [b for row in reply.buttons for b in row]
            if flat:
                self.buttons = flat
                for i, button in enumerate(flat, 1):
                    self.stdout.write(f"  [{i}] {button.label}\n")
            self.stdout.write("\n")
        self.stdout.flush()


__all__ = ["ChoiceInput", "ConsoleChat"]
