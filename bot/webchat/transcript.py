"""What a web chat visitor has seen: their bubbles, the current buttons, and a request counter.

One small file of JSON lines per visitor under ``DATA_DIR/webchat/chats/`` (fanned out by
the id's hash). Each answer appends one line (its request number and the bubbles it
added) in a single ``write`` with ``O_APPEND``: no rename, no rewrite of what was there,
which keeps the web chat's own cost per step small beside the conversation's durable
write. A line torn by a kill is skipped when read (the lines before it stand). Once a
file holds :data:`COMPACT_AT` lines it is rewritten with only the bubbles shown, atomically
(a temporary file renamed over it). Nothing here is fsync'd: the conversation itself is
(by the store), and a transcript lost to a power cut only shortens what the page shows;
the request counter then starts again from the conversation's own last input id, so a
resent form is still recognised.

``seq`` numbers the visitor's requests: the page carries ``seq + 1`` in each form, and a
form whose number was already taken (sent twice, an old tab, the back button) is shown
the page again instead of being applied twice.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flows.messages import Button, Reply

log = logging.getLogger(__name__)

# Bubbles kept per visitor: the page shows the recent past, the store has the whole report.
KEEP_BUBBLES = 60


@dataclass
class Bubble:
    """One message on the page: the bot's (with its buttons) or the visitor's own."""

    text: str
    mine: bool = False
    buttons: tuple[tuple[Button, ...], ...] = ()
    notice: bool = False  # came from the mailbox (staff, review, reminders)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"text": self.text}
        if self.mine:
            data["mine"] = True
        if self.notice:
            data["notice"] = True
        if self.buttons:
            data["buttons"] = [[[b.label, b.data] for b in row] for row in self.buttons]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bubble:
        return cls(
            text=str(data.get("text", "")),
            mine=bool(data.get("mine")),
            notice=bool(data.get("notice")),
            buttons=tuple(
                tuple(Button(str(label), str(value)) for label, value in row)
                for row in data.get("buttons", ())
            ),
        )

    @classmethod
    def of(cls, reply: Reply, *, notice: bool = False) -> Bubble:
        return cls(text=reply.text, buttons=reply.buttons, notice=notice)


@dataclass
class Transcript:
    seq: int = 0
    bubbles: list[Bubble] = field(default_factory=list)
    unsaved: list[Bubble] = field(default_factory=list)  # added since it was read
    lines: int = 0  # lines its file held when read (0: no file yet)

    @property
    def buttons(self) -> tuple[tuple[Button, ...], ...]:
        """The buttons of the question the visitor is on: the last bot bubble's."""
        for bubble in reversed(self.bubbles):
            if not bubble.mine:
                return bubble.buttons
        return ()

    def add(self, bubbles: list[Bubble]) -> None:
        self.bubbles.extend(bubbles)
        self.unsaved.extend(bubbles)
        del self.bubbles[:-KEEP_BUBBLES]


# A file is rewritten with only what the page shows once it holds this many lines.
COMPACT_AT = 100


class TranscriptStore:
    """Transcripts as files of JSON lines under ``folder`` (``DATA_DIR/webchat``)."""

    def __init__(self, folder: Path) -> None:
        self.chats = folder / "chats"
        self.tmp = folder / "tmp"
        for path in (self.chats, self.tmp):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
        for entry in os.scandir(self.tmp):  # rewrites that never finished
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
        self._prefix = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._names = itertools.count()  # next() is atomic: worker threads never share a name

    def _path(self, visitor: str) -> Path:
        fan = hashlib.sha256(visitor.encode()).hexdigest()[:2]
        return self.chats / fan / f"{visitor}.jsonl"

    def load(self, visitor: str) -> Transcript | None:
        """The visitor's transcript; None when there is none (or nothing of it is readable)."""
        try:
            raw = self._path(visitor).read_bytes()
        except FileNotFoundError:
            return None
        transcript = Transcript()
        for line in raw.splitlines():
            try:
                data = json.loads(line)
                seq = int(data["seq"])
                added = [Bubble.from_json(b) for b in data["add"]]
            except (ValueError, KeyError, TypeError):
                log.warning("web chat transcript of %s: a torn line skipped", visitor)
                continue
            transcript.seq = max(transcript.seq, seq)
            transcript.bubbles.extend(added)
            transcript.lines += 1
        del transcript.bubbles[:-KEEP_BUBBLES]
        return transcript if transcript.lines else None

    def save(self, visitor: str, transcript: Transcript) -> None:
        """Append what was added since the transcript was read (or rewrite a long file)."""
        if transcript.lines + 1 >= COMPACT_AT:
            self.rewrite(visitor, transcript)
            return
        line = self._line(transcript.seq, transcript.unsaved)
        path = self._path(visitor)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # personal data
        except FileNotFoundError:  # the fan-out folder is new
            path.parent.mkdir(exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            os.write(fd, line)
        finally:
            os.close(fd)
        transcript.lines += 1
        transcript.unsaved = []

    def rewrite(self, visitor: str, transcript: Transcript) -> None:
        """Replace the visitor's file by this transcript, atomically (one line)."""
        path = self._path(visitor)
        tmp = self.tmp / f"{self._prefix}-{next(self._names)}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(self._line(transcript.seq, transcript.bubbles))
        try:
            os.replace(tmp, path)
        except FileNotFoundError:  # the fan-out folder is new
            path.parent.mkdir(exist_ok=True, mode=0o700)
            os.replace(tmp, path)
        transcript.lines = 1
        transcript.unsaved = []

    @staticmethod
    def _line(seq: int, bubbles: list[Bubble]) -> bytes:
        data = {"seq": seq, "add": [b.to_json() for b in bubbles]}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"

    def delete(self, visitor: str) -> None:
        self._path(visitor).unlink(missing_ok=True)
