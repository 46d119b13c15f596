"""Typed settings read once from the environment at start-up (see ``.env.example``)."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.errors import ConfigError
from flows.texts import CATALOG

# Settings that are secrets: never printed, masked wherever they would appear in a log.
SECRETS = (
    "telegram_bot_token",
    "staff_web_token",
    "webhook_secret",
    "web_secret",
    "database_url",
    "kakao_skill_secret",
)


# LOG_LEVEL's values (logging's level names).
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Settings:
    """Everything configurable; built by :func:`load_settings`, passed down explicitly."""

    telegram_bot_token: str | None = None
    telegram_api_base_url: str | None = None
    telegram_file_base_url: str | None = None
    data_dir: Path = Path("data")
    # A libpq URL: the PostgreSQL store instead of TinyDB under data_dir (storage/postgres.py).
    database_url: str | None = None
    staff_ids: frozenset[int] = field(default_factory=frozenset)
    staff_web_token: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    # Signs the web chat's cookies and lookup codes; None: made once and kept by the store
    # (DATA_DIR/web_secret on TinyDB, the database on PostgreSQL: every instance alike).
    web_secret: str | None = None
    # The web chat's requests per minute from one address (behind TRUSTED_PROXIES:
    # the client's); 0 turns the per-address limit off (the per-person one stays).
    web_address_rate: int = 600
    host: str = "127.0.0.1"
    port: int = 8080
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks).
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    policy: Path | None = None  # None: the bundled 1015 policy
    default_lang: str = "ko"
    draft_expire_days: int = 14
    # A silent draft is reminded (once) after this many seconds; the scheduler looks at
    # least four times as often (at most every minute).
    remind_after_s: int = 24 * 3600
    # Messages per second to Telegram overall (PTB's AIORateLimiter); 0 turns it off.
    telegram_max_rate: int = 30
    # Evidence downloads at once, in all and of one user (each streams to a file in DATA_DIR).
    downloads_max: int = 4
    downloads_per_user: int = 2
    # The KakaoTalk skill (POST /kakao/skill): on when its secret is set (bot/kakao.py).
    kakao_skill_secret: str | None = None
    # Hosts the skill fetches secure-image plugin photos from (a host or a ".suffix").
    kakao_image_hosts: tuple[str, ...] = (".kakaocdn.net",)
    # The level of the bot's own log lines (bot.*, storage.*) in a server; DEBUG adds
    # one line per step of each request's turn (claimed, claimed elsewhere, a wait for
    # another instance's reply, a take-over). Libraries stay at INFO.
    log_level: str = "INFO"

    def __repr__(self) -> str:  # never print secrets, even by accident in a log line
        shown = ", ".join(
            f"{name}={'***' if name in SECRETS and getattr(self, name) else getattr(self, name)!r}"
            for name in self.__dataclass_fields__
        )
        return f"Settings({shown})"

    def secrets(self) -> tuple[str, ...]:
        """The secret values that are set, for the log filter to mask."""
        return tuple(value for name in SECRETS if (value := getattr(self, name)))


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    def integer(name: str, default: int) -> int:
        raw = get(name)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None

    staff: set[int] = set()
    for part in (get("STAFF_IDS") or "").replace(";", ",").split(","):
        if part.strip():
            try:
                staff.add(int(part))
            except ValueError:
                raise ConfigError(
                    f"STAFF_IDS must list Telegram user ids, got {part.strip()!r}"
                ) from None

    lang = get("DEFAULT_LANG") or "ko"
    if lang not in CATALOG:
        raise ConfigError(f"DEFAULT_LANG must be one of {sorted(CATALOG)}, got {lang!r}")
    port = integer("PORT", 8080)
    if not 0 < port < 65536:
        raise ConfigError(f"PORT must be between 1 and 65535, got {port}")
    policy = get("POLICY")
    proxies = []
    for part in (get("TRUSTED_PROXIES") or "").replace(";", ",").split(","):
        if part.strip():
            try:
                proxies.append(ipaddress.ip_network(part.strip(), strict=False))
            except ValueError:
                raise ConfigError(
                    f"TRUSTED_PROXIES must list IP addresses or networks, got {part.strip()!r}"
                ) from None
    web_address_rate = integer("WEB_ADDRESS_RATE", 600)
    if web_address_rate < 0:
        raise ConfigError(f"WEB_ADDRESS_RATE must be 0 or more, got {web_address_rate}")
    remind_after_s = integer("REMIND_AFTER_S", 24 * 3600)
    if remind_after_s < 1:
        raise ConfigError(f"REMIND_AFTER_S must be at least 1, got {remind_after_s}")
    downloads_max = integer("DOWNLOADS_MAX", 4)
    downloads_per_user = integer("DOWNLOADS_PER_USER", 2)
    for name, value in (
        ("DOWNLOADS_MAX", downloads_max),
        ("DOWNLOADS_PER_USER", downloads_per_user),
    ):
        if value < 1:
            raise ConfigError(f"{name} must be at least 1, got {value}")
    kakao_secret = get("KAKAO_SKILL_SECRET")
    if kakao_secret is not None and not re.fullmatch(r"[A-Za-z0-9_\-]{16,256}", kakao_secret):
        raise ConfigError(
            "KAKAO_SKILL_SECRET must be 16-256 characters of A-Z a-z 0-9 _ - "
            "(e.g. `openssl rand -hex 32`)"
        )
    image_hosts = tuple(
        part.strip().lower()
        for part in (get("KAKAO_IMAGE_HOSTS") or ".kakaocdn.net").split(",")
        if part.strip()
    )
    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise ConfigError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {log_level!r}")
    return Settings(
        telegram_bot_token=get("TELEGRAM_BOT_TOKEN"),
        telegram_api_base_url=get("TELEGRAM_API_BASE_URL"),
        telegram_file_base_url=get("TELEGRAM_FILE_BASE_URL"),
        data_dir=Path(get("DATA_DIR") or "data"),
        database_url=get("DATABASE_URL"),
        staff_ids=frozenset(staff),
        staff_web_token=get("STAFF_WEB_TOKEN"),
        webhook_url=get("WEBHOOK_URL"),
        webhook_secret=get("WEBHOOK_SECRET"),
        web_secret=get("WEB_SECRET"),
        web_address_rate=web_address_rate,
        host=get("HOST") or "127.0.0.1",
        port=port,
        trusted_proxies=tuple(proxies),
        policy=Path(policy) if policy else None,
        default_lang=lang,
        draft_expire_days=integer("DRAFT_EXPIRE_DAYS", 14),
        remind_after_s=remind_after_s,
        telegram_max_rate=integer("TELEGRAM_MAX_RATE", 30),
        downloads_max=downloads_max,
        downloads_per_user=downloads_per_user,
        kakao_skill_secret=kakao_secret,
        kakao_image_hosts=image_hosts,
        log_level=log_level,
    )


# Every environment variable the bot reads: each Settings field, upper-cased.
ENV_VARS = tuple(name.upper() for name in Settings.__dataclass_fields__)
