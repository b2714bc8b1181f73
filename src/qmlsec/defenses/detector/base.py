"""Base of the detector defenses: one verb, ``observe(key_id, model_id, X) -> alert``.

A detector watches the queries each client key sends to a model. It is a
:class:`~qmlsec.cloud.endpoint.QueryMonitor` (``observe`` returns an
:class:`~qmlsec.cloud.endpoint.Alert` or ``None``), so the service plugs it in like its
own monitors. Protecting an attack's setup puts the detector
in front of its endpoint; once it alerts, the endpoint answers with random
probabilities (``on_alert="deceive"``) so the attack's metric shows what the alarm
saved. The cost is the false-alarm rate on the context's natural (test) queries.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import ClassVar

import numpy as np

from qmlsec.attacks.setup import AttackSetup
from qmlsec.cloud.endpoint import Alert
from qmlsec.defenses.base import Defense, DefenseCost
from qmlsec.defenses.endpoint import DefendedEndpoint


class DetectorDefense(Defense):
    """Watches query streams per client key and raises alerts."""

    role: ClassVar[str] = "detector"  # type: ignore[assignment]

    @abstractmethod
    def observe(self, key_id: str, model_id: str, X: np.ndarray) -> Alert | None:
        """Record the batch ``X``; return an alert if the key now looks like an attacker."""

    @abstractmethod
    def reset(self) -> None:
        """Forget every key's history."""

    def false_alarm(self, X: np.ndarray, batch: int = 1) -> bool:
        """Whether natural queries ``X``, sent in batches of ``batch``, raise an alert."""
        self.reset()
        alarmed = any(
            self.observe("natural", "model", X[i : i + batch]) is not None
            for i in range(0, len(X), batch)
        )
        self.reset()
        return alarmed

    def protect(self, setup: AttackSetup) -> tuple[AttackSetup, DefenseCost]:
        x_nat = np.asarray(setup.ctx.x_test, dtype=np.float64)
        false_alarm = self.false_alarm(x_nat)
        self.reset()
        protected = setup.with_endpoint(lambda inner: DefendedEndpoint(
            inner, monitor=self, key_id="attacker", on_alert="deceive", seed=self.seed))  # fmt: skip
        protected.notes.append(f"queries monitored by {self.name}")
        return protected, DefenseCost(extra={"false_alarm_on_test_queries": float(false_alarm)})

    def defended_run(self, setup: AttackSetup, seed: int):  # type: ignore[no-untyped-def]
        """Run the attack behind the monitor; record whether and when it alarmed."""
        protected, cost = self.protect(setup)
        result = protected.run(seed)
        result.notes.extend(protected.notes)
        endpoint = getattr(protected.target.endpoint, "endpoint", None)
        if isinstance(endpoint, DefendedEndpoint):
            cost.extra["detected"] = float(bool(endpoint.alerts))
            at = endpoint.samples_at_alert
            cost.extra["queries_before_detection"] = float(at if at is not None else -1)
        self.reset()
        return result, cost
