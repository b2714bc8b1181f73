"""Everything one service instance holds, built from its settings.

Example:
    >>> from qmlsec.service.settings import ServiceSettings
    >>> from qmlsec.service.state import ServiceState
    >>> import tempfile
    >>> state = ServiceState.build(ServiceSettings(data_dir=tempfile.mkdtemp()))
    >>> state.keys.list()
    []
    >>> state.close()
"""

from __future__ import annotations

from dataclasses import dataclass

from qmlsec.cloud.endpoint import QueryMonitor
from qmlsec.service.audit import AuditLog
from qmlsec.service.auth import KeyStore
from qmlsec.service.budget import QueryBudget
from qmlsec.service.db import Database
from qmlsec.service.jobs import JobManager
from qmlsec.service.limits import ConcurrencyLimiter, RateLimiter
from qmlsec.service.metrics import ServiceMetrics
from qmlsec.service.monitor import NullMonitor
from qmlsec.service.predictor import Predictor
from qmlsec.service.registry import ModelRegistry
from qmlsec.service.runner import ArtifactLoader, ModelLoader
from qmlsec.service.settings import ServiceSettings


@dataclass
class ServiceState:
    """The parts of a running service; all persistent state lives in ``db``."""

    settings: ServiceSettings
    db: Database
    keys: KeyStore
    registry: ModelRegistry
    limiter: RateLimiter
    concurrency: ConcurrencyLimiter
    budget: QueryBudget
    monitor: QueryMonitor
    metrics: ServiceMetrics
    audit: AuditLog
    predictor: Predictor
    jobs: JobManager

    @classmethod
    def build(
        cls,
        settings: ServiceSettings,
        *,
        loader: ModelLoader | None = None,
        monitor: QueryMonitor | None = None,
    ) -> ServiceState:
        """Open the database and audit log, create the bootstrap key, recover jobs."""
        db = Database(settings.resolved_database_url())
        keys = KeyStore(db)
        if settings.bootstrap_admin_key is not None:
            keys.ensure(settings.bootstrap_admin_key.get_secret_value(), "admin", ["admin"])
        registry = ModelRegistry(
            db,
            loader or ArtifactLoader(),
            model_root=settings.model_root,
            signing_key=settings.signing_key,
            require_signature=settings.require_signature,
        )
        budget = QueryBudget(
            db,
            daily_samples=settings.daily_samples,
            daily_shots=settings.daily_shots,
        )
        metrics = ServiceMetrics()
        audit = AuditLog(settings.resolved_audit_log())
        monitor = monitor or NullMonitor()
        predictor = Predictor(settings, registry, budget, monitor, metrics)
        jobs = JobManager(
            db,
            predictor,
            budget,
            metrics,
            audit,
            workers=settings.job_workers,
            queue=settings.job_queue,
        )
        jobs.recover()
        return cls(
            settings,
            db,
            keys,
            registry,
            RateLimiter(settings.requests_per_minute),
            ConcurrencyLimiter(settings.concurrent_per_key),
            budget,
            monitor,
            metrics,
            audit,
            predictor,
            jobs,
        )

    def close(self) -> None:
        """Stop the job and predict pools, close the audit log and database."""
        self.jobs.shutdown()
        self.predictor.close()
        self.budget.close()
        self.audit.close()
        self.db.close()
