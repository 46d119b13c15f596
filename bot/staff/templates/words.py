"""The staff web page's own words in Korean and English (policy names come from the policy).

The words live in the one catalog per language, ``flows/locales/ko.py`` and
``flows/locales/en.py``, under ``staff.*`` keys; this module reads them without the
prefix: ``word(lang, "nav.cases")`` is the catalog's ``staff.nav.cases``.
"""

from __future__ import annotations

from flows.locales import LANGS, namespace
from flows.texts import CATALOG

__all__ = ["EN", "KO", "LANGS", "WORDS", "channel_name", "word"]

KO: dict[str, str] = namespace("ko", "staff")
EN: dict[str, str] = namespace("en", "staff")

WORDS = {"ko": KO, "en": EN}


def word(lang: str, key: str, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` (Korean for an unknown language), with values filled in.

    A word with ``{channel}`` (how the user is reached: "told on {channel}") names the
    case's own channel, so the caller gives it: ``channel=channel_name(lang, key.channel)``.
    """
    text = WORDS.get(lang, KO).get(key) or KO.get(key, key)
    if "{channel}" in text and "channel" not in values:
        raise KeyError(f"staff word {key!r} names the case's channel: pass channel=")
    return text.format(**values) if values else text


def channel_name(lang: str, channel: str) -> str:
    """The name of a case's channel (``telegram`` -> 텔레그램), or its id when it has none."""
    return CATALOG.get(lang, CATALOG["ko"]).get(f"{channel}.name") or channel
