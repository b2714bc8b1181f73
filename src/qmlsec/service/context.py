"""Per-request context: request id, caller, refusal reason and audit fields.

The middleware creates one :class:`RequestContext` per HTTP request and keeps it in the
ASGI scope; dependencies, handlers and error handlers fill it in; the middleware then
writes it as the request's audit line and metrics.

Example:
    >>> from qmlsec.service.context import RequestContext
    >>> scope = {}
    >>> ctx = RequestContext.of(scope)
    >>> ctx.note(model_id="m1")
    >>> RequestContext.of(scope).fields
    {'model_id': 'm1'}
"""

from __future__ import annotations

import re
import uuid
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qmlsec.service.auth import Principal

SCOPE_KEY = "qmlsec.context"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def new_request_id(incoming: str | None = None) -> str:
    """Reuse a well-formed incoming ``X-Request-ID``, else a fresh UUID4 hex."""
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


@dataclass
class RequestContext:
    """What the service learns about one request while answering it."""

    request_id: str = field(default_factory=new_request_id)
    key_id: str | None = None
    tenant: str | None = None
    principal: Principal | None = None
    refused: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, scope: MutableMapping[str, Any]) -> RequestContext:
        """The context of a scope, created on first use."""
        ctx = scope.get(SCOPE_KEY)
        if ctx is None:
            ctx = scope[SCOPE_KEY] = cls()
        return ctx

    def note(self, **fields: Any) -> None:
        """Add audit fields (JSON-serialisable, never raw inputs)."""
        self.fields.update(fields)

    def refuse(self, reason: str) -> None:
        """Record why the request was refused."""
        self.refused = reason
