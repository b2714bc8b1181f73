"""Settings of the inference service: storage, limits, budgets and bootstrap credentials.

Every setting has a default and can be overridden from the environment (``QMLSEC_*``,
see :meth:`ServiceSettings.from_env`) or from ``qmlsec serve`` options. Paths are
absolute; nothing depends on the working directory.

Example:
    >>> from qmlsec.service.settings import ServiceSettings
    >>> s = ServiceSettings(data_dir="/tmp/qmlsec-doc")
    >>> s.resolved_database_url()
    'sqlite:////tmp/qmlsec-doc/service.db'
    >>> s.requests_per_minute, s.max_batch
    (600, 256)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from qmlsec.config import FrozenModel
from qmlsec.exceptions import ConfigError

ENV_PREFIX = "QMLSEC_"
DEFAULT_DATA_DIR = Path.home() / ".qmlsec" / "service"


class ServiceSettings(FrozenModel):
    """Frozen configuration of one service instance.

    Attributes:
        data_dir: Folder of the default SQLite database and audit log.
        database_url: Any SQLAlchemy URL; ``None`` means ``sqlite:///<data_dir>/service.db``.
        audit_log: JSON-lines audit file; ``None`` means ``<data_dir>/audit.jsonl``.
        bootstrap_admin_key: An admin key (``qk_<id>.<secret>``) created at start-up if
            the database does not know it yet.
        model_root: If set, registered artifact folders must lie inside it.
        signing_key: Ed25519 public key (PEM) that artifact signatures must verify
            against; any ``manifest.sig`` present is then checked.
        require_signature: Refuse artifacts without a valid signature (needs
            ``signing_key``).
        backends: Backend / device-profile names a request may ask for.
        requests_per_minute: Sliding-window request rate per API key.
        daily_samples: Samples per key per UTC day (a query budget, counted per sample).
        daily_shots: Shots per key per UTC day.
        max_batch: Most samples in one request.
        min_shots: Fewest shots a sampled request may ask for.
        max_shots: Most shots per circuit a request may ask for.
        allow_exact: Whether exact (``shots=null``) predictions are served.
        range_policy: What to do with inputs outside the model's training feature range
            (widened by ``range_margin`` of its span): reject, clip, or ignore.
        range_margin: Tolerated fraction of the feature span beyond the training range.
        on_alert: What a query-monitor alert does: refuse the request or only record it.
        max_body_bytes: Largest request body accepted (413 beyond, checked before the
            body is read or parsed); large batches belong in the job API.
        max_job_body_bytes: Largest body of ``POST /v1/jobs``.
        max_job_batch: Most samples in one asynchronous job.
        concurrent_per_key: Requests of one key served at the same time (429 beyond).
        inference_workers: Model queries executed at the same time; the rest wait in
            arrival order (more than the CPU cores only adds contention).
        job_workers: Threads running asynchronous jobs.
        job_queue: Most queued-or-running jobs before new ones are refused.
        metrics_public: Serve ``/metrics`` without a key (bind to loopback then); by
            default an admin key is needed, since metrics name every tenant's models.
    """

    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str | None = None
    audit_log: Path | None = None
    bootstrap_admin_key: SecretStr | None = None
    model_root: Path | None = None
    signing_key: Path | None = None
    require_signature: bool = False
    backends: tuple[str, ...] = ("ideal",)
    requests_per_minute: int = Field(600, ge=1)
    daily_samples: int = Field(100_000, ge=1)
    daily_shots: int = Field(100_000_000, ge=1)
    max_batch: int = Field(256, ge=1, le=100_000)
    min_shots: int = Field(1, ge=1)
    max_shots: int = Field(100_000, ge=1)
    allow_exact: bool = True
    range_policy: Literal["reject", "clip", "off"] = "reject"
    range_margin: float = Field(0.1, ge=0.0)
    on_alert: Literal["block", "log"] = "block"
    max_body_bytes: int = Field(1 << 20, ge=1024, le=1 << 30)
    max_job_body_bytes: int = Field(32 << 20, ge=1024, le=1 << 30)
    max_job_batch: int = Field(10_000, ge=1, le=100_000)
    concurrent_per_key: int = Field(8, ge=1, le=10_000)
    inference_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=256)
    job_workers: int = Field(2, ge=1, le=64)
    job_queue: int = Field(64, ge=1)
    metrics_public: bool = False

    @model_validator(mode="after")
    def _check(self) -> ServiceSettings:
        if self.min_shots > self.max_shots:
            raise ValueError(f"min_shots {self.min_shots} exceeds max_shots {self.max_shots}")
        if self.require_signature and self.signing_key is None:
            raise ValueError("require_signature needs signing_key (an Ed25519 PEM public key)")
        if not self.backends:
            raise ValueError("backends must name at least one backend, e.g. 'ideal'")
        return self

    def resolved_database_url(self) -> str:
        """The SQLAlchemy URL in use."""
        return self.database_url or f"sqlite:///{Path(self.data_dir).absolute() / 'service.db'}"

    def resolved_audit_log(self) -> Path:
        """The audit log file in use."""
        return Path(self.audit_log or Path(self.data_dir) / "audit.jsonl").absolute()

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, /, **overrides: object
    ) -> ServiceSettings:
        """Build settings from ``QMLSEC_<FIELD>`` variables, then explicit overrides.

        ``QMLSEC_ADMIN_KEY`` is accepted as the bootstrap admin key, and
        ``QMLSEC_BACKENDS`` as a comma-separated list. ``None`` overrides are ignored.
        """
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for name in cls.model_fields:
            raw = env.get(ENV_PREFIX + name.upper())
            if raw is not None:
                values[name] = tuple(raw.split(",")) if name == "backends" else raw
        if "QMLSEC_ADMIN_KEY" in env:
            values["bootstrap_admin_key"] = env["QMLSEC_ADMIN_KEY"]
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValueError as err:
            raise ConfigError(
                f"invalid service settings: {err}",
                hint="check the QMLSEC_* environment variables and `qmlsec serve` options",
            ) from err
