"""Where the TinyDB store's files are: the paths a step asks for."""

from __future__ import annotations

from pathlib import Path

from storage.data_layout import DataLayout, fan_out
from tests.support.users import tg


def test_a_conversation_file_is_where_the_layout_says(tmp_path: Path):
    layout = DataLayout(tmp_path)
    key = "telegram:7"
    expected = tmp_path / "conversations" / fan_out(key) / f"{key}.json"
    assert layout.conversation_file(tg(7)) == expected
    assert layout.user_file(tg(7)) == tmp_path / "users" / fan_out(key) / f"{key}.json"
    assert layout.conversation_file(tg(8)) != expected
    assert DataLayout(tmp_path / "other").conversation_file(tg(7)) != expected


def test_a_person_s_conversation_path_is_made_once(tmp_path: Path):
    """Regression: every load and every save of a conversation made its path anew (a
    sha256 and three pathlib joins, then the new Path's string for the system call),
    twice or more per step for the same person."""
    layout = DataLayout(tmp_path)
    first = layout.conversation_file(tg(7))
    assert layout.conversation_file(tg(7)) is first
    assert DataLayout(tmp_path).conversation_file(tg(7)) is first
    assert layout.user_file(tg(7)) is layout.user_file(tg(7))
