"""Detached Ed25519 signatures of model artifacts.

The signed message is :func:`qmlsec.models.artifact.artifact_digest` (the sha256 of the
verified ``manifest.json``, which lists the sha256 of every other file), so a signature
commits to the whole artifact. It is stored base64-encoded in ``manifest.sig`` beside
the manifest. The service verifies it at registration and the
``circuit.artifact_signing`` defense enforces it as a policy.

Example:
    >>> import tempfile, pathlib
    >>> from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    >>> from qmlsec.models.artifact import save_artifact
    >>> from qmlsec.models.signing import sign_artifact, verify_signature
    >>> path = save_artifact(pathlib.Path(tempfile.mkdtemp()) / "m", manifest={},
    ...                      tensors={}, arrays={})
    >>> key = Ed25519PrivateKey.generate()
    >>> _ = sign_artifact(path, key)
    >>> verify_signature(path, key.public_key())
"""

from __future__ import annotations

import base64
import binascii
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from qmlsec.exceptions import ArtifactError, ConfigError
from qmlsec.models.artifact import SIGNATURE_FILE, artifact_digest


def load_public_key(path: Path) -> Ed25519PublicKey:
    """An Ed25519 public key from a PEM file."""
    try:
        key = load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"cannot read the signing public key {path}", hint="pass an Ed25519 PEM public key"
        ) from err
    if not isinstance(key, Ed25519PublicKey):
        raise ConfigError(f"{path} is not an Ed25519 public key", hint="use an Ed25519 key")
    return key


def sign_artifact(path: Path, key: Ed25519PrivateKey) -> Path:
    """Write ``manifest.sig`` for a verified artifact; returns the signature file."""
    signature = key.sign(artifact_digest(path).encode("ascii"))
    target = Path(path) / SIGNATURE_FILE
    target.write_text(base64.b64encode(signature).decode("ascii") + "\n", encoding="ascii")
    return target


def verify_signature(path: Path, key: Ed25519PublicKey) -> None:
    """Raise :class:`ArtifactError` unless ``manifest.sig`` is a valid signature."""
    digest = artifact_digest(path)  # verifies every hash first
    sig_file = Path(path) / SIGNATURE_FILE
    try:
        signature = base64.b64decode(sig_file.read_text(encoding="ascii"), validate=False)
        key.verify(signature, digest.encode("ascii"))
    except FileNotFoundError as err:
        raise ArtifactError(
            f"artifact {path} is not signed (no {SIGNATURE_FILE})",
            hint="sign it with the publisher's key before registering",
        ) from err
    except (OSError, ValueError, binascii.Error, InvalidSignature) as err:
        raise ArtifactError(
            f"the signature of artifact {path} does not verify",
            hint="the artifact or its signature was altered; restore a trusted copy",
        ) from err
