"""The attacker's query pool: held-out, out-of-distribution, file and synthetic inputs."""

from __future__ import annotations

import numpy as np
import pytest

from qmlsec.attacks.evasion.transfer import Transfer
from qmlsec.attacks.extraction.copyqnn import CopyQNN
from qmlsec.attacks.extraction.quantumleak import QuantumLeak
from qmlsec.attacks.extraction.substitute import SubstituteExtraction
from qmlsec.attacks.pools import attacker_pool, check_pool
from qmlsec.exceptions import ConfigError, DataError

X_TEST = np.array([[0.0, 10.0], [1.0, 20.0], [2.0, 30.0], [3.0, 40.0], [4.0, 50.0]])
Y_TEST = np.array([0, 1, 0, 1, 0])


def test_synthetic_pools_stay_in_the_test_inputs_range_and_follow_the_seed():
    a = attacker_pool("uniform:300", None, X_TEST, Y_TEST, seed=1)
    assert a.x.shape == (300, 2) and a.source == "uniform"
    assert (a.x.min(axis=0) >= [0, 10]).all() and (a.x.max(axis=0) <= [4, 50]).all()
    assert np.array_equal(a.x, attacker_pool("uniform:300", None, X_TEST, Y_TEST, seed=1).x)
    g = attacker_pool("gaussian", None, X_TEST, Y_TEST, seed=1)
    assert len(g.x) == 1000 and abs(g.x[:, 1].mean() - 30) < 2
    assert np.array_equal(a.x_eval, X_TEST)  # evaluated on the whole test split


def test_file_pools_read_npz_and_csv(tmp_path):
    np.savez(tmp_path / "pool.npz", X=np.ones((4, 2)))
    (tmp_path / "pool.csv").write_text("a,b\n1,2\n3,4\n5,6\n")
    assert attacker_pool(f"file:{tmp_path / 'pool.npz'}", None, X_TEST, Y_TEST, seed=0).x.shape == (
        4,
        2,
    )
    csv = attacker_pool(f"file:{tmp_path / 'pool.csv'}", None, X_TEST, Y_TEST, seed=0)
    assert csv.x.tolist() == [[1, 2], [3, 4], [5, 6]] and csv.source == "file"
    with pytest.raises(DataError, match="raw features"):
        attacker_pool(f"file:{tmp_path / 'pool.npz'}", None, np.ones((5, 3)), Y_TEST, seed=0)
    with pytest.raises(DataError, match="does not exist"):
        attacker_pool(f"file:{tmp_path / 'missing.npz'}", None, X_TEST, Y_TEST, seed=0)


def test_dataset_pools_can_be_out_of_distribution():
    pool = attacker_pool("dataset:digits:4-9", None, np.zeros((6, 64)), np.zeros(6), seed=0)
    assert pool.x.shape[1] == 64 and pool.source == "dataset" and len(pool.x) > 500


def test_unknown_pool_names_are_refused(black_box):
    with pytest.raises(ValueError, match="unknown query pool"):
        check_pool("victim-data")
    with pytest.raises(ConfigError, match="pool"):
        SubstituteExtraction(black_box("labels"), {"pool": "uniform:one"})


@pytest.mark.parametrize("cls", [SubstituteExtraction, QuantumLeak, CopyQNN])
def test_every_extraction_attack_queries_from_the_given_pool(black_box, ctx, cls, monkeypatch):
    target = black_box("probabilities")
    asked: list[np.ndarray] = []
    real = target.endpoint.query

    def spy(x, **kwargs):
        asked.append(np.asarray(x))
        return real(x, **kwargs)

    monkeypatch.setattr(target.endpoint, "query", spy)
    attack = cls(target, {**cls.check_params, "pool": "uniform:50"}, seed=0)
    result = attack.run(ctx)
    pool = attacker_pool("uniform:50", None, ctx.x_test, ctx.y_test, seed=0).x
    sent = np.concatenate(asked)
    assert len(sent) > 0
    # every query is a pool input, none is a training or test input
    assert all(np.isclose(pool, row).all(axis=1).any() for row in sent)
    assert any("uniform" in note for note in result.notes)


def test_a_synthetic_pool_still_steals_something(black_box, ctx):
    m = (
        SubstituteExtraction(
            black_box("probabilities"), {"queries": 60, "epochs": 30, "pool": "uniform:200"}, seed=0
        )
        .run(ctx)
        .metrics
    )
    assert m["queries_used"] == 60
    chance = np.max(np.bincount(ctx.y_test)) / len(ctx.y_test)
    assert m["substitute_agreement"] > chance


def test_transfer_trains_its_substitute_on_the_pool(victim, ctx):
    from qmlsec.attacks import QueryCounter, Target
    from qmlsec.attacks.local_endpoint import LocalEndpoint

    counter = QueryCounter(LocalEndpoint(victim), output="labels")
    target = Target.black_box(counter, output="labels")
    params = {**Transfer.check_params, "pool": "gaussian:40"}
    result = Transfer(target, params, seed=0).run(ctx)
    assert counter.stats.samples == 40 + 2 * len(ctx.x_test)  # pool labels + evaluation
    assert any("gaussian query pool" in note for note in result.notes)
