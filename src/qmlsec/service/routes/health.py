"""Liveness, readiness and Prometheus metrics.

None of them reveals tenant data without an authorised key: ``/readyz`` answers ready
or not to anyone, and says which models are broken (and why) to admin keys only;
``/metrics`` (model ids in its labels) needs an admin key unless ``metrics_public``.

Example:
    >>> from qmlsec.service.routes.health import router
    >>> sorted(r.path for r in router.routes)
    ['/healthz', '/metrics', '/readyz']
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.responses import PlainTextResponse

from qmlsec.exceptions import AuthenticationError, BackendError
from qmlsec.service.deps import api_key_header, authenticate, check_scope, get_state
from qmlsec.service.metrics import CONTENT_TYPE
from qmlsec.service.routes.common import errors
from qmlsec.service.schemas import Health, Ready
from qmlsec.service.state import ServiceState

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="Liveness")
def healthz() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Ready,
    response_model_exclude_none=True,
    responses=errors(503),
    summary="Readiness",
)
def readyz(
    key: str | None = Security(api_key_header), state: ServiceState = Depends(get_state)
) -> Ready:
    """The database answers and every registered model's endpoint can be built.

    Anyone learns whether the service is ready; an admin key also gets the details (the
    model count, or which models cannot be loaded and why).
    """
    admin = _is_admin(state, key)
    if not state.db.ping():
        raise BackendError("the service database does not answer", hint="check the database")
    broken = state.registry.unready(state.settings.backends[0])
    if broken and admin:
        listing = "; ".join(f"{m}: {why}" for m, why in sorted(broken.items()))
        raise BackendError(
            f"{len(broken)} model(s) cannot be loaded: {listing}",
            hint="re-register or remove the broken models",
        )
    if broken:
        raise BackendError(
            "the service is not ready", hint="an admin key gets the details from GET /readyz"
        )
    if not admin:
        return Ready(status="ready")
    return Ready(status="ready", database=True, models=len(state.registry.list()))


def _is_admin(state: ServiceState, key: str | None) -> bool:
    if not key:
        return False
    try:
        return "admin" in state.keys.authenticate(key).scopes
    except AuthenticationError:
        return False


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {"schema": {"type": "string"}}}},
        **errors(401, 403),
    },
    summary="Prometheus metrics",
)
def metrics(
    request: Request,
    key: str | None = Security(api_key_header),
    state: ServiceState = Depends(get_state),
) -> Response:
    """Metrics in the Prometheus text format (an admin key is needed unless public)."""
    if not state.settings.metrics_public:
        check_scope(authenticate(request, key), "admin")
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)
