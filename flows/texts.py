"""Every sentence the bot says in the conversation, in Korean (the default) and English.

The words themselves live in ``flows/locales/ko.py`` and ``flows/locales/en.py`` (one
catalog per language, the staff web's words included); this module reads them.
Placeholders use ``str.format`` names; ``tests/flows/test_texts.py`` checks that both
languages have the same keys and placeholders.
"""

from __future__ import annotations

from flows.locales import DEFAULT_LANG, LANGS, MESSAGES

__all__ = ["CATALOG", "DEFAULT_LANG", "EN", "KO", "LANGS", "pick_lang", "t"]

KO: dict[str, str] = MESSAGES["ko"]
EN: dict[str, str] = MESSAGES["en"]
CATALOG: dict[str, dict[str, str]] = MESSAGES


def t(lang: str, key: str, **values: object) -> str:
    """Return the text ``key`` in ``lang`` (Korean when unknown), filled with ``values``."""
    catalog = CATALOG.get(lang, KO)
    return catalog[key].format(**values) if values else catalog[key]


def pick_lang(language_code: str | None, default: str = DEFAULT_LANG) -> str:
    """Choose a language from a client's IETF tag (``ko``, ``en-US``…)."""
    if language_code:
        base = language_code.split("-")[0].lower()
        if base in CATALOG:
            return base
    return default if default in CATALOG else DEFAULT_LANG
