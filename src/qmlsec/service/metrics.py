"""Prometheus metrics of one service instance, in a registry of its own.

Each app gets its own :class:`~prometheus_client.CollectorRegistry` (never the global
one), so tests and benchmarks can build many apps in one process.

Example:
    >>> from qmlsec.service.metrics import ServiceMetrics
    >>> m = ServiceMetrics()
    >>> m.rejected.labels(reason="auth").inc()
    >>> m.value("qmlsec_rejected_requests_total", reason="auth")
    1.0
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class ServiceMetrics:
    """The service's counters, histograms and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "qmlsec_http_requests",
            "HTTP requests by route template, method and status code.",
            ["route", "method", "status"],
            registry=r,
        )
        self.latency = Histogram(
            "qmlsec_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.stage = Histogram(
            "qmlsec_inference_stage_seconds",
            "Inference latency per pipeline stage (preprocess, encode, transpile, ...).",
            ["stage"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.samples = Counter(
            "qmlsec_samples", "Samples answered.", ["model", "backend"], registry=r
        )
        self.circuits = Counter(
            "qmlsec_circuit_executions", "Circuit executions.", ["model", "backend"], registry=r
        )
        self.shots = Counter("qmlsec_shots", "Shots spent.", ["model", "backend"], registry=r)
        self.rejected = Counter(
            "qmlsec_rejected_requests",
            "Refused requests by reason (auth, scope, rate, budget, validation, ...).",
            ["reason"],
            registry=r,
        )
        self.alerts = Counter(
            "qmlsec_extraction_alerts",
            "Query-monitor alerts by detector and model.",
            ["detector", "model"],
            registry=r,
        )
        self.jobs = Gauge("qmlsec_jobs_pending", "Asynchronous jobs queued or running.", registry=r)

    def render(self) -> bytes:
        """The exposition text of every metric."""
        return generate_latest(self.registry)

    def value(self, name: str, **labels: str) -> float:
        """Current value of one sample (``_total`` counters included); 0 if absent."""
        found = self.registry.get_sample_value(name, labels)
        if found is None and not name.endswith("_total"):
            found = self.registry.get_sample_value(name + "_total", labels)
        return 0.0 if found is None else float(found)
