"""The Open Inference Protocol v2 (REST) over the same models, keys, budgets and limits.

Follows the KServe / Triton "Open Inference Protocol" HTTP/REST specification
(``kserve/open-inference-protocol``, ``specification/protocol/inference_rest.md``), so
KServe-, Triton- and MLServer-style clients can call ``qmlsec serve``:

- ``GET /v2/health/live`` -> ``{"live": true}``; ``GET /v2/health/ready`` ->
  ``{"ready": true}`` (503 while the database or a model cannot answer); no key needed.
- ``GET /v2/models/{name}`` -> model metadata: ``platform``, one input tensor
  ``input-0`` ``FP64 [-1, n_features]``, outputs ``probabilities FP64 [-1, C]`` and
  ``labels INT64 [-1]``, and ``parameters`` (classes, feature range).
- ``GET /v2/models/{name}/ready`` -> ``{"name", "ready"}``.
- ``POST /v2/models/{name}/infer``: one input tensor of datatype ``FP32`` or ``FP64``,
  shape ``[n, n_features]`` (or ``[n_features]`` for one sample), ``data`` flat
  (row-major) or nested; request ``parameters`` may carry ``shots``, ``seed`` and
  ``backend`` (qmlsec's own meanings). ``outputs`` may ask for ``probabilities``,
  ``labels`` (both by default, from one evaluation: labels are the argmax of the
  returned probabilities) or ``expectations`` (alone). The response carries the
  request ``id``, ``model_name``, ``model_version`` ``"1"``, the outputs and
  ``parameters`` (shots and circuits spent, seed, backend, request id).

``/v2/models/...`` routes are admitted like ``/v1/...`` ones (key, rate limit,
concurrency slots, daily budgets, query monitor), and an inference is exactly one
native prediction (:meth:`~qmlsec.service.predictor.Predictor.answer`). Errors keep
the problem+json body and add the protocol's ``error`` field.

Not covered: the binary tensor extension, model versions (only the default one is
served), the repository extension and gRPC.

Example:
    >>> sorted(r.path for r in router.routes)  # doctest: +NORMALIZE_WHITESPACE
    ['/v2/health/live', '/v2/health/ready', '/v2/models/{name}', '/v2/models/{name}/infer',
     '/v2/models/{name}/ready']
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field

from qmlsec.cloud.endpoint import Output
from qmlsec.exceptions import BackendError, DataError, QmlsecError
from qmlsec.service.auth import Principal
from qmlsec.service.context import RequestContext
from qmlsec.service.deps import get_state, require
from qmlsec.service.routes.common import errors
from qmlsec.service.schemas import PredictRequest
from qmlsec.service.state import ServiceState

router = APIRouter(prefix="/v2", tags=["open inference protocol"])
PLATFORM = "qmlsec-qnn"
VERSION = "1"
OUTPUT_NAMES = ("probabilities", "labels", "expectations")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class TensorMeta(BaseModel):
    """A tensor's name, datatype and shape (``-1``: any size)."""

    name: str
    datatype: str
    shape: list[int]


class ModelMetadata(BaseModel):
    """``GET /v2/models/{name}``."""

    name: str
    versions: list[str]
    platform: str
    inputs: list[TensorMeta]
    outputs: list[TensorMeta]
    parameters: dict[str, Any] = Field(default_factory=dict)


class RequestInput(BaseModel):
    """One input tensor of an inference request."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=128)
    shape: list[int] = Field(min_length=1, max_length=2)
    datatype: str
    parameters: dict[str, Any] | None = None
    data: list[Any] = Field(max_length=1_000_000)


class RequestOutput(BaseModel):
    """One requested output."""

    model_config = ConfigDict(extra="forbid")
    name: Literal["probabilities", "labels", "expectations"]
    parameters: dict[str, Any] | None = None


class InferenceRequest(BaseModel):
    """``POST /v2/models/{name}/infer``."""

    model_config = ConfigDict(extra="forbid")
    id: str | None = Field(None, max_length=128)
    parameters: dict[str, Any] | None = None
    inputs: list[RequestInput] = Field(min_length=1, max_length=1)
    outputs: list[RequestOutput] | None = Field(None, max_length=3)


class ResponseOutput(BaseModel):
    """One output tensor of an inference response."""

    name: str
    shape: list[int]
    datatype: str
    data: list[float] | list[int]


class InferenceResponse(BaseModel):
    """The answer to an inference request."""

    model_name: str
    model_version: str
    id: str
    parameters: dict[str, Any]
    outputs: list[ResponseOutput]


@router.get("/health/live", summary="Server liveness (OIP)")
def live() -> dict[str, bool]:
    """The process is up."""
    return {"live": True}


@router.get("/health/ready", responses=errors(503), summary="Server readiness (OIP)")
def ready(state: ServiceState = Depends(get_state)) -> dict[str, bool]:
    """The database answers and every registered model can be loaded."""
    if not state.db.ping() or state.registry.unready(state.settings.backends[0]):
        raise BackendError("the service is not ready", hint="GET /readyz with an admin key")
    return {"ready": True}


@router.get(
    "/models/{name}",
    response_model=ModelMetadata,
    responses=errors(401, 403, 404, 429),
    summary="Model metadata (OIP)",
)
def metadata(
    name: str = PathParam(pattern=NAME_PATTERN, description="A model name."),
    who: Principal = Depends(require("predict")),
    state: ServiceState = Depends(get_state),
) -> ModelMetadata:
    """Input and output tensors of a model the caller may query."""
    card = dict(state.registry.get_visible(name, who).card)
    n_features, n_classes = int(card["n_features"]), int(card["n_classes"])
    n_qubits = (card.get("spec") or {}).get("n_qubits", card.get("n_qubits"))
    outputs = [
        TensorMeta(name="probabilities", datatype="FP64", shape=[-1, n_classes]),
        TensorMeta(name="labels", datatype="INT64", shape=[-1]),
    ]
    if n_qubits is not None:
        outputs.append(TensorMeta(name="expectations", datatype="FP64", shape=[-1, int(n_qubits)]))
    params = {k: card[k] for k in ("classes", "feature_range") if card.get(k) is not None}
    return ModelMetadata(
        name=name, versions=[VERSION], platform=PLATFORM,
        inputs=[TensorMeta(name="input-0", datatype="FP64", shape=[-1, n_features])],
        outputs=outputs, parameters=params,
    )  # fmt: skip


@router.get(
    "/models/{name}/ready", responses=errors(401, 403, 404, 429), summary="Model readiness (OIP)"
)
def model_ready(
    name: str = PathParam(pattern=NAME_PATTERN, description="A model name."),
    who: Principal = Depends(require("predict")),
    state: ServiceState = Depends(get_state),
) -> dict[str, Any]:
    """Whether the model's endpoint can be built on the default backend."""
    record = state.registry.get_visible(name, who)
    try:
        state.registry.endpoint(record, state.settings.backends[0])
    except QmlsecError:
        return {"name": name, "ready": False}
    return {"name": name, "ready": True}


@router.post(
    "/models/{name}/infer",
    response_model=InferenceResponse,
    responses=errors(401, 403, 404, 422, 429, 503),
    summary="Inference (OIP)",
)
async def infer(
    body: InferenceRequest,
    request: Request,
    name: str = PathParam(pattern=NAME_PATTERN, description="A model name."),
    who: Principal = Depends(require("predict")),
    state: ServiceState = Depends(get_state),
) -> InferenceResponse:
    """Probabilities and labels (or expectations) of a batch; one native prediction."""
    X = tensor_rows(body.inputs[0])
    wanted = [o.name for o in body.outputs] if body.outputs else ["probabilities", "labels"]
    if "expectations" in wanted and len(wanted) > 1:
        raise DataError(
            "expectations are answered alone", hint="ask for probabilities/labels separately"
        )
    params = dict(body.parameters or {})
    unknown = sorted(set(params) - {"shots", "seed", "backend"})
    if unknown:
        raise DataError(
            f"unknown request parameters {unknown}", hint="qmlsec reads shots, seed and backend"
        )
    output: Output = "expectations" if wanted == ["expectations"] else "probabilities"
    try:
        req = PredictRequest(inputs=X.tolist(), output=output, **params)
    except ValueError as err:
        raise DataError(
            f"invalid request parameters: {err}", hint="shots >= 1, seed >= 0"
        ) from None
    ctx = RequestContext.of(request.scope)
    ctx.note(protocol="oip")
    answer = await state.predictor.answer(who, name, req, ctx)
    values = np.asarray(answer.values, dtype=np.float64)
    outputs = []
    for out in wanted:
        if out == "labels":
            labels = values.argmax(axis=1).astype(int)
            outputs.append(ResponseOutput(name="labels", shape=[len(labels)], datatype="INT64",
                                          data=labels.tolist()))  # fmt: skip
        else:
            outputs.append(ResponseOutput(name=out, shape=list(values.shape), datatype="FP64",
                                          data=values.ravel().tolist()))  # fmt: skip
    return InferenceResponse(
        model_name=name, model_version=VERSION, id=body.id or answer.request_id,
        parameters={"shots": answer.shots, "circuits": answer.circuits, "seed": answer.seed,
                    "backend": answer.backend, "request_id": answer.request_id},
        outputs=outputs,
    )  # fmt: skip


def tensor_rows(tensor: RequestInput) -> np.ndarray:
    """The ``(n, d)`` float rows of an input tensor (flat row-major or nested data).

    Raises:
        DataError: an unsupported datatype, a shape that does not match the data, or
            non-numeric or non-finite values.
    """
    if tensor.datatype not in ("FP32", "FP64"):
        raise DataError(
            f"input {tensor.name!r} has datatype {tensor.datatype}", hint="send FP32 or FP64"
        )
    shape = [int(s) for s in tensor.shape]
    if any(s < 1 for s in shape):
        raise DataError(f"input shape {shape} must be positive", hint="e.g. [n, n_features]")
    try:
        data = np.asarray(tensor.data, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise DataError(
            f"input {tensor.name!r} holds non-numeric or ragged data", hint="send numbers"
        ) from None
    if data.size != int(np.prod(shape)):
        raise DataError(
            f"input {tensor.name!r} has {data.size} values for shape {shape}",
            hint="the data must hold prod(shape) values in row-major order",
        )
    if not np.isfinite(data).all():
        raise DataError("inputs contain non-finite values", hint="send finite numbers")
    if tensor.datatype == "FP32":
        data = data.astype(np.float32).astype(np.float64)
    return data.reshape(shape if len(shape) == 2 else [1, shape[0]])
