"""The report's plots, drawn with matplotlib (Agg) and returned as inline SVG text.

Each function takes the report document (``runs``, ``defenses``, ``noise``...) and
returns ``None`` when there is nothing to draw, so a report only shows plots it has
data for.

Example:
    >>> svg = accuracy_vs_noise({"noise": {"noise_scale": [0, 1], "accuracy": [0.9, 0.7],
    ...                                    "device": "fake_manila"}})
    >>> svg.lstrip().startswith("<svg")
    True
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

Doc = dict[str, Any]


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def _figure(title: str, xlabel: str, ylabel: str) -> tuple[Any, Any]:
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return fig, ax


def _ok(doc: Doc, prefix: str) -> list[Doc]:
    return [
        r for r in doc.get("runs", []) if r["status"] == "ok" and r["attack"].startswith(prefix)
    ]


def robust_accuracy(doc: Doc) -> str | None:
    """Robust accuracy vs ε for every evasion run (dashed: with a defense)."""
    runs = [r for r in _ok(doc, "evasion.") if "robust_accuracy" in r.get("curves", {})]
    if not runs:
        return None
    fig, ax = _figure("Robust accuracy vs ε", "ε", "accuracy under attack")
    for r in runs:
        c = r["curves"]["robust_accuracy"]
        (line,) = ax.plot(c["x"], c["y"], marker="o", label=f"{r['attack']} ({r['run_id']})")
        for d in doc.get("defenses", []):
            cw = d.get("curves_with", {}).get("robust_accuracy")
            if d.get("run_id") == r["run_id"] and d["status"] == "ok" and cw:
                ax.plot(cw["x"], cw["y"], ls="--", color=line.get_color(),
                        label=f"  + {d['defense']}")  # fmt: skip
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=6)
    return _svg(fig)


def extraction_agreement(doc: Doc) -> str | None:
    """Agreement of the extracted model with the victim vs the query budget."""
    points: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for r in _ok(doc, "extraction."):
        head, queries = r.get("headline"), r.get("params", {}).get("queries")
        if head is not None and queries is not None:
            points[r["attack"]].append((float(queries), float(head["value"])))
    if not points:
        return None
    fig, ax = _figure("Extraction agreement vs queries", "queries", "agreement with victim")
    for name, pts in sorted(points.items()):
        pts.sort()
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=name)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return _svg(fig)


def membership_roc(doc: Doc) -> str | None:
    """ROC curves of the membership-inference runs."""
    runs = [r for r in _ok(doc, "inference.membership") if "is_member" in r.get("per_sample", {})]
    if not runs:
        return None
    fig, ax = _figure("Membership inference ROC", "false positive rate", "true positive rate")
    ax.plot([0, 1], [0, 1], color="grey", ls=":", label="chance")
    for r in runs:
        ps = r["per_sample"]
        key: str | None = f"score_{r['params'].get('score', '')}"
        key = (
            key
            if key in ps
            else next((k for k in ps if k.startswith("score") or k.startswith("member_prob")), None)
        )
        if key is None or len(set(ps["is_member"])) < 2:
            continue
        fpr, tpr, _ = roc_curve(ps["is_member"], np.nan_to_num(np.asarray(ps[key], dtype=float)))
        auc = r.get("metrics", {}).get("auc")
        ax.plot(fpr, tpr, label=f"{r['attack']}" + (f" (AUC {auc:.2f})" if auc is not None else ""))
    ax.legend(fontsize=7)
    return _svg(fig)


def accuracy_vs_noise(doc: Doc) -> str | None:
    """Victim accuracy vs the device's calibration-noise scale."""
    noise = doc.get("noise") or {}
    if not noise.get("accuracy"):
        return None
    fig, ax = _figure(
        f"Accuracy vs noise on {noise.get('device', '?')}",
        "noise scale (x calibration)",
        "test accuracy",
    )
    ax.plot(noise["noise_scale"], noise["accuracy"], marker="o")
    ax.set_ylim(-0.02, 1.02)
    return _svg(fig)


def costs(doc: Doc) -> str | None:
    """Wall time of every attack run and defended re-run, and the training cost account."""
    runs = [r for r in doc.get("runs", []) if r.get("seconds") is not None]
    if not runs:
        return None
    per: dict[str, float] = defaultdict(float)
    for r in runs:
        per[r["attack"]] += float(r["seconds"])
    for d in doc.get("defenses", []):
        per[f"+ {d['defense']}"] += float(d.get("seconds") or 0.0)
    names = sorted(per, key=per.__getitem__)
    fig, ax = _figure("Costs: wall time per attack / defense", "seconds", "")
    fig.set_size_inches(6.4, max(3.4, 0.16 * len(names) + 1.0))  # one readable row per bar
    ax.barh(names, [per[n] for n in names], color="#4c72b0")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    total = (doc.get("deployment", {}).get("cost", {}) or {}).get("total", {})
    if total:
        ax.set_title(f"Costs (training: {total.get('circuits', 0)} circuits, "
                     f"{total.get('shots', 0)} shots, ${total.get('price_usd', 0):.2f})", fontsize=9)  # fmt: skip
    return _svg(fig)


PLOTS: dict[str, tuple[str, Callable[[Doc], str | None]]] = {
    "robust_accuracy": ("Robust accuracy vs ε", robust_accuracy),
    "extraction_agreement": ("Extraction agreement vs queries", extraction_agreement),
    "membership_roc": ("Membership-inference ROC", membership_roc),
    "accuracy_vs_noise": ("Accuracy vs noise", accuracy_vs_noise),
    "costs": ("Costs", costs),
}


def all_plots(doc: Doc) -> dict[str, dict[str, str]]:
    """Plot key -> ``{title, svg}`` for every plot with data."""
    out = {}
    for key, (title, draw) in PLOTS.items():
        svg = draw(doc)
        if svg is not None:
            out[key] = {"title": title, "svg": svg}
    return out
