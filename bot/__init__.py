"""Channels: the console chat, Telegram, the aiohttp server, and the ``python -m bot`` CLI."""
