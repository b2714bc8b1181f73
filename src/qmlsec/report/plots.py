"""The report's plots, drawn with matplotlib (Agg) and returned as inline SVG text.

Each function takes the report document (``runs``, ``defenses``, ``noise``...) and
returns ``None`` when there is nothing to draw, so a report only shows plots it has
data for. Measured rates are drawn with their 95 % intervals (error bars or bands,
from each run's ``intervals``); titles say what is plotted and in which unit.

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

from qmlsec.stats import proportion  # noqa: E402

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


def _yerr(values: list[float], cis: list[list[float] | None]) -> np.ndarray | None:
    """Asymmetric error bars ``(2, n)`` from intervals; ``None`` when any is missing."""
    if not cis or any(c is None for c in cis):
        return None
    lo = [max(v - c[0], 0.0) for v, c in zip(values, cis, strict=True)]  # type: ignore[index]
    hi = [max(c[1] - v, 0.0) for v, c in zip(values, cis, strict=True)]  # type: ignore[index]
    return np.array([lo, hi])


def _curve_cis(run: Doc, xs: list[float]) -> list[list[float] | None]:
    intervals = run.get("intervals") or {}
    return [(intervals.get(f"adversarial_accuracy@{x:g}") or {}).get("ci") for x in xs]


def robust_accuracy(doc: Doc) -> str | None:
    """Accuracy under attack vs ε with 95 % intervals (dashed: with a defense)."""
    runs = [r for r in _ok(doc, "evasion.") if "robust_accuracy" in r.get("curves", {})]
    if not runs:
        return None
    fig, ax = _figure("Accuracy under attack vs ε (95 % CI)", "ε (fraction of the input box)",
                      "accuracy under attack")  # fmt: skip
    for r in runs:
        c = r["curves"]["robust_accuracy"]
        (line,) = ax.plot(c["x"], c["y"], marker="o", label=f"{r['attack']} ({r['run_id']})")
        err = _yerr(c["y"], _curve_cis(r, c["x"]))
        if err is not None:
            ax.errorbar(c["x"], c["y"], yerr=err, fmt="none", ecolor=line.get_color(),
                        capsize=3, alpha=0.7)  # fmt: skip
        for d in doc.get("defenses", []):
            cw = d.get("curves_with", {}).get("robust_accuracy")
            if d.get("run_id") == r["run_id"] and d["status"] == "ok" and cw:
                ax.plot(cw["x"], cw["y"], ls="--", color=line.get_color(),
                        label=f"  + {d['defense']}")  # fmt: skip
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=6)
    return _svg(fig)


def extraction_agreement(doc: Doc) -> str | None:
    """Agreement of the extracted model with the victim vs the query budget (95 % CI)."""
    points: dict[str, list[tuple[float, float, Any]]] = defaultdict(list)
    for r in _ok(doc, "extraction."):
        head, queries = r.get("headline"), r.get("params", {}).get("queries")
        if head is not None and queries is not None:
            points[r["attack"]].append((float(queries), float(head["value"]), head.get("ci")))
    if not points:
        return None
    fig, ax = _figure("Extraction: agreement with the victim vs queries (95 % CI)",
                      "label queries", "agreement with victim")  # fmt: skip
    for name, pts in sorted(points.items(), key=lambda kv: kv[0]):
        pts.sort(key=lambda p: p[0])
        xs, ys = [p[0] for p in pts], [p[1] for p in pts]
        err = _yerr(ys, [p[2] for p in pts])
        ax.errorbar(xs, ys, yerr=err, marker="o", capsize=3, label=name)
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return _svg(fig)


def membership_roc(doc: Doc) -> str | None:
    """ROC curves of the membership-inference runs."""
    runs = [r for r in _ok(doc, "inference.membership") if "is_member" in r.get("per_sample", {})]
    if not runs:
        return None
    fig, ax = _figure("Membership inference: ROC (AUC with 95 % CI)", "false positive rate",
                      "true positive rate")  # fmt: skip
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
        ci = ((r.get("intervals") or {}).get("auc") or {}).get("ci")
        label = r["attack"] + (f" (AUC {auc:.2f}" if auc is not None else "")
        label += (f" [{ci[0]:.2f}, {ci[1]:.2f}], n={len(ps['is_member'])})" if ci and auc is not None
                  else (")" if auc is not None else ""))  # fmt: skip
        ax.plot(fpr, tpr, label=label)
    ax.legend(fontsize=7)
    return _svg(fig)


def accuracy_vs_noise(doc: Doc) -> str | None:
    """Victim accuracy vs the device's calibration-noise scale."""
    noise = doc.get("noise") or {}
    if not noise.get("accuracy"):
        return None
    n = int(noise.get("samples") or 0)
    fig, ax = _figure(
        f"Victim accuracy vs device noise on {noise.get('device', '?')} (n={n}, 95 % CI)",
        "noise scale (x calibration)",
        "test accuracy",
    )
    xs, ys = noise["noise_scale"], noise["accuracy"]
    cis = noise.get("accuracy_ci") or (
        [list(proportion(a, n).ci or (a, a)) for a in ys] if n else None
    )
    ax.plot(xs, ys, marker="o")
    if cis:
        ax.fill_between(xs, [c[0] for c in cis], [c[1] for c in cis], alpha=0.25)
    ax.set_ylim(-0.02, 1.02)
    return _svg(fig)


def impact_intervals(doc: Doc) -> str | None:
    """Measured impact of each measured technique with its 95 % interval, by outcome."""
    rows = [t for t in doc.get("techniques", []) if t.get("measured_impact") is not None]
    if not rows:
        return None
    rows.sort(key=lambda t: t["measured_impact"])
    fig, ax = _figure("Measured impact per technique (95 % CI; colour: outcome)",
                      "measured impact (0 none, 1 total)", "")  # fmt: skip
    fig.set_size_inches(6.4, max(3.4, 0.2 * len(rows) + 1.0))
    colours = {"achieved": "#d6604d", "inconclusive": "#d4a017", "no effect": "#4daf4a"}
    for k, t in enumerate(rows):
        v, ci = t["measured_impact"], t.get("impact_ci")
        colour = colours.get(t.get("outcome") or "", "#777777")
        err = None if not ci else [[max(v - ci[0], 0.0)], [max(ci[1] - v, 0.0)]]
        ax.errorbar([v], [k], xerr=err, fmt="o", color=colour, capsize=3)
    ax.set_yticks(range(len(rows)), [f"{t['id']} {t['name'][:28]}" for t in rows], fontsize=6)
    ax.set_xlim(-0.02, 1.02)
    fig.tight_layout()
    return _svg(fig)


def costs(doc: Doc) -> str | None:
    """Wall time of every attack run and defended re-run (seconds), summed per name."""
    runs = [r for r in doc.get("runs", []) if r.get("seconds") is not None]
    if not runs:
        return None
    per: dict[str, float] = defaultdict(float)
    for r in runs:
        per[r["attack"]] += float(r["seconds"])
    for d in doc.get("defenses", []):
        per[f"+ {d['defense']}"] += float(d.get("seconds") or 0.0)
    names = sorted(per, key=per.__getitem__)
    fig, ax = _figure("Wall time per attack and defended re-run", "seconds", "")
    fig.set_size_inches(6.4, max(3.4, 0.16 * len(names) + 1.0))  # one readable row per bar
    ax.barh(names, [per[n] for n in names], color="#4c72b0")
    ax.tick_params(axis="y", labelsize=7)
    fig.tight_layout()
    return _svg(fig)


PLOTS: dict[str, tuple[str, Callable[[Doc], str | None]]] = {
    "impact": ("Measured impact per technique (95 % CI)", impact_intervals),
    "robust_accuracy": ("Accuracy under attack vs ε (95 % CI)", robust_accuracy),
    "extraction_agreement": ("Extraction agreement vs queries (95 % CI)", extraction_agreement),
    "membership_roc": ("Membership-inference ROC", membership_roc),
    "accuracy_vs_noise": ("Victim accuracy vs device noise (95 % CI)", accuracy_vs_noise),
    "costs": ("Wall time per attack and defended re-run (seconds)", costs),
}


def all_plots(doc: Doc) -> dict[str, dict[str, str]]:
    """Plot key -> ``{title, svg}`` for every plot with data."""
    out = {}
    for key, (title, draw) in PLOTS.items():
        svg = draw(doc)
        if svg is not None:
            out[key] = {"title": title, "svg": svg}
    return out
