"""The query path shared by synchronous predictions and asynchronous jobs.

:meth:`Predictor.prepare` checks everything about a query itself, in this order:
ownership (another tenant's model is as unknown as a missing one), backend, shots
bounds, input validation (shape, finite values, batch size, feature range).
:meth:`Predictor.admit` then charges the daily budget and consults the query monitor in
one transaction, the one that accepts the work (a job passes its own, so the job row
and its charge commit together); a refusal rolls the charge back. :meth:`Predictor.execute`
executes an admitted query through the endpoint, at most ``inference_workers`` at a
time in arrival order, and :meth:`Predictor.answer` (the synchronous path) settles the
budget to what was spent and records metrics.
Inputs never leave this module except as a hash.

Example:
    >>> from qmlsec.service.predictor import shots_needed
    >>> shots_needed(shots=100, n_samples=3), shots_needed(shots=None, n_samples=3)
    (300, 0)
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection

from qmlsec.cloud.endpoint import Endpoint, EndpointResponse, QueryMonitor
from qmlsec.exceptions import (
    BackendError,
    ConfigError,
    DataError,
    DetectionError,
    QmlsecError,
)
from qmlsec.service.audit import input_hash
from qmlsec.service.auth import Principal
from qmlsec.service.batcher import Batcher
from qmlsec.service.budget import QueryBudget, Reservation
from qmlsec.service.context import RequestContext
from qmlsec.service.group_commit import GroupCommit
from qmlsec.service.metrics import ServiceMetrics
from qmlsec.service.registry import ModelRegistry
from qmlsec.service.runner import execute
from qmlsec.service.schemas import PredictRequest, PredictResponse
from qmlsec.service.settings import ServiceSettings


def shots_needed(*, shots: int | None, n_samples: int) -> int:
    """Shots reserved for a batch: one circuit per sample."""
    return 0 if shots is None else shots * n_samples


@dataclass(frozen=True)
class PreparedQuery:
    """A validated query (not charged yet)."""

    model_id: str
    endpoint: Endpoint
    X: np.ndarray
    request: PredictRequest
    backend: str
    seed: int | None


class Predictor:
    """Validates, budgets, monitors and runs queries."""

    def __init__(
        self,
        settings: ServiceSettings,
        registry: ModelRegistry,
        budget: QueryBudget,
        monitor: QueryMonitor,
        metrics: ServiceMetrics,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.budget = budget
        self.monitor = monitor
        self.metrics = metrics
        self._slots = threading.BoundedSemaphore(settings.inference_workers)
        self._pool = ThreadPoolExecutor(
            max_workers=settings.inference_workers, thread_name_prefix="qmlsec-predict"
        )
        self._batcher = Batcher(self._run_batch, self._pool, max_rows=settings.max_batch)
        self._admissions = GroupCommit(budget.db, self._pool)

    async def answer(
        self, who: Principal, model_id: str, req: PredictRequest, ctx: RequestContext
    ) -> PredictResponse:
        """Prepare, admit, execute and settle a synchronous prediction.

        Checks and the budget charge run on the predict pool (``inference_workers``
        threads, FIFO), so however many clients wait, only that many requests compete
        with the event loop for the interpreter. Admissions waiting together share one
        transaction (:mod:`qmlsec.service.group_commit`), and exact queries are
        micro-batched with other waiting queries of the same model
        (:mod:`qmlsec.service.batcher`): under load, both costs are shared.
        """
        loop = asyncio.get_running_loop()

        def check(conn: Connection) -> tuple[PreparedQuery, Reservation]:
            prepared = self.prepare(who, model_id, req, ctx)
            return prepared, self.admit(prepared, who, ctx, conn=conn)

        q, charge = await asyncio.wrap_future(self._admissions.submit(check))
        try:
            if q.request.shots is None:
                pending = self._batcher.submit(q.endpoint, q.X, q.request.output)
                pred = await asyncio.wrap_future(pending)
            else:
                pred = await loop.run_in_executor(self._pool, self.execute, q)
        except BaseException:
            refund = functools.partial(self.budget.settle, charge, samples=0, shots=0)
            await loop.run_in_executor(self._pool, refund)
            raise
        if pred.shots != charge.shots:
            spent = functools.partial(
                self.budget.settle, charge, samples=charge.samples, shots=pred.shots
            )
            await loop.run_in_executor(self._pool, spent)
        return self.respond(q, pred, ctx.request_id)

    def close(self) -> None:
        """Let the predictions in progress finish and stop the predict pool."""
        self._pool.shutdown(wait=True, cancel_futures=True)

    def prepare(
        self,
        who: Principal,
        model_id: str,
        req: PredictRequest,
        ctx: RequestContext,
        *,
        max_batch: int | None = None,
    ) -> PreparedQuery:
        """Check a query; raises a :class:`QmlsecError` to refuse it.

        Args:
            who: The caller.
            model_id: The model asked for.
            req: The request body.
            ctx: The request context (audit fields are added to it).
            max_batch: Most samples; default the synchronous limit ``max_batch``.
        """
        s = self.settings
        record = self.registry.get_visible(model_id, who)
        backend = req.backend or s.backends[0]
        ctx.note(model_id=model_id, backend=backend, output=req.output, shots=req.shots)
        if backend not in s.backends:
            raise ConfigError(
                f"backend {backend!r} is not offered", hint=f"use one of {list(s.backends)}"
            )
        if req.shots is None and not s.allow_exact:
            raise ConfigError("exact answers are disabled", hint=f"pass shots >= {s.min_shots}")
        if req.shots is not None and not s.min_shots <= req.shots <= s.max_shots:
            raise ConfigError(
                f"shots must lie in [{s.min_shots}, {s.max_shots}], got {req.shots}",
                hint="ask for fewer or more shots",
            )
        limit = s.max_batch if max_batch is None else max_batch
        if len(req.inputs) > limit:
            raise ConfigError(
                f"batch of {len(req.inputs)} samples exceeds the limit of {limit}",
                hint="split the batch"
                + ("" if max_batch is not None else ", or submit it as a job (POST /v1/jobs)"),
            )
        try:
            endpoint = self.registry.endpoint(record, backend)
        except QmlsecError as err:
            raise BackendError(
                f"model {model_id!r} cannot be loaded on {backend!r}: {err.message}",
                hint="an admin should check the artifact (GET /readyz)",
            ) from err
        X = self._validate(req, endpoint)
        ctx.note(n_samples=int(X.shape[0]), input_hash=input_hash(X))
        seed = req.seed
        if req.shots is not None and seed is None:
            seed = secrets.randbits(63)
        ctx.note(seed=seed)
        return PreparedQuery(model_id, endpoint, X, req, backend, seed)

    def admit(
        self,
        q: PreparedQuery,
        who: Principal,
        ctx: RequestContext,
        *,
        conn: Connection | None = None,
    ) -> Reservation:
        """Charge the budget and consult the monitor in the transaction ``conn``.

        With ``conn=None`` the charge commits on its own. A refusal raises and nothing
        stays charged (the transaction is rolled back).
        """
        n = int(q.X.shape[0])
        with nullcontext(conn) if conn is not None else self.budget.db.write() as tx:
            reservation = self.budget.reserve(
                who.key_id, n, shots_needed(shots=q.request.shots, n_samples=n), conn=tx
            )
            alert = self.monitor.observe(who.key_id, q.model_id, q.X)
            if alert is not None:
                self.metrics.alerts.labels(detector=alert.detector, model=q.model_id).inc()
                ctx.note(
                    alerts=[
                        {
                            "detector": alert.detector,
                            "score": alert.score,
                            "threshold": alert.threshold,
                            "detail": alert.detail,
                        }
                    ]
                )
                if self.settings.on_alert == "block":
                    self.budget.undo(reservation, tx)  # the transaction may hold others' work
                    raise DetectionError(
                        f"query pattern flagged by the {alert.detector} monitor: {alert.detail}",
                        hint="this key's queries look like model extraction; contact an admin",
                    )
        return reservation

    def execute(self, q: PreparedQuery) -> EndpointResponse:
        """Run a query through its endpoint, waiting for a free inference slot."""
        with self._slots:
            return execute(
                q.endpoint, q.X, output=q.request.output, shots=q.request.shots, seed=q.seed
            )

    def _run_batch(self, endpoint: Endpoint, X: np.ndarray, output: str) -> EndpointResponse:
        with self._slots:
            return execute(endpoint, X, output=output, shots=None, seed=None)  # type: ignore[arg-type]

    def respond(self, q: PreparedQuery, pred: EndpointResponse, request_id: str) -> PredictResponse:
        """Record the metrics of an answered query and build its response."""
        n = int(q.X.shape[0])
        labels = {"model": q.model_id, "backend": q.backend}
        self.metrics.samples.labels(**labels).inc(n)
        self.metrics.circuits.labels(**labels).inc(pred.circuits)
        self.metrics.shots.labels(**labels).inc(pred.shots)
        for stage, seconds in pred.stage_seconds.items():
            self.metrics.stage.labels(stage=stage).observe(seconds)
        values = pred.values
        out = values.astype(int).tolist() if q.request.output == "labels" else values.tolist()
        return PredictResponse(
            model_id=q.model_id,
            request_id=request_id,
            output=q.request.output,
            values=out,
            n_samples=n,
            shots=pred.shots,
            circuits=pred.circuits,
            backend=q.backend,
            seed=q.seed,
        )

    def _validate(self, req: PredictRequest, endpoint: Endpoint) -> np.ndarray:
        widths = {len(row) for row in req.inputs}
        if widths != {endpoint.n_features}:
            raise DataError(
                f"every sample needs {endpoint.n_features} features, got widths {sorted(widths)}",
                hint="send one row of raw features per sample",
            )
        X = np.asarray(req.inputs, dtype=np.float64)
        if not np.isfinite(X).all():  # JSON cannot carry NaN, but be explicit
            raise DataError("inputs contain non-finite values", hint="send finite numbers")
        rng_ = endpoint.feature_range
        if rng_ is None or self.settings.range_policy == "off":
            return X
        lo, hi = float(rng_[0]), float(rng_[1])
        pad = (hi - lo) * self.settings.range_margin
        if self.settings.range_policy == "clip":
            return np.clip(X, lo - pad, hi + pad)
        if X.min() < lo - pad or X.max() > hi + pad:
            raise DataError(
                f"inputs outside the model's feature range [{lo - pad:g}, {hi + pad:g}]",
                hint="scale the features like the training data",
            )
        return X
