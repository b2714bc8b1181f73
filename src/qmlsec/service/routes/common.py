"""What every router shares: documented error responses and time conversion.

Example:
    >>> from qmlsec.service.routes.common import errors
    >>> sorted(errors(401, 404))
    [401, 404]
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from fastapi import Path

from qmlsec.exceptions import ConfigError
from qmlsec.service.problems import MEDIA_TYPE, Problem

_DESCRIPTIONS = {
    400: "The body could not be read as JSON.",
    401: "No, an invalid, a revoked or an expired API key.",
    403: "Missing scope, or refused by a query monitor.",
    404: "No such resource (another tenant's resources answer the same).",
    409: "The request conflicts with the current state.",
    413: "The request body exceeds the size limit.",
    422: "The request is invalid (schema, shape, range, limits).",
    429: "Rate limit, concurrent requests, daily budget or job queue exhausted; see Retry-After.",
    503: "The model or its backend cannot answer now.",
}
MODEL_ID = Path(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", description="A model id.")
KEY_ID = Path(pattern=r"^[0-9a-f]{12}$", description="The public id of an API key.")
JOB_ID = Path(pattern=r"^[0-9a-f]{16}$", description="A job id from POST /v1/jobs.")


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem+json errors."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}


def document_problems(schema: dict[str, Any]) -> None:
    """Complete an OpenAPI document with the answers the middleware can give.

    Every 4xx/5xx body becomes ``application/problem+json``; operations with a body may
    answer 400 and 413, and every ``/v1`` and ``/admin`` operation 401 and 429 (the
    middleware admits requests before routing).
    """
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, item in schema.get("paths", {}).items():
        for operation in item.values():
            responses = operation.setdefault("responses", {})
            extra = [400, 413] if "requestBody" in operation else []
            if path.startswith(("/v1/", "/admin/", "/v2/models/")):
                extra += [401, 429]
            for code in extra:
                responses.setdefault(
                    str(code),
                    {
                        "description": _DESCRIPTIONS[code],
                        "content": {MEDIA_TYPE: {"schema": problem}},
                    },
                )
            for status, response in responses.items():
                content = response.get("content", {})
                if status[0] in "45" and "application/json" in content:
                    content[MEDIA_TYPE] = content.pop("application/json")


_RFC3339 = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$"
)


def parse_datetime(text: str) -> dt.datetime:
    """An RFC 3339 date-time (the OpenAPI ``date-time`` format) as an aware datetime.

    A leap second (``:60``) reads as the last instant of its minute.

    Example:
        >>> parse_datetime("2024-01-02T03:04:05.5Z").isoformat()
        '2024-01-02T03:04:05.500000+00:00'
    """
    match = _RFC3339.match(text)
    if match is None:
        raise ConfigError(
            f"{text[:64]!r} is not an RFC 3339 date-time",
            hint="e.g. 2024-01-31T00:00:00Z",
        )
    day, hour, minute, second, fraction, offset = match.groups()
    second_ = min(int(second), 59)
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    offset = "+00:00" if offset in "Zz" else offset
    try:
        parsed = dt.datetime.fromisoformat(f"{day}T{hour}:{minute}:00{offset}")
    except ValueError as err:
        raise ConfigError(
            f"{text[:64]!r} is not a valid date-time: {err}", hint="e.g. 2024-01-31T00:00:00Z"
        ) from err
    return parsed + dt.timedelta(seconds=second_, microseconds=micro)


def utc(ts: float) -> dt.datetime:
    """A POSIX timestamp as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(ts, dt.UTC)
