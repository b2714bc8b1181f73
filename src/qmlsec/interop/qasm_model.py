"""Import a model from files only: OpenQASM 3 circuit, weights, observables, a manifest.

The manifest (JSON or YAML, validated, unknown keys refused) names the files, relative
to its own directory::

    circuit: model.qasm            # OpenQASM 3; every parameter an `input float` declaration
    inputs: [x0, x1, x2, x3]       # the model's input parameters, in feature order
    weights:                       # the trained weights (safetensors or npz, no pickle)
      file: weights.safetensors
      key: theta                   # default: the file's only array, else "theta"
      parameters: [w0, w1, ...]    # order of the vector (default: declaration order)
    observables: [ZIII, IZII, {IIZI: 0.5, IIIZ: 0.5}]  # Qiskit Pauli labels (qubit 0 right)
    head: {file: head.npz, weight: W, bias: b}        # optional Linear(n_obs, n_classes)
    preprocessing: {file: pre.npz, mean: mean, scale: scale, projection: P}  # optional
    output: logits                 # logits | probabilities | sign
    classes: [0, 1, 2]             # optional labels of the outputs

Raw inputs are pre-processed as ``((X - mean) / scale) @ P`` (each part optional). The
agreement check evaluates the parsed circuit with ``qiskit.quantum_info.Statevector``
(expectation of each observable, then the head in NumPy), independently of the engine.
Parsing needs the ``qiskit-qasm3-import`` package (``pip install 'qmlsec[qasm]'``).
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import yaml
from pydantic import Field, ValidationError

from qmlsec.config import FrozenModel
from qmlsec.exceptions import CircuitError, ConfigError, DataError
from qmlsec.interop.build import assemble
from qmlsec.interop.circuit import normalise_with_terms, readout_of
from qmlsec.interop.extras import require
from qmlsec.models.imported import AffinePreprocessing, ImportedClassifier

_DECL = re.compile(r"^\s*input\s+(?:float|angle)(?:\s*\[\s*\d+\s*\])?\s+([A-Za-z_][\w]*)\s*;", re.M)


class WeightsFile(FrozenModel):
    file: str
    key: str | None = None
    parameters: tuple[str, ...] | None = None


class HeadFile(FrozenModel):
    file: str
    weight: str = "weight"
    bias: str | None = "bias"


class PreprocessingFile(FrozenModel):
    file: str
    mean: str | None = None
    scale: str | None = None
    projection: str | None = None


class QasmManifest(FrozenModel):
    """The manifest of a files-only model (module docstring)."""

    circuit: str
    inputs: tuple[str, ...] = Field(min_length=1)
    weights: WeightsFile | None = None
    observables: tuple[str | dict[str, float], ...] = Field(min_length=1)
    head: HeadFile | None = None
    preprocessing: PreprocessingFile | None = None
    output: Literal["logits", "probabilities", "sign"] = "logits"
    classes: tuple[int | str, ...] | None = None


def read_manifest(path: str | Path) -> QasmManifest:
    """Parse and validate a manifest file (JSON or YAML)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read manifest {path}: {err.strerror or err}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as err:
        raise ConfigError(f"{path.name} is not valid {'JSON' if path.suffix == '.json' else 'YAML'}: "
                          f"{' '.join(str(err).split())}") from None  # fmt: skip
    try:
        return QasmManifest.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise ConfigError(f"{path.name}: field '{where}': {first['msg']}",
                          hint="see `qmlsec import qasm --help` for the manifest keys") from None  # fmt: skip


def read_arrays(path: Path) -> dict[str, np.ndarray]:
    """Arrays of a ``.safetensors`` or ``.npz`` file (``allow_pickle=False``)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from None
    if path.suffix == ".safetensors":
        import safetensors.numpy

        try:
            return dict(safetensors.numpy.load(data))
        except Exception as err:  # noqa: BLE001 - safetensors raises its own types
            raise DataError(f"{path.name} is not a valid safetensors file ({err})") from None
    if path.suffix == ".npz":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                return {k: npz[k] for k in npz.files}
        except (ValueError, OSError, EOFError) as err:
            raise DataError(f"{path.name} is not a plain .npz archive ({err})") from None
    raise ConfigError(f"{path.name}: weights and arrays must be .safetensors or .npz files")


def _pick(arrays: dict[str, np.ndarray], key: str | None, default: str, where: str) -> np.ndarray:
    if key is None:
        key = next(iter(arrays)) if len(arrays) == 1 else default
    if key not in arrays:
        raise ConfigError(f"{where} has no array {key!r}", hint=f"it holds {sorted(arrays)}")
    return np.asarray(arrays[key], dtype=np.float64)


def from_qasm(
    manifest: str | Path,
    *,
    sample_inputs: np.ndarray | None = None,
    tolerance: float = 1e-8,
    seed: int = 0,
) -> ImportedClassifier:
    """Import the files-only model described by ``manifest`` (module docstring).

    Raises:
        ConfigError: bad manifest, missing file, weights or head of the wrong shape.
        CircuitError: no declared parameters, unknown input names, unsupported gates,
            disagreement beyond ``tolerance``.
    """
    manifest = Path(manifest)
    m = read_manifest(manifest)
    root = manifest.parent
    qasm3 = require("qiskit.qasm3", "qasm")
    require("qiskit_qasm3_import", "qasm")
    try:
        text = (root / m.circuit).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read circuit {m.circuit}: {err.strerror or err}") from None
    try:
        raw = qasm3.loads(text)
    except Exception as err:  # noqa: BLE001 - the importer raises several error types
        raise CircuitError(
            f"{m.circuit} is not valid OpenQASM 3: {' '.join(str(err).split())}"
        ) from None
    by_name = {p.name: p for p in raw.parameters}
    declared = [name for name in _DECL.findall(text) if name in by_name]
    if not by_name:
        raise CircuitError(
            f"{m.circuit} declares no parameters: a model needs `input float` declarations for "
            "its inputs (and weights)",
            hint="declare e.g. `input float[64] x0;` and use it in the gates",
        )
    unknown = [n for n in m.inputs if n not in by_name]
    if unknown:
        raise CircuitError(f"inputs {unknown} are not declared parameters of {m.circuit}",
                           hint=f"declared: {declared}")  # fmt: skip
    w_names = list(m.weights.parameters) if m.weights and m.weights.parameters else [
        n for n in declared if n not in m.inputs]  # fmt: skip
    missing = [n for n in w_names if n not in by_name]
    if missing:
        raise CircuitError(f"weight parameters {missing} are not declared in {m.circuit}")
    inputs = [by_name[n] for n in m.inputs]
    weights = [by_name[n] for n in w_names]
    circuit, terms = normalise_with_terms(raw, inputs, weights)
    ops = [_observable(o, circuit.num_qubits) for o in m.observables]
    readout = readout_of(ops, circuit.num_qubits)
    theta = np.zeros(0)
    if weights:
        if m.weights is None:
            raise ConfigError(f"the circuit has {len(weights)} weight parameters but the "
                              "manifest names no weights file")  # fmt: skip
        theta = _pick(read_arrays(root / m.weights.file), m.weights.key, "theta", m.weights.file)
        if theta.ndim != 1 or theta.shape[0] != len(weights):
            raise ConfigError(
                f"weights in {m.weights.file} have shape {theta.shape} but the circuit declares "
                f"{len(weights)} weight parameters",
                hint=f"store a vector of {len(weights)} values in the order {w_names[:4]}...",
            )
    head, head_np = _head(root, m.head, len(ops))
    pre = _preprocessing(root, m.preprocessing, len(inputs))
    if sample_inputs is None:
        sample_inputs = np.random.default_rng(seed).normal(size=(32, pre.n_features_in))
    observables, unitary = ops, _unitary_part(raw)

    def reference(X: np.ndarray) -> np.ndarray:
        from qiskit.quantum_info import Statevector

        feats = pre.transform(X)
        out = np.empty((len(X), len(observables)))
        for r, row in enumerate(feats):
            values = dict(zip(inputs, row, strict=True)) | dict(zip(weights, theta, strict=True))
            state = Statevector(unitary.assign_parameters(values))
            out[r] = [state.expectation_value(o).real for o in observables]
        if head_np is not None:
            out = out @ head_np[0].T + head_np[1]
        return out

    return assemble(
        circuit=circuit, readout=readout, theta=theta, source=f"qasm ({manifest.name})",
        reference=reference, sample_inputs=np.asarray(sample_inputs, dtype=np.float64),
        head=head, preprocessing=pre, output=m.output, classes=m.classes,
        tolerance=tolerance, seed=seed, feature_terms=terms,
    )  # fmt: skip


def _unitary_part(circuit: Any) -> Any:
    from qmlsec.interop.circuit import strip_final_measurements

    return strip_final_measurements(circuit)


def _observable(obs: str | dict[str, float], n: int) -> Any:
    from qiskit.quantum_info import SparsePauliOp

    terms = [(obs, 1.0)] if isinstance(obs, str) else list(obs.items())
    for label, _ in terms:
        if len(label) != n or set(label) - set("IXYZ"):
            raise ConfigError(f"observable {label!r} is not a Pauli string on {n} qubits",
                              hint="use Qiskit labels such as 'IIIZ' (Z on qubit 0)")  # fmt: skip
    return SparsePauliOp.from_list(terms)


def _head(root: Path, spec: HeadFile | None, n_obs: int) -> tuple[Any, Any]:
    if spec is None:
        return None, None
    arrays = read_arrays(root / spec.file)
    w = _pick(arrays, spec.weight, "weight", spec.file)
    b = _pick(arrays, spec.bias, "bias", spec.file) if spec.bias else np.zeros(w.shape[0])
    if w.ndim != 2 or w.shape[1] != n_obs or b.shape != (w.shape[0],):
        raise ConfigError(
            f"head weight {w.shape} / bias {b.shape} do not fit {n_obs} observables",
            hint=f"weight of shape (n_classes, {n_obs}) and bias of shape (n_classes,)",
        )
    layer = torch.nn.Linear(n_obs, w.shape[0]).double()
    with torch.no_grad():
        layer.weight.copy_(torch.as_tensor(w))
        layer.bias.copy_(torch.as_tensor(b))
    return layer, (w, b)


def _preprocessing(
    root: Path, spec: PreprocessingFile | None, n_inputs: int
) -> AffinePreprocessing:
    if spec is None:
        return AffinePreprocessing(n_inputs)
    arrays = read_arrays(root / spec.file)
    steps = []
    if spec.mean:
        steps.append(("sub", _pick(arrays, spec.mean, "mean", spec.file)))
    if spec.scale:
        steps.append(("div", _pick(arrays, spec.scale, "scale", spec.file)))
    if spec.projection:
        steps.append(("matmul", _pick(arrays, spec.projection, "projection", spec.file)))
    d = steps[0][1].shape[0] if steps else n_inputs
    pre = AffinePreprocessing(d, steps)
    if pre.n_features_out != n_inputs:
        raise ConfigError(f"the pre-processing yields {pre.n_features_out} features for "
                          f"{n_inputs} circuit inputs")  # fmt: skip
    return pre
