"""The web chat's colours pass WCAG AA: every text colour on its background at 4.5:1 or more."""

from __future__ import annotations

from importlib.resources import files

import pytest

CSS = files("bot.webchat").joinpath("static/chat.css").read_text()

# (text, background): each pair as the stylesheet uses it.
PAIRS = [
    ("#1b1b1f", "#ffffff"),  # body text
    ("#1b1b1f", "#eef1f5"),  # the bot's bubbles
    ("#4a4f55", "#eef1f5"),  # the small name over a bot bubble
    ("#4a4f55", "#ffffff"),  # legends
    ("#ffffff", "#0b57d0"),  # the visitor's bubbles, primary buttons, the bar
    ("#e8eefc", "#0b57d0"),  # the small name over the visitor's bubble
    ("#0b57d0", "#ffffff"),  # buttons, links
    ("#4a2f00", "#fff1d6"),  # news bubbles
    ("#a50e0e", "#ffffff"),  # errors
]


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize(("text", "background"), PAIRS)
def test_text_contrast_is_aa(text: str, background: str):
    assert contrast(text, background) >= 4.5
    for colour in (text, background):
        assert colour in CSS or (colour == "#ffffff" and "#fff" in CSS)


def test_the_focus_ring_stands_out_from_white():
    assert "outline: 3px solid #b45309" in CSS and contrast("#b45309", "#ffffff") >= 3
