"""Asynchronous jobs: long (noisy, many-shot) batches run by a bounded thread pool.

Submitting a job validates it, then charges its budget and inserts its ``queued`` row
in one transaction (so refusals come back synchronously, and a job exists exactly when
its charge does); the pool then moves the row to ``running`` and, in one transaction
with the settlement of its charge, to ``succeeded`` or ``failed`` with its result or
problem. At most ``job_queue`` jobs may be pending. Inputs are kept in memory only, so
jobs still pending when the service stops are failed and refunded on shutdown or on the
next start; each such refund commits with the row's move from pending to ``failed``, so
a crash at any point neither loses a charge nor refunds one twice.

Example:
    >>> from qmlsec.service.jobs import JobQueueFullError
    >>> JobQueueFullError("full", retry_after=5).reason
    'queue'
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Connection, select, update

from qmlsec.exceptions import NotFoundError, QmlsecError
from qmlsec.service.audit import AuditLog
from qmlsec.service.auth import Principal
from qmlsec.service.budget import QueryBudget, Reservation
from qmlsec.service.context import RequestContext
from qmlsec.service.db import Database
from qmlsec.service.limits import RateExceededError
from qmlsec.service.metrics import ServiceMetrics
from qmlsec.service.predictor import Predictor, PreparedQuery
from qmlsec.service.problems import Problem, problem_type
from qmlsec.service.schemas import Job, JobRequest, PredictResponse

log = logging.getLogger(__name__)
PENDING = ("queued", "running")


class JobQueueFullError(RateExceededError):
    """Too many jobs are pending."""

    reason = "queue"


class JobManager:
    """Runs jobs on a thread pool and keeps their state in the database."""

    def __init__(
        self,
        db: Database,
        predictor: Predictor,
        budget: QueryBudget,
        metrics: ServiceMetrics,
        audit: AuditLog,
        *,
        workers: int,
        queue: int,
    ) -> None:
        self.db, self.predictor, self.budget = db, predictor, budget
        self.metrics, self.audit, self.queue = metrics, audit, queue
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qmlsec-job")
        self._pending: dict[str, tuple[Future[None], Reservation, str]] = {}
        self._slots = 0  # jobs accepted and not finished, including those being submitted
        self._lock = threading.Lock()

    def submit(self, who: Principal, req: JobRequest, ctx: RequestContext) -> Job:
        """Validate, reserve and enqueue a job; raises to refuse it."""
        with self._lock:
            if self._slots >= self.queue:
                raise JobQueueFullError(
                    f"{self._slots} jobs are pending (limit {self.queue})",
                    retry_after=5,
                    hint="retry later or use POST /v1/models/{id}/predict for small batches",
                )
            self._slots += 1
        try:
            prepared = self.predictor.prepare(
                who, req.model_id, req, ctx, max_batch=self.predictor.settings.max_job_batch
            )
            job_id, now = secrets.token_hex(8), time.time()
            with self.db.write() as conn:
                res = self.predictor.admit(prepared, who, ctx, conn=conn)
                meta = {
                    "request_id": ctx.request_id,
                    "output": req.output,
                    "shots": req.shots,
                    "backend": prepared.backend,
                    "seed": prepared.seed,
                    "day": res.day,
                    "samples": res.samples,
                    "reserved_shots": res.shots,
                }
                conn.execute(
                    self.db.jobs.insert().values(
                        job_id=job_id,
                        key_id=who.key_id,
                        tenant=who.tenant,
                        model_id=req.model_id,
                        status="queued",
                        request=json.dumps(meta),
                        created_at=now,
                    )
                )
        except BaseException:
            with self._lock:
                self._slots -= 1
            raise
        ctx.note(job_id=job_id)
        with self._lock:  # _run's clean-up takes this lock, so it cannot overtake us
            future = self._pool.submit(self._run, job_id, prepared, res, ctx.request_id)
            self._pending[job_id] = (future, res, ctx.request_id)
            self.metrics.jobs.set(self._slots)
        return Job(
            job_id=job_id,
            model_id=req.model_id,
            status="queued",
            created_at=dt.datetime.fromtimestamp(now, dt.UTC),
        )

    def get(self, who: Principal, job_id: str) -> Job:
        """A job of the caller's tenant."""
        with self.db.engine.connect() as conn:
            row = conn.execute(select(self.db.jobs).where(self.db.jobs.c.job_id == job_id)).first()
        if row is None or not who.can_see(row.tenant):  # foreign jobs are as unknown
            raise NotFoundError(f"no job {job_id!r}", hint="use the job_id POST /v1/jobs returned")
        return Job(
            job_id=row.job_id,
            model_id=row.model_id,
            status=row.status,
            created_at=dt.datetime.fromtimestamp(row.created_at, dt.UTC),
            finished_at=None
            if row.finished_at is None
            else dt.datetime.fromtimestamp(row.finished_at, dt.UTC),
            result=None if row.result is None else PredictResponse.model_validate_json(row.result),
            error=None if row.error is None else Problem.model_validate_json(row.error),
        )

    def recover(self) -> int:
        """Fail and refund jobs a previous process left pending; returns how many.

        Call it at start-up, before this process takes jobs: it assumes one job runner
        per database.
        """
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(self.db.jobs).where(self.db.jobs.c.status.in_(PENDING))
            ).all()
        failed = 0
        for row in rows:
            meta = json.loads(row.request)
            res = Reservation(row.key_id, meta["day"], meta["samples"], meta["reserved_shots"])
            failed += self._abandon(row.job_id, res, meta["request_id"])
        return failed

    def shutdown(self) -> None:
        """Let running jobs finish; fail and refund the queued ones."""
        self._pool.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            cancelled = [(j, r, i) for j, (f, r, i) in self._pending.items() if f.cancelled()]
            for job_id, _, _ in cancelled:
                del self._pending[job_id]
                self._slots -= 1
        for job_id, res, request_id in cancelled:
            self._abandon(job_id, res, request_id)

    def wait(self, timeout: float = 30.0) -> bool:
        """Block until no job is pending; returns whether that happened in time."""
        deadline = time.monotonic() + timeout
        while self._slots and time.monotonic() < deadline:
            time.sleep(0.005)
        return not self._slots

    def _abandon(self, job_id: str, res: Reservation, request_id: str) -> bool:
        return self._finish(job_id, res, "failed", error=_interrupted(job_id, request_id))

    def _run(self, job_id: str, q: PreparedQuery, res: Reservation, request_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                update(self.db.jobs)
                .where(self.db.jobs.c.job_id == job_id, self.db.jobs.c.status == "queued")
                .values(status="running")
            )
        outcome: dict[str, Any] = {}
        try:
            pred = self.predictor.execute(q)
            result = self.predictor.respond(q, pred, request_id)
            self._finish(
                job_id, res, "succeeded", result=result.model_dump_json(), spent=pred.shots
            )
            outcome = {"status": "succeeded", "shots": result.shots, "circuits": result.circuits}
        except QmlsecError as err:
            problem = Problem(
                type=problem_type(err),
                title=err.title,
                status=err.http_status,
                detail=err.message,
                hint=err.hint,
                instance=f"/v1/jobs/{job_id}",
                request_id=request_id,
            )
            self._finish(job_id, res, "failed", error=problem.model_dump_json(exclude_none=True))
            outcome = {"status": "failed", "error": type(err).__name__}
        except Exception:
            log.exception("job %s failed", job_id)
            self._finish(job_id, res, "failed", error=_internal(job_id, request_id))
            outcome = {"status": "failed", "error": "internal"}
        finally:
            with self._lock:
                self._pending.pop(job_id, None)
                self._slots -= 1
                self.metrics.jobs.set(self._slots)
            self.audit.write(
                "job.finished",
                job_id=job_id,
                request_id=request_id,
                model_id=q.model_id,
                n_samples=int(q.X.shape[0]),
                **outcome,
            )

    def _finish(
        self,
        job_id: str,
        res: Reservation,
        status: str,
        *,
        result: str | None = None,
        error: str | None = None,
        spent: int = 0,
    ) -> bool:
        """Move a pending job to ``status`` and settle its charge, in one transaction.

        A job that failed is refunded; one that succeeded pays the shots it spent. Only
        the first move of a job away from pending settles, so a refund is never repeated.
        """
        jobs = self.db.jobs
        with self.db.write() as conn:
            moved = conn.execute(
                update(jobs)
                .where(jobs.c.job_id == job_id, jobs.c.status.in_(PENDING))
                .values(status=status, result=result, error=error, finished_at=time.time())
            )
            if moved.rowcount != 1:
                return False
            self._settle(conn, res, succeeded=status == "succeeded", spent=spent)
        return True

    def _settle(self, conn: Connection, res: Reservation, *, succeeded: bool, spent: int) -> None:
        if succeeded:
            self.budget.settle(res, samples=res.samples, shots=spent, conn=conn)
        else:
            self.budget.settle(res, samples=0, shots=0, conn=conn)


def _interrupted(job_id: str, request_id: str) -> str:
    return Problem(
        type="urn:qmlsec:problem:interrupted",
        title="Job interrupted",
        status=503,
        detail="the service stopped before the job ran; its budget was refunded",
        hint="submit the job again",
        instance=f"/v1/jobs/{job_id}",
        request_id=request_id,
    ).model_dump_json(exclude_none=True)


def _internal(job_id: str, request_id: str) -> str:
    return Problem(
        type="about:blank",
        title="Internal Server Error",
        status=500,
        detail="the job failed inside the service; the server log has the cause",
        instance=f"/v1/jobs/{job_id}",
        request_id=request_id,
    ).model_dump_json(exclude_none=True)
