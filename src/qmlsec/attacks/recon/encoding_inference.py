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
2. *Theft of the victim*: the victim's model is served through its (honest-but-curious)
   :class:`~qmlsec.cloud.providers.QuantumCloud` and queried ``n_jobs`` times; an
   observing hook (:class:`~qmlsec.attacks.recon.executed.ExecutedJobs`) keeps what the
   provider received and executed for those jobs. The classifiers read the victim from
   the transpiled circuits (``victim_identified_classifier``, the view a provider has
   when users submit native-gate circuits); the full architecture, rotation and
   entanglement included, is matched exactly against the submitted logical circuit
   (:func:`~qmlsec.attacks.recon.architecture_match.match_architecture`,
   ``victim_identified``). With the matched spec compiled, the angle rows the provider
   received are solved for the trained weights
   (:func:`~qmlsec.attacks.recon.job_observer.solve_inputs`); nothing of the victim's
   true spec is read except to score the result.

Measured: per-spec identification (per sample), accuracies per label and joint, and
for the victim whether its architecture was identified (classifier and exact match)
and the fraction of weights recovered within ``1e-6`` rad; ``outputs`` carries the
stolen spec and weights, and the matched spec is handed on as the
:class:`~qmlsec.attacks.facts.KnownEncoding` and
:class:`~qmlsec.attacks.facts.KnownArchitecture` facts (provider-side weight theft,
``extraction.provider_theft``, builds on the latter).

Not covered: obfuscated circuits (a defence), other transpiler settings than the
provider's own, architectures outside the enumerated family. ``reupload`` with one
layer is the same circuit as ``angle`` with one layer, and ``hardware_efficient`` is
close to ``efficient_su2`` with one fewer layer, so some classifier confusions are
structural.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from pydantic import Field
from sklearn.ensemble import RandomForestClassifier

from qmlsec.attacks.access import provider_cloud
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.facts import KnownArchitecture, KnownEncoding
from qmlsec.attacks.recon.architecture_match import gate_signature, match_architecture
from qmlsec.attacks.recon.base import ReconAttack
from qmlsec.attacks.recon.executed import ExecutedJobs, observe_queries
from qmlsec.attacks.recon.job_observer import solve_inputs
from qmlsec.attacks.recon.observed import circuit_features, observe_jobs
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.targets import Capability, Position
from qmlsec.circuits import QNNSpec
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.engine import compile_circuit

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
        result.provides = [*result.provides, "goal.ip_stolen"]
        return result

    def observe_victim(self, X: np.ndarray) -> ExecutedJobs:
        """Serve the victim on its cloud, query ``X`` (one job per row), observe the jobs."""
        p = self.params
        cloud = provider_cloud(self.target, device=p.device, trust="honest-but-curious",
                               seed=self.seed, noise_scale=0.0)  # fmt: skip
        return observe_queries(self.target.model, cloud, X, device=p.device, shots=256,
                               seed=self.seed, per_row=True)  # fmt: skip

    def _steal_victim(self, ctx: AttackContext, classifiers: dict, result: AttackResult) -> None:
        p, model = self.params, self.target.model
        truth = model.model_.spec  # scoring only: the attacker never reads it
        observed = self.observe_victim(ctx.x_test[: p.n_jobs])
        raw = self.infer(circuit_features(observed.bound())[None, :], classifiers)
        guess = {k: int(v[0]) if k == "layers" else str(v[0]) for k, v in raw.items()}
        by_classifier = all(guess[k] == getattr(truth, k) for k in LABELS)
        matches = match_architecture(observed.jobs[0].job.circuit)
        identified = bool(matches) and gate_signature(matches[0].build()) == gate_signature(
            truth.build()
        )
        result.metrics["victim_identified_classifier"] = float(by_classifier)
        result.metrics["victim_identified"] = float(identified)
        result.outputs["victim_jobs"] = [j.result.job_id for j in observed.jobs]
        result.notes.append(
            f"transpiled-circuit classifier read the victim as {guess}; "
            f"the submitted circuit matched {len(matches)} architecture(s)"
            + (
                f", e.g. {matches[0].encoding}/{matches[0].ansatz}/{matches[0].layers} layers/"
                f"{matches[0].entanglement}"
                if matches
                else ""
            )  # fmt: skip
        )
        recovered = 0.0
        if matches:
            theta = self.solve_weights(observed, matches[0])
            if len(theta) == truth.n_weights:
                err = np.abs(theta - model.model_.theta.detach().numpy())
                recovered = float(np.mean(err < 1e-6))
            result.outputs["stolen_spec"] = matches[0]
            result.outputs["stolen_theta"] = theta
            result.establish(KnownEncoding(matches[0]), KnownArchitecture(spec=matches[0]))
        result.metrics["victim_weights_recovered"] = recovered

    @staticmethod
    def solve_weights(observed: ExecutedJobs, spec: QNNSpec) -> np.ndarray:
        """The weights solved from the observed jobs' angle rows under architecture ``spec``."""
        compiled = compile_circuit(spec.build(), spec.observables())
        rows = np.vstack([j.job.parameter_values for j in observed.jobs])
        _, theta, _ = solve_inputs(compiled, rows, spec.n_circuit_inputs, compiled.n_weights)
        return theta
