"""The classical cloud's storage of a deployment: the files data-at-rest attacks act on.

In the QMLaaS training workflow (SoK on QMLaaS security, arXiv:2408.09562, step 1) the
user uploads raw training data and labels to the classical cloud, which pre-processes
them and keeps the trained model to serve it. :class:`ClassicalStore` lays these out as
files in a directory, in the formats the rest of qmlsec reads:

``model/``
    the model artifact exactly as :meth:`~qmlsec.cloud.deployment.Deployment.save`
    writes it (:func:`~qmlsec.models.persist.save_classifier`: a manifest with the
    sha256 of every file, the weights, the circuit as OpenQASM 3);
``data/train.npz``
    the training upload: raw features ``X`` and labels ``y`` (NumPy, no pickle);
``data/features.npz``
    the circuit inputs the classical cloud computed from the upload (its pre-processing
    and the QNN's feature map), which every training job carries.

The victim's own service reads the store back (:meth:`ClassicalStore.load_model`,
:meth:`ClassicalStore.load_training`), so an attacker who copies, encrypts or deletes
these files acts on what the service really uses. :meth:`ClassicalStore.stage` writes
the store of a fitted model and its training split into a fresh directory (the
testbed's stand-in for the cloud's object store).

Example:
    >>> import tempfile
    >>> from qmlsec.testing.victims import small_victim
    >>> v = small_victim()
    >>> store = ClassicalStore.stage(v.model, v.x_train, v.y_train, tempfile.mkdtemp())
    >>> [p.name for p in store.files("data")]
    ['features.npz', 'train.npz']
    >>> store.load_model().predict(v.x_test[:3]).tolist() == v.model.predict(v.x_test[:3]).tolist()
    True
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qmlsec.attacks.inference.state_prep_theft import circuit_inputs
from qmlsec.exceptions import DataError
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier, save_classifier

MODEL_DIR = "model"
TRAIN_FILE = "data/train.npz"
FEATURES_FILE = "data/features.npz"


@dataclass(frozen=True)
class ClassicalStore:
    """A deployment's files on the classical cloud, under ``root``."""

    root: Path

    @classmethod
    def stage(
        cls, model: QNNClassifier, x_train: np.ndarray, y_train: np.ndarray, root: str | Path
    ) -> ClassicalStore:
        """Write the store of ``model`` and its training upload into ``root``."""
        store = cls(Path(root))
        save_classifier(model, store.root / MODEL_DIR)
        (store.root / TRAIN_FILE).parent.mkdir(parents=True, exist_ok=True)
        x, y = np.asarray(x_train, dtype=np.float64), np.asarray(y_train)
        np.savez(store.root / TRAIN_FILE, X=x, y=y)
        np.savez(store.root / FEATURES_FILE, inputs=circuit_inputs(model, x), y=y)
        return store

    def files(self, part: str | None = None) -> list[Path]:
        """Every stored file (or those under ``part``: ``model`` or ``data``), sorted."""
        base = self.root if part is None else self.root / part
        return sorted(p for p in base.rglob("*") if p.is_file())

    def load_model(self) -> QNNClassifier:
        """The served model, loaded and verified from ``model/`` (what a worker does on start).

        Raises:
            ArtifactError: the artifact is missing, unreadable or does not verify.
        """
        return load_classifier(self.root / MODEL_DIR)

    def load_training(self) -> tuple[np.ndarray, np.ndarray]:
        """The raw training upload ``(X, y)`` (what a retraining job reads first).

        Raises:
            DataError: the file is missing or not a NumPy archive with ``X`` and ``y``.
        """
        data = _npz(self.root / TRAIN_FILE, ("X", "y"))
        return data["X"], data["y"]

    def load_features(self) -> tuple[np.ndarray, np.ndarray]:
        """The stored circuit inputs of the training set and their labels."""
        data = _npz(self.root / FEATURES_FILE, ("inputs", "y"))
        return data["inputs"], data["y"]


def _npz(path: Path, keys: tuple[str, ...]) -> dict[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {k: np.array(archive[k]) for k in keys}
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        raise DataError(
            f"cannot read {path.name} from the classical store: {err}",
            hint="the stored data is missing, encrypted or corrupt; restore it from a backup",
        ) from None


__all__ = ["FEATURES_FILE", "MODEL_DIR", "TRAIN_FILE", "ClassicalStore"]
