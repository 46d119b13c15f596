"""The staff web page under ``/staff``: sign-in, case list and detail, review actions, exports, statistics.

An aiohttp sub-application built by :func:`create_staff_app` and mounted on the
bot's own server (the one that takes the Telegram webhook), so it runs the same
way in polling and in webhook mode. It is off (every ``/staff`` URL answers 404)
unless ``STAFF_WEB_TOKEN`` is set or the server, on a loopback address, made a
one-time sign-in link (:class:`~bot.staff.web.sessions.OneTimeSignIn`, printed at
start-up by :mod:`bot.server`).

Security choices:

- **Sign-in** takes a name (recorded as ``staff:<name>`` in the audit trail)
  and the shared ``STAFF_WEB_TOKEN``, compared as SHA-256 digests with
  :func:`hmac.compare_digest` (no timing or length leak). After three wrong
  tokens in a row a client waits 2, 4, 8 ... seconds (at most 15 minutes)
  before it may try again; all clients share a budget of wrong tokens; a
  browser that signed in before is held only by its own mistakes (see
  :class:`SignInThrottle`). The client is the peer address, or behind a proxy
  listed in ``TRUSTED_PROXIES`` the rightmost untrusted ``X-Forwarded-For`` hop
  (:mod:`bot.ratelimit`). Failures are logged with the address, never the token.
  A form that cannot be read (bad UTF-8, a nameless multipart part) gets a 400.
- **Sessions** live in this process's memory (a random 32-byte token -> staff
  name, CSRF token, language, expiry after 8 hours); a restart signs everyone
  out. The cookie is ``HttpOnly; SameSite=Strict; Path=/staff`` and also
  ``Secure`` when the request came over https, directly or through a proxy
  that sets ``X-Forwarded-Proto: https`` (trusting that header can only make
  the cookie stricter). Without a session only the sign-in page is served.
- **CSRF**: every form carries the session's token in a hidden field, checked
  on every POST (403 on mismatch); the sign-in form uses a double-submit
  nonce cookie. A POST whose ``Origin`` (or, lacking it, ``Referer``) names
  another host than ``Host`` / ``X-Forwarded-Host`` is refused too, so a
  proxy must pass one of those through.
- **Headers** on every response: a Content-Security-Policy without any script
  and with styles only from this server (the one stylesheet file),
  ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``,
  ``X-Frame-Options: DENY`` and ``Cache-Control: no-store`` (pages hold
  personal data). The stylesheet alone is cacheable: its URL carries its
  content's hash, so a changed file gets a new URL.
- **Evidence** is served only to a session, looked up by a sha256 that the case
  in the URL holds, never by a path. Only JPEG, PNG and WebP whose first bytes
  confirm the type are shown inline; everything else is an attachment of type
  ``application/octet-stream``.
- Every value a user or staff member typed is HTML-escaped where it is shown:
  the pages are Jinja2 templates with autoescaping on (:mod:`bot.staff.templates`).

The parts, each with its own route table: :mod:`~bot.staff.web.signin` (sign-in,
sessions, CSRF, headers; state in :mod:`~bot.staff.web.sessions`),
:mod:`~bot.staff.web.cases` (list and detail), :mod:`~bot.staff.web.actions`
(review actions, lifting limits), :mod:`~bot.staff.web.files` (evidence,
exports), :mod:`~bot.staff.web.overview` (the statistics cache and page);
:mod:`~bot.staff.web.app` puts them together.
"""

from bot.staff.web.app import create_staff_app
from bot.staff.web.cases import ListQuery, matching_rows, parse_list_query
from bot.staff.web.common import PREFIX, SESSION_KEY, STAFF_KEY, StaffWeb
from bot.staff.web.files import content_disposition, sniff_image, stream_from_thread
from bot.staff.web.overview import Refreshed
from bot.staff.web.sessions import SessionStore, SignInThrottle, StaffSession
from bot.staff.web.signin import clean_name

__all__ = [
    "PREFIX",
    "SESSION_KEY",
    "STAFF_KEY",
    "ListQuery",
    "Refreshed",
    "SessionStore",
    "SignInThrottle",
    "StaffSession",
    "StaffWeb",
    "clean_name",
    "content_disposition",
    "create_staff_app",
    "matching_rows",
    "parse_list_query",
    "sniff_image",
    "stream_from_thread",
]
