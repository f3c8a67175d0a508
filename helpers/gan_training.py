"""Lesson 06's GAN trained through the course's resumable loop (:mod:`helpers.loop`).

``python -m helpers.train generator`` uses it to train the generator shipped in ``data/pretrained/``;
:func:`lesson_dcgan` is the DCGAN that notebook 06 trains and ``benchmarks/`` measure.
"""

from __future__ import annotations

import numpy as np

from . import gan
from .environment import keras
from .loop import ResumableTraining
from .pixels import require_unit_range

# Lesson 06's DCGAN: the networks' sizes and the training settings, in one place (notebook 06 checks that
# it trains these; benchmarks/gan_quality.py and benchmarks/generators.py train them as "the lesson's").
LESSON_DCGAN = {
    "generator": {"latent_dim": 64, "width": 128},
    "discriminator": {"width": 32},
    "training": {"learning_rate": 4e-4, "beta_1": 0.5, "batch_size": 64, "ema_decay": 0.999},
}


class GanTraining(ResumableTraining):
    """A generator, a discriminator, an Adam optimizer for each, and the GAN step of :mod:`helpers.gan`.

    Everything else (budget, batches, checkpoint, interrupt, schedule) is :class:`ResumableTraining`'s.
    ``ema_decay`` keeps a moving average of the generator's weights in ``ema_generator``;
    ``sampling_model`` is the network to draw samples from (the average when there is one).
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
            ema=None if ema_decay is None else ("generator", ema_decay),
            learning_rate_decay=learning_rate_decay,
            settings={"beta_1": beta_1, "real_label": real_label},
        )
        self.generator, self.discriminator = generator, discriminator
        self.step_function = gan.make_train_step(
            generator,
            discriminator,
            self.optimizers["generator"],
            self.optimizers["discriminator"],
            self.rng,
            real_label,
        )

    @property
    def ema_generator(self) -> keras.Model | None:
        """The moving average of the generator's weights, or None without ``ema_decay``."""
        return self.averages.get("generator")

    @property
    def sampling_model(self) -> keras.Model:
        """The generator to draw samples from: the moving average when there is one."""
        return self.ema_generator or self.generator

    def check_data(self, data: np.ndarray) -> np.ndarray:
        """Real samples shaped as the discriminator's input; images (N, H, W, C) must be in [-1, 1], as generated."""
        data = super().check_data(data)
        expected = tuple(self.discriminator.input_shape[1:])
        if data.shape[1:] != expected:
            raise ValueError(f"images: expected shape (N, {', '.join(map(str, expected))}), got {data.shape}")
        if data.ndim == 4:  # the toy GAN's 2-D points may lie anywhere
            require_unit_range(data, "images")
        return data


def lesson_dcgan(seed: int = 0) -> GanTraining:
    """Lesson 06's DCGAN (:data:`LESSON_DCGAN`), untrained, ready to train on images in [-1, 1]."""
    return GanTraining(
        gan.build_generator(**LESSON_DCGAN["generator"]),
        gan.build_discriminator(**LESSON_DCGAN["discriminator"]),
        **LESSON_DCGAN["training"],
        seed=seed,
    )
