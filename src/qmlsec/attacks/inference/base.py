"""Base class of the inference family: one verb, `infer`."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, ClassVar

from qmlsec.attacks.base import Attack


class InferenceAttack(Attack):
    """Infers private information (membership, inputs, labels) from what the target reveals."""

    family: ClassVar[str] = "inference"

    @abstractmethod
    def infer(self, *args: Any, **kwargs: Any) -> Any:
        """Return the inferred quantities (scores, reconstructions) for the given data."""
