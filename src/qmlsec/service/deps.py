"""FastAPI dependencies: the service state and the authenticated, rate-limited caller.

Example:
    >>> from qmlsec.service.deps import api_key_header
    >>> api_key_header.model.name
    'X-API-Key'
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from qmlsec.exceptions import PermissionDeniedError
from qmlsec.service.auth import Principal
from qmlsec.service.context import RequestContext
from qmlsec.service.state import ServiceState

api_key_header = APIKeyHeader(
    name="X-API-Key",
    auto_error=False,
    description="API key `qk_<key_id>.<secret>` issued by an admin.",
)


async def get_state(request: Request) -> ServiceState:
    """The service state of the app serving ``request``."""
    state: ServiceState = request.app.state.service
    return state


def authenticate(request: Request, key: str | None = Security(api_key_header)) -> Principal:
    """The caller, authenticated and rate-counted (by the middleware on API routes)."""
    state: ServiceState = request.app.state.service
    ctx = RequestContext.of(request.scope)
    if ctx.principal is not None:
        return ctx.principal
    who = state.keys.authenticate(key)
    ctx.key_id, ctx.tenant = who.key_id, who.tenant
    rate = state.limiter.hit(who.key_id)
    ctx.headers.update(
        {
            "X-RateLimit-Limit": str(rate.limit),
            "X-RateLimit-Remaining": str(rate.remaining),
            "X-RateLimit-Reset": str(rate.reset_s),
        }
    )
    return who


def check_scope(who: Principal, scope: str) -> Principal:
    """``who`` if it holds ``scope``; raises :class:`PermissionDeniedError` otherwise."""
    if scope not in who.scopes:
        raise PermissionDeniedError(
            f"API key {who.key_id} lacks the {scope!r} scope",
            hint=f"use a key issued with the {scope!r} scope",
        )
    return who


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency that admits callers holding ``scope``."""

    async def dependency(who: Principal = Security(authenticate)) -> Principal:
        return check_scope(who, scope)

    return dependency
