"""The course's image conventions: Fashion-MNIST's shape, and the two value ranges images travel in.

Datasets, plots and the classifier see pixel values 0..255; the GAN and the diffusion model work in
[-1, 1] (a tanh output, and noise of unit variance). ``to_pixels`` and ``from_pixels`` convert between
them; ``require_unit_range`` and ``require_image_shape`` refuse model inputs in the wrong range or of
the wrong shape before training starts.
NumPy only, so it is cheap to import.
"""

from __future__ import annotations

import numpy as np

IMAGE_SHAPE = (28, 28, 1)  # Fashion-MNIST, NHWC without the batch axis
_SLACK = 1e-6  # float32 rounding of exact end points


def from_pixels(pixels: np.ndarray) -> np.ndarray:
    """Pixel values 0..255 (uint8 or float), any shape -> float32 in [-1, 1], the same shape.

    Raises:
        ValueError: a value outside 0..255 (images already in [-1, 1] among them would pass; values
            such as 300 or -5 mean the input was not pixels).
    """
    pixels = np.asarray(pixels)
    if pixels.size and (pixels.min() < 0 or pixels.max() > 255):
        raise ValueError(f"pixels: expected values 0..255, got {pixels.min():g}..{pixels.max():g}")
    return pixels.astype(np.float32) / 127.5 - 1.0


def to_pixels(images: np.ndarray) -> np.ndarray:
    """Images in [-1, 1], any shape -> float32 pixel values 0..255, the same shape (clipped at the ends)."""
    return ((np.asarray(images, dtype=np.float32) + 1.0) * 127.5).clip(0.0, 255.0)


def require_unit_range(images: np.ndarray, name: str = "images") -> None:
    """Raise a ValueError naming ``name`` unless every value of ``images`` lies in [-1, 1]."""
    images = np.asarray(images)
    if images.size and (images.min() < -1.0 - _SLACK or images.max() > 1.0 + _SLACK):
        raise ValueError(
            f"{name}: expected values in [-1, 1] (pixels.from_pixels converts 0..255), "
            f"got {images.min():g}..{images.max():g}"
        )


def require_image_shape(images: np.ndarray, name: str = "images") -> None:
    """Raise a ValueError naming ``name`` unless ``images`` has shape (N, 28, 28, 1)."""
    shape = np.shape(images)
    if tuple(shape[1:]) != IMAGE_SHAPE or len(shape) != 4:
        raise ValueError(f"{name}: expected shape (N, {', '.join(map(str, IMAGE_SHAPE))}), got {shape}")
