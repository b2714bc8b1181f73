"""Every error as an RFC 9457 ``application/problem+json`` response, never a stack trace.

This module is the one place where errors become HTTP responses: a
:class:`~qmlsec.exceptions.QmlsecError` answers with its ``http_status`` and ``title``;
FastAPI's request validation errors and Starlette's routing errors (404, 405) are
overridden to answer in the same shape. Validation errors list where and what was wrong,
never the rejected values.

Example:
    >>> from qmlsec.service.problems import problem_type
    >>> from qmlsec.exceptions import RateLimitError
    >>> problem_type(RateLimitError("x"))
    'urn:qmlsec:problem:rate-limit'
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from qmlsec.exceptions import (
    ArtifactError,
    AuthenticationError,
    BackendError,
    DetectionError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    QmlsecError,
)
from qmlsec.service.context import RequestContext

MEDIA_TYPE = "application/problem+json"
_REASONS: tuple[tuple[type[QmlsecError], str], ...] = (
    (AuthenticationError, "auth"),
    (PermissionDeniedError, "forbidden"),
    (DetectionError, "detector"),
    (ArtifactError, "integrity"),
    (NotFoundError, "not_found"),
    (BackendError, "backend"),
    (PayloadTooLargeError, "size"),
)


class FieldError(BaseModel):
    """One invalid request field."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details, plus the request id and a hint."""

    type: str = Field(examples=["urn:qmlsec:problem:rate-limit"])
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str
    request_id: str
    hint: str | None = None
    reason: str | None = None
    errors: list[FieldError] | None = None


def problem_type(err: QmlsecError) -> str:
    """``urn:qmlsec:problem:<slug>`` of the error's class in :mod:`qmlsec.exceptions`."""
    base = next(c for c in type(err).__mro__ if c.__module__ == QmlsecError.__module__)
    name = base.__name__.removesuffix("Error") or "Qmlsec"
    return "urn:qmlsec:problem:" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def reason_of(err: QmlsecError) -> str:
    """The ``reason`` label of a refused request in metrics and the audit log."""
    explicit = getattr(err, "reason", None)
    if isinstance(explicit, str):
        return explicit
    for cls, reason in _REASONS:
        if isinstance(err, cls):
            return reason
    return "validation" if err.http_status < 500 else "error"


def problem_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    type_: str = "about:blank",
    hint: str | None = None,
    reason: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem+json response for ``request``."""
    ctx = RequestContext.of(request.scope)
    body = Problem(
        type=type_,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        request_id=ctx.request_id,
        hint=hint,
        reason=reason,
        errors=None if errors is None else [FieldError(**e) for e in errors],
    )
    content = body.model_dump(exclude_none=True)
    if request.url.path.startswith("/v2/"):  # the Open Inference Protocol's error field
        content["error"] = detail
    return JSONResponse(
        content,
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def error_response(request: Request, err: QmlsecError) -> JSONResponse:
    """The problem+json answer to ``err``; records the refusal in the request context."""
    headers: dict[str, str] = {}
    if isinstance(err, AuthenticationError):
        headers["WWW-Authenticate"] = 'ApiKey header="X-API-Key"'
    if isinstance(err, PayloadTooLargeError):
        headers["Connection"] = "close"  # the unread rest of the body is not wanted
    retry = getattr(err, "retry_after", None)
    if retry is not None:
        headers["Retry-After"] = str(int(retry))
    reason = reason_of(err)
    RequestContext.of(request.scope).refuse(reason)
    return problem_response(
        request,
        err.http_status,
        err.title,
        err.message,
        type_=problem_type(err),
        hint=err.hint,
        reason=reason,
        headers=headers,
    )


async def _qmlsec_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, QmlsecError)
    return error_response(request, err)


async def _validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    errors = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
            "msg": str(e.get("msg", "invalid")),
            "type": str(e.get("type", "invalid")),
        }
        for e in err.errors()
    ]
    RequestContext.of(request.scope).refuse("validation")
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors[:5])
    return problem_response(
        request,
        422,
        "Invalid request",
        f"the request does not match the API schema: {where}",
        type_="urn:qmlsec:problem:validation",
        hint="see /openapi.json for the expected request shape",
        errors=errors,
    )


async def _http_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, StarletteHTTPException)
    phrase = HTTPStatus(err.status_code).phrase
    detail = err.detail if isinstance(err.detail, str) else phrase
    headers = dict(err.headers or {})
    if err.status_code == 405:
        headers["Allow"] = ", ".join(allowed_methods(request))
        detail = f"{request.method} is not allowed here; allowed: {headers['Allow']}"
    RequestContext.of(request.scope).refuse("not_found" if err.status_code == 404 else "http")
    return problem_response(request, err.status_code, phrase, detail, headers=headers)


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path.

    Starlette's own 405 names only the methods of the first route matching the path;
    a path served by several routes (``GET`` and ``POST /admin/keys``) needs them all.
    """
    methods: set[str] = set()
    for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.routes):
            methods.add(method)
    return sorted(methods)


def install_handlers(app: FastAPI) -> None:
    """Route every error type of the app through problem+json."""
    app.add_exception_handler(QmlsecError, _qmlsec_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
