"""The console chat as a person uses it: a real process, real files under DATA_DIR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    assert "No files at this step" in out
