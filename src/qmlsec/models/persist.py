"""Save and load a trained :class:`~qmlsec.models.classifier.QNNClassifier`.

The artifact (see :mod:`qmlsec.models.artifact`) holds the manifest (spec, classifier
parameters, pre-processing config, classes, seed, metrics), the QNN weights in
safetensors, the pre-processing arrays in ``.npz`` and the PQC in OpenQASM 3. On load the
circuit is rebuilt from the spec and must match the stored OpenQASM exactly, so a
tampered circuit file is caught even if its hash was recomputed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from pydantic import ValidationError
from qiskit import qasm3

from qmlsec.circuits import QNNSpec
from qmlsec.data import PreprocessingPipeline
from qmlsec.exceptions import ArtifactError
from qmlsec.models.artifact import load_artifact, save_artifact
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.hybrid import HybridQNN
from qmlsec.models.imported import KIND as IMPORTED_KIND
from qmlsec.models.imported import ImportedClassifier, load_imported, save_imported

KIND = "qnn-classifier"
_PRE_PREFIX = "pre."


def save_classifier(
    clf: QNNClassifier,
    path: str | Path,
    *,
    metadata: dict[str, Any] | None = None,
    extra_files: dict[str, bytes] | None = None,
) -> Path:
    """Write ``clf`` (fitted) to the artifact directory ``path``."""
    if isinstance(clf, ImportedClassifier):
        return save_imported(clf, path, metadata=metadata, extra_files=extra_files)
    clf._check_fitted()
    pre_config, pre_arrays = clf.preprocessing_.to_state()
    classes = np.asarray(clf.classes_)
    manifest = {
        "kind": KIND,
        "spec": clf.spec().model_dump(mode="json"),
        "params": {k: v for k, v in clf.get_params().items()},
        "preprocessing": pre_config,
        "classes": classes.tolist(),
        "seed": int(clf.random_state),
        "n_features_in": int(clf.preprocessing_.n_features_in),
        "metadata": dict(metadata or {}),
    }
    tensors = {k: v.detach().contiguous() for k, v in clf.model_.state_dict().items()}
    arrays = {_PRE_PREFIX + k: v for k, v in pre_arrays.items()}
    return save_artifact(
        path,
        manifest=manifest,
        tensors=tensors,
        arrays=arrays,
        qasm=qasm3.dumps(clf.model_.circuit),
        extra_files=extra_files,
    )


def load_classifier(path: str | Path) -> QNNClassifier:
    """Load and verify a classifier artifact; never returns an untrained model."""
    art = load_artifact(path)
    manifest = art.manifest
    if manifest.get("kind") == IMPORTED_KIND:
        return load_imported(art)
    if manifest.get("kind") != KIND:
        raise ArtifactError(
            f"{path}: artifact kind is {manifest.get('kind')!r}, expected {KIND!r}",
            hint="point to a directory written by `qmlsec train` or save_classifier",
        )
    try:
        spec = QNNSpec(**manifest["spec"])
        clf = QNNClassifier(**manifest["params"])
    except (KeyError, TypeError, ValidationError) as err:
        raise ArtifactError(f"{path}: manifest spec/params are invalid: {err}") from None
    model = HybridQNN(
        spec, n_classes=len(manifest["classes"]), gradient="backprop", seed=clf.random_state,
        head=clf.head, head_scale=clf.head_scale,
    )  # fmt: skip
    expected = qasm3.dumps(model.circuit)
    if art.qasm != expected:
        raise ArtifactError(
            f"{path}: circuit.qasm does not match the circuit the manifest's spec builds",
            hint="the circuit file was altered; re-export the model from a trusted source",
        )
    try:
        model.load_state_dict({k: torch.as_tensor(v) for k, v in art.tensors.items()}, strict=True)
    except RuntimeError as err:
        raise ArtifactError(f"{path}: weights do not fit the spec: {err}") from None
    model.eval()
    arrays = {k[len(_PRE_PREFIX) :]: v for k, v in art.arrays.items() if k.startswith(_PRE_PREFIX)}
    preprocessing = PreprocessingPipeline.from_state(dict(manifest["preprocessing"]), arrays)
    clf._restore(preprocessing, model, np.asarray(manifest["classes"]))
    clf.manifest_ = dict(manifest)
    return clf
