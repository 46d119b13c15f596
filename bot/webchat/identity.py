"""Who a web chat visitor is: a random id in a cookie, signed with the server's secret.

The cookie holds ``<id>.<signature>``; a cookie this server did not sign (or signed with
another secret) is no identity at all, and the visitor gets a fresh one. Everything else
the browser sends that speaks for an identity is signed for that id alone: the CSRF token
of its forms, so a form taken from one identity's page cannot be replayed with another
identity's cookie. A case's lookup code is a signature of the case number, so it needs
no storage and is only as lasting as ``WEB_SECRET``.

A visitor's cookie signature and CSRF token depend on nothing but the id and the secret,
so the signer remembers them for the last :data:`REMEMBERED` visitors it saw: a visitor's
answer checks its cookie and form, gets its next token and (a page) its cookie again
without computing an HMAC. Each remembered value is the one computed for that id (a
cookie a browser sent is remembered only once verified), so no visitor is ever handed
or accepted with another's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from pathlib import Path

from flows.identity import UserKey
from storage import Storage
from storage.webchat_files import SECRET_FILE

log = logging.getLogger(__name__)

CHANNEL = "web"
# Letters and digits a person reads off a phone and types on another without confusion.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
REMEMBERED = 4096  # visitors whose verified cookie and CSRF token are kept; then started again


def load_secret(configured: str | None, storage: Storage, data_dir: Path) -> bytes:
    """``WEB_SECRET``, else the one the store keeps for every process on it (made on first use).

    TinyDB keeps it in ``DATA_DIR/web_secret``; PostgreSQL in the database, so several
    instances sign alike. A secret an older release made in ``DATA_DIR/web_secret`` is
    the one proposed to a store that has none yet (a data directory moved to PostgreSQL
    keeps its visitors' cookies and lookup codes).
    """
    if configured:
        return configured.encode()
    try:
        older = (data_dir / SECRET_FILE).read_text().strip()
    except (FileNotFoundError, NotADirectoryError):
        older = ""
    return storage.web_secret(older or secrets.token_urlsafe(32)).encode()


class Signer:
    """Signs and checks what a visitor's browser carries, all with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"web chat", hashlib.sha256).digest()
        self._verified: dict[str, str] = {}  # cookie -> the visitor id it verified
        self._csrf: dict[str, str] = {}  # visitor id -> its CSRF token
        self._cookies: dict[str, str] = {}  # visitor id -> its cookie

    def _mac(self, purpose: str, value: str, size: int = 18) -> str:
        mac = hmac.digest(self._key, f"{purpose}\0{value}".encode(), "sha256")
        return base64.urlsafe_b64encode(mac[:size]).decode().rstrip("=")

    def new_id(self) -> str:
        """A fresh visitor id: 16 random bytes (a valid :class:`UserKey` id)."""
        return "v" + secrets.token_urlsafe(16)

    def cookie(self, visitor: str) -> str:
        cookie = self._cookies.get(visitor)
        if cookie is None:
            cookie = _remember(self._cookies, visitor, f"{visitor}.{self._mac('id', visitor)}")
        return cookie

    def visitor(self, cookie: str | None) -> str | None:
        """The id in a cookie this server signed, or None."""
        known = self._verified.get(cookie or "")
        if known is not None:
            return known
        visitor, _, signature = (cookie or "").rpartition(".")
        if not visitor or len(cookie or "") > 200:
            return None
        expected = self._mac("id", visitor)
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return None
        try:
            UserKey(CHANNEL, visitor)
        except ValueError:
            return None
        _remember(self._verified, cookie or "", visitor)
        return visitor

    def csrf(self, visitor: str) -> str:
        """The CSRF token of this visitor's forms (useless with any other cookie)."""
        token = self._csrf.get(visitor)
        if token is None:
            token = _remember(self._csrf, visitor, self._mac("csrf", visitor))
        return token

    def csrf_ok(self, visitor: str, sent: str) -> bool:
        return hmac.compare_digest(
            sent.encode("utf-8", "surrogateescape"), self.csrf(visitor).encode()
        )

    def lookup_code(self, case_number: str) -> str:
        """The code that, with the case number, opens the case from another browser."""
        mac = hmac.digest(self._key, f"lookup\0{case_number}".encode(), "sha256")
        number = int.from_bytes(mac[:8], "big")
        letters = []
        for _ in range(CODE_LENGTH):
            number, digit = divmod(number, len(CODE_ALPHABET))
            letters.append(CODE_ALPHABET[digit])
        code = "".join(letters)
        return f"{code[:4]}-{code[4:]}"

    def lookup_ok(self, case_number: str, typed: str) -> bool:
        """Whether ``typed`` is the case's code (dashes, spaces and case forgiven)."""
        clean = "".join(ch for ch in typed.upper() if ch.isalnum())
        expected = self.lookup_code(case_number).replace("-", "")
        return hmac.compare_digest(clean.encode("utf-8", "surrogateescape"), expected.encode())


def _remember(kept: dict[str, str], key: str, value: str) -> str:
    if len(kept) >= REMEMBERED:
        kept.clear()
    kept[key] = value
    return value
