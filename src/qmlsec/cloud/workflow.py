"""The QMLaaS training workflow: the six steps of the SoK (Kundu & Ghosh, arXiv:2408.09562, §3).

1. **Pre-process** raw data on the classical cloud (PCA/autoencoder + scaling).
2. **Design and encode**: the encoding circuit and PQC architecture go to the quantum
   cloud.
3. **Transpile and map** onto the allocated device (done by the quantum cloud, cached
   per circuit structure).
4. **Execute and measure** the bound circuits (one job per batch, shots, noise).
5. **Gradients** by parameter shift or SPSA, executed as circuits on the quantum cloud
   (or exact backprop in ideal simulation).
6. **Optimise** with Adam/AMSGrad/SGD on the classical side; repeat until the accuracy
   target or the epoch budget.

Every hand-off is recorded in the :class:`~qmlsec.cloud.ledger.ExposureLedger` and every
execution in the :class:`~qmlsec.cloud.cost.CostAccount`. :meth:`QMLaaSPipeline.deploy`
gives the inference endpoint (:mod:`qmlsec.cloud.inference`).

Example:
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=1, epochs=2, lr=0.1, gradient="parameter-shift")
    >>> pipe = QMLaaSPipeline(clf, device="ideal", shots=None, seed=0).fit(train.X, train.y)
    >>> pipe.cost.total().circuits > 0 and len(pipe.ledger.seen_by("quantum_cloud")) > 0
    True
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from qmlsec.cloud.cost import CostAccount
from qmlsec.cloud.executor import CloudExecutor
from qmlsec.cloud.ledger import ExposureLedger
from qmlsec.cloud.providers import ClassicalCloud, QuantumCloud
from qmlsec.config import derive_seed
from qmlsec.exceptions import ConfigError
from qmlsec.gradients import get_gradient
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.training import TrainingConfig, train_module

USER = "user"
CLASSICAL = "classical_cloud"
QUANTUM = "quantum_cloud"


class QMLaaSPipeline:
    """Train and serve a :class:`QNNClassifier` through a classical and a quantum cloud.

    Args:
        classifier: the (unfitted) classifier; its ``gradient`` and ``shots`` decide
            step 5. ``backprop`` is allowed only on the ideal device (no cloud circuits).
        device: the device the user pays for (fake device name, generic topology or
            ``ideal``).
        shots: shots per circuit on the quantum cloud (``None``: exact expectations).
        quantum: the quantum cloud (default: a honest-but-curious provider whose pool is
            ``device``).
        classical: the classical cloud (default: trusted).
        tenant: the user's tenant name at the providers.
        seed: fans out to the providers' transpiler, simulator, queues and job seeds.
    """

    def __init__(
        self,
        classifier: QNNClassifier,
        *,
        device: str = "ideal",
        shots: int | None = 1024,
        quantum: QuantumCloud | None = None,
        classical: ClassicalCloud | None = None,
        tenant: str = "victim",
        seed: int = 0,
    ) -> None:
        if classifier.gradient == "backprop" and device != "ideal":
            raise ConfigError(
                "backprop gradients need the state vector, which a quantum cloud never returns",
                hint="use gradient='parameter-shift' or 'spsa' on a device",
            )
        self.classifier = classifier
        self.device = device
        self.shots = shots if classifier.gradient != "backprop" else None
        self.seed = seed
        self.tenant = tenant
        self.ledger = ExposureLedger()
        self.cost = CostAccount()
        self.quantum = quantum or QuantumCloud([device], seed=derive_seed(seed, "quantum-cloud"))
        self.classical = classical or ClassicalCloud()
        for cloud in (self.quantum, self.classical):
            if getattr(cloud, "ledger", None) is None:
                cloud.ledger = self.ledger
        if getattr(self.quantum, "cost", None) is None:
            self.quantum.cost = self.cost
        self.ledger = self.quantum.ledger or self.ledger
        self.cost = self.quantum.cost or self.cost
        self.train_seconds = 0.0

    # -- the six training steps ---------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> QMLaaSPipeline:
        """Run steps 1-6 on ``(X, y)`` and return the fitted pipeline."""
        start = time.perf_counter()
        clf = self.classifier
        trust = self.classical.trust.value
        # (1) raw data and labels go to the classical cloud, which pre-processes them
        self._record("preprocess", "raw_data", "plaintext", USER, CLASSICAL, trust, len(X))
        self._record("preprocess", "labels", "plaintext", USER, CLASSICAL, trust, len(y))
        executor = None
        if clf.gradient != "backprop":
            executor = _LazyExecutor(self)
        clf.fit(X, y, on_epoch=self._epoch_hook(on_epoch), executor=executor)
        self._record(
            "preprocess", "reduced_features", "plaintext", CLASSICAL, CLASSICAL, trust, len(X)
        )
        # (2) circuit design: the encoding and the PQC are handed to the quantum cloud
        q_trust = self.quantum.trust.value
        self._record("design", "encoding_circuit", "qasm", CLASSICAL, QUANTUM, q_trust)
        self._record("design", "pqc_architecture", "qasm", CLASSICAL, QUANTUM, q_trust)
        # (6) the trained weights go back to the user
        self._record("optimize", "model_weights", "plaintext", CLASSICAL, USER, "trusted")
        self.train_seconds = time.perf_counter() - start
        return self

    def finetune(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        epochs: int,
        lr: float,
        batch_size: int,
        spsa_c: float = 0.15,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> list[dict[str, float]]:
        """Continue training the already fitted classifier with circuits on this device.

        Steps 4-6 of the workflow on ``(X, y)``: every forward circuit and every gradient
        circuit (the classifier's ``gradient``: SPSA with perturbation ``spsa_c``,
        parameter shift or finite differences) is a job on the quantum cloud, in the
        ledger and the cost account. The pre-processing fitted before is kept. Afterwards
        the model evaluates locally again (exact simulation, as the weights returned to
        the user do). Returns the fine-tuning history, one row per epoch.
        """
        clf = self.classifier
        if not hasattr(clf, "model_"):
            raise ConfigError("fine-tuning needs a fitted classifier", hint="call fit() first")
        if self.device == "ideal" or clf.gradient == "backprop":
            raise ConfigError(
                f"fine-tuning runs on a device with a hardware gradient, got device "
                f"{self.device!r} and gradient {clf.gradient!r}",
                hint="construct the pipeline with a fake device and gradient='spsa'",
            )
        model = clf.model_
        options = {"c": spsa_c, "seed": derive_seed(self.seed, "finetune-spsa")}
        saved = (model.gradient_method, model.executor)
        model.gradient_method = get_gradient(
            clf.gradient, **(options if clf.gradient == "spsa" else {})
        )
        model.executor = _LazyExecutor(self)
        start = time.perf_counter()
        try:
            features = torch.as_tensor(clf.preprocessing_.transform(X), dtype=torch.float64)
            target = torch.as_tensor(clf.class_index(y), dtype=torch.long)
            config = TrainingConfig.model_validate(
                {"lr": lr, "epochs": epochs, "batch_size": batch_size}
            )
            history = train_module(model, features, target, config,
                                   seed=derive_seed(self.seed, "finetune"),
                                   on_epoch=self._epoch_hook(on_epoch))  # fmt: skip
        finally:
            model.gradient_method, model.executor = saved
        self._record("optimize", "model_weights", "plaintext", CLASSICAL, USER, "trusted")
        self.train_seconds += time.perf_counter() - start
        return history

    def _epoch_hook(
        self, on_epoch: Callable[[dict[str, float]], None] | None
    ) -> Callable[[dict[str, float]], None]:
        trust = self.classical.trust.value

        def hook(row: dict[str, float]) -> None:
            # (5)-(6) loss values and gradients live on the classical cloud each epoch
            self._record("loss", "loss_values", "plaintext", CLASSICAL, CLASSICAL, trust)
            self._record("gradient", "gradients", "plaintext", CLASSICAL, CLASSICAL, trust)
            if on_epoch is not None:
                on_epoch(row)

        return hook

    def _record(
        self,
        step: str,
        asset: str,
        form: str,
        sender: str,
        receiver: str,
        trust: str,
        count: int = 1,
    ) -> None:
        self.ledger.record(step, asset, form, sender, receiver, trust, count=max(1, int(count)))

    def executor(self, *, step: str = "execute", submitter: str = CLASSICAL) -> CloudExecutor:
        """A cloud executor for the fitted classifier's circuit on this pipeline's device."""
        return CloudExecutor(
            self.quantum,
            self.classifier.model_.compiled,
            device=self.device,
            shots=self.shots,
            tenant=self.tenant,
            seed=derive_seed(self.seed, "jobs", step),
            step=step,
            submitter=submitter,
            submitter_trust=self.classical.trust.value if submitter == CLASSICAL else "trusted",
        )

    # -- evaluation and deployment -----------------------------------------------------
    def score(self, X: np.ndarray, y: np.ndarray, *, on_cloud: bool = True) -> float:
        """Accuracy on ``(X, y)``; by default with circuits executed on the quantum cloud."""
        endpoint = self.deploy() if on_cloud else None
        if endpoint is None:
            return self.classifier.score(X, y)
        labels = endpoint.query(X, output="labels").values
        return float(np.mean(self.classifier.classes_[labels] == np.asarray(y)))

    def deploy(self, *, model_id: str = "default", shots: int | None = -1) -> Any:
        """The inference endpoint (pre-process -> encode -> transpile -> execute -> post-process)."""
        from qmlsec.cloud.inference import InferenceEndpoint

        return InferenceEndpoint(
            self.classifier,
            model_id=model_id,
            device=self.device,
            shots=self.shots if shots == -1 else shots,
            quantum=self.quantum if self.device != "ideal" else None,
            classical=self.classical,
            ledger=self.ledger,
            seed=derive_seed(self.seed, "inference"),
        )

    def summary(self) -> dict[str, Any]:
        """Cost account, ledger size and training time, JSON-ready."""
        return {
            "device": self.device,
            "shots": self.shots,
            "gradient": self.classifier.gradient,
            "seed": self.seed,
            "train_seconds": self.train_seconds,
            "cost": self.cost.summary(),
            "ledger_entries": len(self.ledger),
        }


class _LazyExecutor:
    """Defers building the cloud executor until the classifier has compiled its circuit."""

    def __init__(self, pipeline: QMLaaSPipeline) -> None:
        self.pipeline = pipeline
        self._inner: CloudExecutor | None = None
        self.phase = "forward"

    def __call__(self, angles: torch.Tensor) -> torch.Tensor:
        if self._inner is None:
            self._inner = self.pipeline.executor()
        self._inner.phase = self.phase
        return self._inner(angles)
