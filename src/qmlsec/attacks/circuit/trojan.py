"""Circuit trojan inserted by a compromised transpiler (always active).

After Roy, Das and Ghosh (ISQED 2024, arXiv:2402.01552; a single H costs 16.18% on
noiseless benchmarks) and QTrojan (arXiv:2302.08090). The compromised toolchain runs
:class:`~qmlsec.attacks.circuit.insertion.TrojanInsertion` after optimisation; here it is
installed as the provider's ``alter_circuit`` hook on the victim's transpiled inference
circuits. Swept over the number of inserted gates (``counts``; 0 is the identity).

Measured per count: accuracy, attack success rate (fraction of samples the clean run
classified correctly that the trojaned run misclassifies), and the depth change
(0 by construction: positions are depth-preserving) and the gates actually inserted
(a circuit without idle slots, e.g. a symmetric two-qubit one, takes none).

Not covered: trojans that survive re-transpilation by the user, detection
(a CNN "TrojanNet" reaches ~90% in arXiv:2402.01552), and the QTrojan variant that
places gates in the encoding layer of the logical circuit.
"""

from __future__ import annotations

from typing import ClassVar, Literal

import numpy as np
from pydantic import Field

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.circuit.base import CircuitAttack
from qmlsec.attacks.circuit.insertion import TrojanInsertion, run_trojan
from qmlsec.attacks.hardware.session import ProviderSession
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, derive_seed


class TrojanParams(FrozenModel):
    """Parameters of :class:`CompilerTrojan`."""

    gate: Literal["x", "h"] = "x"
    counts: tuple[int, ...] = Field(default=(0, 1, 2, 4))
    device: str = "fake_manila"
    noisy: bool = False
    shots: int = Field(default=1024, ge=1)
    max_samples: int = Field(default=60, ge=1)


class CompilerTrojan(CircuitAttack):
    """A transpiler pass inserts X or H gates at depth-preserving positions (QML.T0014)."""

    name: ClassVar[str] = "circuit.trojan"
    technique_id: ClassVar[str] = "QML.T0014"
    requires = frozenset({Capability.TRANSPILER_CONTROL})
    positions = frozenset({Position.SUPPLY_CHAIN, Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = TrojanParams
    check_params: ClassVar[dict] = {"counts": (0, 2), "max_samples": 8, "shots": 256}

    def tamper(self, session: ProviderSession, count: int) -> TrojanInsertion:
        """Install a trojan pass of ``count`` gates as ``session``'s circuit hook."""
        trojan = TrojanInsertion(self.params.gate, count, derive_seed(self.seed, "trojan"))
        session.add_circuit_hook(lambda qc: run_trojan(qc, trojan))
        return trojan

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        victim = VictimCircuits(self.target.model)
        X, y = ctx.x_test[: p.max_samples], np.asarray(ctx.y_test[: p.max_samples])
        clean = ProviderSession(p.device, noisy=p.noisy)
        clean_acc, clean_pred = clean.accuracy(victim, X, y, shots=p.shots, seed=self.seed)
        circuits = victim.transpiled(X, clean.backend)
        result = self.new_result()
        result.per_sample = {"label": list(y), "clean_prediction": list(clean_pred)}
        correct = clean_pred == y
        accs, asrs = [], []
        for i, count in enumerate(p.counts):
            session = ProviderSession(p.device, noisy=p.noisy)
            trojan = self.tamper(session, count)
            acc, pred = session.accuracy(victim, X, y, shots=p.shots, seed=self.seed)
            trojaned = [run_trojan(c, trojan) for c in circuits]
            depth = [t.depth() - c.depth() for t, c in zip(trojaned, circuits, strict=True)]
            added = [t.size() - c.size() for t, c in zip(trojaned, circuits, strict=True)]
            accs.append(acc)
            asrs.append(float(np.mean(pred[correct] != y[correct])) if correct.any() else 0.0)
            result.per_sample[f"prediction_{i}"] = list(pred)
            result.metrics[f"depth_change_{count}"] = float(np.max(np.abs(depth)))
            result.metrics[f"gates_inserted_{count}"] = float(np.mean(added))
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
        return result
