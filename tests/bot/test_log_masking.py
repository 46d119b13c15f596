"""Logs never show the bot token, phone numbers or business registration numbers."""

from __future__ import annotations

import logging

from bot.log_masking import MaskingFilter, mask

TOKEN = "123456789:AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0"


def test_mask_hides_secrets_and_personal_numbers():
    line = f"POST https://api.telegram.org/bot{TOKEN}/sendMessage to 010-1234-5678 biz 220-81-62517"
    masked = mask(line)
    assert TOKEN not in masked and "<token>" in masked
    assert "010-1234-5678" not in masked and "<phone>" in masked
    assert "220-81-*****" in masked and "62517" not in masked


def test_mask_spares_ordinary_numbers():
    assert (
        mask("case K7M4 amount 350000 update 100000005")
        == "case K7M4 amount 350000 update 100000005"
    )


def test_filter_masks_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("test.masking")
    logger.addFilter(MaskingFilter(secrets=("webhook-secret-value",)))
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info("token %s secret %s phone %s", TOKEN, "webhook-secret-value", "01098765432")
        try:
            raise ValueError(f"bad number 2208162517 with {TOKEN}")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert TOKEN not in text and "webhook-secret-value" not in text
    assert "01098765432" not in text and "2208162517" not in text
