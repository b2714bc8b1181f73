"""Tests of model artifacts: round trip, integrity checks, atomic writes."""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np
import pytest
import safetensors.torch
import torch

from qmlsec.data.preprocess import PreprocessingPipeline, make_pipeline
from qmlsec.exceptions import ArtifactError
from qmlsec.models import artifact as art
from qmlsec.models.artifact import (
    SIGNATURE_FILE,
    artifact_digest,
    hash_directory,
    load_artifact,
    save_artifact,
    verify_artifact,
)

QASM = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[1] q;\nh q[0];\n'


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model"
    save_artifact(
        path,
        manifest={"model": "hybrid", "n_qubits": 2},
        tensors={"theta": torch.arange(6, dtype=torch.float64), "head.weight": torch.ones(2, 3)},
        arrays={"step0.mean": np.linspace(0, 1, 4), "labels": np.array([0, 1], dtype=np.int64)},
        qasm=QASM,
        extra_files={"notes.txt": b"hello"},
    )
    return path


class TestRoundTrip:
    def test_contents(self, saved):
        """Everything saved comes back equal, with dtypes."""
        loaded = load_artifact(saved)
        assert loaded.manifest["model"] == "hybrid" and loaded.manifest["n_qubits"] == 2
        assert torch.equal(loaded.tensors["theta"], torch.arange(6, dtype=torch.float64))
        assert loaded.tensors["head.weight"].dtype == torch.float32
        assert np.array_equal(loaded.arrays["step0.mean"], np.linspace(0, 1, 4))
        assert loaded.arrays["labels"].dtype == np.int64
        assert loaded.qasm == QASM and loaded.extra_files == {"notes.txt": b"hello"}

    def test_manifest_records_versions_and_hashes(self, saved):
        """The manifest lists every other file with its sha256 and the versions."""
        manifest = json.loads((saved / "manifest.json").read_text())
        hashes = hash_directory(saved)
        assert manifest["files"] == {k: v for k, v in hashes.items() if k != "manifest.json"}
        assert set(manifest["files"]) == {
            "weights.safetensors",
            "preprocessing.npz",
            "circuit.qasm",
            "notes.txt",
        }
        assert {"python", "torch", "qiskit", "numpy", "qmlsec"} <= set(manifest["versions"])
        assert manifest["format"] == "qmlsec-artifact" and manifest["format_version"] == 1
        assert manifest["created"].endswith("+00:00")

    def test_pipeline_state_round_trip(self, tmp_path):
        """A fitted pre-processing pipeline survives an artifact round trip exactly."""
        X = np.random.default_rng(0).normal(size=(40, 6))
        pipe = make_pipeline(n_components=3).fit(X)
        config, arrays = pipe.to_state()
        save_artifact(tmp_path / "m", manifest={"preprocessing": config}, tensors={}, arrays=arrays)
        loaded = load_artifact(tmp_path / "m")
        clone = PreprocessingPipeline.from_state(
            loaded.manifest["preprocessing"], dict(loaded.arrays)
        )
        assert np.array_equal(clone.transform(X), pipe.transform(X))
        assert loaded.qasm is None

    def test_overwrite_replaces_whole_artifact(self, saved):
        """Saving over an artifact replaces it: old extra files are gone."""
        save_artifact(saved, manifest={"model": "v2"}, tensors={}, arrays={})
        loaded = load_artifact(saved)
        assert loaded.manifest["model"] == "v2" and not (saved / "notes.txt").exists()
        assert [p.name for p in saved.parent.iterdir()] == ["model"]
        with pytest.raises(ArtifactError, match="already exists"):
            save_artifact(saved, manifest={}, tensors={}, arrays={}, overwrite=False)


class TestIntegrity:
    @pytest.mark.parametrize(
        "name", ["weights.safetensors", "preprocessing.npz", "circuit.qasm", "notes.txt"]
    )
    def test_tampered_file_is_named(self, saved, name):
        """Changing one byte of any file fails, naming that file."""
        data = bytearray((saved / name).read_bytes())
        data[-1] ^= 0x01
        (saved / name).write_bytes(bytes(data))
        with pytest.raises(ArtifactError, match=f"artifact file {name} does not match its sha256"):
            load_artifact(saved)

    def test_swapped_weights_with_valid_file(self, saved):
        """Replacing the weights by another valid safetensors file is detected."""
        (saved / "weights.safetensors").write_bytes(
            safetensors.torch.save({"theta": torch.zeros(6)})
        )
        with pytest.raises(ArtifactError, match="weights.safetensors does not match"):
            verify_artifact(saved)

    def test_missing_file(self, saved):
        """A listed file that is missing fails, naming it."""
        (saved / "circuit.qasm").unlink()
        with pytest.raises(ArtifactError, match="artifact file circuit.qasm is missing"):
            load_artifact(saved)

    def test_unlisted_file_policy(self, saved):
        """Unlisted files are refused by default; allow_unlisted ignores them unread."""
        (saved / "evil.npz").write_bytes(b"payload")
        with pytest.raises(ArtifactError, match=r"unlisted file\(s\) \['evil.npz'\]"):
            load_artifact(saved)
        loaded = load_artifact(saved, allow_unlisted=True)
        assert "evil.npz" not in loaded.extra_files and "evil.npz" not in loaded.arrays

    def test_signature_file_is_allowed_and_unread(self, saved):
        """The reserved signature file may sit beside the manifest."""
        digest = artifact_digest(saved)
        (saved / SIGNATURE_FILE).write_bytes(b"sig")
        assert artifact_digest(saved) == digest
        assert load_artifact(saved).manifest["model"] == "hybrid"

    def test_digest_is_manifest_hash_and_changes(self, saved, tmp_path):
        """artifact_digest is the manifest's sha256 and differs between artifacts."""
        assert artifact_digest(saved) == hash_directory(saved)["manifest.json"]
        other = save_artifact(tmp_path / "other", manifest={"model": "x"}, tensors={}, arrays={})
        assert artifact_digest(other) != artifact_digest(saved)

    @pytest.mark.parametrize(
        ("content", "match"),
        [
            (b"{not json", "manifest.json is not valid JSON"),
            (b"[]", "is not a qmlsec-artifact manifest"),
        ],
    )
    def test_bad_manifest(self, saved, content, match):
        """Unparseable or foreign manifests fail."""
        (saved / "manifest.json").write_bytes(content)
        with pytest.raises(ArtifactError, match=match):
            load_artifact(saved)

    def test_unsupported_format_version(self, saved):
        """A manifest from a future format version is refused."""
        manifest = json.loads((saved / "manifest.json").read_text())
        manifest["format_version"] = 99
        (saved / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(ArtifactError, match="unsupported artifact format_version 99"):
            load_artifact(saved)

    def test_manifest_path_escape_refused(self, saved):
        """A 'files' entry that points outside the directory is malformed."""
        manifest = json.loads((saved / "manifest.json").read_text())
        manifest["files"]["../secret"] = "0" * 64
        (saved / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(ArtifactError, match="malformed 'files' table"):
            load_artifact(saved)

    def test_object_array_with_valid_hash_is_not_unpickled(self, saved):
        """An npz holding an object array is refused even when its hash is listed."""
        buffer = io.BytesIO()
        np.savez(buffer, evil=np.array([{"a": 1}], dtype=object))
        data = buffer.getvalue()
        (saved / "preprocessing.npz").write_bytes(data)
        manifest = json.loads((saved / "manifest.json").read_text())
        manifest["files"]["preprocessing.npz"] = hashlib.sha256(data).hexdigest()
        (saved / "manifest.json").write_text(json.dumps(manifest))
        with pytest.raises(ArtifactError, match="preprocessing.npz is not a plain .npz archive"):
            load_artifact(saved)

    def test_missing_directory(self, tmp_path):
        """No directory, or no manifest, is an ArtifactError (never a fallback)."""
        with pytest.raises(ArtifactError, match="no artifact directory"):
            load_artifact(tmp_path / "nothing")
        (tmp_path / "empty").mkdir()
        with pytest.raises(ArtifactError, match="has no manifest.json"):
            load_artifact(tmp_path / "empty")


class TestSave:
    def test_refuses_foreign_directory(self, tmp_path):
        """A non-empty directory that is not an artifact is left untouched."""
        target = tmp_path / "home"
        target.mkdir()
        (target / "thesis.tex").write_text("precious")
        with pytest.raises(ArtifactError, match="refusing to overwrite"):
            save_artifact(target, manifest={}, tensors={}, arrays={})
        assert (target / "thesis.tex").read_text() == "precious"

    def test_failed_save_keeps_previous(self, saved, monkeypatch):
        """A failure mid-write keeps the old artifact and leaves no temp directory."""
        before = hash_directory(saved)

        monkeypatch.setattr(art.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
        with pytest.raises(OSError, match="disk full"):
            save_artifact(saved, manifest={"model": "new"}, tensors={}, arrays={})
        assert hash_directory(saved) == before
        assert [p.name for p in saved.parent.iterdir()] == ["model"]

    @pytest.mark.parametrize(
        ("kwargs", "match"),
        [
            ({"manifest": {"files": {}}}, "reserved"),
            ({"manifest": {"x": object()}}, "not JSON-serialisable"),
            ({"manifest": {"x": float("nan")}}, "not JSON-serialisable"),
            ({"arrays": {"a": np.array([1, "x"], dtype=object)}}, "object arrays"),
            ({"tensors": {"w": [1.0]}}, "not a named torch.Tensor"),
            ({"qasm": "OPENQASM 2.0;"}, "OpenQASM 3"),
            ({"extra_files": {"../x": b""}}, "invalid or reserved"),
            ({"extra_files": {"manifest.json": b""}}, "invalid or reserved"),
        ],
    )
    def test_invalid_inputs(self, tmp_path, kwargs, match):
        """Bad inputs raise before anything is written."""
        args = {"manifest": {}, "tensors": {}, "arrays": {}, **kwargs}
        with pytest.raises(ArtifactError, match=match):
            save_artifact(tmp_path / "m", **args)
        assert list(tmp_path.iterdir()) == []

    def test_refuses_file_path(self, tmp_path):
        """A path that is a file is not replaced."""
        (tmp_path / "f").write_text("x")
        with pytest.raises(ArtifactError, match="not a directory"):
            save_artifact(tmp_path / "f", manifest={}, tensors={}, arrays={})
