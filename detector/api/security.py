"""API-key checks: writes need the key when one is configured; reads when they are closed.

The key comes in ``X-API-Key: KEY`` or ``Authorization: Bearer KEY`` and is compared
in constant time (``secrets.compare_digest``), so response times do not leak it.

>>> key_matches("s3cret", "s3cret"), key_matches("s3cret", "s3cre"), key_matches("s3cret", None)
(True, False, False)
"""

from __future__ import annotations

import secrets

from fastapi import HTTPException, Request


def presented_key(request: Request) -> str | None:
    """The key the client sent, from ``X-API-Key`` or ``Authorization: Bearer``."""
    key = request.headers.get("x-api-key")
    if key:
        return key
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


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
            f"{what} need the API key: send it as 'X-API-Key: KEY' or 'Authorization: Bearer KEY'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not key_matches(expected, given):
        raise HTTPException(401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"})
