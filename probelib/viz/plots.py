"""Figures: image grids with class names, accuracy-vs-ε curves. Each returns a Figure."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

__all__ = ["to_display", "image_grid", "eps_curve", "bar_counts", "source", "loss_curves", "metric_panels",
           "interval_panels", "k_curves", "heatmaps"]


def to_display(images: torch.Tensor) -> np.ndarray:
    """``(N, C, H, W)`` in [-1, 1] -> ``(N, H, W)`` or ``(N, H, W, 3)`` in [0, 1] for imshow."""
    x = ((images.detach().cpu().float() + 1) / 2).clamp(0, 1)
    x = x.permute(0, 2, 3, 1).numpy()
    return x[..., 0] if x.shape[-1] == 1 else x


def image_grid(
    rows: Sequence[torch.Tensor],
    row_labels: Sequence[str],
    title: str | None = None,
    col_labels: Sequence[str] | None = None,
    cell: float = 0.9,
) -> plt.Figure:
    """One row of images per entry of ``rows`` (each ``(k, C, H, W)``), labelled on the left."""
    n_cols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), n_cols, figsize=(cell * n_cols + 1.2, cell * len(rows) + 0.4),
                             squeeze=False)
    for i, (imgs, label) in enumerate(zip(rows, row_labels)):
        shown = to_display(imgs)
        for j in range(n_cols):
            ax = axes[i, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for side in ax.spines.values():
                side.set_visible(False)
            if j < len(shown):
                ax.imshow(shown[j], cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        axes[i, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    if col_labels is not None:
        for j, label in enumerate(col_labels):
            axes[0, j].set_title(label, fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def eps_curve(curves: dict[str, Sequence[tuple[float, float]]], chosen_eps: float | None = None,
              title: str = "Accuracy under PGD-L2 attack") -> plt.Figure:
    """Accuracy against attack radius, one line per model; a dashed line at the chosen ε."""
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for name, points in curves.items():
        eps, acc = zip(*points)
        ax.plot(eps, np.asarray(acc) * 100, marker="o", label=name)
    if chosen_eps is not None:
        ax.axvline(chosen_eps, color="grey", linestyle="--", linewidth=1, label=f"chosen ε = {chosen_eps:g}")
    ax.axhline(30, color="tab:red", linestyle=":", linewidth=1, label="30 %")
    ax.set_xlabel("ε (L2 radius, [-1, 1] pixel units)")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def bar_counts(counts: dict[str, dict[str, int]], title: str = "") -> plt.Figure:
    """Grouped bars: images per class for each named split (e.g. full vs target-absent)."""
    names = list(next(iter(counts.values())).keys())
    fig, ax = plt.subplots(figsize=(7, 3))
    width = 0.8 / len(counts)
    for k, (split, per_class) in enumerate(counts.items()):
        ax.bar(np.arange(len(names)) + k * width, [per_class[n] for n in names], width, label=split)
    ax.set_xticks(np.arange(len(names)) + width * (len(counts) - 1) / 2, names, rotation=30, fontsize=8)
    ax.set_ylabel("images")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def source(obj) -> "object":
    """The source of a library function or class as a Markdown code block (for the book)."""
    import inspect

    from IPython.display import Markdown

    return Markdown(f"```python\n{inspect.getsource(obj).rstrip()}\n```")


def loss_curves(history: list[dict], keys: Sequence[str] | None = None, title: str = "Training losses") -> plt.Figure:
    """Losses against generator step from a trainer history (one line per key)."""
    steps = [h["step"] for h in history]
    keys = keys or [k for k in history[0] if k != "step"]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for k in keys:
        ax.plot(steps, [h.get(k, np.nan) for h in history], label=k, linewidth=1)
    ax.set_xlabel("generator step")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    return fig


def metric_panels(table, columns: Sequence[str], x_labels: Sequence[str] | None = None,
                  errors=None, title: str = "") -> plt.Figure:
    """One bar panel per metric column of a DataFrame (rows = settings); optional error bars."""
    fig, axes = plt.subplots(1, len(columns), figsize=(3.6 * len(columns), 3.2), squeeze=False)
    labels = list(x_labels or table.index)
    for ax, col in zip(axes[0], columns):
        yerr = None if errors is None else errors[col].fillna(0).values
        ax.bar(range(len(table)), table[col].values, yerr=yerr, color="tab:blue", alpha=0.8, capsize=3)
        ax.set_xticks(range(len(table)), labels, rotation=30, ha="right", fontsize=8)
        ax.set_title(col, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def interval_panels(nums, title: str = "", ylabel: str = "") -> plt.Figure:
    """One bar panel per column (judge) of a frame of ``(mean, low, high, n)`` tuples (rows =
    methods), with the interval as error bars; rows with a single run have none."""
    cols = list(nums.columns)
    fig, axes = plt.subplots(1, len(cols), figsize=(3.4 * len(cols), 3.4), squeeze=False, sharey=True)
    labels = list(nums.index)
    for ax, col in zip(axes[0], cols):
        mean = np.array([t[0] for t in nums[col]])
        low = np.array([t[1] for t in nums[col]])
        high = np.array([t[2] for t in nums[col]])
        ax.bar(range(len(labels)), mean, yerr=np.vstack([mean - low, high - mean]), color="tab:blue", alpha=0.8,
               capsize=3)
        ax.set_xticks(range(len(labels)), labels, rotation=40, ha="right", fontsize=8)
        ax.set_title(col, fontsize=9)
    if ylabel:
        axes[0, 0].set_ylabel(ylabel)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def k_curves(frames: dict, ylabel: str = "", title: str = "") -> plt.Figure:
    """One panel per entry of ``frames`` (a judge): each column a line over the frame's index
    (k), from ``(mean, low, high, n)`` tuples, the interval as error bars."""
    fig, axes = plt.subplots(1, len(frames), figsize=(3.6 * len(frames), 3.2), squeeze=False, sharey=True)
    for ax, (name, frame) in zip(axes[0], frames.items()):
        ks = np.asarray(list(frame.index), dtype=float)
        for j, col in enumerate(frame.columns):
            mean = np.array([t[0] for t in frame[col]])
            low = np.array([t[1] for t in frame[col]])
            high = np.array([t[2] for t in frame[col]])
            ax.errorbar(ks + 0.06 * (j - 0.5), mean, yerr=np.vstack([mean - low, high - mean]), marker="o",
                        capsize=3, label=col)
        ax.set_xticks(ks)
        ax.set_xlabel("classes absent from one GAN (k)")
        ax.set_title(name, fontsize=9)
    if ylabel:
        axes[0, 0].set_ylabel(ylabel)
    axes[0, 0].legend(fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def heatmaps(frames: dict, title: str = "", vmax: float = 100.0) -> plt.Figure:
    """One heatmap per entry of ``frames`` (rows × columns of a DataFrame of %), values printed."""
    n = len(frames)
    cols = min(n, 2)
    rows = -(-n // cols)
    first = next(iter(frames.values()))
    fig, axes = plt.subplots(rows, cols, figsize=(0.55 * first.shape[1] * cols + 1.5, 0.45 * first.shape[0] * rows
                                                  + 1.2), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, (name, frame) in zip(axes.flat, frames.items()):
        ax.imshow(frame.values, cmap="Blues", vmin=0, vmax=vmax, aspect="auto")
        ax.set_xticks(range(frame.shape[1]), list(frame.columns), rotation=60, ha="right", fontsize=7)
        ax.set_yticks(range(frame.shape[0]), list(frame.index), fontsize=7)
        for (i, j), v in np.ndenumerate(frame.values):
            if v >= 1:
                ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=6,
                        color="white" if v > 0.6 * vmax else "black")
        ax.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig
