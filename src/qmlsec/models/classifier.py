"""``QNNClassifier``: a scikit-learn style classifier around the hybrid QNN.

It owns the whole pipeline of the QMLaaS paper's Fig. 1: raw features -> pre-processing
(PCA or autoencoder, then scaling into rotation angles) -> encoding + PQC -> <Z_i> ->
head -> class probabilities.

**Readout and head** (``readout``, ``head``, ``head_scale``). ``readout`` lists the
measured observables as Qiskit Pauli labels (default ``Z`` on every qubit, as in the
QMLaaS SoK's Fig. 1); ``head="linear"`` (default) maps them to class logits with a
trainable linear layer, ``head="none"`` uses the expectations themselves as the class
scores, the setting of many QNN papers (Farhi & Neven, arXiv:1802.06002; Schuld,
Bocharov, Svore, Wiebe, PRA 101, 032308): with ``readout=("...Z",)`` and two classes
the prediction is the sign of ``⟨Z₀⟩`` (class 0 for ``⟨Z₀⟩ > 0``); with one observable
per class the largest expectation wins. ``head_scale`` multiplies the expectations
before the softmax of the cross-entropy (a fixed temperature; predictions do not
depend on it). From the CLI: ``qmlsec train --readout IIZ --head none``. :meth:`QNNClassifier.loss_gradient` differentiates
through all of it, so white-box attacks work on raw features.

Example:
    >>> from qmlsec.data import load_dataset, split
    >>> train, test = split(load_dataset("iris"), test_size=0.3, seed=0)
    >>> clf = QNNClassifier(n_qubits=4, layers=2, epochs=15, lr=0.1, random_state=0)
    >>> clf.fit(train.X, train.y).score(test.X, test.y) > 0.8
    True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from qmlsec.circuits import QNNSpec
from qmlsec.config import derive_seed
from qmlsec.data import PreprocessingPipeline, make_pipeline
from qmlsec.exceptions import ConfigError, DataError
from qmlsec.models.hybrid import HEADS, ExpectationHead, HybridQNN
from qmlsec.models.training import TrainingConfig, train_module

_SPEC_KEYS = ("n_qubits", "layers", "encoding", "rotation", "ansatz", "entanglement", "readout")
_HEAD_KEYS = ("head", "head_scale")
_PRE_KEYS = ("reduction", "scaling", "feature_range")
_TRAIN_KEYS = ("optimizer", "lr", "epochs", "batch_size", "early_stopping", "patience")


class QNNClassifier:
    """Hybrid quantum neural network classifier with the scikit-learn interface.

    Args:
        n_qubits: qubits of the PQC (= features after reduction for angle encoding).
        layers: ansatz layers.
        encoding, rotation, ansatz, entanglement: see :class:`~qmlsec.circuits.QNNSpec`.
        readout: Pauli labels of the measured observables in Qiskit order (``"IIZ"``
            is Z on qubit 0); default Z on every qubit.
        head: ``linear`` (trainable linear layer) or ``none`` (expectations as class
            scores; see the module docstring).
        head_scale: the fixed logit scale of ``head="none"``.
        reduction, scaling, feature_range: see
            :class:`~qmlsec.data.PreprocessingConfig`.
        optimizer, lr, epochs, batch_size, early_stopping, patience: see
            :class:`~qmlsec.models.training.TrainingConfig`.
        gradient: ``backprop``, ``parameter-shift``, ``spsa`` or ``finite-diff``.
        shots: ``None`` for exact expectations, else shots per circuit.
        random_state: the run seed (data order, initial weights, shots, autoencoder).

    Attributes (after ``fit``):
        classes_: the original labels, in index order.
        preprocessing_: the fitted :class:`~qmlsec.data.PreprocessingPipeline`.
        model_: the trained :class:`~qmlsec.models.hybrid.HybridQNN`.
        history_: one dict per epoch (loss, accuracies, seconds).
        manifest_: the artifact manifest, on a model loaded from disk.
    """

    manifest_: dict[str, Any]

    def __init__(
        self,
        *,
        n_qubits: int = 8,
        layers: int = 3,
        encoding: str = "angle",
        rotation: str = "Z",
        ansatz: str = "hardware_efficient",
        entanglement: str = "ring",
        readout: tuple[str, ...] | None = None,
        head: str = "linear",
        head_scale: float = 1.0,
        reduction: str = "pca",
        scaling: str = "minmax",
        feature_range: tuple[float, float] | None = None,
        optimizer: str = "adam",
        lr: float = 0.05,
        epochs: int = 40,
        batch_size: int = 32,
        early_stopping: bool = False,
        patience: int = 5,
        gradient: str = "backprop",
        shots: int | None = None,
        random_state: int = 0,
    ) -> None:
        self.n_qubits = n_qubits
        self.layers = layers
        self.encoding = encoding
        self.rotation = rotation
        self.ansatz = ansatz
        self.entanglement = entanglement
        self.readout = None if readout is None else tuple(readout)
        self.head = head
        self.head_scale = head_scale
        self.reduction = reduction
        self.scaling = scaling
        self.feature_range = feature_range
        self.optimizer = optimizer
        self.lr = lr
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.patience = patience
        self.gradient = gradient
        self.shots = shots
        self.random_state = random_state

    # -- scikit-learn plumbing -------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        keys = (*_SPEC_KEYS, *_HEAD_KEYS, *_PRE_KEYS, *_TRAIN_KEYS, "gradient", "shots",
                "random_state")  # fmt: skip
        return {k: getattr(self, k) for k in keys}

    def set_params(self, **params: Any) -> QNNClassifier:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ConfigError(f"unknown parameter {key!r}", hint=f"valid: {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def spec(self) -> QNNSpec:
        """The circuit spec these parameters describe."""
        return QNNSpec(**{k: getattr(self, k) for k in _SPEC_KEYS})

    def head_module_check(self, n_classes: int) -> None:
        """Refuse a head that cannot produce ``n_classes`` scores, before any work."""
        if self.head not in HEADS:
            raise ConfigError(f"unknown head {self.head!r}", hint="use 'linear' or 'none'")
        if self.head == "none":
            ExpectationHead(len(self.spec().observables()), n_classes, self.head_scale)

    def training_config(self) -> TrainingConfig:
        return TrainingConfig(**{k: getattr(self, k) for k in _TRAIN_KEYS})

    # -- fitting ---------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        *,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> QNNClassifier:
        """Fit pre-processing on ``X`` and train the QNN with the local engine.

        The three stages are public so a workflow can run (and record) them one by one
        and pass its own circuit executor: :meth:`fit_preprocessing`,
        :meth:`init_model`, :meth:`train`.

        Args:
            X: raw training features ``(n, d)``.
            y: labels ``(n,)``.
            on_epoch: called with each epoch's history row (progress bars).
        """
        features, y_idx = self.fit_preprocessing(X, y)
        self.init_model()
        self.train(features, y_idx, on_epoch=on_epoch)
        return self

    def fit_preprocessing(self, X: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Fit the classes and the pre-processing; return the reduced features and class indices."""
        X, y = _check_xy(X, y)
        self.classes_, y_idx = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise DataError(
                "need at least 2 classes to train a classifier", hint="check the labels"
            )
        self.preprocessing_ = make_pipeline(
            reduction=self.reduction,
            n_components=self.spec().n_inputs,
            scaling=self.scaling,
            feature_range=self.feature_range,
        ).fit(X, seed=derive_seed(self.random_state, "preprocessing"))
        features = torch.as_tensor(self.preprocessing_.transform(X), dtype=torch.float64)
        return features, torch.as_tensor(y_idx, dtype=torch.long)

    def init_model(self) -> HybridQNN:
        """Build the untrained QNN (encoding + PQC compiled, initial weights) for the classes."""
        if not hasattr(self, "classes_"):
            raise ConfigError("fit the pre-processing first", hint="call fit_preprocessing(X, y)")
        self.model_ = HybridQNN(
            self.spec(),
            n_classes=len(self.classes_),
            gradient=self.gradient,
            shots=self.shots,
            seed=derive_seed(self.random_state, "model"),
            head=self.head,
            head_scale=self.head_scale,
        )
        self.history_: list[dict[str, float]] = []
        return self.model_

    def train(
        self,
        features: torch.Tensor,
        y_idx: torch.Tensor,
        *,
        executor: Any = None,
        gradient: Any = None,
        config: TrainingConfig | None = None,
        seed: int | None = None,
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> list[dict[str, float]]:
        """Train (or continue training) the QNN on pre-processed ``features``.

        Args:
            features, y_idx: from :meth:`fit_preprocessing`.
            executor: runs the forward and gradient circuits elsewhere (a quantum
                cloud); default the local engine. The model does not keep it.
            gradient: a gradient method for this training only (default the model's).
            config: training settings (default this classifier's).
            seed: batch-order seed (default derived from ``random_state``).
            on_epoch: called with each epoch's history row.

        Returns:
            the history of this training, also appended to ``history_``.
        """
        self._check_fitted()
        model = self.model_

        def forward(x: torch.Tensor) -> torch.Tensor:
            return model(x, executor=executor, gradient=gradient)

        history = train_module(
            model, features, y_idx, config or self.training_config(),
            seed=derive_seed(self.random_state, "training") if seed is None else seed,
            on_epoch=on_epoch, forward=forward,
        )  # fmt: skip
        self.history_ = [*self.history_, *history]
        return history

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ConfigError(
                "this QNNClassifier is not fitted",
                hint="call fit(X, y) first or load a trained model with qmlsec.models.persist.load_classifier(path)",
            )

    # -- inference -------------------------------------------------------------------
    def _forward(self, X: np.ndarray | torch.Tensor) -> torch.Tensor:
        self._check_fitted()
        x = X if torch.is_tensor(X) else torch.as_tensor(np.array(X, dtype=np.float64))
        if x.ndim != 2 or x.shape[1] != self.preprocessing_.n_features_in:
            raise DataError(
                f"expected inputs of shape (n, {self.preprocessing_.n_features_in}), got {tuple(x.shape)}",
                hint="pass raw features with the same columns as the training data",
            )
        return self.model_(self.preprocessing_.torch_transform(x.to(torch.float64)))

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        """Logits ``(n, n_classes)``."""
        with torch.no_grad():
            return self._forward(X).numpy()

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, n_classes)``."""
        with torch.no_grad():
            return torch.softmax(self._forward(X), dim=1).numpy()

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Predicted labels (original label values)."""
        self._check_fitted()
        return self.classes_[self.decision_function(X).argmax(axis=1)]

    def score(self, X: np.ndarray, y: np.ndarray) -> float:
        """Mean accuracy on ``(X, y)``."""
        return float(np.mean(self.predict(X) == np.asarray(y)))

    def expectations(self, X: np.ndarray) -> np.ndarray:
        """The PQC's readout expectation values ``(n, n_observables)``."""
        self._check_fitted()
        with torch.no_grad():
            feats = self.preprocessing_.torch_transform(
                torch.as_tensor(np.array(X, dtype=np.float64))
            )
            return self.model_.quantum_features(feats).numpy()

    def loss_gradient(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradient of the per-sample cross-entropy w.r.t. the raw features ``X``."""
        self._check_fitted()
        x = torch.as_tensor(np.array(X, dtype=np.float64)).requires_grad_(True)
        target = torch.as_tensor(self.class_index(y), dtype=torch.long)
        loss = torch.nn.functional.cross_entropy(self._forward(x), target, reduction="sum")
        (grad,) = torch.autograd.grad(loss, x)
        return grad.numpy()

    def class_index(self, y: np.ndarray) -> np.ndarray:
        """Map original labels to class indices ``0..C-1``."""
        self._check_fitted()
        y = np.asarray(y)
        idx = np.searchsorted(self.classes_, y)
        bad = (idx >= len(self.classes_)) | (
            self.classes_[np.minimum(idx, len(self.classes_) - 1)] != y
        )
        if bad.any():
            raise DataError(
                f"unknown label {y[bad][0]!r}", hint=f"known labels: {self.classes_.tolist()}"
            )
        return idx

    def _restore(
        self, preprocessing: PreprocessingPipeline, model: HybridQNN, classes: np.ndarray
    ) -> None:
        self.preprocessing_, self.model_, self.classes_ = preprocessing, model, classes
        self.history_ = []


def _check_xy(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    if X.ndim != 2:
        raise DataError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"y must be 1-D with {len(X)} labels, got shape {y.shape}")
    if not np.isfinite(X).all():
        raise DataError("X contains NaN or infinite values", hint="clean or impute the data first")
    return X, y
