"""Redaction of personal data in sample posts."""

from __future__ import annotations

import pytest

from detector.incidents.enrich import sample_texts
from detector.text.redact import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to help.desk@contoso.com now", "write to [email] now"),
        ("call 1-800-275-2273 they said", "call [phone] they said"),
        ("+44 20 7946 0958", "[phone]"),
        ("my account 0012345678 is locked", "my account [number] is locked"),
        ("IBAN DE89 3704 0044 0532 0130 00 blocked", "IBAN [account] blocked"),
        (
            "down since 14:05, 2026-12-05 and 12/05/2026",
            "down since 14:05, 2026-12-05 and 12/05/2026",
        ),
        ("order #123456 missing", "order #123456 missing"),
        ("account #12345678", "account #[number]"),
        ("phone:4155550123", "phone:[number]"),
        ("my cc#4111111111111111", "my cc#[number]"),
        ("John.Doe\uff20example.com", "[email]"),
        ("john at example dot com", "[email]"),
        ("mail jo (at) mail [dot] org", "mail [email]"),
        ("down at work again", "down at work again"),
        ("since 2026-12-05 14:05:33", "since 2026-12-05 14:05:33"),
        ("@AzureSupport 500 errors on 3 regions", "@AzureSupport 500 errors on 3 regions"),
        ("", ""),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_samples_are_redacted() -> None:
    out = sample_texts(["outlook down, mail me: a.b@example.org"], [0.9], ["outlook"])
    assert out == ["outlook down, mail me: [email]"]
