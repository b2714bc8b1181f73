"""Asynchronous jobs and the caller's usage.

Example:
    >>> from qmlsec.service.routes.jobs import router
    >>> sorted(r.path for r in router.routes)
    ['/v1/jobs', '/v1/jobs/{job_id}', '/v1/usage']
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from qmlsec.service.auth import Principal
from qmlsec.service.context import RequestContext
from qmlsec.service.deps import authenticate, get_state, require
from qmlsec.service.routes.common import JOB_ID, errors
from qmlsec.service.schemas import Job, JobRequest, Limits, UsageOut
from qmlsec.service.state import ServiceState

router = APIRouter(prefix="/v1", tags=["jobs"])


@router.post(
    "/jobs",
    status_code=202,
    response_model=Job,
    responses=errors(401, 403, 404, 422, 429, 503),
    summary="Submit a job",
)
def submit_job(
    body: JobRequest,
    request: Request,
    who: Principal = Depends(require("predict")),
    state: ServiceState = Depends(get_state),
) -> Job:
    """Queue a batch (validated and budgeted now); poll ``GET /v1/jobs/{job_id}``."""
    return state.jobs.submit(who, body, RequestContext.of(request.scope))


@router.get(
    "/jobs/{job_id}",
    response_model=Job,
    responses=errors(401, 403, 404, 422, 429),
    summary="Get a job",
)
def get_job(
    job_id: str = JOB_ID,
    who: Principal = Depends(require("predict")),
    state: ServiceState = Depends(get_state),
) -> Job:
    """A job's status, and its result or problem once finished."""
    return state.jobs.get(who, job_id)


@router.get("/usage", response_model=UsageOut, responses=errors(401, 429), summary="Usage")
def usage(
    who: Principal = Depends(authenticate), state: ServiceState = Depends(get_state)
) -> UsageOut:
    """The calling key's counters today (UTC) and its remaining budgets."""
    s = state.settings
    u = state.budget.usage(who.key_id)
    return UsageOut(
        key_id=who.key_id,
        tenant=who.tenant,
        day=u.day,
        requests=u.requests,
        samples=u.samples,
        shots=u.shots,
        rejected=u.rejected,
        remaining_samples=max(0, s.daily_samples - u.samples),
        remaining_shots=max(0, s.daily_shots - u.shots),
        limits=Limits(
            requests_per_minute=s.requests_per_minute,
            daily_samples=s.daily_samples,
            daily_shots=s.daily_shots,
            max_batch=s.max_batch,
            min_shots=s.min_shots,
            max_shots=s.max_shots,
            allow_exact=s.allow_exact,
        ),
    )
