"""Lesson 06's GAN: a DCGAN for 28x28 Fashion-MNIST, its losses, a train step written with GradientTape,
and the 2-D ring of Gaussians it warms up on.

Images inside the GAN are in [-1, 1] (the generator ends in tanh); :func:`helpers.pixels.to_pixels`
turns them back into 0..255 for plots and for the classifier that scores them (:func:`evaluate`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from .environment import keras, tf
from .models import PRETRAINED_DIR, load_recorded_model
from .pixels import IMAGE_SHAPE, to_pixels

layers = keras.layers
GENERATOR_PATH = PRETRAINED_DIR / "fashion_generator.weights.h5"


def build_generator(latent_dim: int = 64, width: int = 128) -> keras.Model:
    """Latent codes (N, latent_dim) -> images (N, 28, 28, 1) in [-1, 1].

    Dense to a 7x7 map of ``width`` channels, then two stride-2 transposed convolutions (7 -> 14 -> 28).
    """
    if latent_dim < 1 or width < 2:
        raise ValueError(f"latent_dim, width: expected >= 1 and >= 2, got {latent_dim} and {width}")
    return keras.Sequential(
        [
            keras.Input((latent_dim,), name="latent"),
            layers.Dense(7 * 7 * width, use_bias=False, name="project"),
            layers.BatchNormalization(name="project_bn"),
            layers.LeakyReLU(0.2, name="project_act"),
            layers.Reshape((7, 7, width), name="to_map"),
            layers.Conv2DTranspose(width // 2, 4, strides=2, padding="same", use_bias=False, name="up1"),
            layers.BatchNormalization(name="up1_bn"),
            layers.LeakyReLU(0.2, name="up1_act"),
            layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh", name="up2"),
        ],
        name="generator",
    )


def build_discriminator(width: int = 32) -> keras.Model:
    """Images (N, 28, 28, 1) in [-1, 1] -> one logit per image (N, 1): high means "real".

    Two stride-2 convolutions of ``width`` and ``2 * width`` channels (28 -> 14 -> 7), then one logit."""
    if width < 1:
        raise ValueError(f"width: expected >= 1, got {width}")
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE, name="image"),
            layers.Conv2D(width, 4, strides=2, padding="same", name="down1"),
            layers.LeakyReLU(0.2, name="down1_act"),
            layers.Conv2D(2 * width, 4, strides=2, padding="same", name="down2"),
            layers.LeakyReLU(0.2, name="down2_act"),
            layers.Flatten(name="flatten"),
            layers.Dense(1, name="logit"),
        ],
        name="discriminator",
    )


_bce = keras.losses.BinaryCrossentropy(from_logits=True)


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor, real_label: float = 1.0) -> tf.Tensor:
    """Binary cross-entropy on logits: real images labelled 1, generated images labelled 0.

    ``real_label`` below 1 (for example 0.9) is one-sided label smoothing: D is never rewarded for
    being certain, which keeps its gradients for G informative.
    """
    real_targets = tf.fill(tf.shape(real_logits), real_label)
    return _bce(real_targets, real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The non-saturating loss -log D(G(z)): the generator wants its images labelled 1 (real)."""
    return _bce(tf.ones_like(fake_logits), fake_logits)


def require_matching_pair(generator: keras.Model, discriminator: keras.Model) -> None:
    """Raise a clear ValueError unless the discriminator reads exactly what the generator makes."""
    made, read = tuple(generator.output_shape[1:]), tuple(discriminator.input_shape[1:])
    if made != read:
        raise ValueError(
            f"generator, discriminator: the discriminator reads samples of shape {read}, but the generator "
            f"makes {made}; build them for the same shape"
        )


def make_train_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
    rng: tf.random.Generator | None = None,
    real_label: float = 1.0,
) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """One compiled GAN step on a batch of real samples (B, ...), images (B, 28, 28, 1) in [-1, 1].

    The batch size is read from the batch itself, so a short last batch works. Each network has its
    own optimizer and is updated only from its own loss. Latent codes come from ``rng`` (seed 0 by
    default), whose state a checkpoint can save. Returns the two losses and the mean probabilities D
    gave to real and to generated samples.
    """
    if generator_optimizer is discriminator_optimizer:
        raise ValueError(
            "generator_optimizer, discriminator_optimizer: expected two optimizers, got the same one twice"
        )
    require_matching_pair(generator, discriminator)
    latent_dim = generator.input_shape[-1]
    rng = tf.random.Generator.from_seed(0) if rng is None else rng

    @tf.function
    def train_step(real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        codes = rng.normal((tf.shape(real_images)[0], latent_dim))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator(codes, training=True)
            real_logits = discriminator(real_images, training=True)
            fake_logits = discriminator(fake_images, training=True)
            g_loss = generator_loss(fake_logits)
            d_loss = discriminator_loss(real_logits, fake_logits, real_label)
        generator_optimizer.apply_gradients(
            zip(g_tape.gradient(g_loss, generator.trainable_variables), generator.trainable_variables)
        )
        discriminator_optimizer.apply_gradients(
            zip(d_tape.gradient(d_loss, discriminator.trainable_variables), discriminator.trainable_variables)
        )
        return {
            "g_loss": g_loss,
            "d_loss": d_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
        }

    return train_step


def build_toy_generator(latent_dim: int = 2, hidden: int = 128) -> keras.Model:
    """The 2-D warm-up's generator: codes (N, latent_dim) -> points (N, 2), two hidden ReLU layers."""
    return keras.Sequential(
        [
            keras.Input((latent_dim,), name="latent"),
            layers.Dense(hidden, activation="relu", name="hidden1"),
            layers.Dense(hidden, activation="relu", name="hidden2"),
            layers.Dense(2, name="point"),
        ],
        name="toy_generator",
    )


def build_toy_discriminator(hidden: int = 128) -> keras.Model:
    """The 2-D warm-up's discriminator: points (N, 2) -> one logit each (N, 1)."""
    return keras.Sequential(
        [
            keras.Input((2,), name="point"),
            layers.Dense(hidden, activation="relu", name="hidden1"),
            layers.Dense(hidden, activation="relu", name="hidden2"),
            layers.Dense(1, name="logit"),
        ],
        name="toy_discriminator",
    )


def sample(generator: keras.Model, n: int, seed: int = 0, batch_size: int = 1000) -> np.ndarray:
    """``n`` samples of the generator (inference mode) from seeded N(0, I) codes: shape (n, ...) float32."""
    if n < 1:
        raise ValueError(f"n: expected >= 1 samples, got {n}")
    codes = np.random.default_rng(seed).standard_normal((n, generator.input_shape[-1])).astype(np.float32)
    return generator.predict(codes, batch_size=batch_size, verbose=0)


def evaluate(generator: keras.Model, real_features: np.ndarray, n: int | None = None, seed: int = 0) -> dict:
    """Draw ``n`` samples (default: as many as ``real_features`` rows) and score them.

    The one recipe for scoring a generator: sample, turn into pixels, score with the shipped classifier
    (:func:`helpers.metrics.score_images`). Returns ``{"fid", "kid", "class_shares", "mean_confidence",
    "spread", "ms_per_sample"}``, the keys of :func:`helpers.diffusion.evaluate` but ``class_accuracy``:
    an unconditional generator is asked for no class.
    """
    import time

    from . import metrics

    start = time.perf_counter()
    images = to_pixels(sample(generator, len(real_features) if n is None else n, seed=seed))
    seconds = time.perf_counter() - start
    return {**metrics.score_images(images, real_features), "ms_per_sample": 1000 * seconds / len(images)}


def load_pretrained_generator(path: str | Path = GENERATOR_PATH) -> keras.Model:
    """The Fashion-MNIST generator trained by this repository (``python -m helpers.train generator``).

    Input: latent codes of shape (N, latent_dim) drawn from N(0, I), ``latent_dim`` being the model's
    input width. Output: images of shape (N, 28, 28, 1) in [-1, 1]. How it was trained and its FID
    are in the JSON record beside the file, whose size and SHA-256 are checked before Keras reads it.
    """
    fix = "Restore it with 'git checkout -- data/pretrained' or retrain it with 'python -m helpers.train generator'."
    return load_recorded_model(path, build_generator, fix)


def ring_of_gaussians(
    n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Lesson 06's 2-D warm-up data: ``n`` points from ``modes`` small Gaussians evenly spaced on a circle.

    Returns:
        points, float32 (n, 2), an equal share from each mode; and the mode centers, float32 (modes, 2).
    """
    if n < 1 or modes < 1 or std <= 0:
        raise ValueError(f"n, modes, std: expected n >= 1, modes >= 1, std > 0; got {n}, {modes}, {std}")
    angles = 2 * np.pi * np.arange(modes) / modes
    centers = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    rng = np.random.default_rng(seed)
    points = centers[np.arange(n) % modes] + rng.normal(scale=std, size=(n, 2))
    return rng.permutation(points).astype(np.float32), centers.astype(np.float32)
