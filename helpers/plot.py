"""Pictures: plotting helpers that return their matplotlib figure, so tests can inspect it without a
screen, and ``tile`` and ``save_gif``, which turn generated images into one picture and an animation."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .files import atomic_write
from .pixels import to_pixels


def image_grid(
    images: Sequence[np.ndarray] | np.ndarray,
    titles: Sequence[str] | None = None,
    ncols: int = 8,
    cell_size: float = 1.6,
    cmap: str = "gray",
    suptitle: str | None = None,
    value_range: tuple[float, float] | None = None,
) -> Figure:
    """Show images in a grid, one per cell, with optional titles.

    Args:
        images: a sequence of (H, W) or (H, W, C) arrays, or one array of shape (N, H, W[, C]).
            Color images may be float in 0..1 or 0..255, or uint8; (H, W, 1) is shown as gray.
        titles: one title per image.
        ncols: cells per row (fewer if there are fewer images).
        cell_size: inches per cell.
        value_range: (low, high) shared by every image, so their colors compare; by default each
            image is scaled on its own.

    Returns:
        The figure, with one axes per cell (empty cells are hidden).
    """
    images = list(images)
    if not images:
        raise ValueError("images: expected at least one image, got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles: expected {len(images)} titles (one per image), got {len(titles)}")
    ncols = max(1, min(ncols, len(images)))
    nrows = math.ceil(len(images) / ncols)
    # Room for each row's titles, so a two-line title does not run into the image above it.
    title_lines = max((str(title).count("\n") + 1 for title in titles), default=0) if titles is not None else 0
    row_height = cell_size + 0.2 * title_lines
    fig, axes = plt.subplots(nrows, ncols, figsize=(cell_size * ncols, row_height * nrows + 0.3), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= len(images):
            continue
        low, high = value_range or (None, None)
        ax.imshow(_displayable(images[i]), cmap=cmap, vmin=low, vmax=high)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize="small")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    return fig


def _displayable(image: np.ndarray) -> np.ndarray:
    """Squeeze a single channel and bring float color images into 0..1 for ``imshow``."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim not in (2, 3):
        raise ValueError(f"images: each image must be (H, W) or (H, W, C), got shape {image.shape}")
    if image.ndim == 3 and image.dtype != np.uint8:
        top = 255.0 if image.max() > 1.0 else 1.0
        image = np.clip(image / top, 0.0, 1.0)
    return image


def training_curves(history: Mapping[str, Sequence[float]] | object, xlabel: str = "epoch") -> Figure:
    """Plot each metric of a Keras history against the epoch, training and validation together.

    Args:
        history: ``model.fit(...)``'s return value, or its ``.history`` dict
            (``{"loss": [...], "val_loss": [...], "accuracy": [...], ...}``).

    Returns:
        The figure, one axes per metric, one line per split.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, Mapping) or not logs:
        raise ValueError(
            f"history: expected a Keras History or a non-empty dict of lists, got {type(history).__name__}"
        )
    metrics = [name for name in logs if not name.startswith("val_")]
    fig, axes = plt.subplots(1, len(metrics), figsize=(4.5 * len(metrics), 3.2), squeeze=False)
    for ax, name in zip(axes.flat, metrics):
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            if key in logs:
                values = list(logs[key])
                ax.plot(range(1, len(values) + 1), values, marker="o" if len(values) <= 30 else None, label=label)
        ax.set_xlabel(xlabel)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # epochs and steps are whole numbers
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    return fig


def matrices(arrays: Sequence[np.ndarray], titles: Sequence[str], fmt: str = "{:g}") -> Figure:
    """Small 2-D arrays side by side as heat maps with every value written in its cell.

    Args:
        arrays: 2-D arrays, each (rows, cols), small enough to read (up to about 10x10).
        titles: one per array.
        fmt: format for the numbers.
    """
    if len(arrays) != len(titles):
        raise ValueError(f"titles: expected {len(arrays)} titles (one per array), got {len(titles)}")
    fig, axes = plt.subplots(1, len(arrays), figsize=(2.4 * len(arrays), 2.6), squeeze=False)
    for ax, array, title in zip(axes.flat, arrays, titles):
        array = np.asarray(array)
        if array.ndim != 2:
            raise ValueError(f"arrays: each must be 2-D (rows, cols), got shape {array.shape}")
        ax.imshow(array, cmap="Blues")
        middle = (array.max() + array.min()) / 2
        for (row, col), value in np.ndenumerate(array):
            color = "white" if value > middle else "black"
            ax.text(col, row, fmt.format(value), ha="center", va="center", color=color)
        ax.set_title(title)
        ax.set_axis_off()
    fig.tight_layout()
    return fig


def timing_bars(seconds: Mapping[str, float], title: str = "time per call (log scale)") -> Figure:
    """A horizontal bar per candidate, log-scaled, each labelled with its time in milliseconds."""
    if not seconds:
        raise ValueError("seconds: expected at least one timing, got none")
    names, values = list(seconds), [1000 * s for s in seconds.values()]
    fig, ax = plt.subplots(figsize=(6, 0.5 + 0.5 * len(names)))
    bars = ax.barh(names, values)
    ax.bar_label(bars, labels=[f"{v:.3g} ms" for v in values], padding=3)
    ax.set_xscale("log")
    ax.set_xlabel("milliseconds")
    ax.set_title(title)
    ax.invert_yaxis()
    ax.margins(x=0.3)
    fig.tight_layout()
    return fig


def confusion_matrix(counts: np.ndarray, class_names: Sequence[str]) -> Figure:
    """Heat map of a confusion matrix, rows = true class, columns = predicted, each row as percentages.

    Args:
        counts: integer array (K, K); ``counts[t, p]`` is how many of class ``t`` were predicted ``p``.
        class_names: K names.
    """
    counts = np.asarray(counts)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] != len(class_names):
        raise ValueError(
            f"counts: expected a square ({len(class_names)}, {len(class_names)}) array, got {counts.shape}"
        )
    share = 100 * counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    size = 1.0 + 0.55 * len(class_names)
    fig, ax = plt.subplots(figsize=(size + 1, size))
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=100)
    for (row, col), value in np.ndenumerate(share):
        if counts[row, col]:
            ax.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize="x-small",
                    color="white" if value > 50 else "black")  # fmt: skip
    ticks = range(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=60, ha="right")
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, label="% of the true class", shrink=0.8)
    fig.tight_layout()
    return fig


def filters(kernel: np.ndarray, ncols: int = 8) -> Figure:
    """The filters of a first convolution layer as small images, one per output channel.

    Args:
        kernel: weights of shape (kh, kw, C_in, C_out) with C_in 1 (gray) or 3 (RGB).
    """
    kernel = np.asarray(kernel)
    if kernel.ndim != 4 or kernel.shape[2] not in (1, 3):
        raise ValueError(f"kernel: expected shape (kh, kw, 1 or 3, C_out), got {kernel.shape}")
    low, high = kernel.min(), kernel.max()
    images = [(kernel[..., o] - low) / (high - low + 1e-12) for o in range(kernel.shape[3])]
    # One shared scale (0..1 after the shift above), so the filters' strengths compare.
    titles = [str(o) for o in range(len(images))]
    return image_grid(images, titles=titles, ncols=ncols, cell_size=0.9, value_range=(0, 1))


def feature_maps(maps: Mapping[str, np.ndarray], channels: int = 8) -> Figure:
    """The first ``channels`` feature maps of one image after each layer: one row per layer.

    Args:
        maps: layer name -> activations of shape (H, W, C) for one image.
    """
    if not maps:
        raise ValueError("maps: expected at least one layer's activations, got none")
    fig, axes = plt.subplots(len(maps), channels, figsize=(1.3 * channels, 1.45 * len(maps)), squeeze=False)
    for row, (name, activation) in zip(axes, maps.items()):
        activation = np.asarray(activation)
        if activation.ndim != 3:
            raise ValueError(f"maps[{name!r}]: expected one image's activations (H, W, C), got {activation.shape}")
        for c, ax in enumerate(row):
            ax.axis("off")
            if c < activation.shape[2]:
                ax.imshow(activation[:, :, c], cmap="viridis")
        row[0].set_title(f"{name} {activation.shape[0]}x{activation.shape[1]}x{activation.shape[2]}",
                         fontsize="small", loc="left")  # fmt: skip
    fig.tight_layout()
    return fig


def cost_shares(rows: Sequence[Mapping], title: str = "where the parameters and the compute are") -> Figure:
    """Two bar charts side by side: each layer's share of the parameters and of the multiply-adds.

    Args:
        rows: per-layer dicts with ``name``, ``params`` and ``macs`` (``models.layer_costs``); layers
            with neither are left out.
    """
    rows = [row for row in rows if row["params"] or row["macs"]]
    if not rows:
        raise ValueError("rows: expected at least one layer with parameters or multiply-adds, got none")
    names = [row["name"] for row in rows]
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.28 * len(rows) + 1.2), sharey=True)
    for ax, key, label in zip(axes, ("params", "macs"), ("% of parameters", "% of multiply-adds")):
        total = sum(row[key] for row in rows)
        ax.barh(names, [100 * row[key] / total for row in rows])
        ax.set_xlabel(label)
    axes[0].invert_yaxis()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def top_k(image: np.ndarray, predictions: Sequence[tuple[str, str, float]], title: str = "") -> Figure:
    """A photo beside a bar chart of its top-k classes.

    Args:
        image: (H, W, 3) RGB, uint8 or float in 0..255.
        predictions: ``(id, name, probability)`` tuples, most likely first (``imagenet.decode_top_k``).
    """
    if not predictions:
        raise ValueError("predictions: expected at least one (id, name, probability), got none")
    fig, (photo_ax, bar_ax) = plt.subplots(1, 2, figsize=(8, 2.6), gridspec_kw={"width_ratios": [1, 1.6]})
    photo_ax.imshow(_displayable(np.asarray(image, dtype=np.float32)))
    photo_ax.axis("off")
    photo_ax.set_title(title)
    names = [name for _, name, _ in predictions]
    bars = bar_ax.barh(names, [100 * p for *_, p in predictions])
    bar_ax.bar_label(bars, labels=[f"{100 * p:.1f}%" for *_, p in predictions], padding=3)
    bar_ax.invert_yaxis()
    bar_ax.set_xlim(0, 115)
    bar_ax.set_xlabel("probability (%)")
    fig.tight_layout()
    return fig


def tile(images: np.ndarray, ncols: int = 8) -> np.ndarray:
    """Images (N, H, W, 1) in [-1, 1] -> one uint8 picture (rows*H, ncols*W), gaps left black."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 1 or len(images) == 0:
        raise ValueError(f"images: expected shape (N, H, W, 1) with N >= 1, got {images.shape}")
    if ncols < 1:
        raise ValueError(f"ncols: expected >= 1, got {ncols}")
    n, h, w, _ = images.shape
    rows = math.ceil(n / ncols)
    canvas = np.zeros((rows * h, ncols * w), dtype=np.uint8)
    for i, image in enumerate(to_pixels(images)[..., 0].astype(np.uint8)):
        row, col = divmod(i, ncols)
        canvas[row * h : (row + 1) * h, col * w : (col + 1) * w] = image
    return canvas


def save_gif(frames: list[np.ndarray], path: str | Path, seconds_per_frame: float = 0.25, scale: int = 2) -> Path:
    """Write uint8 grayscale frames (H, W) as a looping GIF, atomically; returns the path."""
    from PIL import Image

    if not frames:
        raise ValueError("frames: expected at least one frame, got none")
    shapes = {np.shape(frame) for frame in frames}
    if len(shapes) != 1 or len(next(iter(shapes))) != 2 or any(np.asarray(f).dtype != np.uint8 for f in frames):
        raise ValueError(f"frames: expected uint8 arrays (H, W), all of one shape; got shapes {sorted(shapes)}")
    if scale < 1 or not seconds_per_frame > 0:
        raise ValueError(f"scale, seconds_per_frame: expected >= 1 and > 0, got {scale} and {seconds_per_frame}")
    pictures = [Image.fromarray(f).resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST) for f in frames]
    buffer = io.BytesIO()
    pictures[0].save(
        buffer, format="GIF", save_all=True, append_images=pictures[1:], duration=int(1000 * seconds_per_frame), loop=0
    )
    return atomic_write(path, buffer.getvalue())
