"""Request and response bodies of the HTTP API (they generate its OpenAPI schema).

Example:
    >>> from qmlsec.service.schemas import PredictRequest
    >>> PredictRequest(inputs=[[0.1, 0.2]]).output
    'probabilities'
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from qmlsec.cloud.endpoint import Output
from qmlsec.service.problems import Problem

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Scope = Literal["predict", "admin"]
JobStatus = Literal["queued", "running", "succeeded", "failed"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PredictRequest(_Body):
    """A batch to answer. ``shots: null`` asks for exact (statevector) values."""

    inputs: list[Annotated[list[FiniteFloat], Field(min_length=1, max_length=4096)]] = Field(
        min_length=1, max_length=100_000, description="Samples, one row of raw features each."
    )
    output: Output = "probabilities"
    shots: int | None = Field(None, ge=1, le=10_000_000, description="Shots per circuit.")
    backend: Name | None = Field(None, description="Backend or device profile; default ideal.")
    seed: int | None = Field(None, ge=0, le=2**63 - 1, description="Sampling seed.")


class PredictResponse(BaseModel):
    """The answer to a batch."""

    model_id: str
    request_id: str
    output: Output
    values: list[int] | list[list[float]]
    n_samples: int
    shots: int = Field(description="Total shots spent (0 for exact answers).")
    circuits: int
    backend: str
    seed: int | None


class JobRequest(PredictRequest):
    """A batch to answer asynchronously."""

    model_id: Name


class Job(BaseModel):
    """An asynchronous job and, once finished, its result or error."""

    job_id: str
    model_id: str
    status: JobStatus
    created_at: dt.datetime
    finished_at: dt.datetime | None = None
    result: PredictResponse | None = None
    error: Problem | None = None


class ModelInfo(BaseModel):
    """Public metadata of a served model (never its weights or artifact path)."""

    model_id: str
    tenant: str
    registered_at: dt.datetime
    n_features: int
    n_classes: int
    feature_range: list[float] | None
    details: dict[str, Any] = Field(default_factory=dict)


class ModelList(BaseModel):
    """Models the caller may query."""

    models: list[ModelInfo]


class RegisterModel(_Body):
    """Serve the artifact folder ``path`` (on the server) as ``model_id`` for ``tenant``."""

    model_id: Name
    path: str = Field(min_length=1, max_length=4096)
    tenant: Name


class KeyCreate(_Body):
    """A key to issue."""

    tenant: Name
    scopes: list[Scope] = Field(min_length=1, max_length=2)
    name: str = Field("", max_length=128)
    expires_in_s: int | None = Field(
        None, ge=1, le=10 * 365 * 86400, description="Seconds until the key expires."
    )


class KeyOut(BaseModel):
    """A key as shown to admins: never the key or its hash."""

    key_id: str
    tenant: str
    name: str
    scopes: list[Scope]
    created_at: dt.datetime
    revoked: bool
    expires_at: dt.datetime | None = None


class KeyCreated(KeyOut):
    """A newly issued key; ``key`` is shown this once only."""

    key: str


class KeyList(BaseModel):
    """Issued keys."""

    keys: list[KeyOut]


class Limits(BaseModel):
    """Limits that apply to every key."""

    requests_per_minute: int
    daily_samples: int
    daily_shots: int
    max_batch: int
    min_shots: int
    max_shots: int
    allow_exact: bool


class UsageOut(BaseModel):
    """The caller's usage today (UTC) and what is left of its budgets."""

    key_id: str
    tenant: str
    day: str
    requests: int
    samples: int
    shots: int
    rejected: int
    remaining_samples: int
    remaining_shots: int
    limits: Limits


class Health(BaseModel):
    """Liveness."""

    status: Literal["ok"]


class Ready(BaseModel):
    """Readiness: the database answers and every registered model loads.

    ``database`` and ``models`` are shown to admin keys only.
    """

    status: Literal["ready"]
    database: bool | None = None
    models: int | None = None
