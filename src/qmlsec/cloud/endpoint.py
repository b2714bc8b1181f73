"""The inference endpoint contract shared by every layer that serves or queries a model.

An :class:`Endpoint` is what black-box attackers, the defenses' hardened endpoints and
the HTTP service talk to: the deployed model behind the QMLaaS inference path
(:class:`~qmlsec.cloud.inference.InferenceEndpoint`), an in-process copy
(:class:`~qmlsec.attacks.local_endpoint.LocalEndpoint`), a defended wrapper
(:class:`~qmlsec.defenses.endpoint.DefendedEndpoint`) or a remote service
(:class:`~qmlsec.service.client.ServiceEndpoint`). Each query returns an
:class:`EndpointResponse`.

A :class:`QueryMonitor` sees each batch a client key sends to a model before it is
answered and may return an :class:`Alert`; the service's monitors and the detector
defenses (a PRADA-style distance test, a query budget) share this protocol.

Example:
    >>> import numpy as np
    >>> r = EndpointResponse(values=np.zeros(2, dtype=int), shots=0, circuits=2)
    >>> r.circuits, r.stage_seconds
    (2, {})
    >>> class Quiet:
    ...     def observe(self, key_id, model_id, X):
    ...         return None
    >>> isinstance(Quiet(), QueryMonitor)
    True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

import numpy as np

Output = Literal["labels", "probabilities", "expectations"]
OUTPUTS: tuple[Output, ...] = ("labels", "probabilities", "expectations")


@dataclass(frozen=True)
class EndpointResponse:
    """One answered query batch.

    Attributes:
        values: ``(n,)`` labels, ``(n, C)`` class probabilities or ``(n, Q)`` ``<Z_i>``.
        shots: total shots spent (0 for exact evaluation).
        circuits: circuit executions.
        stage_seconds: time per stage (preprocess, encode, execute, postprocess...).
    """

    values: np.ndarray
    shots: int
    circuits: int
    stage_seconds: dict[str, float] = field(default_factory=dict)


@runtime_checkable
class Endpoint(Protocol):
    """A served model answering batches of raw-feature queries."""

    @property
    def model_id(self) -> str:
        """The served model's name."""
        ...

    @property
    def n_features(self) -> int:
        """Raw input features a query row holds."""
        ...

    @property
    def n_classes(self) -> int:
        """Classes the model answers with."""
        ...

    @property
    def feature_range(self) -> tuple[float, float] | None:
        """Raw-feature bounds seen in training, if known."""
        ...

    def query(
        self,
        X: np.ndarray,
        *,
        output: Output = "probabilities",
        shots: int | None = None,
        seed: int | None = None,
    ) -> EndpointResponse:
        """Answer the batch ``X`` (``(n, n_features)`` raw features) with ``output``."""
        ...


@dataclass(frozen=True)
class Alert:
    """A query monitor's finding about one key's queries to one model."""

    detector: str
    key_id: str
    model_id: str
    score: float
    threshold: float
    detail: str


@runtime_checkable
class QueryMonitor(Protocol):
    """Sees each accepted batch ``X`` ``(n, d)`` before it is answered."""

    def observe(self, key_id: str, model_id: str, X: np.ndarray) -> Alert | None:
        """Record the batch; return an alert if the key now looks like an attacker."""
        ...
