"""The console chat as a person uses it: a real process, real files under DATA_DIR."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.console import CONSOLE_USER_ID

ROOT = Path(__file__).resolve().parents[2]


def chat(data_dir: Path, lines: list[str], *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", *args],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_scripted_small_business_report_gets_tier_and_case_number(tmp_path):
    receipt = tmp_path / "receipt.jpg"
    receipt.write_bytes(b"\xff\xd8\xff\xe0 fake jpeg bytes")
    out = chat(
        tmp_path / "data",
        [
            "1",
            "소상공인",
            "카카오톡 채널",
            "2",
            "1",
            "단골 예약 문의를 못 받았어요",
            "35만 원",
            "1",
            "220-81-62517",  # a Channel's own damage: running one is inferred
            f"/file {receipt}",
            "다 보냈어요",
            "1",
        ],
    )
    assert "350,000원 맞으신가요?" in out
    assert "현금 5만 원 지원 대상" in out
    assert "카카오톡 채널을 운영하고 계신가요" not in out
    assert "받았어요: receipt.jpg" in out
    assert "접수번호:" in out
    assert "  [1] 접수하기" in out  # buttons are numbered


def test_restart_resumes_the_draft(tmp_path):
    data = tmp_path / "data"
    first = chat(data, ["1", "1", "카카오맵"])
    assert "금전 피해" in first
    second = chat(data, ["1", "1", "12만원"])  # a loss, what happened skipped, the amount
    # The second run starts where the first stopped: at the monetary question.
    assert second.startswith("장애 때문에 금전 피해")
    assert "120,000원 맞으신가요?" in second


def test_english_and_bad_input_get_friendly_answers(tmp_path):
    out = chat(
        tmp_path / "data",
        ["1", "1", "3", "1", "skip", "thirty", "-5", "/file /nonexistent.pdf"],
        "--lang",
        "en",
    )
    assert "Who are you reporting as?" in out
    assert "I couldn't read that amount" in out  # 'thirty': number words are not guessed
    assert "more than 0" in out
    assert "File not found: /nonexistent.pdf" in out


# -- in-process, for what the console itself reads and says ------------------------------


def console(lines: list[str], *, service=None, lang: str | None = None) -> tuple[str, object]:
    import io

    from bot.console import ConsoleChat
    from bot.intake import IntakeService
    from flows.conversation import IntakeFlow
    from flows.policy import load_policy
    from storage.memory import MemoryStorage

    service = service or IntakeService(IntakeFlow(load_policy()), MemoryStorage())
    out = io.StringIO()
    ConsoleChat(service, lang=lang, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out).run()
    return out.getvalue(), service


# Consent, general user, KakaoMap, money lost, nothing to describe, 5만원, confirmed: at the
# evidence question.
TO_EVIDENCE = ["1", "일반 이용자", "카카오맵", "1", "건너뛰기", "5만원", "1"]


def test_file_command_is_told_in_help_and_at_the_evidence_question():
    """Regression (issue 10, item 20): /file was mentioned neither in /help nor where
    files are asked for, so a console user could not know how to send one."""
    out, _ = console(["/help", *TO_EVIDENCE])
    help_text = out.split("/delete_my_data")[1]
    assert "/file" in help_text.split("\n\n")[0]
    evidence = out.split("증빙 자료가 있으면")[1]
    assert "/file" in evidence.split("\n\n")[0]


def test_file_hint_in_english():
    out, _ = console(
        ["/help", *TO_EVIDENCE[:1], "General user", "KakaoMap", "1", "skip", "5만원", "1"],
        lang="en",
    )
    assert out.count("/file ~/receipt.jpg") == 2 and "If you have evidence" in out


@pytest.mark.parametrize(
    "typed",
    [
        "'{path}'",
        '"{path}"',
        "{escaped}",
        "file://{quoted}",
        "{path}",
    ],
    ids=["single-quoted", "double-quoted", "backslash-escaped", "file-url", "plain-with-spaces"],
)
def test_a_pasted_path_is_read_as_terminals_paste_it(tmp_path, typed):
    """Regression: a quoted path or backslash-escaped spaces failed with a stray quote."""
    from urllib.parse import quote

    receipt = tmp_path / "my receipts" / "영수증 1.jpg"
    receipt.parent.mkdir()
    receipt.write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    path = str(receipt)
    escaped = path.replace(" ", "\\ ")
    line = "/file " + typed.format(path=path, escaped=escaped, quoted=quote(path))
    out, service = console([*TO_EVIDENCE, line])
    assert "받았어요: 영수증 1.jpg" in out
    assert (
        service.storage.load_conversation(CONSOLE_USER_ID).answers["evidence"][0]["name"]
        == "영수증 1.jpg"
    )


def test_a_missing_file_gets_one_right_error(tmp_path):
    """Regression: a missing file gave two errors, the second wrong ("empty file")."""
    out, service = console([*TO_EVIDENCE, f"/file {tmp_path / 'nope.jpg'}", "/file"])
    assert out.count("nope.jpg") == 1
    assert "파일을 찾을 수 없어요" in out and "빈 파일" not in out
    assert "/file 다음에" in out  # /file alone says how to use it
    assert "evidence" not in service.storage.load_conversation(CONSOLE_USER_ID).answers


def test_an_explicit_language_applies_to_the_conversation_in_progress(tmp_path):
    """Regression (issue 10, item 16): `chat --lang en` was ignored when a draft existed."""
    data = tmp_path / "data"
    chat(data, ["1"])
    out = chat(data, [], "--lang", "en")
    assert out.startswith("Who are you reporting as?")
    out = chat(data, ["/cancel"])
    out = chat(data, [])  # no --lang: the language chosen before sticks
    assert "Do you agree?" in out


def test_commands_read_as_telegram_reads_them():
    """Regression: the console read commands its own way: '／lang en' (full-width slash)
    and '/lang\ten' were not the /lang command, so the console stayed in Korean."""
    out, service = console(["／lang en", "/LANG\tko", "/lang@somebot en"])
    assert "I'll continue in English." in out and "이제 한국어로 안내할게요." in out
    assert service.storage.load_conversation(CONSOLE_USER_ID).lang == "ko"
    assert "모르는 명령이에요" in out  # addressed to another bot: not ours


def test_the_console_consent_names_what_the_console_keeps(tmp_path):
    """Regression: the console's consent said "텔레그램 계정 ID" is collected."""
    out = chat(tmp_path / "data", ["/privacy"])
    assert "• 항목: 이 컴퓨터에서 나눈 대화 기록, 이용자 유형" in out
    assert "• 저장하는 정보: 이 컴퓨터에서 나눈 대화 기록," in out
    assert "텔레그램" not in out
    english = chat(tmp_path / "en", ["/privacy"], "--lang", "en")
    assert "• Items: the chat record on this computer, reporter type" in english


def test_the_readme_script_files_a_whole_report(tmp_path):
    """Regression: the README's scripted chat went stale when the money path gained a
    description question ("35만 원" became the description and "1" the amount)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"printf '([^']*)' \| \.venv/bin/python -m bot chat", readme)
    assert match, "the README shows a scripted console chat"
    out = chat(tmp_path / "data", match.group(1).split("\\n")[:-1])
    assert "피해 금액: 350,000원" in out
    assert "접수번호:" in out


def test_make_chat_speaks_as_the_console(tmp_path):
    """Regression: ``make run`` without a bot token (then the console beside the staff web;
    now ``make chat``) built the Telegram intake, so its consent named "텔레그램 계정 ID"."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "STAFF_WEB_TOKEN")
    }
    env.update(DATA_DIR=str(tmp_path / "data"), HOST="127.0.0.1", PORT=str(port))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "• 항목: 이 컴퓨터에서 나눈 대화 기록, 이용자 유형" in result.stdout
    assert "텔레그램" not in result.stdout


def test_the_console_writes_to_staff_after_submitting(tmp_path):
    """Regression: after submitting, the console answered any question with "this report
    is finished"; now what is typed (or /file sent) goes to staff about the case."""
    receipt = tmp_path / "영수증.pdf"
    receipt.write_bytes(b"%PDF-1.4 fake")
    # Consent, general user, KakaoMap, no money lost, a question, submit.
    lines = ["1", "일반 이용자", "카카오맵", "2", "언제 복구되나요?", "1"]
    lines += ["지급은 언제쯤인가요?", f"/file {receipt}", "/status", "1", "/cancel"]
    out, service = console(lines)
    [row] = service.storage.list_cases()
    sent = service.storage.case_messages(row.case_number)
    assert [m.text for m in sent] == ["지급은 언제쯤인가요?", ""]
    assert [f.name for f in sent[1].files] == ["영수증.pdf"]
    assert out.count("담당자에게 보냈어요") == 2
    assert f"[1] {row.case_number} 담당자에게 문의" in out  # /status's button, numbered
    assert "담당자에게 아무것도 보내지 않았어요" in out  # the button opened it, /cancel closed it


def test_a_notice_waiting_for_the_console_user_is_printed_on_their_next_input(tmp_path):
    """Regression: the console could not be told anything the bot started (a staff
    decision, a reminder): such news failed as "not told". It now waits in the console
    person's mailbox and is printed, once, before the answer to their next line."""
    from storage import Notice
    from storage.tinydb_store import TinyDBStorage

    data_dir = tmp_path / "data"
    store = TinyDBStorage(data_dir)
    user = CONSOLE_USER_ID
    news = {"text": "접수 ABC-DEF-GHJ 심사 결과를 알려 드려요.", "buttons": []}
    store.add_notice(Notice("n-1", user, "ABC-DEF-GHJ", "review", (news,), 1_700_000_000.0))
    store.close()
    out = chat(data_dir, ["/status", "/status"])
    assert out.count("읽지 않은 알림이 1개 있어요.") == 1
    assert out.count("접수 ABC-DEF-GHJ 심사 결과를 알려 드려요.") == 1
    assert out.index("읽지 않은 알림이 1개 있어요.") < out.index("심사 결과를 알려 드려요")
    store = TinyDBStorage(data_dir)
    assert store.undelivered_notices() == []
    store.close()
