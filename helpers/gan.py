"""Lesson 05's GAN: a DCGAN for 28x28 Fashion-MNIST, its losses, and a train step written with GradientTape.

Images inside the GAN are in [-1, 1] (the generator ends in tanh); ``to_pixels`` turns them back
into 0..255 for plots and for the classifier that FID uses.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .environment import keras, tf

layers = keras.layers
IMAGE_SHAPE = (28, 28, 1)


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


def build_discriminator(width: int = 64) -> keras.Model:
    """Images (N, 28, 28, 1) in [-1, 1] -> one logit per image (N, 1): high means "real"."""
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


def discriminator_loss(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy on logits: real images labelled 1, generated images labelled 0."""
    return _bce(tf.ones_like(real_logits), real_logits) + _bce(tf.zeros_like(fake_logits), fake_logits)


def generator_loss(fake_logits: tf.Tensor) -> tf.Tensor:
    """The non-saturating loss -log D(G(z)): the generator wants its images labelled 1 (real)."""
    return _bce(tf.ones_like(fake_logits), fake_logits)


def make_train_step(
    generator: keras.Model,
    discriminator: keras.Model,
    generator_optimizer: keras.optimizers.Optimizer,
    discriminator_optimizer: keras.optimizers.Optimizer,
) -> Callable[[tf.Tensor], dict[str, tf.Tensor]]:
    """One compiled GAN step on a batch of real images (B, 28, 28, 1) in [-1, 1].

    The batch size is read from the batch itself, so a short last batch works. Each network has its
    own optimizer and is updated only from its own loss. Returns the two losses and the mean
    probabilities D gave to real and to generated images.
    """
    if generator_optimizer is discriminator_optimizer:
        raise ValueError(
            "generator_optimizer, discriminator_optimizer: expected two optimizers, got the same one twice"
        )
    latent_dim = generator.input_shape[-1]

    @tf.function
    def train_step(real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        noise = tf.random.normal((tf.shape(real_images)[0], latent_dim))
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator(noise, training=True)
            real_logits = discriminator(real_images, training=True)
            fake_logits = discriminator(fake_images, training=True)
            g_loss = generator_loss(fake_logits)
            d_loss = discriminator_loss(real_logits, fake_logits)
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


def to_pixels(images: np.ndarray) -> np.ndarray:
    """GAN images in [-1, 1] -> float32 pixel values 0..255 (same shape)."""
    return ((np.asarray(images, dtype=np.float32) + 1.0) * 127.5).clip(0.0, 255.0)


def from_pixels(images: np.ndarray) -> np.ndarray:
    """Pixel values 0..255 (uint8 or float) -> float32 in [-1, 1] (same shape)."""
    return np.asarray(images, dtype=np.float32) / 127.5 - 1.0
