"""Every word a user or staff member reads: one module per language.

``ko.py`` (the default) and ``en.py`` each hold one ``MESSAGES`` dict with the same
keys and the same ``str.format`` placeholders; ``tests/flows/test_texts.py`` checks
that for every namespace. Keys are namespaced by who shows them:

- bare keys (``consent``, ``hint.too_long``…): the conversation, read through
  ``flows.texts.t``;
- ``staff.*``: the staff web's pages, read through ``bot.staff.templates.words.word``
  without the prefix (``word(lang, "nav.cases")`` is ``staff.nav.cases``);
- ``export.*``: the CSV/XLSX/JSON exports' column titles and cell words
  (``bot/staff/exports.py``);
- ``flags.*``: the names of the review flags (``bot/staff/flags.py``);
- ``stats.*``: the statistics as plain text for ``python -m bot stats`` and the
  Telegram ``/stats`` command (``bot/staff/stats.py``; the staff web's statistics
  page says its own words under ``staff.stats.*``);
- ``console.*``: what only the console chat says (``bot/console.py``);
- ``telegram.*``: the Telegram command menu (``bot/telegram.py``);
- ``web.*``: the web chat page's own words (``bot/webchat/``).

A channel's namespace also holds its ``name`` (the staff pages' ``{channel}``) and its
``account`` (the consent's and privacy notice's ``{account}``, filled through
``flows.texts.t(lang, key, channel)``); no other word names a channel.

Words that belong to a compensation policy (reporter types, services, tiers,
documents) stay in the policy file: they are data of that outage, not of the bot.
Adding a language is one more module here with every key of ``ko.py``.
"""

from __future__ import annotations

from flows.locales import en, ko

LANGS = ("ko", "en")
DEFAULT_LANG = "ko"
# The prefixes of the namespaces other than the conversation's bare keys.
NAMESPACES = ("staff", "export", "flags", "stats", "console", "telegram", "web")

MESSAGES: dict[str, dict[str, str]] = {"ko": ko.MESSAGES, "en": en.MESSAGES}


def namespace(lang: str, prefix: str) -> dict[str, str]:
    """The ``prefix.*`` words of ``lang`` keyed without the prefix (Korean for an unknown language)."""
    head = prefix + "."
    catalog = MESSAGES.get(lang, MESSAGES[DEFAULT_LANG])
    return {key.removeprefix(head): text for key, text in catalog.items() if key.startswith(head)}
