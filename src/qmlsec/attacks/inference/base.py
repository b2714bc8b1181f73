"""Base class of the inference family: output access behind each attack's ``_run``.

:meth:`InferenceAttack.probabilities` is how every inference attack reads the victim:
through the counted endpoint when the target has one (so the real inference endpoint
works unchanged), else from the white-box model in hand.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from qmlsec.attacks.base import Attack
from qmlsec.exceptions import ConfigError, RequirementError


class InferenceAttack(Attack):
    """Infers private information (membership, inputs, labels) from what the target reveals."""

    family: ClassVar[str] = "inference"

    def probabilities(self, x: np.ndarray, *, seed: int | None = None) -> np.ndarray:
        """The victim's class probabilities ``(n, C)`` on raw inputs ``x``."""
        x = np.asarray(x, dtype=np.float64)
        endpoint = self.target.endpoint
        if endpoint is not None:
            output = getattr(endpoint, "output", "probabilities")
            if output != "probabilities":
                raise ConfigError(
                    f"attack {self.name!r} needs probabilities, the endpoint answers {output!r}",
                    hint="wrap the endpoint in QueryCounter(endpoint, output='probabilities')",
                )
            return np.asarray(endpoint.query(x, seed=seed), dtype=np.float64)
        if self.target.model is not None:
            return np.asarray(self.target.model.predict_proba(x), dtype=np.float64)
        raise RequirementError(
            f"attack {self.name!r} needs the victim's outputs",
            hint="use Target.black_box(QueryCounter(endpoint)) or Target.white_box(model)",
        )
