"""Saving and loading a trained classifier: exact round trip, tampering rejected."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from qmlsec.exceptions import ArtifactError
from qmlsec.models.persist import load_classifier, save_classifier


def test_round_trip_reproduces_predictions(iris_model, iris_split, tmp_path):
    _, test = iris_split
    save_classifier(iris_model, tmp_path / "m", metadata={"note": "x"})
    loaded = load_classifier(tmp_path / "m")
    np.testing.assert_array_equal(loaded.predict_proba(test.X), iris_model.predict_proba(test.X))
    assert loaded.manifest_["metadata"] == {"note": "x"}
    assert loaded.get_params() == iris_model.get_params()


def _rewrite_with_valid_hash(root, name: str, data: bytes) -> None:
    (root / name).write_bytes(data)
    manifest = json.loads((root / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    (root / "manifest.json").write_text(json.dumps(manifest))


def test_circuit_swapped_with_matching_hash_is_caught(iris_model, tmp_path):
    root = save_classifier(iris_model, tmp_path / "m")
    qasm = (root / "circuit.qasm").read_text().replace("rz(", "rx(", 1)
    _rewrite_with_valid_hash(root, "circuit.qasm", qasm.encode())
    with pytest.raises(ArtifactError, match="circuit.qasm does not match"):
        load_classifier(root)


def test_changed_weights_file_fails_hash_check(iris_model, tmp_path):
    root = save_classifier(iris_model, tmp_path / "m")
    data = bytearray((root / "weights.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (root / "weights.safetensors").write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match="weights.safetensors"):
        load_classifier(root)


def test_missing_directory_never_yields_an_untrained_model(tmp_path):
    with pytest.raises(ArtifactError):
        load_classifier(tmp_path / "nothing")
