"""Train the victim: through the QMLaaS pipeline when it is available, else ideally.

:func:`train_victim` is the one place a campaign run or an assessment gets its victim.
It returns the fitted model, its train/test split, the exposure-ledger entries of the
training and inference workflow, and the cost account summary.

When :class:`qmlsec.cloud.workflow.QMLaaSPipeline` is importable the victim is trained
through it (on the configured device profile for parameter-shift/SPSA gradients, on the
ideal device for backprop, which needs the state vector), deployed as the inference
endpoint black-box attackers query, and its ledger and cost account are read back. Otherwise a :class:`~qmlsec.models.classifier.QNNClassifier` is trained on the
exact simulator and the ledger holds the hand-offs the six-step workflow makes
(documented in :func:`workflow_ledger`), with ``pipeline`` saying which path was taken.

Example:
    >>> from qmlsec.campaigns.victim_spec import VictimSpec
    >>> v = train_victim(VictimSpec(dataset="iris", classes=None, qubits=4, layers=1, epochs=2))
    >>> v.pipeline.split(" (")[0] in ("QMLaaSPipeline", "QNNClassifier")
    True
"""

from __future__ import annotations

import functools
import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qmlsec.campaigns.victim_spec import VictimSpec
from qmlsec.cloud.cost import CostAccount
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.pricing import PricingModel
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
    """The deployed inference endpoint (``qmlsec.cloud.inference``) when trained via the pipeline."""

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
        }


def pipeline_available() -> bool:
    """Whether the cloud workflow (``qmlsec.cloud.workflow.QMLaaSPipeline``) is installed."""
    if importlib.util.find_spec("qmlsec.cloud.workflow") is None:
        return False
    module = importlib.import_module("qmlsec.cloud.workflow")
    return hasattr(module, "QMLaaSPipeline")


def workflow_ledger(spec: VictimSpec, n_train: int) -> ExposureLedger:
    """The hand-offs of the six training steps and the inference path.

    Step 1 the user hands raw data and labels to the classical cloud (pre-processing);
    2-3 the classical cloud hands the encoding circuit and PQC to the transpiler;
    4 the transpiled circuits with bound parameters go to the quantum cloud, whose
    measurement results come back; 5-6 gradients and loss stay on the classical cloud;
    inference: API clients send features and receive probabilities.
    """
    ledger = ExposureLedger()
    rec = ledger.record
    hbc, mal = "honest-but-curious", "malicious"
    rec("preprocess", "raw_data", "features", "user", "classical_cloud", hbc, count=n_train)
    rec("preprocess", "labels", "integer labels", "user", "classical_cloud", hbc, count=n_train)
    rec("design", "encoding_circuit", "angle encoding", "classical_cloud", "transpiler", hbc)
    rec("design", "pqc_architecture", "logical circuit", "classical_cloud", "transpiler", hbc)
    rec("execute", "transpiled_circuit", f"mapped to {spec.device}", "transpiler",
        "quantum_cloud", mal, time=1.0)  # fmt: skip
    rec("execute", "bound_parameters", "angles in bound circuit", "classical_cloud",
        "quantum_cloud", mal, time=1.0, count=spec.epochs)  # fmt: skip
    rec("execute", "measurement_results", "counts", "quantum_cloud", "classical_cloud", hbc,
        time=1.0, count=spec.epochs)  # fmt: skip
    rec("gradient", "gradients", spec.gradient, "classical_cloud", "classical_cloud", hbc,
        time=2.0, count=spec.epochs)  # fmt: skip
    rec("optimize", "loss_values", "scalar loss", "classical_cloud", "classical_cloud", hbc,
        time=2.0, count=spec.epochs)  # fmt: skip
    rec("inference", "reduced_features", "features", "api_client", "classical_cloud", hbc,
        time=3.0)  # fmt: skip
    rec("inference", "predictions", "probabilities", "classical_cloud", "api_client", hbc,
        time=3.0)  # fmt: skip
    return ledger


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
        n_qubits=spec.qubits, layers=spec.layers, epochs=spec.epochs, lr=spec.lr,
        batch_size=spec.batch_size, gradient=spec.gradient, shots=spec.shots, random_state=seed,
    )  # fmt: skip


def _ideal(
    spec: VictimSpec, seed: int, on_epoch: Callable[[dict[str, float]], None] | None
) -> tuple[Any, tuple[np.ndarray, ...], ExposureLedger, CostAccount, str, Any]:
    x_train, y_train, x_test, y_test = _split(spec, seed)
    model = _classifier(spec, seed)
    start = time.perf_counter()
    model.fit(x_train, y_train, on_epoch=on_epoch)
    wall = time.perf_counter() - start
    cost = CostAccount()
    pricing = PricingModel()
    batches = max(1, -(-len(y_train) // max(spec.batch_size or len(y_train), 1)))
    circuits = spec.epochs * len(y_train)
    shots = circuits * pricing.billed_shots(spec.shots)
    cost.record("training (estimated)", circuits=circuits, shots=shots, jobs=spec.epochs * batches,
                price_usd=pricing.price(qpu_seconds=shots * 2e-4, tasks=circuits, shots=shots),
                qpu_seconds=shots * 2e-4, wall_s=wall)  # fmt: skip
    ledger = workflow_ledger(spec, len(y_train))
    return (
        model,
        (x_train, y_train, x_test, y_test),
        ledger,
        cost,
        "QNNClassifier (ideal simulator)",
        None,
    )


def _through_pipeline(
    spec: VictimSpec, seed: int, on_epoch: Callable[[dict[str, float]], None] | None
) -> tuple[Any, tuple[np.ndarray, ...], ExposureLedger, CostAccount, str, Any]:
    from qmlsec.cloud.workflow import QMLaaSPipeline

    arrays = _split(spec, seed)
    model = _classifier(spec, seed)
    # backprop needs the state vector, which only the ideal device returns
    device = "ideal" if spec.gradient == "backprop" else spec.device
    pipeline = QMLaaSPipeline(model, device=device, shots=spec.shots, seed=seed)
    pipeline.fit(arrays[0], arrays[1], on_epoch=on_epoch)
    endpoint = pipeline.deploy(model_id=spec.label)
    endpoint.query(arrays[2][:2], output="probabilities")  # the inference path, in the ledger
    how = f"QMLaaSPipeline (training on {device}, {spec.gradient})"
    return model, arrays, pipeline.ledger, pipeline.cost, how, endpoint


#: Train through the QMLaaS pipeline when it is installed (``False``: ideal classifier).
USE_PIPELINE = True


def train_victim(
    spec: VictimSpec,
    seed: int = 0,
    *,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> Victim:
    """Train the victim described by ``spec`` with ``seed``."""
    start = time.perf_counter()
    train = _through_pipeline if USE_PIPELINE and pipeline_available() else _ideal
    model, arrays, ledger, cost, how, endpoint = train(spec, seed, on_epoch)
    history = tuple(dict(row) for row in getattr(model, "history_", []))
    return Victim(
        spec=spec, seed=seed, model=model, x_train=arrays[0], y_train=arrays[1],
        x_test=arrays[2], y_test=arrays[3], ledger_entries=tuple(ledger.entries()),
        cost=cost.summary(), seconds=time.perf_counter() - start, pipeline=how, history=history,
        endpoint=endpoint,
    )  # fmt: skip


@functools.lru_cache(maxsize=4)
def cached_victim(spec: VictimSpec, seed: int) -> Victim:
    """:func:`train_victim`, once per process for each ``(spec, seed)`` (campaign workers)."""
    return train_victim(spec, seed)
