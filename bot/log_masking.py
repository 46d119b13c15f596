"""Keep secrets and personal data out of logs: bot tokens, phone and registration numbers."""

from __future__ import annotations

import logging
import re

# Bot tokens look like "123456789:AA..." (35 characters after the colon).
TOKEN = re.compile(r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}")
# Korean mobile/landline numbers: 010-1234-5678, 01012345678, 02-123-4567, +82 10 1234 5678.
PHONE = re.compile(
    r"(?<!\d)(?:\+82[ -]?|0)(?:1[016789]|2|[3-6][1-5]|70)[ -]?\d{3,4}[ -]?\d{4}(?!\d)"
)
# 사업자등록번호 123-45-67890 (with or without hyphens).
BUSINESS_NUMBER = re.compile(r"(?<!\d)(\d{3})-?(\d{2})-?\d{5}(?!\d)")


def mask(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Return ``text`` with tokens, phone numbers and registration numbers masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = TOKEN.sub("<token>", text)
    text = BUSINESS_NUMBER.sub(r"\1-\2-*****", text)
    return PHONE.sub("<phone>", text)


class MaskingFilter(logging.Filter):
    """A logging filter that masks every record's rendered message (and traceback)."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text, self.secrets)
        return True


def install(secrets: tuple[str, ...] = (), level: int = logging.INFO) -> None:
    """Configure root logging with masking on every handler; quiet the HTTP client."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    masking = MaskingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(masking)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # transitions logs every transition and callback at INFO: thousands of lines a
    # minute under load, and time spent formatting them.
    logging.getLogger("transitions").setLevel(logging.WARNING)
