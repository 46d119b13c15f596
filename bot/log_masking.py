"""Keep secrets and personal data out of logs: bot tokens, phone and registration numbers."""

from __future__ import annotations

import logging
import re

from flows.bizno import is_business_number

# Bot tokens look like "123456789:AA..." (35 characters after the colon).
TOKEN = re.compile(r"(?<!\d)\d{6,12}:[A-Za-z0-9_-]{30,}")
# Numbers are masked only where they stand alone: digits inside a hex hash or a word
# are not someone's number.
_ALONE = r"(?<![0-9A-Za-z])"
_END = r"(?![0-9A-Za-z])"
# What people put between the groups of a number: a space, a dot or a hyphen-like dash.
_SEP = "[ .\\-\u2010-\u2015\u2212]"
# Korean mobile/landline numbers: 010-1234-5678, 010.1234.5678, 01012345678, 02-123-4567,
# +82 10 1234 5678, +82 (0)10-1234-5678.
PHONE = re.compile(
    rf"{_ALONE}(?:\+82{_SEP}?(?:\(0\){_SEP}?)?|0)(?:1[016789]|2|[3-6][1-5]|70)"
    rf"{_SEP}?\d{{3,4}}{_SEP}?\d{{4}}{_END}"
)
# 사업자등록번호 written in groups: 123-45-67890, 123 45 67890, 123.45.67890.
BUSINESS_NUMBER = re.compile(rf"{_ALONE}(\d{{3}}){_SEP}(\d{{2}}){_SEP}\d{{5}}{_END}")
# ... or as ten bare digits: masked only when its check digit holds and it is not
# named as an id (Telegram user, chat, message and update ids have ten digits too;
# a user key names it too: telegram:<id>).
BARE_TEN_DIGITS = re.compile(rf"{_ALONE}\d{{10}}{_END}")
ID_LABEL = re.compile(
    r"(?<![A-Za-z])(?:[A-Za-z]+_)?(?:ids?|users?|updates?|chats?|messages?|telegram)[\s:=#]*$",
    re.IGNORECASE,
)


def _bare_business_number(match: re.Match[str]) -> str:
    digits = match.group()
    named_id = ID_LABEL.search(match.string, max(0, match.start() - 40), match.start())
    if named_id or not is_business_number(digits):
        return digits
    return f"{digits[:3]}-{digits[3:5]}-*****"


def mask(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Return ``text`` with tokens, phone numbers and registration numbers masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = TOKEN.sub("<token>", text)
    text = BUSINESS_NUMBER.sub(r"\1-\2-*****", text)
    text = PHONE.sub("<phone>", text)
    return BARE_TEN_DIGITS.sub(_bare_business_number, text)


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
    """Configure root logging at ``level`` with masking on every handler; quiet the HTTP client.

    Sets the level even when logging was configured before (``basicConfig`` alone
    would leave an earlier level in place), and replaces an earlier masking filter.
    """
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    masking = MaskingFilter(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, MaskingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(masking)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # transitions logs every transition and callback at INFO: thousands of lines a
    # minute under load, and time spent formatting them.
    logging.getLogger("transitions").setLevel(logging.WARNING)
