"""QUID vs random label flipping (accuracy drop per poison rate over seeds, with 95 %
t-intervals and the paired QUID - random difference) and the backdoor's clean accuracy /
attack success rate, on the default digits model recipe (digits 0-3, PCA to 8, 8
qubits, 3 layers, 30 epochs) or a smaller one.

Every attack of one seed poisons the same samples (the poisoning selection is seeded by
the attack seed), so the per-seed differences are paired.

Run:
    python bench/poisoning_compare.py                       # default recipe, 3 seeds
    python bench/poisoning_compare.py --qubits 4 --layers 2 --epochs 15
    python bench/poisoning_compare.py --rates 0.1,0.2,0.3 --variants sample,class --no-backdoor
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from scipy import stats

from qmlsec.attacks import Capability, Position, Target
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.poisoning.backdoor import Backdoor
from qmlsec.attacks.poisoning.label_flip import RandomLabelFlip
from qmlsec.attacks.poisoning.quid import QUID
from qmlsec.attacks.setup import refit_like
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier


def t_interval(values: np.ndarray) -> list[float]:
    """Mean and 95 % t-interval of ``values`` (seeds), rounded."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if len(values) < 2:
        return [round(mean, 4), round(mean, 4), round(mean, 4)]
    half = float(stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values)))
    return [round(mean, 4), round(mean - half, 4), round(mean + half, 4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qubits", type=int, default=8)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--rates", default="0.1,0.2,0.3,0.4")
    parser.add_argument("--variants", default="sample", help="QUID assignments: sample,class")
    parser.add_argument("--no-backdoor", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rates = [float(r) for r in args.rates.split(",")]
    train, test = split(load_dataset("digits", classes="0-3", seed=0), test_size=0.25, seed=0)
    x_train, y_train = np.array(train.X), np.array(train.y)
    clf = QNNClassifier(
        n_qubits=args.qubits, layers=args.layers, epochs=args.epochs, random_state=0
    ).fit(x_train, y_train)
    ctx = AttackContext(
        x_test=np.array(test.X),
        y_test=np.array(test.y),
        x_train=x_train,
        y_train=y_train,
        train_victim=refit_like(clf),
    )
    writer = Target(
        Position.UNTRUSTED_CLASSICAL_CLOUD, frozenset({Capability.TRAINING_DATA_WRITE}), model=clf
    )
    attacks: list[tuple[str, type, dict]] = [
        (f"quid_{v}", QUID, {"assignment": v}) for v in args.variants.split(",")
    ]
    attacks.append(("random", RandomLabelFlip, {}))
    drops: dict[str, list[list[float]]] = {key: [] for key, _, _ in attacks}
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for key, cls, extra in attacks:
            m = cls(writer, {"rates": rates, **extra}, seed=seed).run(ctx).metrics
            drops[key].append([m[f"accuracy_drop@{r:g}"] for r in rates])
            print(key, seed, "clean", round(m["clean_accuracy"], 4), drops[key][-1], flush=True)
    summary: dict[str, object] = {
        "recipe": {"qubits": args.qubits, "layers": args.layers, "epochs": args.epochs},
        "n_train": len(y_train), "n_test": len(test.y), "seeds": args.seeds, "rates": rates,
    }  # fmt: skip
    for key in drops:
        d = np.array(drops[key])
        summary[f"{key}_drop_mean_ci"] = [t_interval(d[:, k]) for k in range(len(rates))]
    base = np.array(drops["random"])
    for key in drops:
        if key != "random":
            diff = np.array(drops[key]) - base
            summary[f"{key}_minus_random_ci"] = [t_interval(diff[:, k]) for k in range(len(rates))]
    if not args.no_backdoor:
        backdoor = Backdoor(writer, {"rate": 0.1}).run(ctx)
        summary["backdoor"] = {k: round(v, 4) for k, v in backdoor.metrics.items()}
        summary["backdoor_trigger"] = backdoor.notes[0]
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
