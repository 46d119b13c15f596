"""Command words are read once, in flows/, the same way for every channel."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows.commands import USER_COMMANDS, read_line
from flows.messages import CommandInput, TextInput

BOT = "intake_test_bot"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/start", CommandInput("start")),
        ("/start sb", CommandInput("start", "sb")),
        ("/lang en", CommandInput("lang", "en")),
        ("/lang   en  ", CommandInput("lang", "en")),
        ("/START", CommandInput("start")),
        ("/Delete_My_Data", CommandInput("delete_my_data")),
        ("/back\n35만 원", CommandInput("back", "35만 원")),
        ("/status K7F-3QX-9MZ", CommandInput("status", "K7F-3QX-9MZ")),
        ("  /cancel  ", CommandInput("cancel")),
        ("/ start", CommandInput("")),
        ("/시작", CommandInput("시작")),
        ("/etc/passwd", CommandInput("etc/passwd")),
    ],
)
def test_commands_and_their_arguments(line, expected):
    assert read_line(line, own_name=BOT) == expected


@pytest.mark.parametrize("line", ["", "/", " / ", "안녕하세요", "네 /cancel", "35만 원", "1"])
def test_text_stays_text_exactly_as_typed(line):
    assert read_line(line, own_name=BOT) == TextInput(line)


def test_full_width_slash_and_letters_are_commands():
    """Regression: '／ｓｔａｒｔ' typed on a Korean keyboard in full-width mode was free text."""
    assert read_line("／start") == CommandInput("start")
    assert read_line("／ｓｔａｒｔ") == CommandInput("start")
    assert read_line("／ｌａｎｇ　ｅｎ") == CommandInput("lang", "ｅｎ")


def test_a_command_addressed_to_this_bot_is_ours_in_any_case():
    assert read_line("/start@intake_test_bot", own_name=BOT) == CommandInput("start")
    assert read_line("/Cancel@Intake_Test_Bot x", own_name=BOT) == CommandInput("cancel", "x")


def test_a_command_addressed_to_another_bot_is_nobodys_command_of_ours():
    other = read_line("/cancel@otherbot", own_name=BOT)
    assert other == CommandInput("@otherbot")
    assert other.name not in USER_COMMANDS
    assert read_line("/start@" + "x" * 100, own_name=BOT) == CommandInput("@" + "x" * 32)
    # A channel with no name of its own (the console) answers to no address.
    assert read_line("/cancel@intake_test_bot") == CommandInput("@intake_test_bot")


@given(st.sampled_from(USER_COMMANDS), st.text(max_size=40))
def test_every_user_command_reads_back_with_its_argument(name, arg):
    assert read_line(f"/{name} {arg}") == CommandInput(name, arg.strip())
    assert read_line(f"/{name.upper()}@{BOT.upper()} {arg}", own_name=BOT) == CommandInput(
        name, arg.strip()
    )


@given(st.text(), st.none() | st.text(max_size=20))
def test_any_line_reads_as_a_command_or_the_same_text(line, own_name):
    read = read_line(line, own_name=own_name)
    if isinstance(read, TextInput):
        assert read.text == line
        assert not line.strip()[1:] or not line.strip().startswith(("/", "／"))
    else:
        assert isinstance(read, CommandInput)
        assert line.strip()[:1] in ("/", "／")
        assert read.arg == read.arg.strip()
        assert read.name.startswith("@") or read.name == read.name.casefold()
