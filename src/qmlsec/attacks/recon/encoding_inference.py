"""Identify encoding, ansatz family, layer count and weights from transpiled jobs.

After "Quantum Quandaries" (arXiv:2502.01486: an attacker with the transpiled circuits
classifies the encoding correctly 95% of the time), "Quantum Imitation Game"
(arXiv:2407.07237) and arXiv:2408.16929 (parameter recovery from transpiled QML
circuits). The honest-but-curious provider observes the bound jobs of a model (its
observe hook); angles that change between jobs are data, constant ones are weights.

1. *Identification*: random-forest classifiers over
   :func:`~qmlsec.attacks.recon.observed.circuit_features`, trained on the jobs of
   ``n_train`` random QNN specs (the provider's own reference corpus) and scored on
   ``n_test`` held-out specs: encoding (angle / amplitude / IQP / re-upload), ansatz
   family, layer count. The corpus also draws the encoding rotation and entanglement
   pattern (nuisances the classifier must ignore); features include gate counts per
   native gate, varying (data) and constant angles, and constant angles off the
   ``pi/4`` grid (the weights).
2. *Theft of the victim*: the victim's own jobs are identified the same way; with the
   identified spec the provider transpiles the template itself and solves the angle
   equations (:mod:`~qmlsec.attacks.recon.linear_recovery`) for the trained weights.

Measured: per-spec identification (per sample), accuracies per label and joint, and
for the victim whether its architecture was identified and the fraction of weights
recovered within ``1e-6`` rad.

Not covered: obfuscated circuits (a defence), other transpiler settings than the
provider's own, and entanglement-pattern identification. ``reupload`` with one layer is
the same circuit as ``angle`` with one layer, and ``hardware_efficient`` is close to
``efficient_su2`` with one fewer layer, so some confusions are structural.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field
from sklearn.ensemble import RandomForestClassifier

from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.hardware.victim import VictimCircuits
from qmlsec.attacks.recon.base import ReconAttack
from qmlsec.attacks.recon.linear_recovery import recover
from qmlsec.attacks.recon.observed import circuit_features, observe_jobs, template
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.circuits import QNNSpec
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.exceptions import CircuitError

ENCODINGS = ("angle", "amplitude", "iqp", "reupload")
ANSATZES = ("hardware_efficient", "strongly_entangling", "basic_entangler",
            "real_amplitudes", "efficient_su2")  # fmt: skip
ROTATIONS = ("X", "Y", "Z")
ENTANGLEMENTS = ("linear", "ring", "full")
LABELS = ("encoding", "ansatz", "layers")


class EncodingInferenceParams(FrozenModel):
    """Parameters of :class:`EncodingInference`."""

    n_train: int = Field(default=300, ge=4)
    n_test: int = Field(default=60, ge=1)
    n_jobs: int = Field(default=4, ge=2)
    qubits: tuple[int, ...] = (2, 3, 4)
    layers: tuple[int, ...] = (1, 2, 3)
    device: str = "fake_manila"


class EncodingInference(ReconAttack):
    """Provider identifies encoding, ansatz, layers and weights of a QNN (QML.T0002)."""

    name: ClassVar[str] = "recon.encoding_inference"
    technique_id: ClassVar[str] = "QML.T0002"
    requires = frozenset({Capability.CIRCUIT_ACCESS})
    positions = frozenset({Position.UNTRUSTED_QUANTUM_CLOUD})
    Params = EncodingInferenceParams
    check_params: ClassVar[dict] = {"n_train": 60, "n_test": 8}

    def random_specs(self, n: int, stream: str) -> list[QNNSpec]:
        """``n`` random QNN specs drawn from the parameter ranges."""
        gen, p = rng(self.seed, "specs", stream), self.params
        return [
            QNNSpec.model_validate(
                {
                    "n_qubits": int(gen.choice(p.qubits)),
                    "encoding": str(gen.choice(ENCODINGS)),
                    "ansatz": str(gen.choice(ANSATZES)),
                    "layers": int(gen.choice(p.layers)),
                    "rotation": str(gen.choice(ROTATIONS)),
                    "entanglement": str(gen.choice(ENTANGLEMENTS)),
                }
            )
            for _ in range(n)
        ]

    def _features(self, specs: list[QNNSpec], stream: str) -> np.ndarray:
        return np.stack(
            [
                circuit_features(
                    observe_jobs(
                        s,
                        n_jobs=self.params.n_jobs,
                        seed=derive_seed(self.seed, stream, i),
                        device=self.params.device,
                    )  # fmt: skip
                )
                for i, s in enumerate(specs)
            ]
        )

    def infer(
        self, features: np.ndarray, classifiers: dict[str, RandomForestClassifier]
    ) -> dict[str, list]:
        """Predicted encoding, ansatz and layers for each row of ``features``."""
        return {label: list(clf.predict(features)) for label, clf in classifiers.items()}

    def _run(self, ctx: AttackContext) -> AttackResult:
        p = self.params
        train, test = self.random_specs(p.n_train, "train"), self.random_specs(p.n_test, "test")
        f_train = self._features(train, "train")
        ctx.report("identification", 1, 3)
        classifiers = {}
        for label in LABELS:
            clf = RandomForestClassifier(
                n_estimators=100, random_state=derive_seed(self.seed, label) % 2**31
            )
            classifiers[label] = clf.fit(f_train, [getattr(s, label) for s in train])
        pred = self.infer(self._features(test, "test"), classifiers)
        ctx.report("identification", 2, 3)
        result = self.new_result()
        hits = {}
        for label in LABELS:
            truth = [getattr(s, label) for s in test]
            hits[label] = np.array([a == b for a, b in zip(truth, pred[label], strict=True)])
            result.per_sample[f"true_{label}"] = truth
            result.per_sample[f"predicted_{label}"] = pred[label]
            result.metrics[f"{label}_accuracy"] = float(hits[label].mean())
        result.metrics["joint_accuracy"] = float(np.mean(np.all(list(hits.values()), axis=0)))
        if self.target.model is not None:
            self._steal_victim(ctx, classifiers, result)
        ctx.report("identification", 3, 3)
        result.provides = ["know.encoding", "goal.ip_stolen"]
        return result

    def _steal_victim(self, ctx: AttackContext, classifiers: dict, result: AttackResult) -> None:
        p = self.params
        victim = VictimCircuits(self.target.model)
        spec = victim.spec
        jobs = observe_jobs(spec, theta=victim.weights(), inputs=victim.inputs(ctx.x_test[: p.n_jobs]),
                            seed=self.seed, device=p.device)  # fmt: skip
        raw = self.infer(circuit_features(jobs)[None, :], classifiers)
        guess = {k: int(v[0]) if k == "layers" else str(v[0]) for k, v in raw.items()}
        identified = all(guess[k] == getattr(spec, k) for k in LABELS)
        result.metrics["victim_identified"] = float(identified)
        result.notes.append(f"victim identified as {guess}")
        recovered = 0.0
        if identified:
            try:
                rec = recover(template(spec.model_copy(update=guess), p.device, self.seed), jobs)
                err = np.abs(rec.theta - victim.weights())
                recovered = float(np.mean(rec.identifiable & (err < 1e-6)))
            except CircuitError as exc:
                result.notes.append(f"weight recovery failed: {exc.message}")
        result.metrics["victim_weights_recovered"] = recovered
