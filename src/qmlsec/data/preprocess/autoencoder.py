"""A small convolutional autoencoder used as a learned dimensionality reduction.

For image-like data (the 8x8 digits): a conv encoder maps the image to a
``n_components``-dimensional bottleneck and a mirrored decoder reconstructs it; the
pair is trained with MSE, seeded, for a few epochs on CPU. Only the encoder is used as
the transform, and it is an ordinary torch function, so gradients flow through it.

Example:
    >>> import numpy as np
    >>> from qmlsec.data.preprocess.autoencoder import ConvAutoencoder
    >>> X = np.random.default_rng(0).random((40, 16))
    >>> ae = ConvAutoencoder(n_components=3, epochs=2).fit(X, seed=0)
    >>> ae.transform(X).shape
    (40, 3)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Self

import numpy as np
import torch
from torch import nn

from qmlsec.config import torch_generator
from qmlsec.data.preprocess.autoencoder_net import AutoencoderNet
from qmlsec.data.preprocess.step import Step, as_tensor, fit_input
from qmlsec.exceptions import ConfigError

_PREFIX = "net."


def _positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(
            f"autoencoder {name} must be an integer >= 1, got {value!r}", hint="see ConvAutoencoder"
        )
    return value


class ConvAutoencoder(Step):
    """Convolutional autoencoder reduction to ``n_components`` features.

    Inputs are rescaled by the training set's global min and max into ``[0, 1]``,
    reshaped to ``image_shape``, and encoded. Training uses Adam on the MSE between
    input and reconstruction, mini-batches shuffled by a generator derived from the fit
    ``seed``; initial weights come from the same seed, so a fit is reproducible.

    Args:
        n_components: Bottleneck size (output features).
        image_shape: ``(height, width)`` of one sample; inferred for square inputs.
        channels: Channels of the two conv layers.
        epochs: Training epochs.
        batch_size: Mini-batch size.
        learning_rate: Adam learning rate.

    Example:
        >>> ae = ConvAutoencoder(n_components=8)
        >>> ae.epochs, ae.image_shape
        (30, None)
    """

    kind = "autoencoder"

    def __init__(
        self,
        n_components: int = 8,
        image_shape: Sequence[int] | None = None,
        channels: Sequence[int] = (8, 16),
        epochs: int = 30,
        batch_size: int = 64,
        learning_rate: float = 5e-3,
    ) -> None:
        self.n_components = _positive_int("n_components", n_components)
        self.image_shape = (
            None
            if image_shape is None
            else tuple(_positive_int("image_shape", int(v)) for v in image_shape)
        )
        if self.image_shape is not None and len(self.image_shape) != 2:
            raise ConfigError(
                f"image_shape must be (height, width), got {image_shape!r}", hint="e.g. (8, 8)"
            )
        self.channels = tuple(_positive_int("channels", int(c)) for c in channels)
        if len(self.channels) != 2:
            raise ConfigError(
                f"channels must have 2 entries, got {channels!r}", hint="e.g. (8, 16)"
            )
        self.epochs = _positive_int("epochs", epochs)
        self.batch_size = _positive_int("batch_size", batch_size)
        if not (math.isfinite(learning_rate) and learning_rate > 0):
            raise ConfigError(
                f"learning_rate must be > 0, got {learning_rate}", hint="use e.g. 5e-3"
            )
        self.learning_rate = float(learning_rate)

    def _resolve_shape(self, d: int) -> tuple[int, int]:
        if self.image_shape is not None:
            h, w = self.image_shape
            if h * w != d:
                raise ConfigError(
                    f"image_shape {self.image_shape} has {h * w} pixels but the data has {d} features",
                    hint="give image_shape=(height, width) with height*width == n_features",
                )
            return h, w
        side = math.isqrt(d)
        if side * side != d:
            raise ConfigError(
                f"cannot infer an image shape for {d} features (not a square)",
                hint="pass image_shape=(height, width), or use reduction='pca' for non-image data",
            )
        return side, side

    def _build(self, gen: torch.Generator | None) -> AutoencoderNet:
        h, w = self.shape_
        net = AutoencoderNet(h, w, self.n_components, self.channels, generator=gen)
        return net

    def fit(self, X: np.ndarray, *, seed: int = 0) -> Self:
        """Train the autoencoder on training features ``X`` with the given ``seed``."""
        X = fit_input(self.kind, X)
        n, d = X.shape
        if self.n_components > d:
            raise ConfigError(
                f"autoencoder n_components={self.n_components} exceeds n_features={d}",
                hint=f"use n_components <= {d}",
            )
        self.shape_ = self._resolve_shape(d)
        low, high = float(X.min()), float(X.max())
        self.input_low_, self.input_high_ = low, (high if high > low else low + 1.0)
        gen = torch_generator(seed, "preprocess", "autoencoder")
        net = self._build(gen).float()
        images = torch.tensor(self._normalise(X), dtype=torch.float32).reshape(n, 1, *self.shape_)
        optimiser = torch.optim.Adam(net.parameters(), lr=self.learning_rate)
        loss_fn = nn.MSELoss()
        for _ in range(self.epochs):
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, self.batch_size):
                batch = images[order[start : start + self.batch_size]]
                optimiser.zero_grad()
                loss = loss_fn(net(batch), batch)
                loss.backward()
                optimiser.step()
        self._finish(net)
        self.n_features_in_ = d
        return self

    def _finish(self, net: AutoencoderNet) -> None:
        net = net.double().eval()
        net.requires_grad_(False)
        self.net_ = net

    def _normalise(self, X: np.ndarray) -> np.ndarray:
        return (X - self.input_low_) / (self.input_high_ - self.input_low_)

    @property
    def n_features_out(self) -> int:
        """``n_components``."""
        return self.n_components

    def _encode(self, x: torch.Tensor) -> torch.Tensor:
        scaled = (x - self.input_low_) / (self.input_high_ - self.input_low_)
        return self.net_.encoder(scaled.reshape(x.shape[0], 1, *self.shape_))

    def _transform(self, X: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            return self._encode(as_tensor(X)).numpy().copy()

    def _torch_transform(self, x: torch.Tensor) -> torch.Tensor:
        return self._encode(x)

    def reconstruction_error(self, X: np.ndarray) -> float:
        """Mean squared reconstruction error of ``X`` in the normalised ``[0, 1]`` space."""
        X = np.asarray(X, dtype=np.float64)
        self._check_input(X.shape)
        with torch.no_grad():
            x = as_tensor(self._normalise(X)).reshape(X.shape[0], 1, *self.shape_)
            return float(torch.mean((self.net_(x) - x) ** 2))

    def get_config(self) -> dict[str, Any]:
        """Constructor parameters (with the resolved ``image_shape``) and ``n_features_in``."""
        d = self._check_fitted()
        return {
            "n_components": self.n_components,
            "image_shape": list(self.shape_),
            "channels": list(self.channels),
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "n_features_in": d,
        }

    def get_arrays(self) -> dict[str, np.ndarray]:
        """``input_range`` and every network weight as ``net.<name>`` (float64)."""
        self._check_fitted()
        arrays = {"input_range": np.array([self.input_low_, self.input_high_])}
        for name, value in self.net_.state_dict().items():
            arrays[_PREFIX + name] = value.detach().numpy().copy()
        return arrays

    def _set_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.shape_ = self._resolve_shape(int(self.n_features_in_ or 0))
        low, high = (float(v) for v in self._array(arrays, "input_range", (2,)))
        self.input_low_, self.input_high_ = low, high
        net = self._build(None).double()
        state = {
            name: torch.from_numpy(arrays[_PREFIX + name].astype(np.float64))
            for name in net.state_dict()
        }
        net.load_state_dict(state)
        self._finish(net)
