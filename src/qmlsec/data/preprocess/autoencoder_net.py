"""The torch network behind :class:`~qmlsec.data.preprocess.autoencoder.ConvAutoencoder`.

Example:
    >>> import torch
    >>> from qmlsec.data.preprocess.autoencoder_net import AutoencoderNet
    >>> net = AutoencoderNet(8, 8, 4, (8, 16), generator=torch.Generator().manual_seed(0))
    >>> net.encoder(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 4])
    >>> net(torch.zeros(2, 1, 8, 8)).shape
    torch.Size([2, 1, 8, 8])
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn


class AutoencoderNet(nn.Module):
    """Conv encoder to a linear bottleneck and a mirrored transposed-conv decoder.

    Encoder: conv 3x3 (c1) -> ReLU -> conv 3x3 stride 2 (c2) -> ReLU -> flatten ->
    linear (k). Decoder: linear -> ReLU -> transposed conv stride 2 (c1) -> ReLU ->
    conv 3x3 (1) -> sigmoid, back to ``(height, width)``.

    Parameters are created on the ``meta`` device and then initialised from
    ``generator`` (Kaiming-uniform weights, zero biases), so the global torch RNG is
    never touched. With ``generator=None`` parameters are zero (to be loaded).

    Args:
        height: Image height.
        width: Image width.
        n_components: Bottleneck size.
        channels: ``(c1, c2)``.
        generator: Source of the initial weights.
    """

    def __init__(
        self,
        height: int,
        width: int,
        n_components: int,
        channels: Sequence[int],
        *,
        generator: torch.Generator | None,
    ) -> None:
        super().__init__()
        c1, c2 = (int(c) for c in channels)
        h2, w2 = (height + 1) // 2, (width + 1) // 2
        flat = c2 * h2 * w2
        with torch.device("meta"):
            self.encoder = nn.Sequential(
                nn.Conv2d(1, c1, 3, padding=1),
                nn.ReLU(),
                nn.Conv2d(c1, c2, 3, stride=2, padding=1),
                nn.ReLU(),
                nn.Flatten(),
                nn.Linear(flat, n_components),
            )
            self.decoder = nn.Sequential(
                nn.Linear(n_components, flat),
                nn.ReLU(),
                nn.Unflatten(1, (c2, h2, w2)),
                nn.ConvTranspose2d(
                    c2,
                    c1,
                    3,
                    stride=2,
                    padding=1,
                    output_padding=(height - 2 * h2 + 1, width - 2 * w2 + 1),
                ),
                nn.ReLU(),
                nn.Conv2d(c1, 1, 3, padding=1),
                nn.Sigmoid(),
            )
        self.to_empty(device="cpu")
        with torch.no_grad():
            for name, param in self.named_parameters():
                if generator is None or name.endswith("bias"):
                    param.zero_()
                else:
                    nn.init.kaiming_uniform_(param, a=math.sqrt(5), generator=generator)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruct images ``x`` of shape ``(B, 1, height, width)``."""
        return self.decoder(self.encoder(x))
