"""Exception handlers: every error is JSON ``{"detail": ...}``, never a stack trace.

Validation errors name where the problem is (``posts.3.text``) and what is wrong,
without echoing the input; a body that is not JSON, or not UTF-8, answers 400; a body
sent without ``Content-Type: application/json`` answers 415 saying so; the package's own
errors (bad parameter values) answer 422; anything unexpected is logged and answers
a plain 500 (the tests and the fuzz run make sure that does not happen).

>>> describe_errors([{"loc": ("body", "posts", 0, "text"), "msg": "Field required",
...                   "type": "missing"}])
'posts.0.text: Field required'
"""

from __future__ import annotations

import email.message
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from detector.errors import DetectorError

log = logging.getLogger(__name__)

_MAX_LISTED = 5


def _where(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        kind = parts[0]
        parts = parts[1:]
        if not parts:
            return "request body" if kind == "body" else kind
        if kind != "body":
            return f"{kind} parameter {'.'.join(parts)!r}"
    return ".".join(parts)


def describe_errors(errors: Sequence[dict[str, Any]]) -> str:
    """One line per validation error (the first few), ``where: what``."""
    lines = [f"{_where(e.get('loc', ()))}: {e.get('msg', 'invalid')}" for e in errors[:_MAX_LISTED]]
    if len(errors) > _MAX_LISTED:
        lines.append(f"... and {len(errors) - _MAX_LISTED} more errors")
    return "; ".join(lines)


def is_json_type(content_type: str | None) -> bool:
    """Whether a ``Content-Type`` is JSON, as FastAPI reads a body as JSON.

    >>> is_json_type("application/json; charset=utf-8"), is_json_type("application/x+json")
    (True, True)
    >>> is_json_type("application/x-www-form-urlencoded"), is_json_type(None)
    (False, False)
    """
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _not_json_type(request: Request, errors: Sequence[dict[str, Any]]) -> JSONResponse | None:
    """The 415 for a body that was sent but not as JSON (FastAPI then validates its
    bytes: "Input should be a valid dictionary"), else ``None``."""
    content_type = request.headers.get("content-type")
    sent = any(tuple(e.get("loc", ())) == ("body",) and e.get("type") != "missing" for e in errors)
    if not sent or is_json_type(content_type):
        return None
    got = f"got {content_type[:100]!r}" if content_type else "none was sent"
    return JSONResponse(
        {
            "detail": "the request body must be JSON sent with 'Content-Type: "
            f"application/json' ({got})"
        },
        status_code=415,
    )


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    wrong_type = _not_json_type(request, errors)
    if wrong_type is not None:
        return wrong_type
    if any(e.get("type") == "json_invalid" for e in errors):
        first = next(e for e in errors if e.get("type") == "json_invalid")
        where = first.get("ctx", {}).get("error", "")
        return JSONResponse(
            {"detail": f"the request body is not valid JSON ({where})".replace(" ()", "")},
            status_code=400,
        )
    slim = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in errors[:50]
    ]
    return JSONResponse({"detail": describe_errors(errors), "errors": slim}, status_code=422)


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, UnicodeDecodeError):
        # FastAPI's "There was an error parsing the body": say what was wrong with it
        return JSONResponse(
            {
                "detail": f"the request body is not valid UTF-8 (byte "
                f"0x{cause.object[cause.start]:02x} at offset {cause.start}: {cause.reason}); "
                "send JSON encoded as UTF-8"
            },
            status_code=400,
        )
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=getattr(exc, "headers", None)
    )


async def _detector(request: Request, exc: DetectorError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=422)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse(
        {"detail": f"internal error ({type(exc).__name__}); the server log has the details"},
        status_code=500,
    )


def install(app: FastAPI) -> None:
    """Register the handlers on *app*."""
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(DetectorError, _detector)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)
