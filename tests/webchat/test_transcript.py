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


def test_the_writing_process_keeps_the_tail_it_wrote(tiny):
    """Regression: every answer opened, read and parsed the visitor's transcript file again
    though this process (the only writer of a TinyDB data directory) had just written it.
    The tail it keeps is what a fresh reader of the file gets, through appends, a rewrite
    and a deletion; a read-only store (another process) keeps nothing and reads the file."""
    from storage.webchat_files import WebChatFiles

    files = tiny._web
    fresh = WebChatFiles(tiny.data_dir, writable=False)
    question = [{"text": "q?", "buttons": [["A", "q:a"]]}]
    files.append("v5", 1, [{"text": "yes", "mine": True}, *question])
    files.append("v5", 2, [{"text": "A", "mine": True}])
    expected = fresh.tail("v5")
    assert files.tail("v5") == expected  # read once from the file, then kept
    files.append("v5", 3, [{"text": "B", "mine": True}])
    expected = fresh.tail("v5")
    assert expected == (
        3,
        [
            (1, [{"text": "yes", "mine": True}, *question]),
            (2, [{"text": "A", "mine": True}]),
            (3, [{"text": "B", "mine": True}]),
        ],
    )
    path = files.path("v5")
    aside = path.with_suffix(".aside")
    path.rename(aside)  # what the process kept answers, not the file
    assert files.tail("v5") == expected and fresh.tail("v5") == (0, [])
    aside.rename(path)
    files.append("v5", 4, question)
    assert files.tail("v5") == fresh.tail("v5") == (4, [(4, question)])
    files.append("v5", 5, [])
    assert files.tail("v5") == fresh.tail("v5") == (5, [(4, question), (5, [])])
    files.replace("v5", 6, [{"text": "page"}])
    assert files.tail("v5") == fresh.tail("v5") == (1, [(6, [{"text": "page"}])])
    files.delete("v5")
    assert files.tail("v5") == fresh.tail("v5") == (0, [])
    files.append("v5", 7, question)  # not kept until read: the file holds one line
    assert files.tail("v5") == fresh.tail("v5") == (1, [(7, question)])
    with path.open("ab") as file:  # a reader of the file sees what is written there
        file.write(b'{"seq":8,"add":[{"text":"x"}]}\n')
    assert fresh.tail("v5")[0] == 2


def test_the_page_parses_only_the_bubbles_it_shows(tiny, monkeypatch):
    """Regression: opening the page turned every bubble of every line into a Bubble (up to
    COMPACT_AT lines of them) and then kept only the last KEEP_BUBBLES."""
    store = TranscriptStore(tiny)
    lines = COMPACT_AT - 10
    for n in range(1, lines + 1):
        transcript = store.load_tail("v5") or store_new()
        transcript.seq = n
        transcript.add(
            [Bubble(f"a{n}", mine=True), Bubble(f"q{n}", buttons=((Button("A", "q:a"),),))]
        )
        store.save("v5", transcript)
    parsed = []
    real = Bubble.from_json.__func__

    def counted(cls, data):
        parsed.append(data["text"])
        return real(cls, data)

    monkeypatch.setattr(Bubble, "from_json", classmethod(counted))
    loaded = store.load("v5")
    assert loaded.seq == lines and loaded.lines == lines
    texts = [text for n in range(1, lines + 1) for text in (f"a{n}", f"q{n}")][-KEEP_BUBBLES:]
    assert [b.text for b in loaded.bubbles] == texts
    assert loaded.buttons == ((Button("A", "q:a"),),)
    assert len(parsed) == KEEP_BUBBLES
