"""Run-wide configuration and the seed fan-out.

One integer ``seed`` is the only source of randomness in a run. :func:`derive_seed`
turns it into an independent child seed for every consumer (data split, initial weights,
shots, transpiler, simulator, attacks), so that two consumers never share a stream and
adding a consumer never changes another's draws.

Example:
    >>> from qmlsec.config import derive_seed, rng
    >>> derive_seed(0, "data") == derive_seed(0, "data")
    True
    >>> derive_seed(0, "data") != derive_seed(0, "weights")
    True
    >>> float(rng(0, "shots").random()) == float(rng(0, "shots").random())
    True
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, ValidationError

from qmlsec.exceptions import ConfigError

if TYPE_CHECKING:  # numpy and torch load only where a generator is asked for
    import numpy as np
    import torch

SEED_BITS = 63


class FrozenModel(BaseModel):
    """Base of every config object: immutable, validated, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def derive_seed(seed: int, *names: str | int) -> int:
    """Return a child seed for the consumer named by ``names``.

    The child is a hash of the parent seed and the names, so it is stable across runs,
    platforms and Python versions.
    """
    key = ":".join([str(int(seed)), *map(str, names)]).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "little") >> (64 - SEED_BITS)


def rng(seed: int, *names: str | int) -> np.random.Generator:
    """A NumPy generator for the consumer named by ``names``."""
    import numpy as np

    return np.random.default_rng(derive_seed(seed, *names))


def torch_generator(seed: int, *names: str | int) -> torch.Generator:
    """A CPU torch generator for the consumer named by ``names``."""
    import torch

    gen = torch.Generator()
    gen.manual_seed(derive_seed(seed, *names))
    return gen


def validate_params(
    model: type[FrozenModel], params: FrozenModel | dict[str, Any] | None, *, owner: str
) -> Any:
    """Validate ``params`` (a model instance, a dict or ``None``) against ``model``.

    Raises :class:`~qmlsec.exceptions.ConfigError` naming ``owner`` (e.g. ``attack
    'evasion.pgd'``), each bad field, and the valid field names.

    Example:
        >>> class P(FrozenModel):
        ...     eps: float = 0.1
        >>> validate_params(P, {"eps": 0.2}, owner="attack 'x'").eps
        0.2
    """
    if isinstance(params, model):
        return params
    raw = params.model_dump() if isinstance(params, FrozenModel) else dict(params or {})
    try:
        return model(**raw)
    except ValidationError as err:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'params'}: {e['msg']}" for e in err.errors()
        )
        raise ConfigError(
            f"invalid parameters for {owner}: {problems}",
            hint=f"valid parameters: {', '.join(model.model_fields) or 'none'}",
        ) from None
