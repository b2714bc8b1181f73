"""Encryption at rest with user-held keys, and a user-held encrypted backup.

Mitigation QML.M0016, after the SoK on QMLaaS security (Kundu, Ghosh et al.,
arXiv:2408.09562: encrypt training data and intermediate results, keep keys with the
user, keep backups) and NIST SP 800-38D (AES-GCM authenticated encryption). Every file
of the deployment's classical store (:class:`~qmlsec.attacks.storage.ClassicalStore`:
the model artifact under ``model/``, the training upload and its circuit inputs under
``data/``) is sealed with AES-256-GCM under a key the user holds and the classical cloud
does not (``cryptography``'s ``AESGCM``; a fresh 96-bit nonce per file, the file's
store path as associated data, so a file moved or swapped fails authentication). While
idle the cloud holds ciphertext only; a job of the user's (a retraining, a cold-started
inference worker) opens a session copy with the key for its duration
(:meth:`EncryptionAtRest.session`). The user also keeps the sealed files as an off-cloud
backup (:meth:`EncryptionAtRest.backup`).

Against the classical cloud's attacks, replayed on a sealed store with the attacks' own
steps and metric names:

* ``inference.classical_data_theft``: the attacker copies ``data/`` and parses it; the
  ciphertext parses as nothing, so ``recovered_fraction`` is the share of training rows
  found in what it read (Wilson interval over the ``n`` rows).
* ``extraction.classical_artifact_theft``: the copied ``model/`` does not load; no clone,
  ``clone_agreement`` 0 over the test inputs.
* ``availability.ransomware``: encryption at rest does not stop the attacker from
  encrypting the (already encrypted) files again, so the service fails while they are
  locked; the user's backup restores it without the ransom (``pay=False``), and a paid
  key restores the sealed files, which the user's key still opens.

Cost: the sealing and session-opening wall time, the ciphertext overhead (28 bytes per
file) and the backup's bytes.

Not covered: a host compromised while a session is open (the cloud then sees the
plaintext, as for gradients, QML.T0029), key management (rotation, escrow, an HSM; the
key is derived from the defense seed so runs are reproducible), and deletion of the
store (the backup then is the only copy).

Example:
    >>> import tempfile
    >>> from qmlsec.testing.victims import small_victim
    >>> v = small_victim()
    >>> store = ClassicalStore.stage(v.model, v.x_train, v.y_train, tempfile.mkdtemp())
    >>> _ = EncryptionAtRest(seed=1).seal(store)
    >>> sorted(p.name for p in store.files("data"))
    ['features.npz.enc', 'train.npz.enc']
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from qmlsec.attacks.availability.ransomware import decrypt_tree, encrypt_tree
from qmlsec.attacks.inference.classical_data_theft import row_keys
from qmlsec.attacks.result import AttackResult
from qmlsec.attacks.setup import AttackSetup
from qmlsec.attacks.storage import MODEL_DIR, ClassicalStore
from qmlsec.config import rng
from qmlsec.defenses.base import DefenseCost
from qmlsec.defenses.provider.base import ProviderDefense
from qmlsec.exceptions import ArtifactError, DataError, QmlsecError
from qmlsec.models.persist import load_classifier
from qmlsec.stats import wilson

SEALED = ".enc"


class EncryptionAtRest(ProviderDefense):
    """Seal the classical store with a user-held AES-GCM key; keep a sealed backup."""

    name: ClassVar[str] = "provider.encryption_at_rest"
    mitigation_id: ClassVar[str] = "QML.M0016"
    counters: ClassVar[tuple[str, ...]] = (
        "inference.classical_data_theft", "extraction.classical_artifact_theft",
        "availability.ransomware",
    )  # fmt: skip
    check_params: ClassVar[dict[str, Any]] = {}

    @property
    def key(self) -> bytes:
        """The user's 256-bit key (drawn from the defense seed; never on the cloud)."""
        return rng(self.seed, "encryption-at-rest", "key").bytes(32)

    def apply(self, session: Any) -> int:
        """Seal ``session`` (a :class:`ClassicalStore`); the number of files sealed."""
        return self.seal(session)

    def seal(self, store: ClassicalStore) -> int:
        """Encrypt every plaintext file of ``store`` in place (``name`` -> ``name.enc``)."""
        aead, gen, done = AESGCM(self.key), rng(self.seed, "encryption-at-rest", "nonce"), 0
        for path in store.files():
            if path.suffix == SEALED:
                continue
            nonce = gen.bytes(12)
            aad = str(path.relative_to(store.root)).encode()
            sealed = nonce + aead.encrypt(nonce, path.read_bytes(), aad)
            path.with_name(path.name + SEALED).write_bytes(sealed)
            path.unlink()
            done += 1
        return done

    def unseal(self, store: ClassicalStore) -> int:
        """Decrypt every sealed file of ``store`` in place; the number of files opened.

        Raises:
            DataError: a file does not authenticate under the user's key.
        """
        aead, opened = AESGCM(self.key), 0
        for path in store.files():
            if path.suffix != SEALED:
                continue
            plain = path.with_name(path.name[: -len(SEALED)])
            blob = path.read_bytes()
            try:
                data = aead.decrypt(
                    blob[:12], blob[12:], str(plain.relative_to(store.root)).encode()
                )
            except InvalidTag:
                raise DataError(f"{path.name} does not authenticate under the user's key",
                                hint="the file was altered, moved or sealed by another key") from None  # fmt: skip
            plain.write_bytes(data)
            path.unlink()
            opened += 1
        return opened

    @contextmanager
    def session(self, store: ClassicalStore) -> Iterator[ClassicalStore]:
        """A plaintext copy of ``store`` for one of the user's jobs, deleted afterwards."""
        with tempfile.TemporaryDirectory(prefix="qmlsec-session-") as tmp:
            copy = ClassicalStore(Path(tmp) / "session")
            shutil.copytree(store.root, copy.root)
            self.unseal(copy)
            yield copy

    def backup(self, store: ClassicalStore) -> dict[str, bytes]:
        """The sealed files by store path (the user keeps them off the cloud)."""
        return {str(p.relative_to(store.root)): p.read_bytes() for p in store.files()}

    def restore(self, store: ClassicalStore, backup: dict[str, bytes]) -> None:
        """Replace the store's content with the backup."""
        shutil.rmtree(store.root)
        for rel, blob in backup.items():
            (store.root / rel).parent.mkdir(parents=True, exist_ok=True)
            (store.root / rel).write_bytes(blob)

    # -- defended runs -------------------------------------------------------------------
    def defended_run(self, setup: AttackSetup, seed: int) -> tuple[AttackResult, DefenseCost]:
        """Replay the attack's steps on a sealed store (see the module docstring)."""
        attack: Any = setup.attack_cls(setup.target, dict(setup.params), seed=seed)
        ctx, victim = setup.ctx, setup.model
        if victim is None or ctx.x_train is None or ctx.y_train is None:
            raise DataError("encryption at rest needs the deployed model and its training split",
                            hint="build the setup with AttackSetup.from_deployment")  # fmt: skip
        with tempfile.TemporaryDirectory(prefix="qmlsec-store-") as tmp:
            store = ClassicalStore.stage(victim, ctx.x_train, ctx.y_train, Path(tmp) / "cloud")
            plain_bytes = sum(p.stat().st_size for p in store.files())
            start = time.perf_counter()
            n_files = self.seal(store)
            seal_s = time.perf_counter() - start
            sealed_bytes = sum(p.stat().st_size for p in store.files())
            with self.session(store) as open_store:  # the user's own jobs still work
                roundtrip = bool(np.array_equal(open_store.load_training()[0], ctx.x_train))
            name = setup.attack_cls.name
            if name == "inference.classical_data_theft":
                result = self._data_theft(attack, store, Path(tmp), ctx)
            elif name == "extraction.classical_artifact_theft":
                result = self._artifact_theft(attack, store, Path(tmp), ctx, victim)
            else:
                result = self._ransomware(attack, store, ctx)
        result.notes.append(f"{self.name}: {n_files} files sealed with the user's key")
        return result, DefenseCost(seconds=seal_s, extra={
            "files_sealed": float(n_files), "ciphertext_overhead_bytes": float(sealed_bytes - plain_bytes),
            "backup_bytes": float(sealed_bytes), "user_roundtrip_ok": float(roundtrip)})  # fmt: skip

    def _data_theft(self, attack: Any, store: ClassicalStore, tmp: Path, ctx: Any) -> AttackResult:
        loot = ClassicalStore(tmp / "attacker")
        shutil.copytree(store.root / "data", loot.root / "data")
        n_bytes = sum(p.stat().st_size for p in loot.files("data"))
        try:
            raw_x, raw_y = loot.load_training()
            stolen = set(row_keys(raw_x, raw_y))
        except DataError:
            stolen = set()
        recovered = [key in stolen for key in row_keys(ctx.x_train, ctx.y_train)]
        result = attack.new_result()
        result.per_sample = {"recovered": recovered}
        result.metrics = {"recovered_fraction": float(np.mean(recovered)),
                          "stolen_rows": float(len(stolen)), "bytes_read": float(n_bytes)}  # fmt: skip
        result.intervals["recovered_fraction"] = wilson(sum(recovered), len(recovered))
        result.notes.append(f"read {n_bytes} bytes of ciphertext; nothing parses as training data")
        return result

    def _artifact_theft(
        self, attack: Any, store: ClassicalStore, tmp: Path, ctx: Any, victim: Any
    ) -> AttackResult:
        loot = tmp / "attacker" / MODEL_DIR
        shutil.copytree(store.root / MODEL_DIR, loot)
        n = min(int(attack.params.max_samples), len(ctx.x_test))
        x = np.asarray(ctx.x_test[:n], dtype=np.float64)
        victim_pred = np.asarray(victim.predict(x))
        try:
            clone_pred = np.asarray(load_classifier(loot).predict(x))
            agree = clone_pred == victim_pred
        except (ArtifactError, DataError):
            agree = np.zeros(n, dtype=bool)  # nothing loads: no clone to answer with
        result = attack.new_result()
        result.per_sample = {"victim_prediction": victim_pred.tolist(), "agrees": agree.tolist()}
        result.metrics = {"clone_agreement": float(agree.mean()),
                          "files_copied": float(len(list(loot.rglob("*"))))}  # fmt: skip
        result.intervals["clone_agreement"] = wilson(int(agree.sum()), n)
        result.notes.append("the copied artifact is ciphertext: no clone loaded")
        return result

    def _ransomware(self, attack: Any, store: ClassicalStore, ctx: Any) -> AttackResult:
        p = attack.params
        x = np.asarray(ctx.x_test, dtype=np.float64)
        x = x[np.arange(p.n_requests) % len(x)]
        held = self.backup(store)

        def serve() -> tuple[list[Any], list[bool]]:
            try:
                with self.session(store) as open_store:
                    return attack.service(open_store, x)
            except QmlsecError:
                return [None] * len(x), [False] * len(x)

        before, retrain_before = serve()
        ransom_key = rng(attack.seed, "ransomware", "key").bytes(32)  # the attacker's key
        encrypt_tree(store, p.targets, ransom_key, attack.seed)
        during, retrain_during = serve()
        if p.pay:
            decrypt_tree(store, ransom_key)
        else:
            self.restore(store, held)  # the user's backup: no ransom needed
        after, retrain_after = serve()
        result = attack.new_result()
        n = len(x)
        for phase, answers, retrains in (("before", before, retrain_before),
                                         ("during", during, retrain_during),
                                         ("after", after, retrain_after)):  # fmt: skip
            failed = [a is None for a in answers]
            retrain_failed = [not r for r in retrains]
            result.per_sample[f"request_failed_{phase}"] = failed
            for what, series in (("request", failed), ("retrain", retrain_failed)):
                result.metrics[f"{what}_failure_rate_{phase}"] = float(np.mean(series))
                result.intervals[f"{what}_failure_rate_{phase}"] = wilson(sum(series), n)
        agrees = [a is not None and a == b for a, b in zip(after, before, strict=True)]
        result.metrics["answers_restored_rate"] = float(np.mean(agrees))
        result.intervals["answers_restored_rate"] = wilson(sum(agrees), n)
        result.notes.append("restored from the user's sealed backup" if not p.pay
                            else "paid key removed the ransom layer; the user's key opened the rest")  # fmt: skip
        return result


__all__ = ["EncryptionAtRest"]
