"""The transfer lesson's backbone trained through the course's resumable loop (:mod:`helpers.loop`).

``python -m helpers.train backbone`` uses it to train the backbone shipped in ``data/pretrained/``
(:mod:`helpers.transfer`): a classifier of the five base classes, trained step by step so that an
interrupted run resumes exactly.
"""

from __future__ import annotations

import numpy as np

from .environment import keras, tf
from .loop import ResumableTraining
from .pixels import IMAGE_SHAPE


class BackboneTraining(ResumableTraining):
    """A classifier (images (N, 28, 28, 1) in 0..255 -> logits), Adam and cross-entropy, on (images, labels).

    Everything else (budget, batches, checkpoint, interrupt, schedule) is :class:`ResumableTraining`'s.
    The step logs ``loss`` and ``accuracy`` (of the batch, in training mode).
    """

    def __init__(
        self,
        model: keras.Model,
        learning_rate: float = 2e-3,
        batch_size: int = 64,
        learning_rate_decay: tuple[int, int] | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__(
            models={"model": model},
            optimizers={"model": keras.optimizers.Adam(learning_rate)},
            learning_rate=learning_rate,
            batch_size=batch_size,
            seed=seed,
            learning_rate_decay=learning_rate_decay,
        )
        self.model = model
        self.step_function = _make_train_step(model, self.optimizers["model"])

    def check_data(self, data: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(images (N, 28, 28, 1) in 0..255, labels (N,) in 0..classes-1), as float32 and int32."""
        if not isinstance(data, tuple) or len(data) != 2:
            raise ValueError(f"data: expected (images, labels), got {type(data).__name__}")
        images, labels = super().check_data(data)
        classes = self.model.output_shape[-1]
        if images.shape[1:] != IMAGE_SHAPE:
            raise ValueError(f"images: expected shape (N, {', '.join(map(str, IMAGE_SHAPE))}), got {images.shape}")
        if labels.ndim != 1 or labels.min() < 0 or labels.max() >= classes:
            raise ValueError(f"labels: expected (N,) ints in 0..{classes - 1}, got shape {labels.shape}")
        return images.astype(np.float32, copy=False), labels.astype(np.int32, copy=False)


def _make_train_step(model: keras.Model, optimizer: keras.optimizers.Optimizer):
    loss_function = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            loss = loss_function(labels, logits)
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        hits = tf.cast(tf.equal(tf.argmax(logits, axis=1, output_type=tf.int32), labels), tf.float32)
        return {"loss": loss, "accuracy": tf.reduce_mean(hits)}

    return step
