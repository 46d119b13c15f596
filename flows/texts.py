"""Every sentence the bot says in the conversation, in Korean (the default) and English.

The words themselves live in ``flows/locales/ko.py`` and ``flows/locales/en.py`` (one
catalog per language, the staff web's words included); this module reads them.
Placeholders use ``str.format`` names; ``tests/flows/test_texts.py`` checks that both
languages have the same keys and placeholders.
"""

from __future__ import annotations

from flows.locales import DEFAULT_LANG, LANGS, MESSAGES

__all__ = [
    "CATALOG",
    "CHANNEL_WORDS",
    "DEFAULT_LANG",
    "EN",
    "KO",
    "LANGS",
    "channel_word",
    "pick_lang",
    "t",
]

KO: dict[str, str] = MESSAGES["ko"]
EN: dict[str, str] = MESSAGES["en"]
CATALOG: dict[str, dict[str, str]] = MESSAGES


# Placeholders the channel fills with its own words ("<channel>.<word>", e.g.
# telegram.account), else the catalog's channel-neutral word of that name ("account").
# The conversation's words name no channel themselves (tests/flows/test_texts.py).
CHANNEL_WORDS = ("account",)


def t(lang: str, key: str, channel: str | None = None, /, **values: object) -> str:
    """Return the text ``key`` in ``lang`` (Korean when unknown), filled with ``values``.

    ``channel`` (``telegram``, ``console``…; positional, so no placeholder is shadowed) fills the channel's placeholders
    (:data:`CHANNEL_WORDS`) with its own words; without one they get neutral ones.
    With ``count=1`` the key's singular ``<key>.one`` is used where the catalog has one
    (English "1 file"; Korean has no plural and says the same in both).
    """
    catalog = CATALOG.get(lang, KO)
    if values.get("count") == 1 and f"{key}.one" in catalog:
        key = f"{key}.one"  # the singular, where the language has one ("1 file")
    text = catalog[key]
    for word in CHANNEL_WORDS:
        if "{" + word + "}" in text and word not in values:
            values[word] = channel_word(lang, word, channel)
    return text.format(**values) if values else text


def channel_word(lang: str, word: str, channel: str | None) -> str:
    """The channel's own ``word`` (``telegram.account``), else the neutral one (``account``)."""
    catalog = CATALOG.get(lang, KO)
    return catalog.get(f"{channel}.{word}") or catalog[word] if channel else catalog[word]


def pick_lang(language_code: str | None, default: str = DEFAULT_LANG) -> str:
    """Choose a language from a client's IETF tag (``ko``, ``en-US``…)."""
    if language_code:
        base = language_code.split("-")[0].lower()
        if base in CATALOG:
            return base
    return default if default in CATALOG else DEFAULT_LANG
