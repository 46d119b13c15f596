"""The transcript store on TinyDB: one appended line per answer, a torn line skipped,
long files compacted (the same over every store: tests/storage/test_contract.py)."""

from __future__ import annotations

from bot.webchat.transcript import COMPACT_AT, KEEP_BUBBLES, Bubble, Transcript, TranscriptStore
from flows.messages import Button


def test_lines_append_and_read_back(tiny):
    store = TranscriptStore(tiny)
    assert store.load("v1") is None
    transcript = store.load("v1") or store_new()
    transcript.seq = 1
    transcript.add([Bubble("yes", mine=True), Bubble("next?", buttons=((Button("A", "q:a"),),))])
    store.save("v1", transcript)
    again = store.load("v1")
    again.seq = 2
    again.add([Bubble("A", mine=True)])
    store.save("v1", again)
    last = store.load("v1")
    assert last.seq == 2 and [b.text for b in last.bubbles] == ["yes", "next?", "A"]
    assert last.buttons == ((Button("A", "q:a"),),) and last.lines == 2
    mode = next(chats(tiny).rglob("v1.jsonl")).stat().st_mode & 0o777
    assert mode == 0o600


def test_a_line_torn_by_a_kill_is_skipped(tiny):
    """A process killed in the middle of an append leaves a partial last line: the rest stands."""
    store = TranscriptStore(tiny)
    first = store.load("v2") or store_new()
    first.seq = 1
    first.add([Bubble("kept")])
    store.save("v2", first)
    path = next(chats(tiny).rglob("v2.jsonl"))
    with path.open("ab") as file:
        file.write(b'{"seq":2,"add":[{"text":"half')
    loaded = store.load("v2")
    assert loaded.seq == 1 and [b.text for b in loaded.bubbles] == ["kept"]


def test_a_long_file_is_rewritten_with_what_the_page_shows(tiny):
    store = TranscriptStore(tiny)
    for n in range(1, COMPACT_AT + 5):
        transcript = store.load("v3") or store_new()
        transcript.seq = n
        transcript.add([Bubble(f"b{n}")])
        store.save("v3", transcript)
    path = next(chats(tiny).rglob("v3.jsonl"))
    assert len(path.read_bytes().splitlines()) < COMPACT_AT
    loaded = store.load("v3")
    assert loaded.seq == COMPACT_AT + 4 and len(loaded.bubbles) == KEEP_BUBBLES
    assert loaded.bubbles[-1].text == f"b{COMPACT_AT + 4}"


def chats(tiny):
    return tiny.data_dir / "webchat" / "chats"


def store_new() -> Transcript:
    return Transcript()


def test_answers_read_only_the_tail_and_a_long_file_keeps_the_page(tiny):
    """Answers read only the newest entries (load_tail); when such a transcript reaches the
    compaction, the rewrite still holds the page's earlier bubbles, not only the tail's."""
    store = TranscriptStore(tiny)
    question = (Button("A", "q:a"),)
    for n in range(1, COMPACT_AT + 5):
        transcript = store.load_tail("v4") or store_new()
        if n > 1:
            assert transcript.partial and transcript.seq == n - 1
            assert transcript.buttons == (question,)  # from the newest bot bubble
        transcript.seq = n
        transcript.add([Bubble(f"me{n}", mine=True), Bubble(f"b{n}", buttons=(question,))])
        store.save("v4", transcript)
    path = next(chats(tiny).rglob("v4.jsonl"))
    assert len(path.read_bytes().splitlines()) < COMPACT_AT
    whole = store.load("v4")
    assert whole.seq == COMPACT_AT + 4 and len(whole.bubbles) == KEEP_BUBBLES
    assert [b.text for b in whole.bubbles[-3:]] == [
        f"b{COMPACT_AT + 3}",
        f"me{COMPACT_AT + 4}",
        f"b{COMPACT_AT + 4}",
    ]
