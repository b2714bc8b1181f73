"""Encryption at rest: the classical cloud's attacks read ciphertext; the backup restores."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

from qmlsec.attacks.storage import ClassicalStore
from qmlsec.defenses.provider.encryption_at_rest import EncryptionAtRest
from qmlsec.exceptions import DataError


def test_sealed_store_opens_only_with_the_users_key(iris_victim):
    v = iris_victim
    store = ClassicalStore.stage(v.model, v.x_train, v.y_train, tempfile.mkdtemp())
    EncryptionAtRest(seed=1).seal(store)
    assert all(p.suffix == ".enc" for p in store.files())
    with pytest.raises(DataError):
        store.load_training()
    with EncryptionAtRest(seed=1).session(store) as plain:
        np.testing.assert_array_equal(plain.load_training()[0], v.x_train)
    with pytest.raises(DataError), EncryptionAtRest(seed=2).session(store):
        pass


def test_classical_data_theft_recovers_nothing(iris_victim):
    ev = iris_victim.evaluate(EncryptionAtRest(seed=0), "inference.classical_data_theft",
                              n_test=10)  # fmt: skip
    assert ev.without == 1.0
    assert ev.with_defense == 0.0
    assert ev.results["with"]["metrics"]["stolen_rows"] == 0
    assert ev.cost.extra["user_roundtrip_ok"] == 1.0


def test_artifact_theft_loads_no_clone(iris_victim):
    ev = iris_victim.evaluate(EncryptionAtRest(seed=0), "extraction.classical_artifact_theft",
                              n_test=10, params={"max_samples": 10})  # fmt: skip
    assert ev.without == 1.0
    assert ev.with_defense == 0.0


def test_backup_restores_service_without_the_ransom(iris_victim):
    v = iris_victim
    from qmlsec.attacks.setup import AttackSetup

    setup = AttackSetup.from_deployment(
        "availability.ransomware", v.deployment(), x_train=v.x_train, y_train=v.y_train,
        x_test=v.x_test[:10], y_test=v.y_test[:10], params={"n_requests": 3, "pay": False})  # fmt: skip
    without = setup.run(0).metrics
    with_defense, _ = EncryptionAtRest(seed=0).defended_run(setup, 0)
    assert without["request_failure_rate_after"] == 1.0
    assert with_defense.metrics["request_failure_rate_during"] == 1.0  # still locked meanwhile
    assert with_defense.metrics["request_failure_rate_after"] == 0.0
    assert with_defense.metrics["answers_restored_rate"] == 1.0
