"""Wall time of PGD and the FGSM/PGD robust-accuracy curves on the default digits model.

The default model is what ``qmlsec train`` builds with no options: digits 0-3, PCA to 8
components, 8 qubits, 3 hardware-efficient layers, 30 epochs, seed 0, 25 % test split.
ε is in box units (a fraction of the raw pixel range [0, 16]), L∞ unless ``--norm 2``.

Run:
    python bench/pgd_time.py                 # trains the default model first
    python bench/pgd_time.py --model model/  # or uses a saved one
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from qmlsec.attacks import Target
from qmlsec.attacks.base import AttackContext
from qmlsec.attacks.evasion.fgsm import FGSM
from qmlsec.attacks.evasion.pgd import PGD
from qmlsec.attacks.setup import refit_like
from qmlsec.data import load_dataset, split
from qmlsec.models.classifier import QNNClassifier
from qmlsec.models.persist import load_classifier

EPS = [0.01, 0.02, 0.05, 0.1, 0.2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None, help="saved default model (else train it)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--norm", default="inf", choices=["inf", "2"])
    parser.add_argument("--art", action="store_true", help="compare with ART's PGD")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train, test = split(load_dataset("digits", classes="0-3", seed=0), test_size=0.25, seed=0)
    x_train, y_train = np.array(train.X), np.array(train.y)
    x, y = np.array(test.X), np.array(test.y)
    if args.model:
        clf = load_classifier(args.model)
    else:
        start = time.perf_counter()
        clf = QNNClassifier(n_qubits=8, layers=3, epochs=30, lr=0.05, random_state=0)
        clf.fit(x_train, y_train)
        print(f"trained the default model in {time.perf_counter() - start:.1f} s")
    box = (float(x_train.min()), float(x_train.max()))
    target = Target.white_box(clf)
    pgd = PGD(target, {"steps": 10, "norm": args.norm, "eps_units": "box"})
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        pgd.generate(x, y, eps=0.1, box=box)
        times.append(time.perf_counter() - start)
    print(
        f"PGD eps=0.1 (L{args.norm}, box units), 10 steps, {len(x)} test samples, "
        f"{args.threads} thread(s): best {min(times):.3f} s, median {np.median(times):.3f} s"
    )
    curves: dict[str, object] = {"eps": EPS, "norm": args.norm}
    for name, cls in (("fgsm", FGSM), ("pgd", PGD)):
        ctx = AttackContext(
            x_test=x, y_test=y, x_train=x_train, y_train=y_train, train_victim=refit_like(clf)
        )
        result = cls(target, {"eps": EPS, "norm": args.norm, "eps_units": "box"}).run(ctx)
        curves["clean_accuracy"] = result.metrics["clean_accuracy"]
        curves[name] = [round(v, 4) for v in result.curves["robust_accuracy"]["y"]]
        curves[f"{name}_mean_linf"] = [round(v, 3) for v in result.curves["mean_linf"]["y"]]
    print(json.dumps(curves, indent=2))
    if args.art:
        compare_art(clf, x, y, box, args.norm)


def compare_art(clf: QNNClassifier, x: np.ndarray, y: np.ndarray, box, norm: str) -> None:
    """ART PGD and ours with the same settings (no random start, last iterate)."""
    from art.attacks.evasion import ProjectedGradientDescent

    from qmlsec.attacks.art_adapter import as_art_classifier

    radius = 0.1 * (box[1] - box[0])
    art_pgd = ProjectedGradientDescent(
        as_art_classifier(clf, clip_values=box),
        norm=np.inf if norm == "inf" else 2,
        eps=radius,
        eps_step=0.25 * radius,
        max_iter=10,
        num_random_init=0,
        verbose=False,
    )
    start = time.perf_counter()
    x_art = art_pgd.generate(x.astype(np.float32), y=clf.class_index(y)).astype(np.float64)
    art_seconds = time.perf_counter() - start
    params = {"steps": 10, "norm": norm, "keep_best": False}
    x_ours = PGD(Target.white_box(clf), params).generate(x, y, eps=0.1, box=box)
    gap = np.abs(x_art - x_ours).max(axis=1) / radius
    print(
        json.dumps(
            {
                "art_adversarial_accuracy": clf.score(x_art, y),
                "ours_adversarial_accuracy": clf.score(x_ours, y),
                "art_seconds": round(art_seconds, 3),
                "max_coordinate_gap_over_radius_median": float(np.median(gap)),
                "max_coordinate_gap_over_radius_max": float(gap.max()),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
