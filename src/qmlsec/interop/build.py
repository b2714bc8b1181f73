"""Assemble an imported model, check it against its source, and deploy it.

:func:`assemble` turns the pieces an importer extracted (circuit over ``x``/``theta``,
readout, trained weights, head, pre-processing) into an
:class:`~qmlsec.models.imported.ImportedClassifier` and checks that it computes what the
source framework computes: both evaluate the same sample inputs in exact (state-vector)
mode and every output must agree within ``tolerance`` (1e-8 by default). A larger
deviation refuses the import with a :class:`~qmlsec.exceptions.CircuitError` naming it.

:func:`deploy` wraps the model in a :class:`~qmlsec.cloud.deployment.Deployment` (the
dataset it is assessed on, the device, shots and trust levels) and saves it, so every
command that takes ``--deployment DIR`` acts on it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from qiskit import QuantumCircuit

from qmlsec.cloud.deployment import Deployment, DeploymentSpec, parse_spec
from qmlsec.config import derive_seed
from qmlsec.data import load_dataset, parse_classes, split
from qmlsec.exceptions import CircuitError, ConfigError
from qmlsec.interop.classical import head_records
from qmlsec.models.imported import (
    AffinePreprocessing,
    ImportedClassifier,
    ImportedSpec,
    Output,
)

TOLERANCE = 1e-8
SAMPLES = 32


def assemble(
    *,
    circuit: QuantumCircuit,
    readout: Sequence[Sequence[tuple[str, float]]],
    theta: Any,
    source: str,
    reference: Callable[[np.ndarray], np.ndarray],
    sample_inputs: np.ndarray,
    head: torch.nn.Module | None = None,
    preprocessing: AffinePreprocessing | None = None,
    output: Output = "logits",
    classes: Sequence[Any] | None = None,
    tolerance: float = TOLERANCE,
    seed: int = 0,
    feature_terms: Sequence[Any] | None = None,
) -> ImportedClassifier:
    """The imported classifier, checked against ``reference`` (the source's outputs).

    Args:
        circuit: standard gates over ParameterVectors ``x`` and ``theta``.
        readout: one ``[(label, coeff), ...]`` per quantum output.
        theta: the trained circuit weights (``theta`` order).
        source: where the model came from (recorded).
        reference: raw inputs ``(n, d)`` -> the source framework's outputs ``(n, k)``.
        sample_inputs: raw inputs to compare on.
        head, preprocessing, output, classes: see :class:`ImportedClassifier`.
        tolerance: largest accepted absolute deviation of any output.
        seed: the run seed (retraining).
        feature_terms: the circuit's ``x`` from the features, when it is not the features
            (see :func:`~qmlsec.interop.circuit.normalise_with_terms`).

    Raises:
        CircuitError: the outputs disagree by more than ``tolerance``.
        ConfigError: weights or head of the wrong shape.
    """
    records, state = head_records(head)
    spec = ImportedSpec.from_circuit(
        circuit, readout, source=source, head=records, output=output, feature_terms=feature_terms
    )
    theta_arr = np.asarray(theta, dtype=np.float64).reshape(-1)
    if theta_arr.size != spec.n_weights:
        raise ConfigError(
            f"the model has {theta_arr.size} trained weights but its circuit takes {spec.n_weights}",
            hint="pass the weights the circuit was trained with",
        )
    if preprocessing is None:
        preprocessing = AffinePreprocessing(spec.n_inputs)
    if preprocessing.n_features_out != spec.n_inputs:
        raise ConfigError(
            f"the pre-processing yields {preprocessing.n_features_out} features but the circuit "
            f"takes {spec.n_inputs} inputs",
            hint="pass the pre-processing the model was trained with",
        )
    clf = ImportedClassifier(architecture=spec, classes=classes, preprocessing=preprocessing,
                             random_state=seed).restore(theta=theta_arr, head=state)  # fmt: skip
    clf.agreement_ = check_agreement(clf, reference, sample_inputs, tolerance, source)
    return clf


def check_agreement(
    clf: ImportedClassifier,
    reference: Callable[[np.ndarray], np.ndarray],
    inputs: np.ndarray,
    tolerance: float,
    source: str,
) -> dict[str, Any]:
    """Max absolute deviation between the imported model and its source on ``inputs``."""
    inputs = np.asarray(inputs, dtype=np.float64)
    ours = clf.outputs(inputs)
    theirs = np.asarray(reference(inputs), dtype=np.float64).reshape(ours.shape[0], -1)
    if theirs.shape != ours.shape:
        raise CircuitError(
            f"{source} returns outputs of shape {theirs.shape[1:]}, the import {ours.shape[1:]}",
            hint="check the model's observables, interpret function and head",
        )
    dev = float(np.max(np.abs(ours - theirs)))
    if not dev <= tolerance:
        raise CircuitError(
            f"the imported model disagrees with {source}: max |deviation| = {dev:.3g} over "
            f"{len(inputs)} inputs x {ours.shape[1]} outputs (tolerance {tolerance:g})",
            hint="the model uses an operation whose conversion is not exact; report it with "
            "the model, or check that the weights belong to this circuit",
        )
    return {"source": source, "n_inputs": int(len(inputs)), "n_outputs": int(ours.shape[1]),
            "max_abs_deviation": dev, "tolerance": tolerance}  # fmt: skip


def sample_inputs(
    dataset: str | None, classes: Any, n_features: int | None, seed: int
) -> np.ndarray:
    """:data:`SAMPLES` raw inputs: the dataset's first test samples, else seeded normals."""
    if dataset:
        train, test = split(load_dataset(dataset, classes=classes, seed=seed), seed=seed)
        X = np.concatenate([test.X, train.X])[:SAMPLES]
        if n_features is not None and X.shape[1] != n_features:
            raise ConfigError(
                f"dataset {dataset!r} has {X.shape[1]} features, the model takes {n_features}",
                hint="pass the dataset the model was trained on",
            )
        return np.asarray(X, dtype=np.float64)
    if n_features is None:
        raise ConfigError("the number of input features is unknown", hint="pass a dataset")
    rng = np.random.default_rng(derive_seed(seed, "agreement"))
    return rng.normal(size=(SAMPLES, n_features))


def deployment_settings(
    *,
    dataset: str,
    classes: str | None = None,
    test_size: float = 0.25,
    seed: int = 0,
    device: str = "fake_guadalupe",
    shots: int | None = None,
    classical_trust: str = "trusted",
    quantum_trust: str = "honest-but-curious",
    serving: str = "simulation",
    tenant: str = "victim",
) -> DeploymentSpec:
    """The deployment an imported model is served in (validated)."""
    chosen = parse_classes(classes) if classes else None
    return parse_spec({
        "seed": seed, "tenant": tenant, "serving": serving,
        "classical": {"trust": classical_trust},
        "quantum": {"trust": quantum_trust, "device": device, "shots": shots},
        "dataset": {"name": str(dataset), "classes": list(chosen) if chosen else None,
                    "test_size": test_size, "seed": seed},
    }, "deployment settings")  # fmt: skip


def deploy(clf: ImportedClassifier, settings: DeploymentSpec, out: str | Path) -> Deployment:
    """Save ``clf`` in a deployment at ``out`` and return the reloaded, verified one.

    Raises:
        DataError: the dataset's labels are not the model's classes.
    """
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ConfigError(f"--out {out} exists and is not an empty directory",
                          hint="choose a new directory for the deployment")  # fmt: skip
    deployment = Deployment(settings, clf)
    train, test = deployment.split()
    labels = np.unique(np.concatenate([train.y, test.y]))
    clf.class_index(labels)  # DataError naming a label the model does not know
    meta = {"imported": dict(getattr(clf, "agreement_", {}))}
    deployment.save(out, metadata=meta)
    return Deployment.load(out)
