"""Admin endpoints: API keys, model registration and the audit log export.

Example:
    >>> from qmlsec.service.routes.admin import router
    >>> sorted({r.path for r in router.routes})
    ['/admin/audit', '/admin/keys', '/admin/keys/{key_id}', '/admin/models', '/admin/models/{model_id}']
"""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Query, Request, Response

from qmlsec.service.auth import KeyInfo, Principal
from qmlsec.service.context import RequestContext
from qmlsec.service.deps import get_state, require
from qmlsec.service.routes.common import KEY_ID, MODEL_ID, errors, parse_datetime, utc
from qmlsec.service.routes.models import model_info
from qmlsec.service.schemas import (
    KeyCreate,
    KeyCreated,
    KeyList,
    KeyOut,
    ModelInfo,
    RegisterModel,
)
from qmlsec.service.state import ServiceState

router = APIRouter(prefix="/admin", tags=["admin"])
NDJSON = "application/x-ndjson"


def key_out(info: KeyInfo) -> KeyOut:
    """The admin view of a key."""
    return KeyOut(
        key_id=info.key_id,
        tenant=info.tenant,
        name=info.name,
        scopes=list(info.scopes),  # type: ignore[arg-type]
        created_at=utc(info.created_at),
        revoked=info.revoked,
        expires_at=None if info.expires_at is None else utc(info.expires_at),
    )


@router.post(
    "/keys",
    status_code=201,
    response_model=KeyCreated,
    responses=errors(401, 403, 422, 429),
    summary="Issue a key",
)
def create_key(
    body: KeyCreate,
    request: Request,
    who: Principal = Depends(require("admin")),
    state: ServiceState = Depends(get_state),
) -> KeyCreated:
    """Issue an API key; the response is the only place the key ever appears."""
    info, key = state.keys.create(
        body.tenant, body.scopes, name=body.name, expires_in=body.expires_in_s
    )
    RequestContext.of(request.scope).note(
        action="key.create", target_key=info.key_id, target_tenant=info.tenant
    )
    return KeyCreated(**key_out(info).model_dump(), key=key)


@router.get("/keys", response_model=KeyList, responses=errors(401, 403, 429), summary="List keys")
def list_keys(
    who: Principal = Depends(require("admin")), state: ServiceState = Depends(get_state)
) -> KeyList:
    """Every key, without secrets."""
    return KeyList(keys=[key_out(k) for k in state.keys.list()])


@router.delete(
    "/keys/{key_id}",
    response_model=KeyOut,
    responses=errors(401, 403, 404, 409, 422, 429),
    summary="Revoke a key",
)
def revoke_key(
    request: Request,
    key_id: str = KEY_ID,
    who: Principal = Depends(require("admin")),
    state: ServiceState = Depends(get_state),
) -> KeyOut:
    """Revoke a key at once; its usage history is kept.

    The last usable admin key cannot be revoked (409): issue another admin key first.
    """
    RequestContext.of(request.scope).note(action="key.revoke", target_key=key_id)
    return key_out(state.keys.revoke(key_id))


@router.post(
    "/models",
    status_code=201,
    response_model=ModelInfo,
    responses=errors(401, 403, 404, 422, 429),
    summary="Register a model",
)
def register_model(
    body: RegisterModel,
    request: Request,
    who: Principal = Depends(require("admin")),
    state: ServiceState = Depends(get_state),
) -> ModelInfo:
    """Verify an artifact folder on the server and serve it for a tenant."""
    RequestContext.of(request.scope).note(action="model.register", model_id=body.model_id)
    record = state.registry.register(body.model_id, body.path, body.tenant, who.key_id)
    return model_info(record)


@router.delete(
    "/models/{model_id}",
    response_model=ModelInfo,
    responses=errors(401, 403, 404, 422, 429),
    summary="Remove a model",
)
def remove_model(
    request: Request,
    model_id: str = MODEL_ID,
    who: Principal = Depends(require("admin")),
    state: ServiceState = Depends(get_state),
) -> ModelInfo:
    """Stop serving a model; its artifact folder is left alone."""
    RequestContext.of(request.scope).note(action="model.remove", model_id=model_id)
    return model_info(state.registry.remove(model_id))


@router.get(
    "/audit",
    response_class=Response,
    responses={
        200: {"content": {NDJSON: {"schema": {"type": "string"}}}},
        **errors(401, 403, 422, 429),
    },
    summary="Export the audit log",
)
def export_audit(
    since: str | None = Query(
        None,
        description="Only lines at or after this RFC 3339 date-time.",
        json_schema_extra={"format": "date-time"},
    ),
    limit: int = Query(1000, ge=1, le=100_000),
    who: Principal = Depends(require("admin")),
    state: ServiceState = Depends(get_state),
) -> Response:
    """Audit lines as JSON lines, oldest first."""
    start = None if since is None else parse_datetime(since)
    lines = (json.dumps(r, sort_keys=True) + "\n" for r in state.audit.read(start, limit))
    return Response("".join(lines), media_type=NDJSON)
