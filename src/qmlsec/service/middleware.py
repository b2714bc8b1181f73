"""The outermost layer of the app: admission, request ids, metrics, the audit line, 500s.

A pure ASGI middleware (no response buffering). For every HTTP request it assigns or
echoes ``X-Request-ID`` and times the request. Before the app reads a byte of the body it
admits the request, cheapest check first:

1. a declared ``Content-Length`` above the limit (``max_body_bytes``, or
   ``max_job_body_bytes`` for ``POST /v1/jobs``) is refused with 413;
2. on ``/v1/...``, ``/v2/models/...`` and ``/admin/...`` the API key is authenticated (401), the key's rate
   limit counted (429) and one of its concurrent-request slots taken (429);
3. only then is the body read, at most the limit (413 beyond, also for chunked bodies),
   and handed to the app, which parses it.

So an anonymous client can make the service neither read nor parse a large body. Just
before the response starts, the request is recorded in the Prometheus metrics under its
route template, its audit line is written and a refused request of a known key is
counted in the persisted usage (so counters are exact by the time a client sees the
answer). Any unexpected exception becomes a problem+json 500 without a stack trace (the
trace goes to the server log only).

Example:
    >>> from qmlsec.service.middleware import ServiceMiddleware
    >>> callable(ServiceMiddleware)
    True
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from qmlsec.exceptions import PayloadTooLargeError, QmlsecError
from qmlsec.service.context import SCOPE_KEY, RequestContext, new_request_id
from qmlsec.service.problems import error_response, problem_response

log = logging.getLogger("qmlsec.service")
PROTECTED = ("/v1/", "/admin/", "/v2/models/")


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

        state: Any = getattr(scope["app"].state, "service", None)
        release: Callable[[], None] | None = None
        try:
            try:
                app_receive, release = await self._admit(scope, receive, ctx, state)
            except QmlsecError as err:
                await error_response(Request(scope), err)(scope, receive, send_wrapper)
                return
            await self.app(scope, app_receive, send_wrapper)
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
        finally:
            if release is not None:
                release()

    async def _admit(
        self, scope: Scope, receive: Receive, ctx: RequestContext, state: Any
    ) -> tuple[Receive, Callable[[], None] | None]:
        """Check size, key, rate and concurrency, then read the body (bounded)."""
        if state is None:  # pragma: no cover - the app factory always sets it
            return receive, None
        settings = state.settings
        path, method = scope["path"], scope["method"]
        limit = settings.max_body_bytes
        if method == "POST" and path.rstrip("/") == "/v1/jobs":
            limit = settings.max_job_body_bytes
        headers = {k.lower(): v for k, v in scope["headers"]}
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(int(declared), limit)
        release = None
        if path.startswith(PROTECTED):
            key = headers.get(b"x-api-key", b"").decode("latin-1") or None
            if state.keys.is_cached(key):
                who = state.keys.authenticate(key)
            else:
                who = await anyio.to_thread.run_sync(state.keys.authenticate, key)
            ctx.principal, ctx.key_id, ctx.tenant = who, who.key_id, who.tenant
            rate = state.limiter.hit(who.key_id)
            ctx.headers.update(
                {
                    "X-RateLimit-Limit": str(rate.limit),
                    "X-RateLimit-Remaining": str(rate.remaining),
                    "X-RateLimit-Reset": str(rate.reset_s),
                }
            )
            state.concurrency.acquire(who.key_id)
            release = functools.partial(state.concurrency.release, who.key_id)
        if declared in (None, b"0") and b"transfer-encoding" not in headers:
            return receive, release
        try:
            body = await _read_body(receive, limit)
        except BaseException:
            if release is not None:
                release()
            raise
        return _replay(body, receive), release

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


def _too_large(size: int | None, limit: int) -> PayloadTooLargeError:
    got = "a larger body" if size is None else f"{size} bytes"
    return PayloadTooLargeError(
        f"request body of {got} exceeds the limit of {limit} bytes",
        hint="send fewer samples per request, or submit large batches as jobs (POST /v1/jobs)",
    )


async def _read_body(receive: Receive, limit: int) -> bytes:
    """The whole request body, or :class:`PayloadTooLargeError` past ``limit`` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(None, limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands over ``body`` once, then waits for the disconnect."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
