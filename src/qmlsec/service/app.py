"""The app factory of the QMLaaS inference service.

:func:`create_app` builds a FastAPI app from :class:`ServiceSettings`: keys, models,
usage and jobs in the database, an audit log, per-app Prometheus metrics, rate limits,
budgets and a query monitor, with every error answered as problem+json. All routes:

- ``GET /healthz``, ``GET /readyz``, ``GET /metrics``
- ``GET /v1/models``, ``GET /v1/models/{id}``, ``POST /v1/models/{id}/predict``
- ``POST /v1/jobs``, ``GET /v1/jobs/{id}``, ``GET /v1/usage``
- ``POST|GET /admin/keys``, ``DELETE /admin/keys/{id}``, ``POST /admin/models``,
  ``DELETE /admin/models/{id}``, ``GET /admin/audit``
- the Open Inference Protocol v2 (:mod:`qmlsec.service.oip`): ``GET /v2/health/live``,
  ``GET /v2/health/ready``, ``GET /v2/models/{name}``, ``GET /v2/models/{name}/ready``,
  ``POST /v2/models/{name}/infer``

Example:
    >>> import tempfile
    >>> from qmlsec.service.app import create_app
    >>> from qmlsec.service.settings import ServiceSettings
    >>> app = create_app(ServiceSettings(data_dir=tempfile.mkdtemp()))
    >>> "/v1/models/{model_id}/predict" in app.openapi()["paths"]
    True
    >>> app.state.service.close()
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import qmlsec
from qmlsec.cloud.endpoint import QueryMonitor
from qmlsec.service import oip
from qmlsec.service.middleware import ServiceMiddleware
from qmlsec.service.problems import install_handlers
from qmlsec.service.routes import admin, health, jobs, models
from qmlsec.service.routes.common import document_problems
from qmlsec.service.runner import ModelLoader
from qmlsec.service.settings import ServiceSettings
from qmlsec.service.state import ServiceState


def create_app(
    settings: ServiceSettings | None = None,
    *,
    loader: ModelLoader | None = None,
    monitor: QueryMonitor | None = None,
) -> FastAPI:
    """Build a service app.

    Args:
        settings: Service settings; ``None`` reads ``QMLSEC_*`` environment variables.
        loader: Verifies artifacts and builds endpoints; defaults to the artifact loader
            of the inference layer.
        monitor: Query monitor (e.g. an extraction detector); none by default.
    """
    state = ServiceState.build(
        settings or ServiceSettings.from_env(), loader=loader, monitor=monitor
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="qmlsec inference service",
        version=getattr(qmlsec, "__version__", "0"),
        description="Quantum ML models behind API keys, rate limits, budgets and audit.",
        lifespan=lifespan,
    )
    app.state.service = state
    install_handlers(app)
    for module in (health, models, jobs, admin, oip):
        app.include_router(module.router)
    app.add_middleware(ServiceMiddleware)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def freeze_heap() -> None:
    """Move everything allocated so far out of the garbage collector's sight.

    Call it once in a server process, after the app is built and before it serves. The
    imported stacks (torch, Qiskit, SQLAlchemy) leave ~300,000 long-lived objects; a
    full collection walks them all (~0.1-0.3 s on a small machine), stalling every
    request in flight, which is what a p99 latency shows. Frozen objects are never
    walked again; garbage made later is collected as usual. The inference layer the
    artifact loader imports on first use is imported first, so it is frozen too.
    """
    importlib.import_module("qmlsec.cloud.inference")
    gc.collect()
    gc.freeze()


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of every answer this instance can give.

    Problems are ``application/problem+json`` and the admission answers of the
    middleware are listed (:func:`~qmlsec.service.routes.common.document_problems`);
    ``backend`` lists the backends this instance offers; the key of ``/readyz`` and
    ``/metrics`` is optional.
    """
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        document_problems(schema)
        offered = list(app.state.service.settings.backends)
        for name in ("PredictRequest", "JobRequest"):
            props = schema["components"]["schemas"][name]["properties"]
            props["backend"]["anyOf"] = [{"type": "string", "enum": offered}, {"type": "null"}]
        for path in ("/readyz", "/metrics"):
            for operation in schema["paths"][path].values():
                operation["security"] = [{}, *operation.get("security", [])]
        app.openapi_schema = schema
    return app.openapi_schema
