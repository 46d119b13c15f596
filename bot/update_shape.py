"""Check that a webhook body has the shape of a Telegram update before the bot reads it.

python-telegram-bot builds an ``Update`` from any JSON without checking types, so
``"text": {"a": 1}`` or ``"update_id": "1"`` would only fail deep inside the bot
(with a traceback, or a 500 that Telegram retries forever). Telegram itself never
sends such a thing; whoever does holds the webhook secret and gets a 400.

Only the fields the bot reads are checked, and only where they are present (plus
the few that are always there); fields it does not know pass whatever they hold,
so a newer Bot API adding fields or update kinds changes nothing here.
"""

from __future__ import annotations

from typing import Any

# Telegram's identifiers fit in 52 bits (they are doubles in some clients).
MAX_ID = 2**53
Spec = dict[str, Any]  # field -> type, nested Spec, or [Spec] for a list of objects

USER: Spec = {
    "id": int,
    "is_bot": bool,
    "first_name": str,
    "last_name": str,
    "username": str,
    "language_code": str,
}
CHAT: Spec = {"id": int, "type": str, "title": str, "username": str, "first_name": str}
ENTITY: Spec = {"type": str, "offset": int, "length": int}
FILE: Spec = {
    "file_id": str,
    "file_unique_id": str,
    "file_size": int,
    "file_name": str,
    "mime_type": str,
    "width": int,
    "height": int,
    "duration": int,
}
_MESSAGE_FIELDS: Spec = {
    "message_id": int,
    "date": int,
    "chat": CHAT,
    "from": USER,
    "sender_chat": CHAT,
    "text": str,
    "caption": str,
    "entities": [ENTITY],
    "caption_entities": [ENTITY],
    "media_group_id": str,
    "photo": [FILE],
    "document": FILE,
    "video": FILE,  # bot/telegram.py reads these like a document
    "animation": FILE,
    "edit_date": int,
}
# Telegram never nests a replied-to message further, so the inner one is checked flat.
MESSAGE: Spec = {**_MESSAGE_FIELDS, "reply_to_message": _MESSAGE_FIELDS}
CALLBACK_QUERY: Spec = {
    "id": str,
    "from": USER,
    "message": MESSAGE,
    "chat_instance": str,
    "data": str,
}
UPDATE: Spec = {
    "update_id": int,
    "message": MESSAGE,
    "edited_message": MESSAGE,
    "channel_post": MESSAGE,
    "edited_channel_post": MESSAGE,
    "callback_query": CALLBACK_QUERY,
}
# Fields that must be there whenever their object is.
REQUIRED: dict[int, tuple[str, ...]] = {
    id(UPDATE): ("update_id",),
    id(MESSAGE): ("message_id", "date", "chat"),
    id(_MESSAGE_FIELDS): ("message_id", "date", "chat"),
    id(CHAT): ("id", "type"),
    id(USER): ("id",),
    id(CALLBACK_QUERY): ("id", "from"),
}


def update_problem(data: object) -> str | None:
    """Say what is wrong with ``data`` as a Telegram update (a short phrase), or None."""
    problem = _check(data, UPDATE, "update")
    if problem is None and isinstance(data, dict) and not 0 <= data["update_id"] < MAX_ID:
        return "update_id out of range"
    return problem


def _check(value: object, spec: Spec, where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where} is not an object"
    for name in REQUIRED.get(id(spec), ()):
        if name not in value:
            return f"{where}.{name} is missing"
    for name, expected in spec.items():
        if name not in value:
            continue
        inner, path = value[name], f"{where}.{name}"
        if isinstance(expected, dict):
            problem = _check(inner, expected, path)
        elif isinstance(expected, list):
            problem = _check_list(inner, expected[0], path)
        else:
            problem = _check_scalar(inner, expected, path)
        if problem is not None:
            return problem
    return None


def _check_list(value: object, spec: Spec, where: str) -> str | None:
    if not isinstance(value, list):
        return f"{where} is not a list"
    for n, item in enumerate(value):
        problem = _check(item, spec, f"{where}[{n}]")
        if problem is not None:
            return problem
    return None


def _check_scalar(value: object, expected: type, where: str) -> str | None:
    # bool is an int to Python, never to JSON: true is not an id.
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{where} is not a whole number"
        if not -MAX_ID < value < MAX_ID:
            return f"{where} is out of range"
    if not isinstance(value, expected):
        return f"{where} is not {expected.__name__}"
    return None
