"""The example photos shipped in ``data/images/``, loaded for display or as a model's input."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .data import DATA_DIR

IMAGES_DIR = DATA_DIR / "images"


def example_photos() -> list[Path]:
    """Paths of the example photos shipped in ``data/images/`` (sorted)."""
    return sorted(p for p in IMAGES_DIR.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})


def load_photo(name: str, size: Sequence[int] | None = None, grayscale: bool = False) -> np.ndarray:
    """Load an example photo from ``data/images/`` by file stem (``"cat"``) or file name.

    Args:
        size: ``(height, width)`` to resize to, or ``None`` for the original size.
        grayscale: return one channel.

    Returns:
        float32 array in 0..255, shape (H, W, 3), or (H, W) when ``grayscale``.
    """
    from PIL import Image

    matches = [p for p in example_photos() if name in (p.stem, p.name)]
    if not matches:
        raise ValueError(f"name: no photo {name!r} in {IMAGES_DIR}; available: {[p.stem for p in example_photos()]}")
    with Image.open(matches[0]) as image:
        image = image.convert("L" if grayscale else "RGB")
        if size is not None:
            image = image.resize((int(size[1]), int(size[0])), Image.Resampling.BILINEAR)
        return np.asarray(image, dtype=np.float32)


def load_image_for_model(path: str | os.PathLike, size: int = 224) -> np.ndarray:
    """Load a photo as a model input: crop the largest centred square, then resize to ``size``.

    Cropping keeps the proportions (a plain resize would squash a wide photo); the cost is the
    border of the long side. Decoding and resampling are Pillow's.

    Returns:
        float32 RGB array in 0..255, shape (size, size, 3).
    """
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        square = ImageOps.fit(image.convert("RGB"), (size, size), method=Image.Resampling.BILINEAR)
        return np.asarray(square, dtype=np.float32)
