"""Tests of the pre-processing pipeline and its factory."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from qmlsec.data.datasets import load_dataset
from qmlsec.data.preprocess import PreprocessingPipeline, make_pipeline
from qmlsec.data.split import split
from qmlsec.exceptions import ConfigError, DataError


@pytest.fixture(scope="module")
def digits():
    return split(load_dataset("digits", classes="0-3"), seed=0)


CONFIGS = [
    {"reduction": "pca", "n_components": 8, "scaling": "minmax"},
    {"reduction": "pca", "n_components": 4, "scaling": "maxabs", "feature_range": (-np.pi, np.pi)},
    {"reduction": "none", "scaling": "standard"},
    {"reduction": "autoencoder", "n_components": 4, "scaling": "minmax", "autoencoder_epochs": 2},
]


@pytest.mark.parametrize("options", CONFIGS, ids=lambda o: f"{o['reduction']}-{o['scaling']}")
class TestPipeline:
    def test_torch_matches_numpy(self, digits, options):
        """torch_transform of the whole pipeline agrees with transform to 1e-12."""
        train, test = digits
        pipe = make_pipeline(**options).fit(train.X, seed=1)
        x = torch.tensor(test.X, requires_grad=True)
        out = pipe.torch_transform(x)
        assert out.dtype == torch.float64 and out.shape == (test.n_samples, pipe.n_features_out)
        assert np.max(np.abs(out.detach().numpy() - pipe.transform(test.X))) < 1e-12
        out.sum().backward()
        assert x.grad is not None and x.grad.shape == x.shape

    def test_state_round_trip_exact(self, digits, options):
        """to_state -> JSON -> from_state reproduces transform bit for bit."""
        train, test = digits
        pipe = make_pipeline(**options).fit(train.X, seed=1)
        config, arrays = pipe.to_state()
        config = json.loads(json.dumps(config))
        assert all(isinstance(a, np.ndarray) and a.dtype == np.float64 for a in arrays.values())
        clone = PreprocessingPipeline.from_state(config, arrays)
        assert np.array_equal(clone.transform(test.X), pipe.transform(test.X))
        assert clone.n_features_out == pipe.n_features_out


class TestPipelineErrors:
    def test_minmax_fits_training_only(self, digits):
        """The scaler range comes from the training split: train fills [0, pi]."""
        train, _ = digits
        Z = make_pipeline(n_components=3).fit(train.X).transform(train.X)
        np.testing.assert_allclose([Z.min(), Z.max()], [0.0, np.pi], atol=1e-12)

    def test_unfitted_and_wrong_width(self, digits):
        """Use before fit and inputs of the wrong width fail clearly."""
        pipe = make_pipeline(n_components=2)
        with pytest.raises(ConfigError, match="not fitted"):
            pipe.transform(digits[0].X)
        pipe.fit(digits[0].X)
        with pytest.raises(DataError, match=r"raw features of shape \(n, 64\)"):
            pipe.torch_transform(torch.zeros(2, 3, dtype=torch.float64))

    def test_damaged_state(self, digits):
        """Missing arrays, unknown kinds and wrong versions are ConfigErrors."""
        config, arrays = make_pipeline(n_components=2).fit(digits[0].X).to_state()
        with pytest.raises(ConfigError, match="missing array 'components'"):
            PreprocessingPipeline.from_state(
                config, {k: v for k, v in arrays.items() if "components" not in k}
            )
        bad = json.loads(json.dumps(config))
        bad["steps"][0]["kind"] = "magic"
        with pytest.raises(ConfigError, match="unknown pre-processing step kind 'magic'"):
            PreprocessingPipeline.from_state(bad, arrays)
        with pytest.raises(ConfigError, match="version"):
            PreprocessingPipeline.from_state({**config, "version": 99}, arrays)
        short = dict(arrays)
        short["step1.data_min"] = short["step1.data_min"][:1]
        with pytest.raises(
            ConfigError, match=r"array .data_min. has shape \(1,\), expected \(2,\)"
        ):
            PreprocessingPipeline.from_state(config, short)


class TestFactory:
    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({"reduction": "tsne"}, "reduction"),
            ({"n_components": 0}, "n_components"),
            ({"scaling": "standard", "feature_range": (0, 1)}, "does not apply"),
            ({"scaling": "maxabs", "feature_range": (0, 1)}, "symmetric"),
            ({"feature_range": (1, 0)}, "low < high"),
            ({"bogus": 1}, "bogus"),
        ],
    )
    def test_invalid_configs(self, options, match):
        """Invalid options raise ConfigError naming the field."""
        with pytest.raises(ConfigError, match=match):
            make_pipeline(**options)

    def test_too_many_components_at_fit(self):
        """n_components > n_features is reported when the data is known."""
        with pytest.raises(ConfigError, match="n_components=8 exceeds"):
            make_pipeline(n_components=8).fit(np.zeros((20, 4)))

    def test_steps(self):
        """The factory chains the requested steps."""
        assert [s.kind for s in make_pipeline(reduction="autoencoder", scaling="maxabs").steps] == [
            "autoencoder",
            "maxabs",
        ]
        assert make_pipeline(reduction="none", scaling="none").steps == []
