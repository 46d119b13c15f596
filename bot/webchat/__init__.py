"""The web chat: the intake conversation as a chat page on a phone's browser, at ``/``.

A person needs no account: an opaque random id in a signed cookie is their
``UserKey("web", id)`` (:mod:`bot.webchat.identity`). Every answer is a plain form post
that re-renders the page, so it works without JavaScript; the page's own small script
(``static/chat.js``) posts the same forms without reloading. What the person saw is kept
per id (:mod:`bot.webchat.transcript`), files come in streamed and capped
(:mod:`bot.webchat.uploads`), and :mod:`bot.webchat.app` puts it together as routes on the
one server (:class:`bot.server.WebChatDoor`).
"""
