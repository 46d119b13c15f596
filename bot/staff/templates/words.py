"""The staff web page's own words in Korean and English (policy names come from the policy).

The words live in the one catalog per language, ``flows/locales/ko.py`` and
``flows/locales/en.py``, under ``staff.*`` keys; this module reads them without the
prefix: ``word(lang, "nav.cases")`` is the catalog's ``staff.nav.cases``.
"""

from __future__ import annotations

from flows.locales import LANGS, namespace

__all__ = ["EN", "KO", "LANGS", "WORDS", "word"]

KO: dict[str, str] = namespace("ko", "staff")
EN: dict[str, str] = namespace("en", "staff")

WORDS = {"ko": KO, "en": EN}


def word(lang: str, key: str, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` (Korean for an unknown language), with values filled in."""
    text = WORDS.get(lang, KO).get(key) or KO.get(key, key)
    return text.format(**values) if values else text
