"""API-key checks: writes need the key when one is configured; reads when they are closed.

The key comes in ``X-API-Key: KEY``, ``Authorization: Bearer KEY`` or, for a browser, as
the password of HTTP Basic auth (any user name: the browser asks for it on the 401's
``WWW-Authenticate: Basic`` challenge, and then sends it on every page, JSON answer and
the docs alike). It is compared in constant time (``secrets.compare_digest``), so
response times do not leak it.

>>> key_matches("s3cret", "s3cret"), key_matches("s3cret", "s3cre"), key_matches("s3cret", None)
(True, False, False)
"""

from __future__ import annotations

import base64
import binascii
import secrets

from fastapi import HTTPException, Request

#: The 401's challenge: Basic, so that a browser asks for the key (Chromium ignores a
#: second challenge in the same header; API clients send their key without being asked).
CHALLENGE = 'Basic realm="outage-detector", charset="UTF-8"'


def presented_key(request: Request) -> str | None:
    """The key the client sent: ``X-API-Key``, ``Authorization: Bearer`` or Basic's password."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if scheme.lower() == "basic" and token.strip():
        return basic_password(token.strip())
    return None


def basic_password(token: str) -> str | None:
    """The password in the token of an ``Authorization: Basic`` header.

    >>> basic_password(base64.b64encode(b"viewer:s3cret").decode()), basic_password("%%")
    ('s3cret', None)
    """
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[2] or None


def key_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of the configured and the presented key."""
    if given is None:
        return False
    return secrets.compare_digest(expected.encode(), given.encode())


def check_key(request: Request, expected: str | None, what: str) -> None:
    """Raise 401 unless no key is configured or the request carries it."""
    if expected is None:
        return
    given = presented_key(request)
    if given is None:
        raise HTTPException(
            401,
            f"{what} need the API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY' "
            "(a browser: as the password, any user name)",
            headers={"WWW-Authenticate": CHALLENGE},
        )
    if not key_matches(expected, given):
        raise HTTPException(
            401, "the API key is not valid", headers={"WWW-Authenticate": CHALLENGE}
        )
