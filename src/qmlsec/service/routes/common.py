"""What every router shares: documented error responses and time conversion.

Example:
    >>> from qmlsec.service.routes.common import errors
    >>> sorted(errors(401, 404))
    [401, 404]
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from qmlsec.service.problems import Problem

_DESCRIPTIONS = {
    401: "No, an invalid or a revoked API key.",
    403: "Missing scope, another tenant's resource, or refused by a query monitor.",
    404: "No such resource.",
    422: "The request is invalid (schema, shape, range, limits).",
    429: "Rate limit, daily budget or job queue exhausted; see Retry-After.",
    503: "The model or its backend cannot answer now.",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for problem+json errors."""
    return {code: {"model": Problem, "description": _DESCRIPTIONS[code]} for code in codes}


def utc(ts: float) -> dt.datetime:
    """A POSIX timestamp as an aware UTC datetime."""
    return dt.datetime.fromtimestamp(ts, dt.UTC)
