"""Balanced member / non-member evaluation sets for membership inference.

Members are drawn from the victim's training split and non-members from its test split,
in equal numbers (so an AUC of 0.5 is chance). What is left of the test split after the
non-members are drawn is the attacker's auxiliary pool (for shadow models).

Example:
    >>> import numpy as np
    >>> from qmlsec.attacks.base import AttackContext
    >>> ctx = AttackContext(np.zeros((10, 2)), np.zeros(10), x_train=np.ones((4, 2)),
    ...                     y_train=np.zeros(4))
    >>> s = membership_split(ctx, seed=0)
    >>> int(s.is_member.sum()), len(s.is_member), len(s.x_aux)
    (4, 8, 6)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qmlsec.attacks.base import AttackContext
from qmlsec.config import rng
from qmlsec.exceptions import ConfigError


@dataclass(frozen=True)
class MembershipSplit:
    """Candidates with their true membership, and the leftover auxiliary data.

    Attributes:
        x, y: candidate inputs and their true labels (members first).
        is_member: 1 for members, 0 for non-members.
        x_aux, y_aux: test-split samples not used as candidates.
    """

    x: np.ndarray
    y: np.ndarray
    is_member: np.ndarray
    x_aux: np.ndarray
    y_aux: np.ndarray


def membership_split(
    ctx: AttackContext, *, seed: int, max_per_side: int | None = None, aux_fraction: float = 0.0
) -> MembershipSplit:
    """Draw equal numbers of members (training split) and non-members (test split).

    Args:
        ctx: must hold the training split; membership of a model without known members
            cannot be evaluated.
        seed: seed of the draws.
        max_per_side: cap on members (and non-members).
        aux_fraction: share of the test split reserved for the auxiliary pool before
            non-members are drawn.
    """
    if ctx.x_train is None or ctx.y_train is None:
        raise ConfigError(
            "membership inference needs the victim's training split (the members)",
            hint="pass x_train/y_train in the attack context, e.g. the split the model was trained on",
        )
    gen = rng(seed, "membership", "split")
    test_order = gen.permutation(len(ctx.x_test))
    n_aux = int(round(aux_fraction * len(test_order)))
    aux, candidates = test_order[:n_aux], test_order[n_aux:]
    n = min(len(ctx.x_train), len(candidates), max_per_side or len(ctx.x_train))
    if n < 2:
        raise ConfigError(
            f"only {n} members/non-members available",
            hint="use a larger test split or a smaller aux_fraction",
        )
    members = gen.permutation(len(ctx.x_train))[:n]
    nonmembers, leftover = candidates[:n], candidates[n:]
    aux = np.concatenate([aux, leftover])
    y_test = np.asarray(ctx.y_test)
    return MembershipSplit(
        x=np.concatenate([np.asarray(ctx.x_train)[members], ctx.x_test[nonmembers]]),
        y=np.concatenate([np.asarray(ctx.y_train)[members], y_test[nonmembers]]),
        is_member=np.r_[np.ones(n, dtype=np.int64), np.zeros(n, dtype=np.int64)],
        x_aux=ctx.x_test[aux],
        y_aux=y_test[aux],
    )
