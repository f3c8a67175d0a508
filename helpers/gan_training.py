"""Lesson 05's GAN trained through the course's resumable loop (:mod:`helpers.loop`).

``python -m helpers.train generator`` uses it to train the generator shipped in ``data/pretrained/``.
"""

from __future__ import annotations

import numpy as np

from . import gan
from .environment import keras
from .loop import ResumableTraining, ema_setting


class GanTraining(ResumableTraining):
    """A generator, a discriminator, an Adam optimizer for each, and the GAN step of :mod:`helpers.gan`.

    Everything else (budget, batches, checkpoint, interrupt, schedule) is :class:`ResumableTraining`'s.
    ``ema_decay`` keeps a moving average of the generator's weights in ``ema_generator``; ``sampler``
    is the network to draw samples from (the average when there is one).
    """

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        learning_rate: float = 2e-4,
        beta_1: float = 0.5,
        batch_size: int = 64,
        real_label: float = 1.0,
        ema_decay: float | None = None,
        learning_rate_decay: tuple[int, int] | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            models={"generator": generator, "discriminator": discriminator},
            optimizers={
                name: keras.optimizers.Adam(learning_rate, beta_1=beta_1) for name in ("generator", "discriminator")
            },
            learning_rate=learning_rate,
            batch_size=batch_size,
            seed=seed,
            ema=ema_setting("generator", ema_decay),
            learning_rate_decay=learning_rate_decay,
            settings={"beta_1": beta_1, "real_label": real_label},
        )
        self.generator, self.discriminator = generator, discriminator
        self.step_function = gan.make_train_step(
            generator,
            discriminator,
            self.optimizers["generator"],
            self.optimizers["discriminator"],
            self.noise,
            real_label,
        )

    @property
    def ema_generator(self) -> keras.Model | None:
        return self.averages.get("generator")

    @property
    def sampler(self) -> keras.Model:
        return self.ema_generator or self.generator

    def check_data(self, data: np.ndarray) -> np.ndarray:
        """Real samples shaped as the discriminator's input; images must be in [-1, 1], as the generator's."""
        data = super().check_data(data)
        expected = tuple(self.discriminator.input_shape[1:])
        if data.shape[1:] != expected:
            raise ValueError(f"images: expected shape (N, {', '.join(map(str, expected))}), got {data.shape}")
        if data.ndim == 4 and (data.min() < -1.0 - 1e-6 or data.max() > 1.0 + 1e-6):
            raise ValueError(
                f"images: expected values in [-1, 1] (gan.from_pixels converts 0..255), "
                f"got {data.min():g}..{data.max():g}"
            )
        return data
