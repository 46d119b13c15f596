"""Who a web chat visitor is: a random id in a cookie, signed with the server's secret.

The cookie holds ``<id>.<signature>``; a cookie this server did not sign (or signed with
another secret) is no identity at all, and the visitor gets a fresh one. Everything else
the browser sends that speaks for an identity is signed for that id alone: the CSRF token
of its forms, so a form taken from one identity's page cannot be replayed with another
identity's cookie. A case's lookup code is a signature of the case number, so it needs
no storage and is only as lasting as ``WEB_SECRET``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

from flows.identity import UserKey

log = logging.getLogger(__name__)

CHANNEL = "web"
SECRET_FILE = "web_secret"
# Letters and digits a person reads off a phone and types on another without confusion.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def load_secret(configured: str | None, data_dir: Path) -> bytes:
    """``WEB_SECRET``, else the one kept in ``DATA_DIR/web_secret`` (made on first use).

    Made with ``O_EXCL``, so two servers starting on one data directory agree on one.
    """
    if configured:
        return configured.encode()
    path = data_dir / SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    made = secrets.token_urlsafe(32).encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as file:
        file.write(made + b"\n")
        file.flush()
        os.fsync(file.fileno())
    log.info("WEB_SECRET is not set: made one in %s", path)
    return made


class Signer:
    """Signs and checks what a visitor's browser carries, all with one secret."""

    def __init__(self, secret: bytes) -> None:
        self._key = hmac.new(secret, b"web chat", hashlib.sha256).digest()

    def _mac(self, purpose: str, value: str, size: int = 18) -> str:
        mac = hmac.new(self._key, f"{purpose}\0{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:size]).decode().rstrip("=")

    def new_id(self) -> str:
        """A fresh visitor id: 16 random bytes (a valid :class:`UserKey` id)."""
        return "v" + secrets.token_urlsafe(16)

    def cookie(self, visitor: str) -> str:
        return f"{visitor}.{self._mac('id', visitor)}"

    def visitor(self, cookie: str | None) -> str | None:
        """The id in a cookie this server signed, or None."""
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
        return visitor

    def csrf(self, visitor: str) -> str:
        """The CSRF token of this visitor's forms (useless with any other cookie)."""
        return self._mac("csrf", visitor)

    def csrf_ok(self, visitor: str, sent: str) -> bool:
        return hmac.compare_digest(
            sent.encode("utf-8", "surrogateescape"), self.csrf(visitor).encode()
        )

    def lookup_code(self, case_number: str) -> str:
        """The code that, with the case number, opens the case from another browser."""
        mac = hmac.new(self._key, f"lookup\0{case_number}".encode(), hashlib.sha256).digest()
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
