"""Circuit trojan inserted by a compromised transpiler (always active).

After Roy, Das and Ghosh (ISQED 2024, arXiv:2402.01552; a single H costs 16.18% on
noiseless benchmarks) and QTrojan (arXiv:2302.08090). The compromised toolchain runs
:class:`~qmlsec.attacks.circuit.insertion.TrojanInsertion` on every circuit it compiles;
here it runs as a malicious :class:`~qmlsec.cloud.providers.QuantumCloud`'s
``transform_circuit`` hook (:class:`TrojanHook`) on each circuit the victim's endpoint
submits, before the provider transpiles it for the device. Swept over the number of
inserted gates (``counts``; 0 is the identity).

Measured per count: accuracy, attack success rate (fraction of samples the clean run
classified correctly that the trojaned run misclassifies), and the depth change
of the submitted circuit (0 by construction: positions are depth-preserving) and the
gates actually inserted
(a circuit without idle slots, e.g. a symmetric two-qubit one, takes none).

Where the gates go is configurable (see :mod:`qmlsec.attacks.circuit.insertion`):
``position="gap"`` (default, Roy et al.), ``"pre_measure"`` (the readout-wire trojan:
just before the measurement of ``wire``, e.g. ``--param position=pre_measure --param
wire=0 --param gate=x`` flips qubit 0's readout) or ``"start"`` (ahead of the
encoding, QTrojan); ``gate`` is any of x, y, z, h, s, t, sx. A pre-measure or start
gate may add a layer of depth, which ``depth_change_<count>`` then shows.

Not covered: trojans that survive re-transpilation by the user, detection
(a CNN "TrojanNet" reaches ~90% in arXiv:2402.01552), and the QTrojan variant that
places gates in the encoding layer of the logical circuit.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field
from qiskit import QuantumCircuit

from qmlsec.attacks.access import ProviderRunParams, accuracy, installed, provider_cloud
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.circuit.base import CircuitAttack
from qmlsec.attacks.circuit.insertion import TrojanInsertion, run_trojan
from qmlsec.attacks.facts import BackdoorPlanted
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.cloud.providers.hooks import ProviderHook
from qmlsec.cloud.providers.jobs import QuantumJob
from qmlsec.config import derive_seed


class TrojanHook(ProviderHook):
    """``transform_circuit``: run the trojan pass on every submitted circuit."""

    def __init__(self, trojan: TrojanInsertion) -> None:
        self.trojan = trojan

    def transform_circuit(self, job: QuantumJob, circuit: QuantumCircuit) -> QuantumCircuit:
        """The trojaned circuit (the same object when nothing is inserted)."""
        out = run_trojan(circuit, self.trojan)
        return circuit if out == circuit else out


class TrojanParams(ProviderRunParams):
    """Parameters of :class:`CompilerTrojan`."""

    gate: Literal["x", "y", "z", "h", "s", "t", "sx"] = "x"
    """The inserted one-qubit gate (Roy et al.: x or h)."""
    counts: tuple[int, ...] = Field(default=(0, 1, 2, 4))
    """Gates inserted per run (swept; 0 is the identity)."""
    position: Literal["gap", "pre_measure", "start"] = "gap"
    """``gap``: depth-preserving slots; ``pre_measure``: just before the wire's
    measurement (the readout-wire trojan); ``start``: ahead of the encoding."""
    wire: int | None = Field(default=None, ge=0)
    """Logical qubit attacked (``None``: any, chosen by the seed)."""


class CompilerTrojan(CircuitAttack):
    """A transpiler pass inserts X or H gates at depth-preserving positions (QML.T0014)."""

    name: ClassVar[str] = "circuit.trojan"
    technique_id: ClassVar[str] = "QML.T0014"
    requires = frozenset({Capability.TRANSPILER_CONTROL})
    positions = frozenset({Position.SUPPLY_CHAIN, Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = TrojanParams
    check_params: ClassVar[dict] = {"counts": (0, 2), "max_samples": 8, "shots": 256}

    def tamper(self, count: int) -> TrojanHook:
        """The provider hook inserting ``count`` trojan gates (install with ``add_hook``)."""
        p = self.params
        return TrojanHook(
            TrojanInsertion(
                p.gate, count, derive_seed(self.seed, "trojan"), wire=p.wire, position=p.position
            )  # fmt: skip
        )

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        cloud = provider_cloud(self.target, device=p.device, seed=self.seed,
                               noise_scale=1.0 if p.noisy else 0.0)  # fmt: skip
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        model, dev = self.target.model, p.device
        clean_acc, clean_pred = accuracy(
            model, cloud, X, y, device=dev, shots=p.shots, seed=self.seed
        )
        submitted = model.model_.compiled.expanded_circuit()
        result = self.new_result()
        result.per_sample = {"label": list(y), "clean_prediction": list(clean_pred)}
        correct = clean_pred == y
        accs, asrs = [], []
        for i, count in enumerate(p.counts):
            hook = self.tamper(count)
            with installed(cloud, hook, position=self.target.position):
                acc, pred = accuracy(model, cloud, X, y, device=dev, shots=p.shots, seed=self.seed)
            trojaned = run_trojan(submitted, hook.trojan)
            depth = trojaned.depth() - submitted.depth()
            added = trojaned.size() - submitted.size()
            accs.append(acc)
            asrs.append(float(np.mean(pred[correct] != y[correct])) if correct.any() else 0.0)
            result.per_sample[f"prediction_{i}"] = list(pred)
            result.metrics[f"depth_change_{count}"] = float(abs(depth))
            result.metrics[f"gates_inserted_{count}"] = float(added)
            ctx.report("trojan", i + 1, len(p.counts))
        result.curves["accuracy_vs_count"] = {"x": list(p.counts), "y": accs}
        result.curves["asr_vs_count"] = {"x": list(p.counts), "y": asrs}
        result.metrics.update(
            {
                "clean_accuracy": clean_acc,
                "max_accuracy_drop": clean_acc - min(accs),
                "max_attack_success_rate": max(asrs),
                **{
                    f"accuracy_drop_{c}": clean_acc - a for c, a in zip(p.counts, accs, strict=True)
                },
                **{f"attack_success_rate_{c}": s for c, s in zip(p.counts, asrs, strict=True)},
            }
        )
        result.provides = ["state.backdoor", "goal.integrity_lost"] if max(asrs) > 0 else []
        if max(asrs) > 0:
            trigger = {"pass": "trojan gates", "counts": [int(c) for c in p.counts]}
            result.facts[BackdoorPlanted.id] = BackdoorPlanted("circuit", trigger=trigger)
        return result
