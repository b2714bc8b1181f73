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

Not covered: key distribution and revocation, signing transpiler packages or passes
themselves, timestamps or transparency logs.

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

from pathlib import Path
from typing import Any, ClassVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from qmlsec.config import FrozenModel, rng
from qmlsec.defenses.base import Defense
from qmlsec.exceptions import ArtifactError
from qmlsec.models.signing import sign_artifact, verify_signature


class SigningParams(FrozenModel):
    """Parameters of :class:`ArtifactSigning`."""

    require_signature: bool = True


class ArtifactSigning(Defense):
    """Sign artifacts with Ed25519 and verify them before use."""

    name: ClassVar[str] = "circuit.artifact_signing"
    mitigation_id: ClassVar[str] = "QML.M0015"
    role: ClassVar[str] = "circuit"  # type: ignore[assignment]
    counters: ClassVar[tuple[str, ...]] = ()
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
        from qmlsec.models.persist import load_classifier

        if self.params.require_signature:
            if key is None:
                raise ArtifactError("a signature is required but no trusted key was given",
                                    hint="pass the publisher's Ed25519 public key")  # fmt: skip
            self.verify(path, key)
        return load_classifier(path)
