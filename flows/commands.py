"""Command words, read once for every channel: a typed line becomes a command or text.

A channel hands :func:`read_line` the text a person typed; it answers a
:class:`~flows.messages.CommandInput` (``/back``, ``/lang en``, ``/start sb``…) or a
:class:`~flows.messages.TextInput`. What a command *does* is the flow's business
(:mod:`flows.step`, :mod:`flows.conversation`, :mod:`bot.intake`); which line *is* one is
decided here, the same way in Telegram and the console:

- a line whose first character is a slash, ASCII ``/`` or full-width ``／`` (what a
  Korean keyboard in full-width mode types), is a command; a lone slash is text;
- the name ends at the first whitespace (``/back\\n35만`` is ``/back`` with ``35만``); the
  rest, trimmed, is the argument;
- the name is case-folded and width-folded (``/START``, ``／ｓｔａｒｔ`` are ``start``);
- ``/cmd@name`` is the command when ``name`` is this bot's own (``own_name``, any case);
  addressed to anyone else it is nobody's command of ours: a :class:`CommandInput`
  named ``@name``, which no handler knows, so the person hears "unknown command" and
  their draft is untouched;
- ``/ start`` (space after the slash) is a command with an empty name: unknown, too.

The function is pure and total: any string gives an answer, never an exception.

A channel without a command menu (the KakaoTalk skill: its people type words, not
slashes) also reads plain words with :func:`read_words`: "뒤로", "접수 확인",
"start over"… are the same commands in every language, listed once in the catalogs'
``words.<command>`` entries.
"""

from __future__ import annotations

import unicodedata

from flows.locales import MESSAGES
from flows.messages import CommandInput, TextInput

__all__ = ["SLASHES", "USER_COMMANDS", "read_line", "read_words"]

SLASHES = ("/", "\uff0f")  # ASCII and full-width solidus

# The commands a person may send, whatever their channel; staff commands (``/export``,
# ``/stats``) are the Telegram staff module's (bot/staff/telegram_commands.py).
USER_COMMANDS = (
    "start",
    "status",
    "back",
    "cancel",
    "lang",
    "privacy",
    "delete_my_data",
    "help",
)

ADDRESSEE_MAX = 32  # keeps an "unknown command" name short whatever was typed


def read_line(text: str, *, own_name: str | None = None) -> CommandInput | TextInput:
    """Read one typed line as a command or as text (the text kept exactly as typed).

    ``own_name`` is the name this channel answers to in ``/cmd@name`` (a Telegram bot's
    username); without one, every addressed command is someone else's.
    """
    line = text.strip()
    if len(line) < 2 or not line.startswith(SLASHES):
        return TextInput(text)
    if line[1].isspace():  # "/ start" is no command name
        return CommandInput(name="", arg="")
    head, *rest = line[1:].split(maxsplit=1)
    arg = rest[0].strip() if rest else ""
    name, at, addressee = _fold(head).partition("@")
    if at and (own_name is None or addressee != _fold(own_name)):
        return CommandInput(name="@" + addressee[:ADDRESSEE_MAX], arg="")
    return CommandInput(name=name, arg=arg)


def _fold(word: str) -> str:
    """Width- and case-fold a name: ``ＳＴＡＲＴ`` and ``Start`` are ``start``."""
    return unicodedata.normalize("NFKC", word).casefold()


def _word_table() -> dict[str, CommandInput]:
    """Every typed word of every language, folded, to the command it names."""
    table: dict[str, CommandInput] = {}
    for catalog in MESSAGES.values():
        for name in USER_COMMANDS:
            for form in catalog.get(f"words.{name}", "").split("|"):
                if form.strip():
                    table[_fold_words(form)] = CommandInput(name=name)
    return table


def _fold_words(text: str) -> str:
    """Fold a line for word matching: width and case, inner whitespace to one space."""
    return " ".join(_fold(text).split())


_WORDS = _word_table()


def read_words(text: str, *, own_name: str | None = None) -> CommandInput | TextInput:
    """Read a typed line like :func:`read_line`, and a whole line that is a command word
    ("뒤로", "접수 확인", "Start over") as that command; anything else is text."""
    read = read_line(text, own_name=own_name)
    if isinstance(read, TextInput):
        command = _WORDS.get(_fold_words(text))
        if command is not None:
            return command
    return read
