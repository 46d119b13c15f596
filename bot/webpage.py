"""What every page this server shows shares: hashed static files, the security headers and
the CSP, the same-origin check, https detection and the template loader.

The staff web (:mod:`bot.staff.web`) and the web chat (:mod:`bot.webchat`) read these, so a
page of either door is protected the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from aiohttp import web

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def content_security_policy(*, scripts: bool) -> str:
    """The CSP: only this server's own files; no inline script or style ever.

    ``scripts`` allows script files served by this server (the web chat's one
    script); without it no script runs at all (the staff web).
    """
    script = "'self'" if scripts else "'none'"
    return (
        "default-src 'self'; "
        "style-src 'self'; "
        "img-src 'self' data:; "
        f"script-src {script}; "
        "object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def add_security_headers(response: web.StreamResponse, csp: str) -> None:
    """Put the security headers, ``csp`` and ``no-store`` on a page (unless already set)."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", csp)
    response.headers.setdefault("Cache-Control", "no-store")


@dataclass(frozen=True)
class StaticFile:
    """A static file of a package, named by its content's hash so it may be cached for a year."""

    body: bytes
    name: str
    content_type: str
    prefix: str  # the URL folder it is served from

    @classmethod
    def load(cls, package: str, path: str, content_type: str, prefix: str) -> StaticFile:
        body = files(package).joinpath(path).read_bytes()
        stem, dot, suffix = Path(path).name.rpartition(".")
        return cls(
            body,
            f"{stem}.{hashlib.sha256(body).hexdigest()[:16]}{dot}{suffix}",
            content_type,
            prefix,
        )

    @property
    def url(self) -> str:
        return f"{self.prefix}/{self.name}"

    async def handler(self, request: web.Request) -> web.Response:
        """Serve the file (its URL changes with its content, hence ``immutable``)."""
        return web.Response(
            body=self.body,
            content_type=self.content_type,
            charset="utf-8",
            headers={
                "Cache-Control": "public, max-age=31536000, immutable",
                "X-Content-Type-Options": "nosniff",
            },
        )


def is_https(request: web.Request) -> bool:
    """The browser came by https (directly, or through a proxy that says so)."""
    forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    return request.secure or forwarded == "https"


def same_origin(request: web.Request) -> bool:
    """Tell whether a POST's Origin (or Referer) names this server; absent headers pass."""
    hosts = {request.host}
    forwarded = request.headers.get("X-Forwarded-Host", "").split(",")[0].strip()
    if forwarded:
        hosts.add(forwarded)
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc in hosts
    referer = request.headers.get("Referer")
    if referer:
        return urlsplit(referer).netloc in hosts
    return True  # no browser omits both on a form POST; the CSRF token still decides


class SpacelessLoader(jinja2.FileSystemLoader):
    """Load templates with line breaks and the indentation around them removed."""

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        joined = "".join(line.strip() for line in source.splitlines())
        return joined, filename, uptodate


def template_options(folder: Path) -> dict[str, Any]:
    """A template environment's settings: autoescape always on, an unknown name is an error."""
    return {
        "loader": SpacelessLoader(folder),
        "autoescape": True,
        "undefined": jinja2.StrictUndefined,
        "auto_reload": False,
    }
