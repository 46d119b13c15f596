"""What a web chat visitor has seen: their bubbles, the current buttons, and a request counter.

Kept in the store (``Storage.web_transcript`` and its kin), so that any instance of the
bot behind a load balancer shows a visitor the same page: each answer appends one entry
(its request number and the bubbles it added; on TinyDB one appended line of a small file
under ``DATA_DIR/webchat/chats/``, see storage/webchat_files.py), which keeps the web
chat's own cost per step small beside the conversation's durable write. Once a
transcript holds :data:`COMPACT_AT` entries it is replaced by one entry with only the
bubbles shown. A transcript lost (TinyDB does not fsync it) only shortens what the page
shows; the request counter then starts again from the conversation's own last input id,
so a resent form is still recognised.

``seq`` numbers the visitor's requests: the page carries ``seq + 1`` in each form, and a
form whose number was already taken (sent twice, an old tab, the back button) is shown
the page again instead of being applied twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flows.messages import Button, Reply
from storage import Storage

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
        rows = data.get("buttons")
        return cls(
            str(data.get("text", "")),
            bool(data.get("mine")),
            tuple(tuple(Button(str(label), str(value)) for label, value in row) for row in rows)
            if rows
            else (),
            bool(data.get("notice")),
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
    # Read with :meth:`TranscriptStore.load_tail`: ``bubbles`` holds only the newest
    # entries (enough for ``seq``, the buttons shown and what an answer adds), not the page.
    partial: bool = False

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
    """Transcripts in the store, by visitor id."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    def load(self, visitor: str) -> Transcript | None:
        """The visitor's transcript; None when there is none (or nothing of it is readable)."""
        entries = self.storage.web_transcript(visitor)
        if not entries:
            return None
        transcript = Transcript(seq=max(0, *(seq for seq, _ in entries)), lines=len(entries))
        # Only the entries whose bubbles the page keeps (the newest KEEP_BUBBLES) are parsed.
        first, kept = len(entries), 0
        while first > 0 and kept < KEEP_BUBBLES:
            first -= 1
            kept += len(entries[first][1])
        for _, added in entries[first:]:
            transcript.bubbles.extend(Bubble.from_json(b) for b in added[-KEEP_BUBBLES:])
        del transcript.bubbles[:-KEEP_BUBBLES]
        return transcript

    def load_tail(self, visitor: str) -> Transcript | None:
        """What an answer needs of the transcript, without parsing every earlier entry:
        its counter, its line count and its newest entries back to the bot's last bubble
        (so :attr:`Transcript.buttons` is right). Saving it appends as :meth:`load`'s does.
        """
        lines, entries = self.storage.web_transcript_tail(visitor)
        if not entries:
            return None
        transcript = Transcript(lines=lines, partial=True)
        for seq, added in entries:
            transcript.seq = max(transcript.seq, seq)
            transcript.bubbles.extend(Bubble.from_json(b) for b in added)
        return transcript

    def save(self, visitor: str, transcript: Transcript) -> None:
        """Append what was added since the transcript was read (or replace a long one)."""
        if transcript.lines + 1 >= COMPACT_AT:
            if transcript.partial:  # the page's earlier bubbles are kept in the rewrite
                whole = self.load(visitor) or Transcript()
                whole.seq = max(whole.seq, transcript.seq)
                whole.add(transcript.unsaved)
                self.rewrite(visitor, whole)
                transcript.lines, transcript.unsaved = whole.lines, []
                return
            self.rewrite(visitor, transcript)
            return
        added = [b.to_json() for b in transcript.unsaved]
        self.storage.append_web_transcript(visitor, transcript.seq, added)
        transcript.lines += 1
        transcript.unsaved = []

    def rewrite(self, visitor: str, transcript: Transcript) -> None:
        """Replace the visitor's transcript by this one, at once (one entry)."""
        shown = [b.to_json() for b in transcript.bubbles]
        self.storage.replace_web_transcript(visitor, transcript.seq, shown)
        transcript.lines = 1
        transcript.unsaved = []

    def delete(self, visitor: str) -> None:
        self.storage.delete_web_transcript(visitor)
