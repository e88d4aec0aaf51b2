"""The OpenAPI document as the server really answers: error bodies, statuses and the key.

FastAPI documents a 422 as its own ``{"detail": [...]}`` and nothing else; this server
answers every error as :class:`~detector.api.schemas.ErrorOut` (``{"detail": "...",
"errors"?: [...]}``, see :mod:`detector.api.handlers`). :func:`document` builds the
schema once per app and then:

* lists, for every operation, each error status it can answer, all with ``ErrorOut``:
  400 (a ``Host`` not served, a URL or body that is not UTF-8, a body that is not
  JSON), 401 (where these settings require the key), 404 and 503 where a route
  declares them (see :func:`errors`), 408/413/415 for operations with a body, 422
  for those with parameters or a body;
* declares the API key as security schemes (``X-API-Key``, ``Authorization: Bearer``
  and Basic's password, as :mod:`detector.api.security` accepts it) and applies them to
  the operations behind the key: required where this server's settings require the key,
  optional (Swagger UI can still send it) where they do not.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from detector.api.deps import require_read, require_write
from detector.api.schemas import ErrorItem, ErrorOut
from detector.api.settings import Settings

#: What each error status means, as the operations' response descriptions say it.
MEANING: dict[int, str] = {
    400: "Bad request: the Host header names a host this server does not serve, or the "
    "URL (or the body) is not valid UTF-8, or the body is not valid JSON.",
    401: "The API key is missing or not valid (writes need it when a key is configured, "
    "reads when reads are closed).",
    404: "Unknown service: neither in the service catalog nor named by any ingested post "
    "(GET /v1/services lists every name).",
    408: "The request body arrived too slowly (OUTAGE_BODY_TIMEOUT, OUTAGE_MIN_BODY_RATE).",
    413: "The request body is larger than OUTAGE_MAX_BODY.",
    415: "The body was not sent as JSON: send it with 'Content-Type: application/json'.",
    422: "A parameter or the body is not valid: 'detail' says where and what, 'errors' "
    "lists each problem (loc, msg, type).",
    503: "The server is busy with other requests of this kind; retry after Retry-After seconds.",
}

#: The security schemes: one name per way :func:`~detector.api.security.presented_key`
#: takes the key.
SCHEMES: dict[str, dict[str, Any]] = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "Bearer": {"type": "http", "scheme": "bearer", "description": "The API key as the token."},
    "Basic": {
        "type": "http",
        "scheme": "basic",
        "description": "The API key as the password, any user name (for browsers).",
    },
}

_REF = "#/components/schemas/{model}"


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: *statuses* answered with :class:`ErrorOut`.

    >>> errors(404)[404]["model"].__name__
    'ErrorOut'
    """
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {"model": ErrorOut, "description": MEANING[status]}
        if status == 503:
            entry["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
        out[status] = entry
    return out


def install(app: FastAPI, settings: Settings) -> None:
    """Serve :func:`document` as *app*'s OpenAPI schema (built on the first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """The OpenAPI document of *app* with the real error bodies and the key's schemes."""
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's 422, never answered
        schemas.pop(name, None)
    for model in (ErrorItem, ErrorOut):
        found = model.model_json_schema(ref_template=_REF, mode="serialization")
        schemas.update(found.pop("$defs", {}))
        schemas[model.__name__] = found
    checks = components.setdefault("securitySchemes", {})
    for check in (require_read, require_write):  # placeholders of the access checks
        checks.pop(check.scheme_name, None)
    checks.update(SCHEMES)
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            _describe_operation(operation, settings)
    return schema


def _access(operation: dict[str, Any]) -> str | None:
    """``read``, ``write`` or ``None`` (open): the access check FastAPI listed as security.

    >>> _access({"security": [{"write-access": []}]}), _access({})
    ('write', None)
    """
    names = {name for requirement in operation.get("security", []) for name in requirement}
    for check in (require_write, require_read):
        if check.scheme_name in names:
            return check.access
    return None


def key_needed(access: str, settings: Settings) -> bool:
    """Whether these settings make *access* (``read``, ``write``) need the key.

    >>> key_needed("write", Settings(api_key="k")), key_needed("read", Settings(api_key="k"))
    (True, False)
    >>> key_needed("read", Settings(api_key="k", reads_open=False))
    True
    """
    return bool(settings.api_key) and (access == "write" or not settings.reads_open)


def _describe_operation(operation: dict[str, Any], settings: Settings) -> None:
    """Add the error statuses of one operation and the key's schemes where it applies."""
    responses = operation.setdefault("responses", {})
    has_body = "requestBody" in operation
    access = _access(operation)
    needed = access is not None and key_needed(access, settings)
    statuses = [400]
    if needed:
        statuses.append(401)
    if has_body:
        statuses += [408, 413, 415]
    if has_body or operation.get("parameters"):
        statuses.append(422)
    for status in statuses:
        responses[str(status)] = {
            "description": MEANING[status],
            "content": {"application/json": {"schema": {"$ref": _REF.format(model="ErrorOut")}}},
        }
    operation["responses"] = dict(sorted(responses.items()))
    operation.pop("security", None)
    if access is not None:
        # an empty requirement makes the key optional: sent when given, never demanded
        operation["security"] = [{name: []} for name in SCHEMES] + ([] if needed else [{}])
