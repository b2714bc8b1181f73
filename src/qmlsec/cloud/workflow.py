"""The QMLaaS training workflow: the six steps of the SoK (Kundu & Ghosh, arXiv:2408.09562, §3).

:class:`QMLaaSPipeline` performs each step on the objects of one
:class:`~qmlsec.cloud.deployment.Deployment` and records every hand-off in its exposure
ledger at the moment it happens:

1. **Pre-process** (``preprocess``): the user hands raw data and labels to the classical
   cloud, which fits PCA/autoencoder + scaling and keeps the reduced features.
2. **Design and encode** (``design``): the encoding circuit and the PQC are built and
   handed to whoever executes them (the quantum cloud on a device, the classical cloud's
   simulator on ``ideal``).
3. **Transpile and map** (``transpile``): the deployment's transpiler host hands the
   logical circuit to the transpiler, which maps it onto the allocated device and hands
   the native-gate circuit to the quantum cloud (cached per circuit structure).
4. **Execute and measure** (``execute``): each forward batch is one quantum-cloud job
   (shots, calibrated noise); results go back to the classical cloud.
5. **Gradients** (``gradient``): parameter-shift / SPSA / finite-difference circuits are
   jobs too (purpose ``gradient``); exact backprop exists only on ``ideal``.
6. **Optimise** (``optimize``): loss values and the Adam/AMSGrad/SGD update stay on the
   classical cloud each epoch; the trained weights go back to the user.

The executor is an argument of the training call; the pipeline never swaps or mutates
the model's attributes. :meth:`QMLaaSPipeline.finetune` continues steps 4-6 on the
device with a hardware gradient.

Example:
    >>> from qmlsec.data import load_dataset, split
    >>> from qmlsec.models.classifier import QNNClassifier
    >>> from qmlsec.cloud.deployment import Deployment, DeploymentSpec
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=1, epochs=2, lr=0.1, gradient="parameter-shift")
    >>> d = Deployment(DeploymentSpec(quantum={"device": "ideal", "shots": None}), clf)
    >>> _ = QMLaaSPipeline(d).fit(train.X, train.y)
    >>> d.ledger.steps()
    ['preprocess', 'design', 'execute', 'gradient', 'optimize']
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from qmlsec.cloud.deployment import Deployment
from qmlsec.cloud.executor import CloudExecutor
from qmlsec.cloud.parties import Asset, Party
from qmlsec.config import derive_seed
from qmlsec.exceptions import ConfigError
from qmlsec.gradients import get_gradient
from qmlsec.models.training import TrainingConfig

USER, CLASSICAL, QUANTUM = Party.USER, Party.CLASSICAL_CLOUD, Party.QUANTUM_CLOUD


class QMLaaSPipeline:
    """Train a deployment's classifier through its classical and quantum cloud.

    Args:
        deployment: the deployment (its model is the unfitted or fitted classifier; its
            quantum settings give device, shots and providers; its ledger and cost
            account receive every record).
    """

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.train_seconds = 0.0

    @property
    def on_device(self) -> bool:
        """Whether training circuits run as quantum-cloud jobs.

        ``backprop`` needs the state vector, which a quantum cloud never returns: such a
        model is trained in the classical cloud's exact simulation (and served on the
        deployment's device afterwards); every hardware gradient runs its circuits as
        jobs on the deployment's device.
        """
        return self.deployment.model.gradient != "backprop"

    # -- the six training steps ---------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> QMLaaSPipeline:
        """Run steps 1-6 on ``(X, y)`` and return the pipeline."""
        start = time.perf_counter()
        clf = self.deployment.model
        # (1) raw data and labels go to the classical cloud, which pre-processes them
        self._record("preprocess", Asset.RAW_DATA, "plaintext", USER, CLASSICAL, len(X))
        self._record("preprocess", Asset.LABELS, "plaintext", USER, CLASSICAL, len(y))
        features, y_idx = clf.fit_preprocessing(X, y)
        self._record("preprocess", Asset.REDUCED_FEATURES, "plaintext", CLASSICAL, CLASSICAL,
                     len(X))  # fmt: skip
        # (2) the encoding and the PQC are built and handed to who executes them
        clf.init_model()
        runner = QUANTUM if self.on_device else CLASSICAL
        for asset in (Asset.ENCODING_CIRCUIT, Asset.PQC_ARCHITECTURE):
            self._record("design", asset, "parameterised circuit", CLASSICAL, runner)
        # (3) transpile and map onto the device, (4)-(6) execute, gradients, optimise
        executor = self.executor() if self.on_device else None
        if executor is not None:
            self.transpile()
        clf.train(features, y_idx, executor=executor, on_epoch=self._epoch_hook(on_epoch))
        self._record("optimize", Asset.MODEL_WEIGHTS, "plaintext", CLASSICAL, USER)
        self.train_seconds = time.perf_counter() - start
        return self

    def transpile(self) -> None:
        """Step 3: map the QNN circuit onto the deployment's device (cached for every job).

        The transpiler runs at the deployment's ``transpiler_host``; on ``ideal`` there is
        nothing to map.
        """
        d = self.deployment
        if d.device == "ideal":
            return
        host = Party(d.spec.transpiler_host)
        compiled = d.model.model_.compiled
        self._record("transpile", Asset.LOGICAL_CIRCUIT, "parameterised circuit", host,
                     Party.TRANSPILER)  # fmt: skip
        backend = d.quantum.backend(d.quantum.pool[0])
        plan = getattr(backend, "plan", None)
        if plan is not None:
            plan(compiled.expanded_circuit(), list(compiled.observables), d.shots)
        self._record("transpile", Asset.TRANSPILED_CIRCUIT, f"native-gate circuit for {d.device}",
                     Party.TRANSPILER, QUANTUM)  # fmt: skip

    def finetune(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        epochs: int,
        lr: float,
        batch_size: int,
        gradient: str = "spsa",
        spsa_c: float = 0.15,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> list[dict[str, float]]:
        """Continue training the fitted classifier with circuits on the deployment's device.

        Steps 3-6 on ``(X, y)``: every forward circuit and every ``gradient`` circuit
        (SPSA with perturbation ``spsa_c``, parameter shift or finite differences) is a
        job on the quantum cloud, in the ledger and the cost account. The pre-processing
        fitted before is kept; the classifier's own gradient setting is not changed.
        Returns the fine-tuning history, one row per epoch.
        """
        d = self.deployment
        clf = d.model
        if not hasattr(clf, "model_"):
            raise ConfigError("fine-tuning needs a fitted classifier", hint="call fit() first")
        if d.device == "ideal" or gradient == "backprop":
            raise ConfigError(
                f"fine-tuning runs on a device with a hardware gradient, got device "
                f"{d.device!r} and gradient {gradient!r}",
                hint="deploy on a fake device and fine-tune with gradient='spsa'",
            )
        options = {"c": spsa_c, "seed": derive_seed(d.spec.seed, "finetune-spsa")}
        method = get_gradient(gradient, **(options if gradient == "spsa" else {}))
        start = time.perf_counter()
        features = torch.as_tensor(clf.preprocessing_.transform(X), dtype=torch.float64)
        target = torch.as_tensor(clf.class_index(y), dtype=torch.long)
        config = TrainingConfig.model_validate(
            {"lr": lr, "epochs": epochs, "batch_size": batch_size}
        )
        executor = self.executor(stream="finetune")
        self.transpile()
        history = clf.train(features, target, executor=executor, gradient=method, config=config,
                            seed=derive_seed(d.spec.seed, "finetune"),
                            on_epoch=self._epoch_hook(on_epoch))  # fmt: skip
        self._record("optimize", Asset.MODEL_WEIGHTS, "plaintext", CLASSICAL, USER)
        self.train_seconds += time.perf_counter() - start
        return history

    def _epoch_hook(
        self, on_epoch: Callable[[dict[str, float]], None] | None
    ) -> Callable[[dict[str, float]], None]:
        def hook(row: dict[str, float]) -> None:
            if not self.on_device:
                # the classical cloud simulated the circuits and back-propagated
                self._record("execute", Asset.BOUND_PARAMETERS, "simulated state vector",
                             CLASSICAL, CLASSICAL)  # fmt: skip
                self._record("gradient", Asset.GRADIENTS, "backprop through the simulator",
                             CLASSICAL, CLASSICAL)  # fmt: skip
            # (6) the loss and the optimiser update live on the classical cloud
            self._record("optimize", Asset.LOSS_VALUES, "plaintext", CLASSICAL, CLASSICAL)
            self._record("optimize", Asset.GRADIENTS, "aggregated for the optimiser",
                         CLASSICAL, CLASSICAL)  # fmt: skip
            if on_epoch is not None:
                on_epoch(row)

        return hook

    def _record(
        self, step: str, asset: Asset, form: str, sender: Party, receiver: Party, count: int = 1
    ) -> None:
        d = self.deployment
        d.ledger.record(step, asset, form, sender, receiver, d.trust_of(receiver),
                        count=max(1, int(count)))  # fmt: skip

    def executor(self, *, stream: str = "train") -> CloudExecutor:
        """A cloud executor for the fitted classifier's circuit on the deployment's device."""
        d = self.deployment
        return CloudExecutor(
            d.quantum,
            d.model.model_.compiled,
            device=d.device,
            shots=d.shots,
            tenant=d.spec.tenant,
            seed=derive_seed(d.spec.seed, "jobs", stream),
            step="execute",
            submitter=CLASSICAL,
            submitter_trust=d.trust_of(CLASSICAL).value,
        )

    # -- evaluation ------------------------------------------------------------------------
    def score(self, X: np.ndarray, y: np.ndarray, *, on_cloud: bool = True) -> float:
        """Accuracy on ``(X, y)``; by default answered by the deployment's endpoint."""
        clf = self.deployment.model
        if not on_cloud:
            return clf.score(X, y)
        labels = self.deployment.endpoint().query(X, output="labels").values
        return float(np.mean(clf.classes_[labels] == np.asarray(y)))

    def summary(self) -> dict[str, Any]:
        """Cost account, ledger size and training time, JSON-ready."""
        d = self.deployment
        return {
            "device": d.device,
            "shots": d.shots,
            "gradient": d.model.gradient,
            "seed": d.spec.seed,
            "train_seconds": self.train_seconds,
            "cost": d.cost.summary(),
            "ledger_entries": len(d.ledger),
        }
