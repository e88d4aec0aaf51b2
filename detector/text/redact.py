"""Redaction of personal data in post texts shown to people: e-mail, phone, account numbers.

Sample posts travel further than the scored rows: into ``incidents.json``, the report,
the API and the status page. :func:`redact` replaces what identifies a person or an
account with a placeholder and leaves the rest (times, dates, short order numbers,
@handles) as written.

>>> redact("mail me at jo.doe+x@example.co.uk or call +1 (555) 201-3344")
'mail me at [email] or call [phone]'
>>> redact("card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, down at 14:05 2026-12-05")
'card [number], IBAN [account], down at 14:05 2026-12-05'
>>> redact("order #123456 still not delivered; account #12345678, phone:4155550123")
'order #123456 still not delivered; account #[number], phone:[number]'
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"[\w.+-]+\s?[@\uff20\ufe6b]\s?[\w-]+(?:\.[\w-]+)+")
#: Spelt-out addresses: ``john at example dot com``, ``jo (at) mail [dot] org``.
SPELT_EMAIL = re.compile(
    r"\b[\w.+-]+\s*(?:\(at\)|\[at\]|\sat\s)\s*[\w-]+"
    r"(?:\s*(?:\(dot\)|\[dot\]|\sdot\s)\s*[\w-]+)*"
    r"\s*(?:\(dot\)|\[dot\]|\sdot\s|\.)\s*(?:com|org|net|edu|gov|io|co|uk|de|fr|info|me)\b",
    re.IGNORECASE,
)
#: An IBAN-like account: two letters, two check digits, then 11-30 letters/digits in groups.
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
#: A run of digits with the separators people type inside numbers.
#: It may follow ``#``, ``:`` or ``/`` (``account #12345678``, ``phone:4155550123``) but
#: never start inside a time or date (the ``05`` of ``14:05``).
DIGITS = re.compile(r"(?<![\w@])(?<!\d[:/.,-])\+?\(?\d[\d\s().-]{5,}\d(?!\w)(?![:/]\d)")
#: Dates and clock times are not personal: left as written.
_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{1,2}:\d{2}")


def _number(match: re.Match[str]) -> str:
    text = match.group(0)
    trailing = ""
    while text and text[-1] in " .-(":
        trailing = text[-1] + trailing
        text = text[:-1]
    digits = sum(ch.isdigit() for ch in text)
    if digits < 7 or _DATE.fullmatch(text.strip("() ")) or _only_dates(text):
        return match.group(0)
    if not text.isdigit() and digits <= 15:
        return "[phone]" + trailing
    return "[number]" + trailing


def _only_dates(text: str) -> bool:
    """Whether *text* is dates/times separated by spaces (``2026-12-05 14:05``)."""
    parts = [p for p in re.split(r"\s+", text.strip()) if p]
    return all(_DATE.fullmatch(p) for p in parts)


def redact(text: str) -> str:
    """*text* with e-mail addresses, phone numbers and account-like numbers replaced.

    Placeholders: ``[email]``, ``[phone]`` (a number written with ``+``, brackets or
    separators, up to 15 digits), ``[number]`` (a plain run of 7 or more digits: card,
    account or customer numbers), ``[account]`` (an IBAN).

    >>> redact("account 12345678 locked")
    'account [number] locked'
    >>> redact("ring 020 7946 0958 pls")
    'ring [phone] pls'
    """
    if not text:
        return text
    text = EMAIL.sub("[email]", text)
    text = SPELT_EMAIL.sub("[email]", text)
    text = IBAN.sub("[account]", text)
    return DIGITS.sub(_number, text)


__all__ = ["redact"]
