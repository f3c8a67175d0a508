"""Lesson 07's diffusion model trained through the course's resumable loop (:mod:`helpers.loop`).

``python -m helpers.train diffusion`` uses it to train the model shipped in ``data/pretrained/``.
"""

from __future__ import annotations

import numpy as np

from . import diffusion
from .environment import keras
from .loop import ResumableTraining
from .pixels import require_image_shape, require_unit_range


class DiffusionTraining(ResumableTraining):
    """A U-Net, one Adam optimizer and :func:`helpers.diffusion.make_train_step`, on (images, labels).

    Everything else (budget, batches, checkpoint, interrupt, schedule) is :class:`ResumableTraining`'s.
    ``ema_decay`` keeps a moving average of the U-Net's weights; ``sampling_model`` is the network to
    draw samples from (the average when there is one).
    """

    def __init__(
        self,
        model: keras.Model,
        learning_rate: float = 1e-3,
        batch_size: int = 64,
        label_dropout: float = 0.1,
        ema_decay: float | None = 0.999,
        learning_rate_decay: tuple[int, int] | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            models={"unet": model},
            optimizers={"unet": keras.optimizers.Adam(learning_rate)},
            learning_rate=learning_rate,
            batch_size=batch_size,
            seed=seed,
            ema=None if ema_decay is None else ("unet", ema_decay),
            learning_rate_decay=learning_rate_decay,
            settings={"label_dropout": label_dropout, "schedule": "cosine", "timesteps": diffusion.TIMESTEPS},
        )
        self.model = model
        self.step_function = diffusion.make_train_step(model, self.optimizers["unet"], self.rng, label_dropout)

    @property
    def sampling_model(self) -> keras.Model:
        """The U-Net to draw samples from: the moving average when there is one."""
        return self.averages.get("unet", self.model)

    def check_data(self, data: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """``(images (N, 28, 28, 1) in [-1, 1], labels (N,) in 0..9)`` -> the same as float32 and int32.

        Arrays already of those types are returned as they are, not copied (the training images are 188 MB).
        """
        if not isinstance(data, tuple) or len(data) != 2:
            raise ValueError("data: expected a tuple (images, labels)")
        images, labels = super().check_data(data)
        require_image_shape(images, "images")
        images = np.asarray(images, dtype=np.float32)
        require_unit_range(images, "images")
        if labels.shape != (len(images),) or labels.min() < 0 or labels.max() >= diffusion.NUM_CLASSES:
            raise ValueError(
                f"labels: expected classes 0..{diffusion.NUM_CLASSES - 1}, one per image, got shape {labels.shape}"
            )
        return images, np.asarray(labels, dtype=np.int32)
