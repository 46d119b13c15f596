"""The environment for running ``python -m bot telegram`` as a subprocess against the stand-in."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from bot.settings import ENV_VARS
from bot.web import WEBHOOK_PATH
from tests.support.bot_api import BotAPIStandIn

REPO = Path(__file__).resolve().parents[2]


def webhook_bot_env(
    api: BotAPIStandIn,
    *,
    port: int,
    data_dir: Path,
    secret: str,
    base: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a webhook-mode bot on 127.0.0.1:``port`` talking to ``api``.

    Every bot setting comes from here: none leaks in from the caller's shell (a
    ``DATA_DIR`` or ``POLICY`` there would quietly change what is run). The stand-in
    is not Telegram, so there is no flood limit. The repository goes first on
    PYTHONPATH; the caller's stays after it.
    """
    source = os.environ if base is None else base
    env = {k: v for k, v in source.items() if k not in ENV_VARS}
    env.update(
        TELEGRAM_BOT_TOKEN=api.token,
        TELEGRAM_API_BASE_URL=api.base_url,
        TELEGRAM_FILE_BASE_URL=api.base_file_url,
        WEBHOOK_URL=f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        WEBHOOK_SECRET=secret,
        HOST="127.0.0.1",
        PORT=str(port),
        DATA_DIR=str(data_dir),
        TELEGRAM_MAX_RATE="0",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), source.get("PYTHONPATH")])),
    )
    return env
