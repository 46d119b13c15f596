"""Logs never show the bot token, phone numbers or business registration numbers."""

from __future__ import annotations

import logging

import pytest

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


def test_mask_catches_phone_and_registration_numbers_written_other_ways():
    """Regression: dots, a "(0)" after +82 and spaces between the groups went through unmasked."""
    for number in (
        "010.1234.5678",
        "+82 (0)10-1234-5678",
        "+82(0)10 1234 5678",
        "+82-10-1234-5678",
    ):
        masked = mask(f"call {number} please")
        assert masked == "call <phone> please", (number, masked)
    for number in ("220 81 62517", "220.81.62517", "220-81-62517", "220–81–62517"):
        masked = mask(f"biz {number}.")
        assert "62517" not in masked and "220-81-*****" in masked, (number, masked)
    # Ten bare digits with a valid check digit, not named as an id: a registration number.
    assert mask("typed 2208162517") == "typed 220-81-*****"


def test_mask_spares_ten_digit_ids_and_hashes():
    """Regression: user and update ids of ten digits and runs of digits inside sha256
    hashes were masked as registration numbers (these all pass its check digit)."""
    for line in (
        "update 1234567891 of user 7012345676 failed",
        "conversation of user 5551234565 unreadable",
        # Regression: a user key (telegram:<id>) hid its id from the "user" label.
        "reminder/expiry for user telegram:5551234565 failed",
        "actor user:telegram:7012345676",
        "chat_id=7012345676 user_id: 5551234565 message 1234567891",
        # sha256 of b"183" and b"229": "8879554141" and "1189099751" are inside them
        "evidence zip: b8aed072d29403ece56ae9641638ddd50d420f950bde0eefc092ee8879554141 missing",
        "file 08490295488a1189099751ebeddb5992313dd2a831e07a92e66d196ddc261777",
    ):
        assert mask(line) == line


def test_log_level_names_the_level_of_the_bots_own_lines():
    """LOG_LEVEL (DEBUG shows each request's turn across instances) takes logging's level
    names in any case; anything else is refused at start-up, not silently INFO."""
    from bot.errors import ConfigError
    from bot.settings import load_settings

    assert load_settings({}).log_level == "INFO"
    assert load_settings({"LOG_LEVEL": "debug"}).log_level == "DEBUG"
    with pytest.raises(ConfigError, match="LOG_LEVEL"):
        load_settings({"LOG_LEVEL": "verbose"})
