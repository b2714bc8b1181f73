"""QUID vs random label flipping (accuracy drop per poison rate, mean over seeds) and the
backdoor's clean accuracy / attack success rate, on the default digits model recipe
(digits 0-3, PCA to 8, 8 qubits, 3 layers, 30 epochs) or a smaller one.

Run:
    python bench/poisoning_compare.py              # default recipe, 3 seeds
    python bench/poisoning_compare.py --qubits 4 --layers 2 --epochs 15
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from qmlsec.attacks import Capability, Position, Target
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.poisoning.backdoor import Backdoor
from qmlsec.attacks.poisoning.label_flip import RandomLabelFlip
from qmlsec.attacks.poisoning.quid import QUID
from qmlsec.attacks.setup import refit_like
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--qubits", type=int, default=8)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rates", default="0.1,0.2,0.3,0.4")
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
    drops: dict[str, list[list[float]]] = {"quid": [], "random": []}
    for seed in range(args.seeds):
        for key, cls in (("quid", QUID), ("random", RandomLabelFlip)):
            m = cls(writer, {"rates": rates}, seed=seed).run(ctx).metrics
            drops[key].append([m[f"accuracy_drop@{r:g}"] for r in rates])
            print(key, seed, "clean", round(m["clean_accuracy"], 4), drops[key][-1], flush=True)
    summary = {
        "rates": rates,
        "quid_mean_drop": np.mean(drops["quid"], axis=0).round(4).tolist(),
        "random_mean_drop": np.mean(drops["random"], axis=0).round(4).tolist(),
    }
    backdoor = Backdoor(writer, {"rate": 0.1}).run(ctx)
    summary["backdoor"] = {k: round(v, 4) for k, v in backdoor.metrics.items()}
    summary["backdoor_trigger"] = backdoor.notes[0]
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
