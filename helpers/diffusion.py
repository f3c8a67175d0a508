"""Lesson 07's diffusion model: noise schedules, ``q_sample``, a small class-conditional U-Net, the
noise-prediction train step, and the DDPM and DDIM samplers with classifier-free guidance.

Conventions: images are (N, 28, 28, 1) in [-1, 1], as in lesson 06. Diffusion time is an integer
timestep ``t = 0 .. T-1``; ``alpha_bar[t]`` is the share of signal variance left after noising timesteps 0..t, so
``x_t = sqrt(alpha_bar[t]) x_0 + sqrt(1 - alpha_bar[t]) eps``. Class labels are 0..9, and
``NO_CLASS`` (10) stands for "no label": the network learns both, which is what guidance needs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .environment import keras, tf
from .models import PRETRAINED_DIR, load_recorded
from .pixels import IMAGE_SHAPE, to_pixels

layers = keras.layers
TIMESTEPS = 1000
NUM_CLASSES = 10
NO_CLASS = NUM_CLASSES  # the label the network sees when it is not told a class
MODEL_PATH = PRETRAINED_DIR / "fashion_diffusion.weights.h5"
DEFAULT_STEPS, DEFAULT_GUIDANCE = 20, 2.0  # for a model without a record saying otherwise


# --- the forward process -------------------------------------------------------------------------


def linear_alpha_bar(timesteps: int = TIMESTEPS, beta_start: float = 1e-4, beta_end: float = 0.02) -> np.ndarray:
    """DDPM's schedule (Ho et al., 2020): noise variances ``beta`` rising linearly; returns ``alpha_bar`` (T,)."""
    if timesteps < 1 or not 0 < beta_start < beta_end < 1:
        raise ValueError(
            f"timesteps, beta_start, beta_end: expected T >= 1 and 0 < beta_start < beta_end < 1, "
            f"got {timesteps}, {beta_start}, {beta_end}"
        )
    return np.cumprod(1.0 - np.linspace(beta_start, beta_end, timesteps))


def cosine_alpha_bar(timesteps: int = TIMESTEPS, offset: float = 0.008) -> np.ndarray:
    """The cosine schedule (Nichol and Dhariwal, 2021): ``alpha_bar`` (T,) follows a squared cosine.

    Each timestep's ``beta`` is capped at 0.999, so the last one does not divide by zero.
    """
    if timesteps < 1 or offset <= 0:
        raise ValueError(f"timesteps, offset: expected T >= 1 and offset > 0, got {timesteps}, {offset}")
    f = np.cos((np.arange(timesteps + 1) / timesteps + offset) / (1 + offset) * np.pi / 2) ** 2
    betas = np.minimum(1 - f[1:] / f[:-1], 0.999)
    return np.cumprod(1.0 - betas)


ALPHA_BAR = cosine_alpha_bar()  # the course's schedule, for training and sampling


def q_sample(x0, t, noise, alpha_bar: np.ndarray = ALPHA_BAR):
    """Noise clean images ``x0`` (N, H, W, C) to timesteps ``t`` (N,) in one go, with the noise ``eps`` given.

    ``x_t = sqrt(alpha_bar[t]) * x0 + sqrt(1 - alpha_bar[t]) * noise``. NumPy in, NumPy out; tensors in,
    tensors out (so the train step can use it). NumPy images must be floats: the result keeps their dtype.
    """
    if isinstance(x0, tf.Tensor):
        signal = tf.reshape(tf.gather(tf.constant(alpha_bar, tf.float32), t), (-1, 1, 1, 1))
        return tf.sqrt(signal) * x0 + tf.sqrt(1.0 - signal) * noise
    x0, noise, t = np.asarray(x0), np.asarray(noise), np.asarray(t)
    if not np.issubdtype(x0.dtype, np.floating):
        raise ValueError(f"x0: expected float images in [-1, 1] (pixels.from_pixels converts 0..255), got {x0.dtype}")
    if x0.shape != noise.shape or t.shape != (len(x0),):
        raise ValueError(f"x0, noise, t: expected shapes (N, ...), the same, and (N,); got {x0.shape}, "
                         f"{noise.shape}, {t.shape}")  # fmt: skip
    signal = alpha_bar[t].reshape((-1,) + (1,) * (x0.ndim - 1))
    return (np.sqrt(signal) * x0 + np.sqrt(1 - signal) * noise).astype(x0.dtype)


# --- the network ---------------------------------------------------------------------------------


def time_embedding(t: tf.Tensor, dim: int) -> tf.Tensor:
    """Sinusoidal embedding of integer timesteps (N,) -> (N, dim): sines and cosines of ``t`` at
    ``dim / 2`` frequencies, geometrically spaced from 1 down to 1/10,000 (as in the Transformer)."""
    half = dim // 2
    frequencies = tf.exp(-math.log(10_000.0) * tf.range(half, dtype=tf.float32) / half)
    angles = tf.cast(tf.reshape(t, (-1, 1)), tf.float32) * frequencies[None, :]
    return tf.concat([tf.sin(angles), tf.cos(angles)], axis=1)


@keras.saving.register_keras_serializable(package="course")
class TimeEmbedding(layers.Layer):
    """Keras layer around :func:`time_embedding`: timesteps (N,) -> (N, dim)."""

    def __init__(self, dim: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.dim = dim

    def call(self, t: tf.Tensor) -> tf.Tensor:
        return time_embedding(t, self.dim)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.dim)

    def get_config(self) -> dict:
        return {**super().get_config(), "dim": self.dim}


def _residual_block(x, embedding, channels: int, groups: int, name: str):
    """GroupNorm, swish, 3x3 conv; add the (time + class) embedding per channel; again; plus the input."""
    skip = x if x.shape[-1] == channels else layers.Conv2D(channels, 1, name=f"{name}_skip")(x)
    h = layers.GroupNormalization(min(groups, x.shape[-1]), name=f"{name}_norm1")(x)
    h = layers.Activation("swish", name=f"{name}_act1")(h)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv1")(h)
    shift = layers.Dense(channels, name=f"{name}_embedding")(embedding)
    h = h + layers.Reshape((1, 1, channels), name=f"{name}_to_map")(shift)
    h = layers.GroupNormalization(groups, name=f"{name}_norm2")(h)
    h = layers.Activation("swish", name=f"{name}_act2")(h)
    h = layers.Conv2D(channels, 3, padding="same", name=f"{name}_conv2")(h)
    return layers.Add(name=f"{name}_out")([skip, h])


def build_unet(widths: Sequence[int] = (16, 32, 64), embedding_dim: int = 128, groups: int = 8) -> keras.Model:
    """A small U-Net that predicts the noise in ``x_t``: [x_t (N, 28, 28, 1), t (N,), label (N,)] -> (N, 28, 28, 1).

    One residual block per level at 28, 14 and 7 pixels (``widths`` channels), stride-2 convolutions
    down, nearest-neighbour upsampling up, where the down path's maps of the same size are concatenated
    (skip connections) before the level's block. The timestep and the class (0..9, or ``NO_CLASS``) are embedded,
    added, and fed to every block.
    """
    widths = tuple(int(w) for w in widths)
    if len(widths) != 3 or any(w < groups or w % groups for w in widths) or embedding_dim < 2 or embedding_dim % 2:
        raise ValueError(
            f"widths, embedding_dim, groups: expected 3 widths that are multiples of groups={groups} "
            f"and an even embedding_dim >= 2, got {widths} and {embedding_dim}"
        )
    image = keras.Input(IMAGE_SHAPE, name="noisy_image")
    t = keras.Input((), dtype="int32", name="timestep")
    label = keras.Input((), dtype="int32", name="label")
    embedding = TimeEmbedding(embedding_dim, name="time_sinusoids")(t)
    embedding = layers.Dense(embedding_dim, activation="swish", name="time_dense")(embedding)
    embedding = embedding + layers.Embedding(NUM_CLASSES + 1, embedding_dim, name="class_embedding")(label)
    embedding = layers.Dense(embedding_dim, activation="swish", name="embedding_dense")(embedding)

    x = layers.Conv2D(widths[0], 3, padding="same", name="stem")(image)
    down28 = _residual_block(x, embedding, widths[0], groups, "down28")
    x = layers.Conv2D(widths[1], 3, strides=2, padding="same", name="to14")(down28)
    down14 = _residual_block(x, embedding, widths[1], groups, "down14")
    x = layers.Conv2D(widths[2], 3, strides=2, padding="same", name="to7")(down14)
    x = _residual_block(x, embedding, widths[2], groups, "middle7")
    x = layers.UpSampling2D(2, name="up_to14")(x)
    x = _residual_block(layers.Concatenate(name="skip14")([x, down14]), embedding, widths[1], groups, "up14")
    x = layers.UpSampling2D(2, name="up_to28")(x)
    x = _residual_block(layers.Concatenate(name="skip28")([x, down28]), embedding, widths[0], groups, "up28")
    x = layers.GroupNormalization(groups, name="out_norm")(x)
    x = layers.Activation("swish", name="out_act")(x)
    noise = layers.Conv2D(1, 3, padding="same", name="noise", kernel_initializer="zeros")(x)
    return keras.Model([image, t, label], noise, name="unet")


# --- training ------------------------------------------------------------------------------------


def make_train_step(
    model: keras.Model,
    optimizer: keras.optimizers.Optimizer,
    rng: tf.random.Generator,
    label_dropout: float = 0.1,
    alpha_bar: np.ndarray = ALPHA_BAR,
):
    """One step of noise prediction: ``(images (N, 28, 28, 1) in [-1, 1], labels (N,)) -> {"loss": mse}``.

    Each image gets a random timestep ``t`` and noise ``eps``; the network sees ``x_t`` and must predict
    ``eps`` (mean squared error). With probability ``label_dropout`` a label is replaced by ``NO_CLASS``,
    so the same network also learns to denoise without being told the class (classifier-free guidance).
    All randomness comes from ``rng``, a seeded generator, so a resumed run repeats exactly.
    """
    if not 0.0 <= label_dropout < 1.0:
        raise ValueError(f"label_dropout: expected a probability in [0, 1), got {label_dropout}")
    timesteps = len(alpha_bar)

    @tf.function
    def train_step(images: tf.Tensor, labels: tf.Tensor) -> dict[str, tf.Tensor]:
        n = tf.shape(images)[0]
        t = rng.uniform((n,), 0, timesteps, dtype=tf.int32)
        eps = rng.normal(tf.shape(images))
        dropped = rng.uniform((n,)) < label_dropout
        labels = tf.where(dropped, NO_CLASS, tf.cast(labels, tf.int32))
        noisy = q_sample(images, t, eps, alpha_bar)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(eps - model([noisy, t, labels], training=True)))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return {"loss": loss}

    return train_step


# --- sampling ------------------------------------------------------------------------------------


def guided_noise(eps_conditional, eps_unconditional, guidance: float):
    """Classifier-free guidance: ``eps_u + w (eps_c - eps_u)``. ``w = 0`` is unconditional, ``w = 1``
    plainly conditional, ``w > 1`` pushes further towards the class."""
    return eps_unconditional + guidance * (eps_conditional - eps_unconditional)


def ddim_step(x_t, eps, alpha_bar_t: float, alpha_bar_prev: float, eta: float = 0.0, noise=None, clip: bool = True):
    """One DDIM update (Song et al., 2021): from ``x_t`` to an earlier timestep, with ``alpha_bar_prev``.

    Estimate the clean image ``x0 = (x_t - sqrt(1 - a_t) eps) / sqrt(a_t)``, then noise it back to the
    earlier timestep. ``eta = 0`` is deterministic; ``eta = 1`` adds fresh ``noise`` with DDPM's posterior
    variance, so DDIM over all T steps is then DDPM's ancestral sampler. NumPy arrays or tensors, (N, H, W, C).

    ``clip`` keeps ``x0`` in the pixel range [-1, 1] and re-derives ``eps`` from the clipped ``x0``, so the
    update stays on the line from ``x0`` through ``x_t``. At the noisiest steps ``sqrt(a_t)`` is tiny
    (5e-5 at t = 999) and blows any error in ``eps`` up in ``x0``: clipping alone, without re-deriving
    ``eps``, then re-noises a saturated ``x0`` with the old ``eps``, and the samples come out speckled and
    too bright.
    """
    a_t, a_prev = float(alpha_bar_t), float(alpha_bar_prev)
    x0 = (x_t - math.sqrt(1 - a_t) * eps) / math.sqrt(a_t)
    if clip:
        x0 = tf.clip_by_value(x0, -1.0, 1.0) if isinstance(x0, tf.Tensor) else np.clip(x0, -1.0, 1.0)
        eps = (x_t - math.sqrt(a_t) * x0) / math.sqrt(1 - a_t)
    sigma = eta * math.sqrt((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)) if eta > 0 else 0.0
    x_prev = math.sqrt(a_prev) * x0 + math.sqrt(max(1 - a_prev - sigma**2, 0.0)) * eps
    return x_prev + sigma * noise if sigma > 0 else x_prev


def sampling_timesteps(steps: int, timesteps: int = TIMESTEPS) -> np.ndarray:
    """The timesteps a sampler of ``steps`` steps visits, from ``T - 1`` down to 0, evenly spaced."""
    if not 1 <= steps <= timesteps:
        raise ValueError(f"steps: expected 1 <= steps <= {timesteps}, got {steps}")
    return np.unique(np.linspace(timesteps - 1, 0, steps).round().astype(int))[::-1]


def sample(
    model: keras.Model,
    n: int,
    labels: np.ndarray | None = None,
    seed: int = 0,
    steps: int | None = None,
    guidance: float | None = None,
    eta: float = 0.0,
    batch_size: int = 32,
    trajectory: bool = False,
):
    """Draw ``n`` images (n, 28, 28, 1) in [-1, 1], deterministic for a given ``seed``.

    Args:
        labels: the class of each image, ints (n,) in 0..9; ``None`` draws unconditionally.
        steps: how many network evaluations (per guidance branch) the sampler makes; DDIM skips the others.
        guidance: classifier-free guidance scale ``w >= 0``, used only with ``labels``.
        eta: 0 is DDIM (deterministic); 1 with ``steps = T`` is DDPM's ancestral sampler.
        batch_size: images denoised together (small batches run faster per image on a CPU).
        trajectory: also return the images after every step, (steps + 1, n, 28, 28, 1), noise first.

    ``steps`` and ``guidance`` default to the model's own recorded defaults (``model.sampling_defaults``,
    set by :func:`load_pretrained`), else to ``DEFAULT_STEPS`` and ``DEFAULT_GUIDANCE``.
    """
    defaults = getattr(model, "sampling_defaults", {"steps": DEFAULT_STEPS, "guidance": DEFAULT_GUIDANCE})
    steps = defaults["steps"] if steps is None else steps
    guidance = defaults["guidance"] if guidance is None else guidance
    labels = _checked_labels(n, labels)
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps: expected an int >= 1, got {steps!r}")
    if not guidance >= 0:
        raise ValueError(f"guidance: expected a scale >= 0, got {guidance!r}")
    if not 0.0 <= eta <= 1.0:
        raise ValueError(f"eta: expected 0 <= eta <= 1, got {eta}")
    rng = np.random.default_rng(seed)
    start = rng.standard_normal((n, *IMAGE_SHAPE)).astype(np.float32)
    visited = sampling_timesteps(steps)
    pairs = list(zip(visited, [*visited[1:], None]))  # (t, the earlier timestep it jumps to; None: the end)
    predict = _noise_predictor(model)
    finished, paths = [], []
    for j in range(0, n, batch_size):
        x = tf.constant(start[j : j + batch_size])
        chunk_labels = None if labels is None else tf.constant(labels[j : j + batch_size])
        path = [x]
        for t, earlier in pairs:
            eps = predict(x, tf.constant(int(t)), chunk_labels, guidance)
            fresh = tf.constant(rng.standard_normal(x.shape), tf.float32) if eta > 0 else None
            x = ddim_step(x, eps, ALPHA_BAR[t], 1.0 if earlier is None else ALPHA_BAR[earlier], eta, fresh)
            path.append(x)
        finished.append(x.numpy())
        if trajectory:
            paths.append(np.stack([p.numpy() for p in path]))
    x = np.clip(np.concatenate(finished), -1.0, 1.0)
    return (x, np.concatenate(paths, axis=1)) if trajectory else x


def _checked_labels(n: int, labels) -> np.ndarray | None:
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n: expected an int >= 1, got {n!r}")
    if labels is None:
        return None
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels: expected ints of shape ({n},), got {labels.dtype} of shape {labels.shape}")
    if labels.min() < 0 or labels.max() >= NUM_CLASSES:
        raise ValueError(f"labels: expected classes 0..{NUM_CLASSES - 1}, got {labels.min()}..{labels.max()}")
    return labels.astype(np.int32)


def _noise_predictor(model: keras.Model):
    """``(x (b, 28, 28, 1), t, labels (b,) or None, guidance) -> eps (b, 28, 28, 1)``, as tensors.

    With labels, the conditional and the unconditional predictions run as one batch of 2b. Built once
    per model and kept on it, so later calls of :func:`sample` do not trace the graph again: that takes
    seconds, which a timing of a few samples would otherwise count.
    """
    if getattr(model, "_noise_predictor", None) is None:
        model._noise_predictor = _build_noise_predictor(model)
    return model._noise_predictor


def _build_noise_predictor(model: keras.Model):

    @tf.function(reduce_retracing=True)
    def both(x, t, labels):
        b = tf.shape(x)[0]
        both_t = tf.fill((2 * b,), t)
        eps = model([tf.concat([x, x], 0), both_t, tf.concat([labels, tf.fill((b,), NO_CLASS)], 0)], training=False)
        return eps[:b], eps[b:]

    @tf.function(reduce_retracing=True)
    def unconditional(x, t):
        b = tf.shape(x)[0]
        return model([x, tf.fill((b,), t), tf.fill((b,), NO_CLASS)], training=False)

    def predict(x, t, labels, guidance):
        if labels is None:
            return unconditional(x, t)
        conditional, free = both(x, t, labels)
        return guided_noise(conditional, free, guidance)

    return predict


# --- the shipped model ---------------------------------------------------------------------------


def load_pretrained(path: str | Path = MODEL_PATH) -> keras.Model:
    """The diffusion model this repository trained (``python -m helpers.train diffusion``).

    Its file is checked against the size and SHA-256 in its JSON record; the record's default
    sampler settings become ``model.sampling_defaults`` (``{"steps": ..., "guidance": ...}``).
    """
    model, record = load_recorded(path, build_unet, "Restore it with: git checkout -- data/pretrained")
    settings = record["sampler"]
    model.sampling_defaults = {"steps": int(settings["steps"]), "guidance": float(settings["guidance"])}
    return model


def evaluate(
    model: keras.Model,
    real_features: np.ndarray,
    n: int | None = None,
    steps: int | None = None,
    guidance: float | None = None,
    seed: int = 0,
    keep_images: bool = False,
) -> dict:
    """Draw ``n`` class-conditional samples, an equal share of each class, and score them.

    Returns :func:`helpers.metrics.score_images`' scores with the labels asked for (``"fid"`` and ``"kid"``
    against ``real_features``, lesson 03's classifier features of real images, ``n`` defaulting to as many;
    ``"class_accuracy"``, ``"class_shares"``, ``"mean_confidence"``, ``"spread"``) and
    ``"ms_per_sample"``, the sampling time per image on this machine: the keys of
    :func:`helpers.gan.evaluate`, plus ``class_accuracy``. ``keep_images`` adds ``"images"``, the scored
    samples (n, 28, 28, 1) as pixel values 0..255, class 0's first, so a later check (nearest training
    images, say) needs no second sampling run.
    """
    import time

    from . import metrics

    n = len(real_features) if n is None else n
    if n < NUM_CLASSES or n % NUM_CLASSES:
        raise ValueError(f"n: expected a multiple of {NUM_CLASSES} (an equal share per class), got {n}")
    labels = np.repeat(np.arange(NUM_CLASSES), n // NUM_CLASSES)
    start = time.perf_counter()
    images = to_pixels(sample(model, n, labels, seed=seed, steps=steps, guidance=guidance))
    seconds = time.perf_counter() - start
    scores = {**metrics.score_images(images, real_features, labels), "ms_per_sample": 1000 * seconds / n}
    return {**scores, "images": images} if keep_images else scores
