"""Ransomware: the stored model and data really encrypted; service down until the key is used."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.availability.ransomware import decrypt_tree, encrypt_tree
from qmlsec.attacks.storage import ClassicalStore
from qmlsec.exceptions import ArtifactError, DataError
from qmlsec.testing.victims import small_victim


@pytest.fixture(scope="module")
def victim():
    return small_victim()


def test_inference_and_retraining_fail_until_the_key_is_used(victim):
    result = victim.setup("availability.ransomware", n_test=10, params={"n_requests": 8}).run(0)
    m = result.metrics
    assert m["request_failure_rate_before"] == 0.0 and m["retrain_failure_rate_before"] == 0.0
    assert m["request_failure_rate_during"] == 1.0 and m["retrain_failure_rate_during"] == 1.0
    assert m["request_failure_rate_after"] == 0.0 and m["retrain_failure_rate_after"] == 0.0
    assert m["answers_restored_rate"] == 1.0
    assert m["identical_files_fraction"] == 1.0 and m["recovered_files_fraction"] == 1.0
    assert m["files_encrypted"] == 6 and m["bytes_encrypted"] > 1000
    during = result.estimates()["request_failure_rate_during"]
    assert during.n == 8 and during.ci[0] > 0.6
    assert result.provides == ["goal.availability_lost"]


def test_without_the_key_nothing_comes_back(victim):
    params = {"n_requests": 4, "pay": False, "targets": ["model"]}
    m = victim.setup("availability.ransomware", n_test=10, params=params).run(0).metrics
    assert m["request_failure_rate_after"] == 1.0
    assert m["retrain_failure_rate_during"] == 0.0  # the data was left alone
    assert m["recovered_files_fraction"] == 0.0 and m["answers_restored_rate"] == 0.0


def test_files_are_ciphertext_and_a_wrong_key_is_refused(victim, tmp_path):
    store = ClassicalStore.stage(victim.model, victim.x_train, victim.y_train, tmp_path)
    plain = (tmp_path / "data" / "train.npz").read_bytes()
    key = bytes(range(32))
    encrypt_tree(store, ("model", "data"), key, seed=0)
    locked = (tmp_path / "data" / "train.npz.locked").read_bytes()
    assert plain[:64] not in locked and not (tmp_path / "data" / "train.npz").exists()
    with pytest.raises(ArtifactError):
        store.load_model()
    with pytest.raises(DataError):
        store.load_training()
    with pytest.raises(DataError, match="does not decrypt"):
        decrypt_tree(store, bytes(32))
    assert decrypt_tree(store, key) == 6
    x, y = store.load_training()
    np.testing.assert_array_equal(x, victim.x_train)
    np.testing.assert_array_equal(y, victim.y_train)
