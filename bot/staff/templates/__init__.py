"""The staff web pages as Jinja2 templates (``*.html`` here) with autoescaping on.

Every value a template prints is HTML-escaped unless it is already markup, so a
value typed by a user or a staff member cannot become markup by a missed call.
Python code gives the templates plain values (and :mod:`bot.staff.templates.charts`
the geometry of the charts); no HTML is assembled in Python.

Templates are written one tag per line for reading; :class:`SpacelessLoader` drops
each line break and the indentation around it when it loads them, so the pages
come out as compact as before. Where a space is meant between two lines, write
it inside one line (or as ``{{ " " }}``). Keep a ``{% ... %}`` tag on one line.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from bot.staff.templates import helpers
from bot.webpage import SpacelessLoader, template_options

__all__ = ["SpacelessLoader", "environment", "options", "prepare"]

FOLDER = Path(__file__).parent


def options() -> dict[str, Any]:
    """The environment's settings (:func:`bot.webpage.template_options` for this folder)."""
    return template_options(FOLDER)


def prepare(env: jinja2.Environment) -> jinja2.Environment:
    """Add the helpers every page uses (plain text in, plain text out: the template escapes)."""
    env.globals.update(
        kst=helpers.kst,
        money=helpers.money,
        size_text=helpers.size_text,
        plain=helpers.plain,
        flag_name=helpers.flag_name,
    )
    return env


@cache
def environment() -> jinja2.Environment:
    """A stand-alone environment (the staff app has its own, set up the same way)."""
    return prepare(jinja2.Environment(**options()))
