"""Tests of the min-max, max-abs and standard scalers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qmlsec.data.preprocess.maxabs import MaxAbsScaler
from qmlsec.data.preprocess.minmax import MinMaxScaler
from qmlsec.data.preprocess.standard import StandardScaler
from qmlsec.exceptions import ConfigError

RNG = np.random.default_rng(0)
X_TRAIN = RNG.normal(size=(50, 4)) * [1.0, 5.0, 0.1, 3.0] + [0.0, 2.0, -1.0, 7.0]
X_TEST = RNG.normal(size=(20, 4)) * 4.0


class TestMinMax:
    def test_training_range_maps_to_zero_pi(self):
        """Training data fills [0, pi] exactly, per feature."""
        Z = MinMaxScaler().fit(X_TRAIN).transform(X_TRAIN)
        np.testing.assert_allclose(Z.min(axis=0), 0.0, atol=1e-15)
        np.testing.assert_allclose(Z.max(axis=0), np.pi)

    def test_out_of_range_not_clipped_by_default(self):
        """Test values beyond the training range leave [0, pi] unless clip=True."""
        Z = MinMaxScaler().fit(X_TRAIN).transform(X_TEST)
        assert Z.min() < 0 or Z.max() > np.pi
        Zc = MinMaxScaler(feature_range=(-1.0, 1.0), clip=True).fit(X_TRAIN).transform(X_TEST)
        assert Zc.min() >= -1.0 and Zc.max() <= 1.0

    def test_constant_feature_maps_to_low(self):
        """A constant feature maps to the lower bound, without division by zero."""
        X = np.array([[1.0, 5.0], [2.0, 5.0]])
        assert MinMaxScaler(feature_range=(0.5, 1.0)).fit(X).transform(X)[:, 1].tolist() == [
            0.5,
            0.5,
        ]

    def test_bad_range(self):
        """low >= high is a ConfigError."""
        with pytest.raises(ConfigError, match="low < high"):
            MinMaxScaler(feature_range=(1.0, 1.0))


class TestMaxAbs:
    def test_range_and_sign(self):
        """Training magnitudes reach exactly max_value; zero stays zero."""
        s = MaxAbsScaler(max_value=np.pi).fit(X_TRAIN)
        Z = s.transform(X_TRAIN)
        np.testing.assert_allclose(np.abs(Z).max(axis=0), np.pi)
        assert s.transform(np.zeros((1, 4))).tolist() == [[0.0] * 4]

    def test_clip(self):
        """clip=True bounds test data to [-max_value, max_value]."""
        Z = MaxAbsScaler(clip=True).fit(X_TRAIN).transform(X_TEST * 100)
        assert np.abs(Z).max() == 1.0


class TestStandard:
    def test_zero_mean_unit_std(self):
        """Training features get mean 0 and std 1."""
        Z = StandardScaler().fit(X_TRAIN).transform(X_TRAIN)
        np.testing.assert_allclose(Z.mean(axis=0), 0.0, atol=1e-12)
        np.testing.assert_allclose(Z.std(axis=0), 1.0)


@pytest.mark.parametrize(
    "step",
    [
        MinMaxScaler(),
        MinMaxScaler(clip=True),
        MaxAbsScaler(max_value=2.0),
        MaxAbsScaler(clip=True),
        StandardScaler(),
    ],
    ids=lambda s: f"{s.kind}{'-clip' if getattr(s, 'clip', False) else ''}",
)
def test_torch_twin_and_state(step):
    """torch_transform agrees to 1e-12, has gradients, and state round-trips exactly."""
    step.fit(X_TRAIN)
    x = torch.tensor(X_TEST, requires_grad=True)
    out = step.torch_transform(x)
    assert np.max(np.abs(out.detach().numpy() - step.transform(X_TEST))) < 1e-12
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
    clone = type(step).from_state(step.get_config(), step.get_arrays())
    assert np.array_equal(clone.transform(X_TEST), step.transform(X_TEST))
