"""Train the victim through the QMLaaS pipeline, then fine-tune it on the device.

:func:`train_victim` is the one place a campaign run or an assessment gets its victim.
It returns the fitted model, its train/test split, the exposure-ledger entries of the
training and inference workflow, and the cost account summary.

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
4. deploy the inference endpoint black-box attackers query. It serves from exact
   simulation: on the emulated 16-qubit device one query circuit costs about a second
   (the 8-qubit ring routes onto 12 physical qubits) and attacks issue hundreds.

Example:
    >>> from qmlsec.campaigns.victim_spec import VictimSpec
    >>> v = train_victim(VictimSpec(dataset="iris", classes=None, qubits=4, layers=1, epochs=2))
    >>> v.pipeline
    'QMLaaSPipeline (training on ideal, backprop)'
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.cloud.providers import QuantumCloud
from qmlsec.cloud.workflow import QMLaaSPipeline
from qmlsec.config import derive_seed
from qmlsec.data import load_dataset, parse_classes, split
from qmlsec.models.classifier import QNNClassifier


@dataclass(frozen=True)
class Victim:
    """A trained victim and everything the threat model reads from its deployment."""

    spec: VictimSpec
    seed: int
    model: Any
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    ledger_entries: tuple[dict[str, Any], ...]
    cost: dict[str, Any]
    seconds: float
    pipeline: str
    history: tuple[dict[str, Any], ...] = field(default=())
    endpoint: Any = field(default=None, repr=False)
    """The deployed inference endpoint (:mod:`qmlsec.cloud.inference`)."""
    finetune: dict[str, Any] | None = None
    """The device fine-tuning record (settings, circuits, accuracy before and after)."""

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
            "history": list(self.history),
            "finetune": self.finetune,
        }


def _split(spec: VictimSpec, seed: int) -> tuple[np.ndarray, ...]:
    classes = parse_classes(spec.classes) if spec.classes else None
    ds = load_dataset(spec.dataset, classes=classes, seed=seed)
    train, test = split(ds, test_size=spec.test_size, seed=seed)
    x_train, y_train = np.array(train.X, dtype=np.float64), np.array(train.y)
    if spec.max_train is not None and len(y_train) > spec.max_train:
        x_train, y_train = x_train[: spec.max_train], y_train[: spec.max_train]
    return x_train, y_train, np.array(test.X, dtype=np.float64), np.array(test.y)


def _classifier(spec: VictimSpec, seed: int) -> QNNClassifier:
    return QNNClassifier(
        n_qubits=spec.qubits, layers=spec.layers, entanglement=spec.entanglement,
        epochs=spec.epochs, lr=spec.lr,
        batch_size=spec.batch_size, gradient=spec.gradient, shots=spec.shots, random_state=seed,
    )  # fmt: skip


def _accuracy(pipeline: QMLaaSPipeline, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy on the exact simulator and through the device (cloud jobs)."""
    return {"exact": pipeline.score(x, y, on_cloud=False), "device": pipeline.score(x, y)}


def finetune_on_device(
    spec: VictimSpec, seed: int, trained: QMLaaSPipeline, arrays: tuple[np.ndarray, ...],
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Fine-tune ``trained``'s classifier on ``spec.device``; accuracy before and after.

    The device pipeline shares the ledger, the cost account and the classical cloud of
    ``trained``, so the fine-tuning jobs are part of the victim's deployment record.
    """
    clf = trained.classifier
    x_train, y_train, x_test, y_test = arrays
    n_eval = spec.finetune_eval_samples
    x_eval, y_eval = x_test[:n_eval], y_test[:n_eval]
    trained_with = clf.gradient
    clf.set_params(gradient=spec.finetune_gradient)
    cloud = QuantumCloud([spec.device], seed=derive_seed(seed, "quantum-cloud", "finetune"),
                         ledger=trained.ledger, cost=trained.cost)  # fmt: skip
    device = QMLaaSPipeline(clf, device=spec.device, shots=spec.finetune_shots, quantum=cloud,
                            classical=trained.classical, seed=derive_seed(seed, "finetune"))  # fmt: skip
    try:
        before = _accuracy(device, x_eval, y_eval)
        circuits = trained.cost.total().circuits
        start = time.perf_counter()
        history = device.finetune(
            x_train[: spec.finetune_samples], y_train[: spec.finetune_samples],
            epochs=spec.finetune_epochs, lr=spec.finetune_lr,
            batch_size=spec.finetune_batch_size, on_epoch=on_epoch,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        circuits = trained.cost.total().circuits - circuits
        after = _accuracy(device, x_eval, y_eval)
    finally:
        clf.set_params(gradient=trained_with)  # retraining recipes keep the first gradient
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
    """Train the victim described by ``spec`` with ``seed`` (see the module docstring)."""
    start = time.perf_counter()
    arrays = _split(spec, seed)
    model = _classifier(spec, seed)
    device = "ideal" if spec.gradient == "backprop" else spec.device
    pipeline = QMLaaSPipeline(model, device=device, shots=spec.shots, seed=seed)
    pipeline.fit(arrays[0], arrays[1], on_epoch=on_epoch)
    history = tuple(dict(row) for row in model.history_)
    finetune = None
    if spec.finetune_epochs:
        finetune = finetune_on_device(spec, seed, pipeline, arrays, on_epoch)
    endpoint = pipeline.deploy(model_id=spec.label)
    endpoint.query(arrays[2][:2], output="probabilities")  # the inference path, in the ledger
    how = f"QMLaaSPipeline (training on {device}, {spec.gradient})"
    if finetune is not None:
        how += f" + fine-tuning on {spec.device} ({spec.finetune_gradient})"
    return Victim(
        spec=spec, seed=seed, model=model, x_train=arrays[0], y_train=arrays[1],
        x_test=arrays[2], y_test=arrays[3], ledger_entries=tuple(pipeline.ledger.entries()),
        cost=pipeline.cost.summary(), seconds=time.perf_counter() - start, pipeline=how,
        history=history, endpoint=endpoint, finetune=finetune,
    )  # fmt: skip


@functools.lru_cache(maxsize=4)
def cached_victim(spec: VictimSpec, seed: int) -> Victim:
    """:func:`train_victim`, once per process for each ``(spec, seed)`` (campaign workers)."""
    return train_victim(spec, seed)
