"""Channel-neutral inputs the flow accepts and replies it returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TextInput:
    """Free text typed by the user."""

    text: str


@dataclass(frozen=True)
class ChoiceInput:
    """A button press: the question it belonged to and the option chosen."""

    question: str
    value: str


@dataclass(frozen=True)
class EvidenceFile:
    """One file the user sent. ``sha256`` is None when it was not downloaded (too big)."""

    name: str
    mime: str
    size: int
    sha256: str | None


@dataclass(frozen=True)
class FilesInput:
    """One or more files sent together.

    ``group`` names an album whose items arrive one by one (Telegram's
    ``media_group_id``): each is stored at once without a reply, and
    :class:`AlbumEndInput` then answers once for the whole album.
    """

    files: tuple[EvidenceFile, ...]
    group: str | None = None


@dataclass(frozen=True)
class AlbumEndInput:
    """No more items of album ``group`` are coming: time for its one reply."""

    group: str


@dataclass(frozen=True)
class CommandInput:
    """A slash command such as ``/back``; ``arg`` is the rest of the line."""

    name: str
    arg: str = ""


@dataclass(frozen=True)
class UnsupportedInput:
    """Something the flow cannot take: a voice note, sticker, location, contact…"""

    kind: str


@dataclass(frozen=True)
class AlbumDeliveredInput:
    """The album's reply was sent: the record may forget the album."""

    group: str


@dataclass(frozen=True)
class SupplementInput:
    """Open the document step for a submitted case staff asked more documents for.

    The channel checks that the case is the user's and waiting for documents.
    """

    case_number: str
    documents: str = ""


@dataclass(frozen=True)
class MessageInput:
    """Write to staff about a submitted case: a pressed "write to staff" button (or the
    case picked for a message already typed).

    Made by the intake from the button's data (``msg:<case number>``) once it has
    checked that the case is the presser's; a forged number never reaches the flow.
    """

    case_number: str


@dataclass(frozen=True)
class EditedInput:
    """The user edited an earlier message; edits are not applied to answers."""


Input = (
    TextInput
    | ChoiceInput
    | FilesInput
    | AlbumEndInput
    | AlbumDeliveredInput
    | CommandInput
    | UnsupportedInput
    | EditedInput
    | SupplementInput  # made by the intake from a pressed "send documents" button
    | MessageInput  # made by the intake from a pressed "write to staff" button
)

CALLBACK_SEPARATOR = ":"
# Button data ``msg:<case number>``: write to staff about that case. The intake reads
# it (checking the case is the presser's) into a MessageInput.
MESSAGE_BUTTON = "msg"
# Telegram limits callback data to 64 bytes; every button the flow makes fits.
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Button:
    """A choice offered to the user; ``data`` is ``question:value``."""

    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    """A message to send: plain text (no markup) and optional rows of buttons."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


def parse_callback(data: str) -> ChoiceInput | None:
    """Read button data back into a choice; None when it is not in our format."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    question, sep, value = data.partition(CALLBACK_SEPARATOR)
    if not sep or not question or not value:
        return None
    return ChoiceInput(question=question, value=value)
