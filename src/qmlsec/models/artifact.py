"""Model artifacts: a directory of plain files, every one hashed in a JSON manifest.

Layout (nothing here is ever unpickled)::

    manifest.json          user manifest + format/version info + {file: sha256}
    weights.safetensors    torch tensors
    preprocessing.npz      NumPy arrays (np.savez, loaded with allow_pickle=False)
    circuit.qasm           OpenQASM 3 text (optional)
    <extra files>          listed and hashed like the rest
    manifest.sig           optional detached signature of the manifest; never listed,
                           never read here (see :func:`artifact_digest`)

Loading verifies the manifest's format version, that every listed file exists and
matches its sha256, and that no unlisted file sits in the directory; any mismatch
raises :class:`~qmlsec.exceptions.ArtifactError`, never a fallback. Saving writes a
temporary sibling directory and renames it into place, so a failed save leaves the
previous artifact intact and no half-written one.

Example:
    >>> import tempfile, pathlib, numpy as np, torch
    >>> from qmlsec.models.artifact import load_artifact, save_artifact
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model"
    >>> _ = save_artifact(path, manifest={"model": "toy"}, tensors={"w": torch.ones(2)},
    ...                   arrays={"mean": np.zeros(3)}, qasm="OPENQASM 3.0;\\n")
    >>> art = load_artifact(path)
    >>> art.manifest["model"], art.tensors["w"].tolist(), art.arrays["mean"].shape
    ('toy', [1.0, 1.0], (3,))
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import safetensors.torch
import torch

from qmlsec.exceptions import ArtifactError

FORMAT = "qmlsec-artifact"
FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = frozenset({1})
MANIFEST_FILE = "manifest.json"
WEIGHTS_FILE = "weights.safetensors"
ARRAYS_FILE = "preprocessing.npz"
CIRCUIT_FILE = "circuit.qasm"
#: Reserved for a detached signature of ``manifest.json``; allowed unlisted, never read.
SIGNATURE_FILE = "manifest.sig"
RESERVED_KEYS = frozenset(
    {"format", "format_version", "qmlsec_version", "versions", "created", "files"}
)
_STANDARD = (WEIGHTS_FILE, ARRAYS_FILE, CIRCUIT_FILE)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Artifact:
    """A verified, loaded artifact (read-only mappings).

    Attributes:
        path: The directory it was loaded from.
        manifest: The full manifest (user keys plus ``format``, ``versions``, ``files``...).
        tensors: Tensors from ``weights.safetensors``.
        arrays: Arrays from ``preprocessing.npz``.
        qasm: OpenQASM 3 text, or ``None`` when the artifact has no circuit.
        extra_files: Contents of the other listed files.
    """

    path: Path
    manifest: Mapping[str, Any]
    tensors: Mapping[str, torch.Tensor]
    arrays: Mapping[str, np.ndarray]
    qasm: str | None
    extra_files: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("qmlsec", "torch", "qiskit", "numpy", "safetensors"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:
            out[dist] = "unknown"
    return out


def hash_directory(path: str | Path) -> dict[str, str]:
    """``{relative posix path: sha256}`` of every regular file under ``path``, sorted.

    Raises:
        ArtifactError: If ``path`` is not a directory.

    Example:
        >>> import tempfile, pathlib
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (d / "a.txt").write_bytes(b"")
        >>> hash_directory(d)["a.txt"][:12]
        'e3b0c44298fc'
    """
    root = Path(path)
    if not root.is_dir():
        raise ArtifactError(f"no directory at {str(root)!r}", hint="check the artifact path")
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink())
    return {p.relative_to(root).as_posix(): _sha256(p.read_bytes()) for p in files}


def _read_manifest(root: Path) -> tuple[dict[str, Any], bytes]:
    if not root.is_dir():
        raise ArtifactError(
            f"no artifact directory at {str(root)!r}",
            hint="train and save a model first, or fix the path",
        )
    mpath = root / MANIFEST_FILE
    if not mpath.is_file() or mpath.is_symlink():
        raise ArtifactError(
            f"{str(root)!r} has no {MANIFEST_FILE}", hint="this is not a qmlsec model artifact"
        )
    raw = mpath.read_bytes()
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(
            f"{MANIFEST_FILE} is not valid JSON ({exc})", hint="the artifact is corrupt; re-save it"
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArtifactError(
            f"{MANIFEST_FILE} is not a {FORMAT} manifest",
            hint="this is not a qmlsec model artifact",
        )
    fv = manifest.get("format_version")
    if isinstance(fv, bool) or fv not in SUPPORTED_FORMAT_VERSIONS:
        raise ArtifactError(
            f"unsupported artifact format_version {fv!r} (supported: {sorted(SUPPORTED_FORMAT_VERSIONS)})",
            hint="load it with the qmlsec version that saved it, or re-save the model",
        )
    files = manifest.get("files")
    if not isinstance(files, dict) or any(
        not isinstance(k, str)
        or not _SAFE_NAME.match(k)
        or k in (MANIFEST_FILE, SIGNATURE_FILE)
        or not isinstance(v, str)
        or not _SHA256.match(v)
        for k, v in files.items()
    ):
        raise ArtifactError(
            f"{MANIFEST_FILE} has a malformed 'files' table",
            hint="the artifact is corrupt; re-save it",
        )
    for required in (WEIGHTS_FILE, ARRAYS_FILE):
        if required not in files:
            raise ArtifactError(
                f"{MANIFEST_FILE} does not list {required}",
                hint="the artifact is incomplete; re-save it",
            )
    return manifest, raw


def _verified(root: Path, allow_unlisted: bool) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    manifest, raw = _read_manifest(root)
    listed: dict[str, str] = manifest["files"]
    if not allow_unlisted:
        extra = sorted(
            p.name
            for p in root.iterdir()
            if p.name not in listed and p.name not in (MANIFEST_FILE, SIGNATURE_FILE)
        )
        if extra:
            raise ArtifactError(
                f"artifact {str(root)!r} contains unlisted file(s) {extra}",
                hint="remove files that are not part of the artifact, or re-save it",
            )
    contents: dict[str, bytes] = {}
    for name, digest in listed.items():
        fpath = root / name
        if fpath.is_symlink() or not fpath.is_file():
            raise ArtifactError(
                f"artifact file {name} is missing", hint="the artifact is incomplete; re-save it"
            )
        data = fpath.read_bytes()
        if _sha256(data) != digest:
            raise ArtifactError(
                f"artifact file {name} does not match its sha256 in {MANIFEST_FILE} (tampered or corrupt)",
                hint="do not use this model; restore it from a trusted copy",
            )
        contents[name] = data
    return manifest, raw, contents


def verify_artifact(path: str | Path, *, allow_unlisted: bool = False) -> dict[str, Any]:
    """Check an artifact's integrity without deserialising it; return its manifest.

    Args:
        path: The artifact directory.
        allow_unlisted: Ignore (never read) files the manifest does not list, instead
            of rejecting the artifact.

    Raises:
        ArtifactError: Missing directory or file, bad JSON, unsupported format version,
            hash mismatch (naming the file), or an unlisted file.
    """
    return _verified(Path(path), allow_unlisted)[0]


def artifact_digest(path: str | Path) -> str:
    """sha256 of ``manifest.json`` of a verified artifact: the value to sign.

    The manifest lists the sha256 of every other file, so this digest commits to the
    whole artifact. A signature may be stored beside it as :data:`SIGNATURE_FILE`.

    Example:
        >>> import tempfile, pathlib, numpy as np, torch
        >>> p = save_artifact(pathlib.Path(tempfile.mkdtemp()) / "m", manifest={}, tensors={}, arrays={})
        >>> len(artifact_digest(p))
        64
    """
    return _sha256(_verified(Path(path), False)[1])


def load_artifact(path: str | Path, *, allow_unlisted: bool = False) -> Artifact:
    """Verify and load an artifact directory.

    Every file is read once, hashed and parsed from the same bytes.

    Raises:
        ArtifactError: Anything :func:`verify_artifact` rejects, or a file that does
            not parse (bad safetensors, npz with object arrays, non-UTF-8 QASM).
    """
    root = Path(path)
    manifest, _, contents = _verified(root, allow_unlisted)
    try:
        tensors = safetensors.torch.load(contents[WEIGHTS_FILE])
    except Exception as exc:  # safetensors raises its own error types
        raise ArtifactError(
            f"{WEIGHTS_FILE} is not a valid safetensors file ({exc})", hint="re-save the model"
        ) from None
    try:
        with np.load(io.BytesIO(contents[ARRAYS_FILE]), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (ValueError, OSError, EOFError) as exc:
        raise ArtifactError(
            f"{ARRAYS_FILE} is not a plain .npz archive ({exc})", hint="re-save the model"
        ) from None
    qasm = None
    if CIRCUIT_FILE in contents:
        try:
            qasm = contents[CIRCUIT_FILE].decode("utf-8")
        except UnicodeDecodeError:
            raise ArtifactError(
                f"{CIRCUIT_FILE} is not UTF-8 text", hint="re-save the model"
            ) from None
    extra = {k: v for k, v in contents.items() if k not in _STANDARD}
    return Artifact(
        path=root,
        manifest=MappingProxyType(manifest),
        tensors=MappingProxyType(tensors),
        arrays=MappingProxyType(arrays),
        qasm=qasm,
        extra_files=MappingProxyType(extra),
    )


def _is_artifact(root: Path) -> bool:
    try:
        manifest = json.loads((root / MANIFEST_FILE).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("format") == FORMAT


def _payload(
    manifest: Mapping[str, Any],
    tensors: Mapping[str, torch.Tensor],
    arrays: Mapping[str, np.ndarray],
    qasm: str | None,
    extra_files: Mapping[str, bytes],
) -> dict[str, bytes]:
    bad_keys = sorted(RESERVED_KEYS.intersection(manifest))
    if bad_keys or not all(isinstance(k, str) for k in manifest):
        raise ArtifactError(
            f"manifest keys {bad_keys} are reserved (or a key is not a string)",
            hint=f"avoid {sorted(RESERVED_KEYS)}",
        )
    for name, tensor in tensors.items():
        if not isinstance(name, str) or not name or not isinstance(tensor, torch.Tensor):
            raise ArtifactError(
                f"tensor entry {name!r} is not a named torch.Tensor", hint="pass {name: tensor}"
            )
    for name, array in arrays.items():
        if (
            not isinstance(name, str)
            or name in ("", "allow_pickle")
            or not isinstance(array, np.ndarray)
            or array.dtype.hasobject
        ):
            raise ArtifactError(
                f"array entry {name!r} is not a plain NumPy array (object arrays need pickle)",
                hint="pass numeric arrays",
            )
    files = {
        WEIGHTS_FILE: safetensors.torch.save(
            {k: v.detach().cpu().contiguous().clone() for k, v in tensors.items()}
        ),
    }
    buffer = io.BytesIO()
    plain = {k: np.ascontiguousarray(v) for k, v in arrays.items()}
    np.savez(buffer, allow_pickle=False, **plain)  # type: ignore[arg-type]
    files[ARRAYS_FILE] = buffer.getvalue()
    if qasm is not None:
        if not isinstance(qasm, str) or not qasm.lstrip().startswith("OPENQASM 3"):
            raise ArtifactError(
                "qasm must be OpenQASM 3 text starting with 'OPENQASM 3'",
                hint="use qiskit.qasm3.dumps(circuit)",
            )
        files[CIRCUIT_FILE] = qasm.encode("utf-8")
    for name, data in extra_files.items():
        reserved = (MANIFEST_FILE, SIGNATURE_FILE, *_STANDARD)
        if not isinstance(name, str) or not _SAFE_NAME.match(name) or name in reserved:
            raise ArtifactError(
                f"extra file name {name!r} is invalid or reserved",
                hint="use a plain file name like 'notes.txt'",
            )
        if not isinstance(data, bytes):
            raise ArtifactError(
                f"extra file {name!r} must be bytes", hint="encode text with .encode()"
            )
        files[name] = data
    return files


def save_artifact(
    path: str | Path,
    *,
    manifest: Mapping[str, Any],
    tensors: Mapping[str, torch.Tensor],
    arrays: Mapping[str, np.ndarray],
    qasm: str | None = None,
    extra_files: Mapping[str, bytes] | None = None,
    overwrite: bool = True,
) -> Path:
    """Write an artifact directory atomically; return its path.

    Args:
        path: Target directory. It may not exist, be empty, or (with ``overwrite``)
            hold an earlier artifact, which is replaced whole.
        manifest: JSON-able user metadata (keys in :data:`RESERVED_KEYS` are added here).
        tensors: Tensors for ``weights.safetensors``.
        arrays: Arrays for ``preprocessing.npz`` (no object arrays).
        qasm: OpenQASM 3 text for ``circuit.qasm``, or ``None``.
        extra_files: Further ``{plain file name: bytes}``, hashed like the rest.
        overwrite: Replace an existing artifact at ``path``.

    Raises:
        ArtifactError: Bad inputs, or ``path`` is a file, a non-empty directory that is
            not an artifact, or an artifact while ``overwrite`` is false.
    """
    root = Path(path)
    files = _payload(manifest, tensors, arrays, qasm, dict(extra_files or {}))
    full = {
        **manifest,
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "qmlsec_version": _versions()["qmlsec"],
        "versions": _versions(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "files": {name: _sha256(data) for name, data in sorted(files.items())},
    }
    try:
        files[MANIFEST_FILE] = (
            json.dumps(full, indent=2, sort_keys=True, allow_nan=False) + "\n"
        ).encode()
    except (TypeError, ValueError) as exc:
        raise ArtifactError(
            f"manifest is not JSON-serialisable ({exc})",
            hint="use str/int/float/bool/list/dict values",
        ) from None
    exists = root.exists() or root.is_symlink()
    if exists and (root.is_symlink() or not root.is_dir()):
        raise ArtifactError(
            f"{str(root)!r} exists and is not a directory", hint="choose another path"
        )
    if exists and any(root.iterdir()):
        if not _is_artifact(root):
            raise ArtifactError(
                f"refusing to overwrite {str(root)!r}: a non-empty directory that is not an artifact",
                hint="choose an empty or new path",
            )
        if not overwrite:
            raise ArtifactError(
                f"an artifact already exists at {str(root)!r}",
                hint="pass overwrite=True or choose another path",
            )
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.tmp-", dir=root.parent))
    backup = tmp.with_name(tmp.name.replace(".tmp-", ".old-", 1))
    try:
        for name, data in files.items():
            with open(tmp / name, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        if exists:
            os.replace(root, backup)
        try:
            os.replace(tmp, root)
        except OSError:
            if exists:
                os.replace(backup, root)
            raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)
    return root
