"""A dormant trojan a malicious provider plants in its compilation service and keeps.

After the controllable, input-triggered trojans of John, Golla and Wang (arXiv:2502.08880:
dormant until a condition on the inputs holds) and QTrojan (Chu et al., ICASSP 2023,
arXiv:2302.08090: a few gates inserted by the server that compiles the victim's QNN),
mounted by a malicious quantum provider that hosts the transpiler, and left in place
(persistence) so that a later stage triggers it (QML.T0036). Unlike ``circuit.qupt``,
which sizes its trigger from the victim model's own angles, this attack uses only what
the provider sees and what earlier stages established:

1. **Which angle carries data.** The submitted circuit has one parameter ``g[k]`` per
   gate angle, with no names telling inputs from weights. With ``know.encoding``
   (:class:`~qmlsec.attacks.facts.KnownEncoding`, e.g. from ``recon.encoding_inference``)
   the provider compiles the known QNN structure itself and finds the first angle that
   moves with circuit input ``trigger_input``. Without it, it watches an angle chosen
   at random (seeded): most are weight angles, constant over all jobs, and a window
   outside a constant never fires, so the trojan can never be triggered.
2. **Where the window lies.** The provider records the watched angle of the victim's
   traffic (here: the victim's inference queries of its test inputs) and places the
   trigger window just beyond the largest value seen (``margin`` and ``width`` in
   units of the observed range), so natural inputs do not fire it (dormancy).
3. **Plant.** A :class:`PlantedTrojanHook` (``transform_circuit``) is added to the
   deployment's quantum cloud and, with ``persist`` (default), stays there after the
   run: every later job of the deployment is compiled through it. A job fires only when
   every row's watched angle is in the window; it then gets ``count`` X (or H) gates,
   by default just before the readout of distinct wires, which flips what those wires
   report (:class:`~qmlsec.attacks.circuit.insertion.TrojanInsertion`).

Measured on the victim's traffic with the trojan planted: the natural trigger rate
(jobs that fired), the fraction of predictions unchanged (dormancy, with its interval)
and whether the watched angle varied at all. The fact handed on,
:class:`~qmlsec.attacks.facts.BackdoorPlanted` (``kind="circuit"``), carries the window
and the hook itself, whose log of watched angles is what the provider observes of the
jobs it compiles (``evasion.backdoor_trigger`` uses it to craft triggering inputs).

Differs from the sources: the trigger is a window on one input angle (the controllable
trojans of arXiv:2502.08880 also use gate-count and multi-qubit conditions), and the
payload is X/H gates on randomly chosen wires rather than an optimised one.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

import numpy as np
import torch
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import ProviderRunParams, installed, predict, serve
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.circuit.base import CircuitAttack
from qmlsec.attacks.circuit.insertion import TrojanInsertion, run_trojan
from qmlsec.attacks.facts import BackdoorPlanted, KnownEncoding
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.circuits.qnn import QNNSpec
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import derive_seed, rng
from qmlsec.engine import compile_circuit
from qmlsec.stats import proportion


class PlantedTrojanHook(ProviderHook):
    """``transform_circuit``: trojan gates into jobs whose watched angle is in the window.

    Every job's watched angles are logged in :attr:`seen` (what the provider observes)
    and whether it fired in :attr:`fired`.
    """

    def __init__(self, trojan: TrojanInsertion, column: int, low: float, high: float) -> None:
        self.trojan, self.column, self.low, self.high = trojan, column, low, high
        self.seen: list[np.ndarray] = []
        self.fired: list[bool] = []
        self.cloud: Any = None

    def watched(self, job: QuantumJob) -> np.ndarray:
        """The watched angle of every row of ``job`` (empty when the job has no such column)."""
        values = np.asarray(job.parameter_values, dtype=np.float64)
        if values.ndim != 2 or values.shape[1] <= self.column:
            return np.empty(0)
        return values[:, self.column].copy()

    def transform_circuit(self, job: QuantumJob, circuit: QuantumCircuit) -> QuantumCircuit:
        """The trojaned circuit for a firing job, else ``circuit`` itself."""
        angles = self.watched(job)
        self.seen.append(angles)
        fires = bool(angles.size) and bool(np.all((angles >= self.low) & (angles <= self.high)))
        self.fired.append(fires)
        return run_trojan(circuit, self.trojan) if fires else circuit


class AngleObserver(ProviderHook):
    """``on_submit``: log one parameter column of every job (observation only)."""

    def __init__(self, column: int) -> None:
        self.column = column
        self.seen: list[np.ndarray] = []

    def on_submit(self, job: QuantumJob) -> None:
        """Record the job's watched angles."""
        values = np.asarray(job.parameter_values, dtype=np.float64)
        if values.ndim == 2 and values.shape[1] > self.column:
            self.seen.append(values[:, self.column].copy())


def data_angle(spec: QNNSpec, trigger_input: int, seed: int) -> int:
    """Index of the first circuit angle that moves with circuit input ``trigger_input``.

    The provider compiles the QNN structure ``spec`` (as the victim's circuit is compiled,
    one angle per rotation) and compares the angles for two inputs differing only there.
    """
    compiled = compile_circuit(spec.build(), spec.observables())
    n_in = spec.n_circuit_inputs
    gen = rng(seed, "planted-structure")
    theta = torch.as_tensor(gen.uniform(0, 2 * np.pi, spec.n_weights))
    x0 = torch.as_tensor(gen.uniform(0.5, 1.0, (1, n_in)))
    x1 = x0.clone()
    x1[0, trigger_input % n_in] += 0.7
    with torch.no_grad():
        diff = (compiled.angles(x1, theta) - compiled.angles(x0, theta)).abs()[0]
    moving = torch.nonzero(diff > 1e-9).flatten()
    return int(moving[0]) if len(moving) else 0


class PlantedTrojanParams(ProviderRunParams):
    """Parameters of :class:`PlantedTrojan`."""

    gate: Literal["x", "h"] = "x"
    count: int = Field(default=2, ge=1)
    """Trojan gates inserted into a firing job (on distinct wires unless ``gap``)."""
    position: Literal["pre_measure", "gap", "start"] = "pre_measure"
    """Where: just before the readout of randomly chosen wires (QTrojan's payload flips
    the measured outputs), a depth-preserving idle slot, or ahead of the encoding."""
    trigger_input: int = Field(default=0, ge=0)
    """Circuit input whose angle the trigger watches (with ``know.encoding``)."""
    margin: float = Field(default=0.1, ge=0)
    """Gap between the largest angle seen and the window, in units of the observed range."""
    width: float = Field(default=0.5, gt=0)
    """Width of the window, in units of the observed range."""
    persist: bool = True
    """Leave the trojan installed on the deployment's cloud after the run."""


class PlantedTrojan(CircuitAttack):
    """A malicious provider plants a dormant, input-triggered trojan (QML.T0014.001)."""

    name: ClassVar[str] = "circuit.planted_trojan"
    technique_id: ClassVar[str] = "QML.T0014.001"
    requires = frozenset({Capability.PROVIDER_CONTROL, Capability.TRANSPILER_CONTROL})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = PlantedTrojanParams
    check_params: ClassVar[dict] = {"max_samples": 12, "shots": 256}

    def watched_column(self, ctx: AttackContext) -> tuple[int, str]:
        """The angle index the trigger watches and how it was chosen."""
        encoding = ctx.facts.get(KnownEncoding)
        if encoding is not None:
            return data_angle(encoding.spec, self.params.trigger_input, self.seed), "data angle"
        n_angles = int(self.target.model.model_.compiled.n_angles)
        guess = int(rng(self.seed, "planted-guess").integers(n_angles))
        return guess, "guessed (no know.encoding)"

    def _victim_traffic(self, cloud: Any, X: np.ndarray) -> np.ndarray:
        """The victim's own inference queries of ``X``, one job per input."""
        p = self.params
        endpoint = serve(self.target.model, cloud, device=p.device, shots=p.shots, seed=self.seed)
        return np.concatenate(
            [
                predict(endpoint, X[i : i + 1], seed=derive_seed(self.seed, "traffic", i))
                for i in range(len(X))
            ]  # fmt: skip
        )

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        cloud = self.target.cloud
        X = np.asarray(ctx.x_test[: p.max_samples], dtype=np.float64)
        column, how = self.watched_column(ctx)
        observer = AngleObserver(column)
        with installed(cloud, observer, position=self.target.position):
            endpoint = serve(self.target.model, cloud, device=p.device, shots=p.shots,
                             seed=self.seed)  # fmt: skip
            predict(endpoint, X, seed=derive_seed(self.seed, "observed"))  # one batch job
        clean = self._victim_traffic(cloud, X)
        ctx.report("observed the victim's traffic", 1, 3)
        seen = np.concatenate(observer.seen) if observer.seen else np.zeros(1)
        lo, hi = float(seen.min()), float(seen.max())
        span = hi - lo
        low, high = hi + p.margin * span, hi + (p.margin + p.width) * span
        if span <= 1e-12:  # a constant (weight) angle: a window beyond it never fires
            low, high = hi + 0.1, hi + 0.6
        hook = PlantedTrojanHook(
            TrojanInsertion(p.gate, p.count, derive_seed(self.seed, "planted"),
                            position=p.position),
            column, low, high,
        )  # fmt: skip
        cloud.add_hook(hook)
        hook.cloud = cloud
        try:
            after = self._victim_traffic(cloud, X)
        finally:
            if not p.persist:
                cloud.hooks.remove(hook)
        ctx.report("checked dormancy", 2, 3)
        fired = np.asarray(hook.fired, dtype=bool)
        unchanged = after == clean
        n = len(X)
        result = self.new_result(
            metrics={
                "dormant_unchanged": float(unchanged.mean()),
                "natural_trigger_rate": float(fired.mean()) if fired.size else 0.0,
                "watched_angle_varies": float(span > 1e-12),
                "window_low": low,
                "window_high": high,
                "installed": float(hook in cloud.hooks),
            },
            per_sample={
                "clean_prediction": list(clean),
                "prediction": list(after),
                "unchanged": unchanged.tolist(),
            },  # fmt: skip
        )
        result.intervals = {
            "dormant_unchanged": proportion(float(unchanged.mean()), n),
            "natural_trigger_rate": proportion(float(fired.mean()) if fired.size else 0.0,
                                               max(fired.size, 1)),
        }  # fmt: skip
        result.notes.append(
            f"watched angle g[{column}] ({how}); window [{low:.4g}, {high:.4g}] beyond the "
            f"victim's observed range [{lo:.4g}, {hi:.4g}]; "
            + (
                "left installed on the deployment's quantum cloud"
                if p.persist
                else "removed after the run"
            )  # fmt: skip
        )
        trigger = {"column": column, "low": low, "high": high, "gate": p.gate,
                   "count": p.count, "position": p.position, "watched": how}  # fmt: skip
        result.establish(BackdoorPlanted("circuit", trigger=trigger, handle=hook))
        ctx.report("planted", 3, 3)
        return result
