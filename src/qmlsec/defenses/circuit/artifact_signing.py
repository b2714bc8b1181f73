"""Ed25519 signatures on model artifacts; a policy that rejects unsigned or altered files.

Mitigation QML.M0015 (artifact signing and verification; see "A Primer on Security of
Quantum Computing Hardware", arXiv:2305.02505, on supply-chain integrity). The signed
message is :func:`qmlsec.models.artifact.artifact_digest`, the sha256 of the verified
manifest, which lists the sha256 of every other file (weights, OpenQASM 3 circuit,
arrays), so one signature commits to the whole model, its compiled circuit and its
configuration. The signature is stored base64-encoded in ``manifest.sig``. With
``require_signature`` the loader refuses an unsigned artifact, one signed by an
untrusted key, and any artifact whose files were altered after signing.

Signing and verification are :mod:`qmlsec.models.signing`, the same code the service
uses at registration.

Against ``circuit.qupt`` (:meth:`ArtifactSigning.defended_run`), on real artifact files
in a temporary directory: the publisher saves and signs the deployed model; a
compromised supply chain writes the trojan's product into a copy (the trojaned circuit
as ``circuit.qasm``, and separately perturbed weights) and re-computes the manifest's
hashes, so the unsigned integrity check passes; the policy loader rejects both copies
(the signature no longer verifies). Without a signature the re-hashed weights load, and
the trojaned circuit is refused only because the loader rebuilds the circuit from the
manifest's spec and finds it different. The intact signed artifact verifies, is loaded
and deployed, and the attack then runs as ``circuit.qupt`` acts: as a
``transform_circuit`` hook of the provider's compilation, after the artifact was
verified. Signing does not see that (the compilation configuration is the provider's,
and no signature covers it), so the attack success rate is unchanged and the verdict is
"did not help"; only the artifact-level tampering is blocked.

Not covered: key distribution and revocation, signing transpiler packages, passes or
compilation configurations themselves (the provider-side trojan above), timestamps or
transparency logs.

Example:
    >>> import tempfile, pathlib
    >>> from qmlsec.models.artifact import save_artifact
    >>> path = save_artifact(pathlib.Path(tempfile.mkdtemp()) / "m", manifest={},
    ...                      tensors={}, arrays={})
    >>> signing = ArtifactSigning(seed=0)
    >>> key = signing.generate_key()
    >>> _ = signing.sign(path, key)
    >>> signing.verify(path, key.public_key())
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from qiskit import qasm3
from safetensors.torch import load_file, save_file

from qmlsec.attacks.circuit.insertion import TrojanInsertion, run_trojan
from qmlsec.attacks.setup import AttackSetup
from qmlsec.config import FrozenModel, derive_seed, rng
from qmlsec.defenses.base import Defense, DefenseCost
from qmlsec.exceptions import ArtifactError
from qmlsec.models.artifact import CIRCUIT_FILE, MANIFEST_FILE, WEIGHTS_FILE
from qmlsec.models.persist import load_classifier, save_classifier
from qmlsec.models.signing import sign_artifact, verify_signature


class SigningParams(FrozenModel):
    """Parameters of :class:`ArtifactSigning`."""

    require_signature: bool = True


class ArtifactSigning(Defense):
    """Sign artifacts with Ed25519 and verify them before use."""

    name: ClassVar[str] = "circuit.artifact_signing"
    mitigation_id: ClassVar[str] = "QML.M0015"
    role: ClassVar[str] = "circuit"  # type: ignore[assignment]
    counters: ClassVar[tuple[str, ...]] = ("circuit.qupt",)
    Params = SigningParams

    def generate_key(self) -> Ed25519PrivateKey:
        """A signing key derived from the defense's seed (tests, demos; use a real key)."""
        return Ed25519PrivateKey.from_private_bytes(rng(self.seed, "ed25519").bytes(32))

    def sign(self, path: str | Path, key: Ed25519PrivateKey) -> Path:
        """Write ``manifest.sig`` for a verified artifact; returns the signature file."""
        return sign_artifact(Path(path), key)

    def verify(self, path: str | Path, key: Ed25519PublicKey) -> None:
        """Raise :class:`ArtifactError` unless the artifact is intact and validly signed."""
        verify_signature(Path(path), key)

    def load(self, path: str | Path, key: Ed25519PublicKey | None) -> Any:
        """Load a classifier artifact under the policy (verify first when required)."""
        if self.params.require_signature:
            if key is None:
                raise ArtifactError("a signature is required but no trusted key was given",
                                    hint="pass the publisher's Ed25519 public key")  # fmt: skip
            self.verify(path, key)
        return load_classifier(path)

    def rejects(self, path: Path, key: Ed25519PublicKey | None) -> bool:
        """Whether loading ``path`` under this defense's policy raises ArtifactError."""
        try:
            self.load(path, key)
        except ArtifactError:
            return True
        return False

    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[Any, DefenseCost]:
        """Sign, tamper, verify and reject on real files; deploy the verified artifact.

        See the module docstring. The attack's result is the one measured on the model
        loaded from the verified artifact; the tamper outcomes are added as metrics
        (1.0: rejected).
        """
        start = time.perf_counter()
        key = self.generate_key()
        unsigned = type(self)({"require_signature": False}, seed=self.seed)
        outcomes: dict[str, float] = {}
        with tempfile.TemporaryDirectory(prefix="qmlsec-signing-") as tmp:
            published = Path(save_classifier(setup.model, Path(tmp) / "published"))
            self.sign(published, key)
            for what in ("circuit", "weights"):
                copy = Path(shutil.copytree(published, Path(tmp) / f"tampered_{what}"))
                _tamper(copy, what, setup, seed)
                outcomes[f"tampered_{what}_rejected"] = float(self.rejects(copy, key.public_key()))
                outcomes[f"tampered_{what}_rejected_unsigned"] = float(unsigned.rejects(copy, None))
            deployed = self.load(published, key.public_key())
        seconds = time.perf_counter() - start
        result = setup.with_model(deployed).run(seed)
        result.metrics.update(outcomes)
        result.metrics["signed_artifact_loaded"] = 1.0
        result.notes.append(
            f"{self.name}: tampered artifacts rejected (circuit "
            f"{outcomes['tampered_circuit_rejected']:.0f}, weights "
            f"{outcomes['tampered_weights_rejected']:.0f}); the provider-side trojan acts "
            "after verification and is not covered by the signature"
        )
        return result, DefenseCost(seconds=seconds, extra={"signature_bytes": 64.0})


def _tamper(path: Path, what: str, setup: AttackSetup, seed: int) -> None:
    """A supply-chain edit of the artifact at ``path``, manifest hashes re-computed."""
    if what == "circuit":  # the trojan's product: the stored circuit with its gates inserted
        p = setup.attack_cls.Params.model_validate(setup.params)
        count = max(1, getattr(p, "count", 0) or max(getattr(p, "counts", (1,))))
        trojan = TrojanInsertion(getattr(p, "gate", "x"), count, derive_seed(seed, "artifact"))
        circuit = run_trojan(setup.model.model_.circuit, trojan)
        (path / CIRCUIT_FILE).write_text(qasm3.dumps(circuit), encoding="utf-8")
    else:  # weights nudged by 0.5 rad
        tensors = load_file(path / WEIGHTS_FILE)
        save_file({k: v + 0.5 if v.is_floating_point() else v for k, v in tensors.items()},
                  path / WEIGHTS_FILE)  # fmt: skip
    manifest = json.loads((path / MANIFEST_FILE).read_text("utf-8"))
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((path / name).read_bytes()).hexdigest()
    (path / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
