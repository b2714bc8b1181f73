"""Model listing, metadata and synchronous predictions.

Example:
    >>> from qmlsec.service.routes.models import router
    >>> sorted(r.path for r in router.routes)
    ['/v1/models', '/v1/models/{model_id}', '/v1/models/{model_id}/predict']
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from qmlsec.service.auth import Principal
from qmlsec.service.context import RequestContext
from qmlsec.service.deps import get_state, require
from qmlsec.service.registry import ModelRecord
from qmlsec.service.routes.common import MODEL_ID, errors, utc
from qmlsec.service.schemas import ModelInfo, ModelList, PredictRequest, PredictResponse
from qmlsec.service.state import ServiceState

router = APIRouter(prefix="/v1/models", tags=["models"])


def model_info(record: ModelRecord) -> ModelInfo:
    """The public view of a registered model."""
    card = dict(record.card)
    return ModelInfo(
        model_id=record.model_id,
        tenant=record.tenant,
        registered_at=utc(record.registered_at),
        n_features=card.pop("n_features"),
        n_classes=card.pop("n_classes"),
        feature_range=card.pop("feature_range", None),
        details=card,
    )


@router.get("", response_model=ModelList, responses=errors(401, 403, 429), summary="List models")
def list_models(
    who: Principal = Depends(require("predict")), state: ServiceState = Depends(get_state)
) -> ModelList:
    """Models the caller's tenant may query (admins see every tenant's)."""
    tenant = None if "admin" in who.scopes else who.tenant
    return ModelList(models=[model_info(r) for r in state.registry.list(tenant)])


@router.get(
    "/{model_id}",
    response_model=ModelInfo,
    responses=errors(401, 403, 404, 422, 429),
    summary="Model metadata",
)
def get_model(
    model_id: str = MODEL_ID,
    who: Principal = Depends(require("predict")),
    state: ServiceState = Depends(get_state),
) -> ModelInfo:
    """Public metadata of one model: shape, classes, circuit family; never weights."""
    return model_info(state.registry.get_visible(model_id, who))


@router.post(
    "/{model_id}/predict",
    response_model=PredictResponse,
    responses=errors(401, 403, 404, 422, 429, 503),
    summary="Predict",
)
async def predict(
    body: PredictRequest,
    request: Request,
    model_id: str = MODEL_ID,
    who: Principal = Depends(require("predict")),
    state: ServiceState = Depends(get_state),
) -> PredictResponse:
    """Labels, class probabilities or ⟨Z⟩ expectation values of a batch.

    ``shots: null`` gives exact values; otherwise each sample runs with that many shots
    on ``backend`` (seeded by ``seed``, drawn and returned if absent).
    """
    return await state.predictor.answer(who, model_id, body, RequestContext.of(request.scope))
