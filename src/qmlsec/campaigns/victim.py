"""Deploy the victim through the QMLaaS pipeline, then fine-tune it on the device.

:func:`train_victim` is the one place a campaign run or an assessment gets its victim:
a :class:`~qmlsec.cloud.deployment.Deployment` (the model, the classical and quantum
cloud with the spec's trust levels, the ledger and the cost account) plus its data
split. Attacks act on that deployment (:meth:`qmlsec.attacks.setup.AttackSetup.from_deployment`),
so what they do lands in the same ledger.

The recipe is the realistic QMLaaS one (:class:`qmlsec.cloud.workflow.QMLaaSPipeline`):

1. train with the spec's gradient: ``backprop`` is the classical cloud's exact
   simulation (a quantum cloud never returns a state vector); a hardware gradient
   trains on ``spec.device`` directly;
2. with ``finetune_epochs > 0``, fine-tune on ``spec.device`` (calibration noise,
   ``finetune_shots``) with SPSA or parameter-shift gradients on the first
   ``finetune_samples`` training samples: every forward and gradient circuit is a
   quantum-cloud job, in the same ledger and cost account;
3. score the model exactly and on the device (the first ``finetune_eval_samples`` test
   samples) before and after fine-tuning;
4. serve it: with ``serving="device"`` every query is a job on ``spec.device``; with
   ``serving="simulation"`` (the default: on the emulated 16-qubit device one query
   circuit costs about a second and attacks issue hundreds) the classical cloud
   answers from its own simulation.

Example:
    >>> from qmlsec.campaigns.victim_spec import VictimSpec
    >>> v = train_victim(VictimSpec(dataset="iris", classes=None, qubits=4, layers=1, epochs=2))
    >>> v.pipeline, v.deployment.quantum.trust.value
    ('QMLaaSPipeline (training on ideal, backprop)', 'malicious')
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.cloud.deployment import Deployment, DeploymentSpec
from qmlsec.cloud.workflow import QMLaaSPipeline
from qmlsec.data import parse_classes
from qmlsec.models.classifier import QNNClassifier


@dataclass(frozen=True)
class Victim:
    """A deployed victim and its data split."""

    spec: VictimSpec
    seed: int
    deployment: Deployment = field(repr=False)
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    seconds: float
    pipeline: str
    finetune: dict[str, Any] | None = None
    """The device fine-tuning record (settings, circuits, accuracy before and after)."""

    @property
    def model(self) -> QNNClassifier:
        """The fitted classifier."""
        return self.deployment.model

    @property
    def clean_accuracy(self) -> float:
        """Test accuracy of the victim (exact simulator)."""
        return float(np.mean(self.model.predict(self.x_test) == self.y_test))

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (no arrays)."""
        return {
            "spec": self.spec.model_dump(mode="json"),
            "label": self.spec.label,
            "seed": self.seed,
            "pipeline": self.pipeline,
            "n_train": int(len(self.y_train)),
            "n_test": int(len(self.y_test)),
            "n_features": int(self.x_train.shape[1]),
            "classes": sorted(int(c) for c in np.unique(self.y_train)),
            "train_accuracy": float(np.mean(self.model.predict(self.x_train) == self.y_train)),
            "test_accuracy": self.clean_accuracy,
            "train_seconds": float(self.seconds),
            "history": list(self.model.history_),
            "finetune": self.finetune,
        }


def deployment_spec(spec: VictimSpec, seed: int) -> DeploymentSpec:
    """The deployment the victim is trained and served in."""
    classes = parse_classes(spec.classes) if spec.classes else None
    return DeploymentSpec.model_validate({
        "seed": seed, "tenant": spec.label,
        "classical": {"trust": spec.classical_trust},
        "quantum": {"trust": spec.quantum_trust, "device": spec.device,
                    "shots": spec.finetune_shots if spec.gradient == "backprop" else spec.shots},
        "serving": spec.serving,
        "dataset": {"name": spec.dataset, "classes": list(classes) if classes else None,
                    "test_size": spec.test_size, "seed": seed, "max_train": spec.max_train},
    })  # fmt: skip


def _split(deployment: Deployment, spec: VictimSpec) -> tuple[np.ndarray, ...]:
    train, test = deployment.split()
    x_train, y_train = np.array(train.X, dtype=np.float64), np.array(train.y)
    if spec.max_train is not None and len(y_train) > spec.max_train:
        x_train, y_train = x_train[: spec.max_train], y_train[: spec.max_train]
    return x_train, y_train, np.array(test.X, dtype=np.float64), np.array(test.y)


def classifier_for(spec: VictimSpec, seed: int) -> QNNClassifier:
    """The unfitted classifier ``spec`` describes."""
    return QNNClassifier(
        n_qubits=spec.qubits, layers=spec.layers, entanglement=spec.entanglement,
        readout=spec.readout, head=spec.head, head_scale=spec.head_scale,
        epochs=spec.epochs, lr=spec.lr,
        batch_size=spec.batch_size, gradient=spec.gradient, shots=spec.shots, random_state=seed,
    )  # fmt: skip


def _accuracy(pipeline: QMLaaSPipeline, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy on the exact simulator and through the device (cloud jobs)."""
    device = pipeline.deployment.reconfigure(serving="device")
    return {"exact": pipeline.score(x, y, on_cloud=False),
            "device": QMLaaSPipeline(device).score(x, y)}  # fmt: skip


def finetune_on_device(
    spec: VictimSpec, pipeline: QMLaaSPipeline, arrays: tuple[np.ndarray, ...],
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Fine-tune the deployment's classifier on ``spec.device``; accuracy before and after."""
    cost = pipeline.deployment.cost
    x_train, y_train, x_test, y_test = arrays
    n_eval = spec.finetune_eval_samples
    x_eval, y_eval = x_test[:n_eval], y_test[:n_eval]
    before = _accuracy(pipeline, x_eval, y_eval)
    circuits = cost.total().circuits
    start = time.perf_counter()
    history = pipeline.finetune(
        x_train[: spec.finetune_samples], y_train[: spec.finetune_samples],
        epochs=spec.finetune_epochs, lr=spec.finetune_lr, batch_size=spec.finetune_batch_size,
        gradient=spec.finetune_gradient, on_epoch=on_epoch,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    circuits = cost.total().circuits - circuits
    after = _accuracy(pipeline, x_eval, y_eval)
    return {
        "device": spec.device, "gradient": spec.finetune_gradient,
        "epochs": spec.finetune_epochs, "samples": int(min(spec.finetune_samples, len(y_train))),
        "batch_size": spec.finetune_batch_size, "lr": spec.finetune_lr,
        "shots": spec.finetune_shots, "eval_samples": int(len(y_eval)),
        "circuits": int(circuits), "seconds": seconds,
        "accuracy_before": before, "accuracy_after": after,
        "history": [dict(row) for row in history],
    }  # fmt: skip


def train_victim(
    spec: VictimSpec,
    seed: int = 0,
    *,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> Victim:
    """Deploy and train the victim described by ``spec`` with ``seed`` (module docstring)."""
    start = time.perf_counter()
    deployment = Deployment(deployment_spec(spec, seed), classifier_for(spec, seed))
    arrays = _split(deployment, spec)
    trained_on = "ideal" if spec.gradient == "backprop" else spec.device
    pipeline = QMLaaSPipeline(deployment).fit(arrays[0], arrays[1], on_epoch=on_epoch)
    finetune = None
    if spec.finetune_epochs:
        finetune = finetune_on_device(spec, pipeline, arrays, on_epoch)
    deployment.endpoint().query(arrays[2][:2], output="probabilities")  # the inference path
    how = f"QMLaaSPipeline (training on {trained_on}, {spec.gradient})"
    if finetune is not None:
        how += f" + fine-tuning on {spec.device} ({spec.finetune_gradient})"
    return Victim(
        spec=spec, seed=seed, deployment=deployment, x_train=arrays[0], y_train=arrays[1],
        x_test=arrays[2], y_test=arrays[3], seconds=time.perf_counter() - start,
        pipeline=how, finetune=finetune,
    )  # fmt: skip


def victim_from_deployment(deployment: Deployment, max_train: int | None = None) -> Victim:
    """The victim a saved deployment holds (an imported model, or one ``qmlsec train`` wrote).

    Nothing is trained: the deployment's model, clouds, trust levels and ledger are the
    victim as they are; its recorded dataset gives the data split.
    """
    start = time.perf_counter()
    d, model = deployment, deployment.model
    data = d.spec.dataset
    classes = data.get("classes")
    spec = VictimSpec(
        dataset=str(data.get("name", "")), classes=",".join(map(str, classes)) if classes else None,
        qubits=min(int(model.spec().n_qubits), 20), layers=max(1, int(model.spec().layers)),
        epochs=int(model.epochs), lr=float(model.lr), batch_size=int(model.batch_size),
        gradient=model.gradient, device=d.device, test_size=float(data.get("test_size", 0.25)),
        max_train=max_train, name=f"{d.spec.tenant} ({d.path})" if d.path else d.spec.tenant,
        classical_trust=d.spec.classical.trust, quantum_trust=d.spec.quantum.trust,
        serving=d.spec.serving,
    )  # fmt: skip
    arrays = _split(d, spec)
    source = getattr(model.spec(), "source", "qmlsec")
    return Victim(
        spec=spec, seed=d.spec.seed, deployment=d, x_train=arrays[0], y_train=arrays[1],
        x_test=arrays[2], y_test=arrays[3], seconds=time.perf_counter() - start,
        pipeline=f"loaded from deployment {d.path} (model from {source})",
    )  # fmt: skip


@functools.lru_cache(maxsize=4)
def cached_victim(spec: VictimSpec, seed: int) -> Victim:
    """:func:`train_victim`, once per process for each ``(spec, seed)`` (campaign workers)."""
    return train_victim(spec, seed)
