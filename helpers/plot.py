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
    value_range: tuple[float, float] | str | None = None,
    colorbar: str | None = None,
) -> Figure:
    """Show images in a grid, one per cell, with optional titles.

    Args:
        images: a sequence of (H, W) or (H, W, C) arrays, or one array of shape (N, H, W[, C]).
            Color images may be float in 0..1 or 0..255, or uint8; (H, W, 1) is shown as gray.
        titles: one title per image.
        ncols: cells per row (fewer if there are fewer images).
        cell_size: inches per cell.
        cmap: colormap of single-channel images; for signed values pick a diverging one (``"RdBu_r"``)
            with ``value_range="symmetric"``, so 0 is its middle color.
        value_range: one scale for every single-channel image, so their colors compare: (low, high),
            ``"shared"`` (the lowest to the highest value of all of them) or ``"symmetric"`` (-m to m,
            m the largest absolute value). By default each image is scaled on its own.
        colorbar: label of one colorbar for the whole grid; needs ``value_range``.

    Returns:
        The figure, with one axes per cell (empty cells are hidden) and the colorbar's axes last.
    """
    images = list(images)
    if not images:
        raise ValueError("images: expected at least one image, got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"titles: expected {len(images)} titles (one per image), got {len(titles)}")
    if colorbar is not None and value_range is None:
        raise ValueError("colorbar: needs a shared value_range (a tuple, 'shared' or 'symmetric'), got None")
    shown = [_displayable(image) for image in images]
    if isinstance(value_range, str):
        gray = [image for image in shown if image.ndim == 2]
        if value_range not in ("shared", "symmetric") or not gray:
            raise ValueError(
                f"value_range: expected a (low, high) pair, or 'shared' or 'symmetric' with at least one "
                f"single-channel image, got {value_range!r} for {len(gray)} single-channel images"
            )
        low, high = float(min(image.min() for image in gray)), float(max(image.max() for image in gray))
        if value_range == "symmetric":
            high = max(-low, high) or 1.0  # all zeros still get a scale
            low = -high
        value_range = (low, high)
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
        ax.imshow(shown[i], cmap=cmap, vmin=low, vmax=high)
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize="small")
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()
    if colorbar is not None:  # after the layout: tight_layout cannot place a colorbar that spans axes
        used = list(axes.flat[: len(images)])
        fig.colorbar(used[0].images[0], ax=used, label=colorbar, shrink=0.9, fraction=0.03, pad=0.02)
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


def matrices(
    arrays: Sequence[np.ndarray],
    titles: Sequence[str],
    fmt: str = "{:g}",
    windows: Sequence[int | tuple[int, int] | None] | None = None,
) -> Figure:
    """Small 2-D arrays side by side as heat maps with every value written in its cell.

    Args:
        arrays: 2-D arrays, each (rows, cols), small enough to read (up to about 10x10).
        titles: one per array.
        fmt: format for the numbers.
        windows: one entry per array: the size (an int, or (rows, cols)) of the windows that tile it,
            as pooling windows with stride = size do, drawn as borders around each window; None for no
            borders. Rows and columns left over at the bottom and right get no border.
    """
    if len(arrays) != len(titles):
        raise ValueError(f"titles: expected {len(arrays)} titles (one per array), got {len(titles)}")
    windows = [None] * len(arrays) if windows is None else list(windows)
    if len(windows) != len(arrays):
        raise ValueError(
            f"windows: expected {len(arrays)} entries (one per array, None for no borders), got {len(windows)}"
        )
    fig, axes = plt.subplots(1, len(arrays), figsize=(2.4 * len(arrays), 2.6), squeeze=False)
    for ax, array, title, window in zip(axes.flat, arrays, titles, windows):
        array = np.asarray(array)
        if array.ndim != 2:
            raise ValueError(f"arrays: each must be 2-D (rows, cols), got shape {array.shape}")
        ax.imshow(array, cmap="Blues")
        middle = (array.max() + array.min()) / 2
        for (row, col), value in np.ndenumerate(array):
            color = "white" if value > middle else "black"
            ax.text(col, row, fmt.format(value), ha="center", va="center", color=color)
        if window is not None:
            size = (window, window) if np.ndim(window) == 0 else tuple(window)
            if len(size) != 2 or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in size):
                raise ValueError(f"windows: expected a positive int, a pair of them or None, got {window!r}")
            whole = [n - n % k for n, k in zip(array.shape, size)]  # the part the windows tile
            for at in range(0, whole[0] + 1, size[0]):  # cell edges sit at half-integers in imshow
                ax.plot([-0.5, whole[1] - 0.5], [at - 0.5] * 2, color="tab:orange", lw=2.5, clip_on=False)
            for at in range(0, whole[1] + 1, size[1]):
                ax.plot([at - 0.5] * 2, [-0.5, whole[0] - 0.5], color="tab:orange", lw=2.5, clip_on=False)
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

    Every cell is written as a whole percentage (an empty cell as 0), in black on light cells and white
    on dark ones, chosen from the cell's own color.

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
    for (row, col), value in np.ndenumerate(share):  # every cell, empty ones too, in one format
        ax.text(col, row, f"{value:.0f}", ha="center", va="center", fontsize="x-small",
                color=_ink_for(image.cmap(image.norm(value))))  # fmt: skip
    ticks = range(len(class_names))
    ax.set_xticks(ticks, class_names, rotation=60, ha="right")
    ax.set_yticks(ticks, class_names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    fig.colorbar(image, ax=ax, label="% of the true class", shrink=0.8)
    fig.tight_layout()
    return fig


def filters(kernel: np.ndarray, ncols: int = 8) -> Figure:
    """The filters of a first convolution layer as small images, one per output channel, on one scale
    centred at 0, so a weight's sign and size compare across filters.

    Gray filters (C_in 1) use a diverging colormap (red positive, blue negative, white 0) from
    ``-m`` to ``m``, ``m`` the largest absolute weight, with one colorbar. RGB filters (C_in 3) are
    shown as colors with 0 at mid-gray: ``0.5 + w / (2 m)`` per channel.

    Args:
        kernel: weights of shape (kh, kw, C_in, C_out) with C_in 1 (gray) or 3 (RGB).
    """
    kernel = np.asarray(kernel, dtype=np.float32)
    if kernel.ndim != 4 or kernel.shape[2] not in (1, 3):
        raise ValueError(f"kernel: expected shape (kh, kw, 1 or 3, C_out), got {kernel.shape}")
    scale = float(np.abs(kernel).max()) or 1.0  # an all-zero kernel still draws, as all 0
    titles = [str(o) for o in range(kernel.shape[3])]
    if kernel.shape[2] == 3:
        images = [0.5 + kernel[..., o] / (2 * scale) for o in range(kernel.shape[3])]
        return image_grid(images, titles=titles, ncols=ncols, cell_size=0.9, value_range=(0, 1))
    images = [kernel[:, :, 0, o] for o in range(kernel.shape[3])]
    fig = image_grid(images, titles=titles, ncols=ncols, cell_size=0.9, cmap="RdBu_r", value_range=(-scale, scale))
    shown = [ax.images[0] for ax in fig.get_axes() if ax.images]
    fig.colorbar(shown[0], ax=fig.get_axes(), label="weight (0 = white)", shrink=0.8)
    return fig


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


def _ink_for(rgba: Sequence[float]) -> str:
    """Black or white, whichever reads better on a background of color ``rgba`` (by its luminance)."""
    red, green, blue = rgba[:3]
    return "black" if 0.299 * red + 0.587 * green + 0.114 * blue > 0.5 else "white"


def nearest_pairs(
    samples: np.ndarray, train_images: np.ndarray, distances: np.ndarray, nearest: np.ndarray, count: int = 8
) -> Figure:
    """The ``count`` samples closest to a training image (top row), each above that image (bottom row).

    Args:
        samples: generated images (N, H, W[, 1]), pixel values 0..255.
        train_images: the training images searched (K, H, W[, 1]), pixel values 0..255.
        distances, nearest: each sample's distance to its nearest training image and that image's
            index, both (N,) (:func:`helpers.metrics.copy_check`).
    """
    samples, train_images = np.asarray(samples), np.asarray(train_images)
    distances, nearest = np.asarray(distances), np.asarray(nearest)
    if distances.shape != (len(samples),) or nearest.shape != (len(samples),):
        raise ValueError(
            f"distances, nearest: expected shape ({len(samples)},), one per sample, got {distances.shape} and "
            f"{nearest.shape}"
        )
    closest = np.argsort(distances)[: max(1, count)]
    pairs = [*(samples[i] for i in closest), *(train_images[nearest[i]] for i in closest)]
    titles = [f"sample, d={distances[i]:.1f}" for i in closest] + ["nearest training"] * len(closest)
    return image_grid(pairs, titles=titles, ncols=len(closest), cell_size=1.2, value_range=(0, 255))


def accuracy_by_k(summary: Mapping[str, Mapping[int, tuple[float, float]]], title: str = "") -> Figure:
    """Test accuracy against labelled images per class, one line per strategy with a band of one standard
    deviation over seeds; ``summary`` is ``{strategy: {k: (mean, std)}}`` (``helpers.transfer.summarize``)."""
    if not summary or not all(summary.values()):
        raise ValueError("summary: expected {strategy: {k: (mean, std)}} with at least one k each, got an empty one")
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for strategy, by_k in summary.items():
        ks = sorted(by_k)
        means, spreads = np.array([by_k[k][0] for k in ks]), np.array([by_k[k][1] for k in ks])
        (line,) = ax.plot(ks, means, marker="o", label=strategy)
        ax.fill_between(ks, means - spreads, means + spreads, color=line.get_color(), alpha=0.15)
    ax.set_xscale("log")  # k grows by factors: 1, 5, 20, 100
    ks = sorted({k for by_k in summary.values() for k in by_k})
    ax.set_xticks(ks, [str(k) for k in ks])
    ax.minorticks_off()
    ax.set_xlabel("labelled images per class (k)")
    ax.set_ylabel("test accuracy")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    return fig


def overlays(
    images: np.ndarray, maps: np.ndarray, titles: Sequence[str] | None = None, ncols: int = 8, alpha: float = 0.5
) -> Figure:
    """Each map laid over its image (gray or RGB, 0..255), stretched bilinearly to the image's size, on one
    0..1 scale with a colorbar (the course's maps have max 1).

    Args:
        images: (N, H, W[, C]); maps: (N, h, w), any resolution.
    """
    images, maps = np.asarray(images), np.asarray(maps, np.float32)
    if maps.ndim != 3 or len(maps) != len(images):
        raise ValueError(f"maps: expected one map (h, w) per image, shape ({len(images)}, h, w), got {maps.shape}")
    fig = image_grid(
        images,
        titles=titles,
        ncols=ncols,
        value_range=(0, 255) if images[0].ndim == 2 or images.shape[-1] == 1 else None,
    )
    for ax, image, cam in zip(fig.get_axes(), images, maps):
        height, width = image.shape[:2]
        shown = ax.imshow(cam, cmap="jet", alpha=alpha, vmin=0, vmax=1, interpolation="bilinear",
                          extent=(-0.5, width - 0.5, height - 0.5, -0.5))  # fmt: skip
    fig.colorbar(shown, ax=fig.get_axes()[: len(images)], label="importance", shrink=0.9, fraction=0.03, pad=0.02)
    return fig


def deletion_curves(curves: Mapping[str, np.ndarray], areas: Mapping[str, float]) -> Figure:
    """The mean class probability (over images) against the share of pixels deleted, one line per map;
    ``curves`` maps a name to (N, steps + 1), ``areas`` the name to its mean area (shown in the legend)."""
    if not curves or set(curves) != set(areas):
        raise ValueError(f"curves, areas: expected the same non-empty names, got {sorted(curves)} and {sorted(areas)}")
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for name, values in curves.items():
        values = np.asarray(values)
        ax.plot(np.linspace(0, 1, values.shape[1]), values.mean(axis=0), label=f"{name} (area {areas[name]:.3f})")
    ax.set_xlabel("share of pixels deleted, most important first")
    ax.set_ylabel("probability of the class")
    ax.set_ylim(0, 1.02)
    ax.legend()
    fig.tight_layout()
    return fig
