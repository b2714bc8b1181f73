"""The outermost layer of the app: request ids, metrics, the audit line, last-resort 500s.

A pure ASGI middleware (no response buffering). For every HTTP request it assigns or
echoes ``X-Request-ID``, times the request, and, just before the response starts, records it
in the Prometheus metrics under its route template, writes its audit line and counts
refused requests of known keys in the persisted usage (so counters are exact by the time
a client sees the answer), and turns any unexpected exception into a problem+json 500 without a
stack trace (the trace goes to the server log only).

Example:
    >>> from qmlsec.service.middleware import ServiceMiddleware
    >>> callable(ServiceMiddleware)
    True
"""

from __future__ import annotations

import logging
import time
from typing import Any

import anyio.to_thread
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qmlsec.service.context import SCOPE_KEY, RequestContext, new_request_id
from qmlsec.service.problems import problem_response

log = logging.getLogger("qmlsec.service")


class ServiceMiddleware:
    """Wraps the app; reads the :class:`~qmlsec.service.state.ServiceState` lazily."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        ctx = RequestContext(request_id=new_request_id(incoming))
        scope[SCOPE_KEY] = ctx
        started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = ctx.request_id
                for name, value in ctx.headers.items():
                    headers.setdefault(name, value)
                # Counters are final before the client sees a byte of the answer.
                await self._record(scope, ctx, message["status"], time.perf_counter() - start)
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception:
            log.exception("unhandled error in request %s", ctx.request_id)
            ctx.refuse("error")
            if not started:
                response = problem_response(
                    Request(scope),
                    500,
                    "Internal Server Error",
                    "the service failed to answer; the request id identifies it in the log",
                )
                await response(scope, receive, send_wrapper)

    async def _record(self, scope: Scope, ctx: RequestContext, code: int, seconds: float) -> None:
        state: Any = getattr(scope["app"].state, "service", None)
        if state is None:  # pragma: no cover - the app factory always sets it
            return
        route = getattr(scope.get("route"), "path", "unmatched")
        state.metrics.requests.labels(route=route, method=scope["method"], status=str(code)).inc()
        state.metrics.latency.labels(route=route).observe(seconds)
        if ctx.refused is not None:
            state.metrics.rejected.labels(reason=ctx.refused).inc()
            if ctx.key_id is not None:
                await anyio.to_thread.run_sync(state.budget.reject, ctx.key_id)
        state.audit.write(
            "request",
            request_id=ctx.request_id,
            key_id=ctx.key_id,
            tenant=ctx.tenant,
            method=scope["method"],
            route=route,
            status=code,
            outcome="ok" if code < 400 else (ctx.refused or "error"),
            latency_ms=round(seconds * 1000, 3),
            **ctx.fields,
        )
