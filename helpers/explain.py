"""What a classifier looks at: Grad-CAM, occlusion sensitivity, and two tests of whether a map is faithful to the
model (the deletion curve; the randomization check).

* Grad-CAM (Selvaraju et al., 2017): weight each channel of a convolutional layer's activations by the spatial
  mean of the class logit's gradient, sum, keep the positive part. :func:`layer_and_output` gives the layer's
  activations and the model's outputs from one forward pass, also when the layer sits inside a nested model,
  where the usual ``keras.Model(model.inputs, [inner_layer.output, model.output])`` fails (the inner layer's
  output belongs to the nested model's own graph: "Graph disconnected", in Keras 3 "Output ... is not
  connected to `inputs`").
* Occlusion (Zeiler and Fergus, 2014): cover a square, see how much the class's probability drops. It needs
  only the model's predictions, so it cross-checks Grad-CAM with no access to the inside.
* The deletion curve: delete pixels in the map's order, most important first; a map faithful to the model
  makes the probability fall fast (a small area under the curve), faster than a random order does.
* The cascading randomization check (Adebayo et al., 2018): shuffle the weights of the top layers, one more
  at a time; a map that explains the model must change (its rank correlation with the trained model's map
  falls), a map that does not change explains the image, not the model.

Images are NHWC float32 raw pixels 0..255, (N, H, W, C), as the course's models take them; models give logits
(N, classes). ``predict`` arguments map images (M, H, W, C) to class probabilities (M, classes) in NumPy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

from .environment import keras, tf

Probe = Callable[[tf.Tensor], tuple[tf.Tensor, tf.Tensor]]
_GRAD_CAM_BATCH = 64  # images per forward and backward pass: bounds the memory of the activations kept
_PREDICT_BATCH = 256  # occluded or deleted images per call of ``predict`` in deletion_curve
_SLACK = 1e-6  # float32 rounding of probabilities at 0 and 1


# --- finding a layer, also inside nested models ---------------------------------------------------


class _Step(NamedTuple):
    """One operation of a chain of layers, and the graph node that records how the model called it (``None``
    in a Sequential model, which calls each layer on the previous layer's output alone)."""

    operation: keras.Operation
    node: object | None


def layer_and_output(model: keras.Model, layer_name: str) -> Probe:
    """``probe(images)`` giving (the named layer's activations (N, h, w, C), the model's outputs (N, classes))
    from one forward pass in inference mode (``training=False``), so a ``tf.GradientTape`` around the call
    links the two.

    The layer may sit at the top level or inside nested models, at any depth, as long as each model above it
    runs its layers one after another (Sequential, or functional with one input and each layer fed by the one
    before): those are run layer by layer, keeping the named layer's output. A layer at the top level of any
    functional model (one with branches too, such as a ResNet used as a nested base) is exposed with
    ``keras.Model(that_model.input, [layer.output, that_model.output])``, which stays inside that model's graph.

    Raises:
        ValueError: no layer of that name (the message lists the layers with 4-D outputs), two of them, a layer
            without 4-D outputs, or a layer inside a model nested in a model with branches.
    """
    if not isinstance(model, keras.Model):
        raise ValueError(f"model: expected a Keras model, got {type(model).__name__}")
    path = _path_to(model, layer_name)
    shape = _output_shape(path[-1])
    if shape is not None and len(shape) != 4:
        raise ValueError(
            f"layer_name: '{layer_name}' gives outputs of shape {shape}, not maps (N, h, w, C); "
            f"layers with maps: {_names_with_maps(model)}"
        )
    forward = _probe_along(model, path, layer_name)

    def probe(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        activations, outputs = forward(images)
        if len(activations.shape) != 4:
            raise ValueError(
                f"layer_name: '{layer_name}' gave outputs of shape {tuple(activations.shape)}, not maps (N, h, w, C)"
            )
        return activations, outputs

    return probe


def _probe_along(model: keras.Model, path: list, layer_name: str) -> Probe:
    """A forward pass through ``model`` that also returns the output of ``path[-1]``, reached through the
    nested models ``path[:-1]``."""
    target, rest = path[0], path[1:]
    steps = _chain(model)
    if steps is None:
        if rest:
            raise ValueError(
                f"layer_name: '{layer_name}' sits inside '{target.name}', a model nested in '{model.name}', whose "
                "layers do not run one after another (it has branches, or several inputs or outputs). Supported: "
                "a layer at any depth of models that are chains of layers (Sequential, or functional with each "
                "layer fed by the one before), and a layer at the top level of any functional model. Choose a "
                f"layer of '{model.name}' itself, or build the model as a chain."
            )
        return _graph_probe(model, target, layer_name)
    positions = [i for i, step in enumerate(steps) if step.operation is target]
    if len(positions) != 1:
        raise ValueError(f"layer_name: '{target.name}' runs {len(positions)} times in '{model.name}'; expected once")
    at = positions[0]
    inner = _probe_along(target, rest, layer_name) if rest else None

    def forward(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x = images
        for step in steps[:at]:
            x = _replay(step, x)
        if inner is None:
            x = activations = _replay(steps[at], x)
        else:
            activations, x = inner(x)
        for step in steps[at + 1 :]:
            x = _replay(step, x)
        return activations, x

    return forward


def _graph_probe(model: keras.Model, layer: keras.layers.Layer, layer_name: str) -> Probe:
    """Expose a top-level layer of a functional model as a second output; both tensors are in its graph."""
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError) as err:
        raise ValueError(f"model: '{model.name}' is not a Sequential or functional model ({err})") from err
    if len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            f"model: '{model.name}' has {len(inputs)} inputs and {len(outputs)} outputs; expected one of each"
        )
    try:
        exposed = keras.Model(inputs[0], [layer.output, outputs[0]])
    except (AttributeError, ValueError) as err:
        raise ValueError(f"layer_name: '{layer_name}' cannot be made an output of '{model.name}' ({err})") from err

    def forward(images: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        activations, predictions = exposed(images, training=False)
        return activations, predictions

    return forward


def _chain(model: keras.Model) -> list[_Step] | None:
    """The model's operations in the order they run, if each one takes the previous one's output alone (a
    Sequential model, or a functional one with one input and one output and no branches); else ``None``."""
    if isinstance(model, keras.Sequential):
        return [_Step(layer, None) for layer in _inner_layers(model)]
    try:
        inputs, outputs = model.inputs, model.outputs
    except (AttributeError, ValueError):  # a subclassed model: no graph to read
        return None
    if len(inputs) != 1 or len(outputs) != 1:
        return None
    steps, tensor = [], outputs[0]
    while tensor is not inputs[0]:
        history = getattr(tensor, "_keras_history", None)
        if history is None or history.operation is None or isinstance(history.operation, keras.layers.InputLayer):
            return None
        node = history.operation._inbound_nodes[history.node_index]
        if len(node.input_tensors) != 1 or len(node.output_tensors) != 1:
            return None
        steps.append(_Step(history.operation, node))
        tensor = node.input_tensors[0]
    return steps[::-1]


def _replay(step: _Step, x: tf.Tensor) -> tf.Tensor:
    """Run one step on ``x`` as the model ran it (its other call arguments kept), in inference mode."""
    if step.node is None:
        return step.operation(x, training=False)
    args, kwargs = step.node.arguments.fill_in({id(step.node.input_tensors[0]): x})
    if isinstance(step.operation, keras.layers.Layer):  # plain operations (keras.ops) take no training flag
        kwargs = {**kwargs, "training": False}
    return step.operation(*args, **kwargs)


def _inner_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The model's own layers, in order, without its input layers."""
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _leaf_layers(model: keras.Model) -> Iterator[keras.layers.Layer]:
    """Every layer that is not itself a model, in the order the model runs them, nested models opened in place."""
    for layer in _inner_layers(model):
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _path_to(model: keras.Model, name: str) -> list[keras.layers.Layer]:
    """The nested models from ``model`` down to the layer called ``name``, that layer last.

    Raises:
        ValueError: no such layer (the message lists those with maps), or more than one.
    """
    if not isinstance(name, str):
        raise ValueError(f"layer_name: expected a layer's name (str), got {type(name).__name__}")
    paths = list(_paths_to(model, name))
    if not paths:
        maps = _names_with_maps(model)
        raise ValueError(f"layer_name: '{model.name}' has no layer '{name}'; layers with maps: {maps}")
    if len(paths) > 1:
        where = ", ".join("/".join(layer.name for layer in path) for path in paths)
        raise ValueError(f"layer_name: '{name}' names {len(paths)} layers ({where}); expected one")
    return paths[0]


def _paths_to(model: keras.Model, name: str, above: tuple = ()) -> Iterator[list[keras.layers.Layer]]:
    for layer in _inner_layers(model):
        here = (*above, layer)
        if layer.name == name:
            yield list(here)
        if isinstance(layer, keras.Model):
            yield from _paths_to(layer, name, here)


def _output_shape(layer: keras.layers.Layer) -> tuple | None:
    """The layer's output shape, ``(None, h, w, C)`` for a map; ``None`` if it was never called on a symbolic
    input (a Sequential model without ``keras.Input`` before its first call)."""
    try:
        return tuple(layer.output.shape)
    except (AttributeError, ValueError):
        return None


def _names_with_maps(model: keras.Model) -> str:
    names = [layer.name for layer in _leaf_layers(model) if len(_output_shape(layer) or ()) == 4]
    return ", ".join(names) if names else "none (call the model once, or start it with keras.Input)"


# --- Grad-CAM -------------------------------------------------------------------------------------


def grad_cam(model: keras.Model, images: np.ndarray, classes: np.ndarray, layer_name: str) -> np.ndarray:
    """Grad-CAM maps (N, h, w) at the resolution of the layer ``layer_name``, each scaled to max 1.

    The weight of channel k is the spatial mean of d(logit of the class)/d(activations of channel k); the map
    is ReLU(sum_k weight_k * A_k) (:func:`combine`). The gradient is taken with respect to the activations
    reached from the (watched) input, so a frozen base (``trainable=False``) works too.

    Args:
        images: (N, H, W, C) pixels as the model takes them.
        classes: int (N,): the class to explain for each image (often the predicted one).
    """
    images = _checked_images(images)
    classes = _checked_classes(classes, len(images))
    _check_fits_model(model, images)
    probe = layer_and_output(model, layer_name)
    maps = []
    for start in range(0, len(images), _GRAD_CAM_BATCH):
        batch = slice(start, start + _GRAD_CAM_BATCH)
        activations, gradients = _activations_and_gradients(probe, images[batch], classes[batch], layer_name)
        maps.append(combine(activations, gradients))
    return np.concatenate(maps)


def _activations_and_gradients(
    probe: Probe, images: np.ndarray, classes: np.ndarray, layer_name: str
) -> tuple[np.ndarray, np.ndarray]:
    """The layer's activations and the gradient of each image's class logit with respect to them, (N, h, w, C)."""
    pixels = tf.convert_to_tensor(images)
    with tf.GradientTape() as tape:
        tape.watch(pixels)  # not the variables: a frozen base has none that the tape would watch
        activations, logits = probe(pixels)
        _check_logits(logits, classes)
        chosen = tf.gather(logits, classes, axis=1, batch_dims=1)
    # In inference mode each image's logit depends on its own activations only, so the gradient of the sum
    # is each image's own gradient.
    gradients = tape.gradient(chosen, activations)
    if gradients is None:
        raise ValueError(f"layer_name: the model's outputs do not depend on '{layer_name}'")
    return np.asarray(activations, np.float32), np.asarray(gradients, np.float32)


def combine(activations: np.ndarray, gradients: np.ndarray) -> np.ndarray:
    """Grad-CAM's weighting step: (N, h, w, C) activations and their gradients -> maps (N, h, w).

    weight_k = mean over positions of the gradients of channel k; map = ReLU(sum_k weight_k * A_k); each map
    divided by its own max (a map that is zero everywhere stays zero).
    """
    activations, gradients = np.asarray(activations, np.float64), np.asarray(gradients, np.float64)
    if activations.ndim != 4 or activations.shape != gradients.shape:
        raise ValueError(
            "activations, gradients: expected two (N, h, w, C) arrays of the same shape, got "
            f"{activations.shape} and {gradients.shape}"
        )
    weights = gradients.mean(axis=(1, 2))  # (N, C)
    maps = np.maximum(np.einsum("nhwc,nc->nhw", activations, weights), 0.0)
    peaks = maps.max(axis=(1, 2), keepdims=True)
    return np.divide(maps, peaks, out=np.zeros_like(maps), where=peaks > 0).astype(np.float32)


def upsample(maps: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Maps (N, h, w) resized bilinearly to (N, H, W), ``size = (H, W)``: to lay over the image, or to rank its
    pixels (:func:`deletion_curve`)."""
    maps = np.asarray(maps, np.float32)
    if maps.ndim != 3:
        raise ValueError(f"maps: expected shape (N, h, w), got {maps.shape}")
    if len(size) != 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in size):
        raise ValueError(f"size: expected (H, W), two positive ints, got {size!r}")
    return tf.image.resize(maps[..., None], tuple(int(n) for n in size), method="bilinear").numpy()[..., 0]


# --- occlusion ------------------------------------------------------------------------------------


def occlusion(
    predict: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    classes: np.ndarray,
    patch: int = 7,
    stride: int = 3,
    fill: float = 0.0,
    batch_size: int = 256,
) -> np.ndarray:
    """Occlusion sensitivity (N, H, W): how much the class's probability drops when a square covering the pixel
    is filled with ``fill``, averaged over all the squares covering it.

    The ``patch`` x ``patch`` square moves by ``stride`` (at most ``patch``) from the top left corner; the last
    row and column of positions are moved to touch the bottom and right borders, so every pixel is covered.
    Pixels near the borders are covered by fewer positions, so their mean rests on fewer squares. Each image is
    predicted once as it is and once per position, ``batch_size`` occluded images per call of ``predict``.

    Args:
        predict: images (M, H, W, C) -> class probabilities (M, classes), NumPy.
        images: (N, H, W, C); classes: int (N,).
    """
    images = _checked_images(images)
    classes = _checked_classes(classes, len(images))
    height, width = images.shape[1:3]
    _require_int("patch", patch, most=min(height, width))
    _require_int("stride", stride, most=patch)  # a longer stride would leave pixels that no patch covers
    _require_int("batch_size", batch_size)
    unoccluded = _class_probabilities(predict, images, classes)
    corners = [(top, left) for top in _starts(height, patch, stride) for left in _starts(width, patch, stride)]
    jobs = [(n, top, left) for n in range(len(images)) for top, left in corners]
    drops = np.zeros((len(images), height, width))
    covered = np.zeros((height, width))
    for top, left in corners:
        covered[top : top + patch, left : left + patch] += 1
    for start in range(0, len(jobs), batch_size):
        chunk = jobs[start : start + batch_size]
        which = np.array([n for n, _, _ in chunk])
        occluded = images[which].copy()
        for k, (_, top, left) in enumerate(chunk):
            occluded[k, top : top + patch, left : left + patch, :] = fill
        drop = unoccluded[which] - _class_probabilities(predict, occluded, classes[which])
        for k, (n, top, left) in enumerate(chunk):
            drops[n, top : top + patch, left : left + patch] += drop[k]
    return (drops / covered).astype(np.float32)


def _starts(length: int, patch: int, stride: int) -> list[int]:
    """Where the patches start along one axis: every ``stride`` pixels, the last one touching the border."""
    starts = list(range(0, length - patch + 1, stride))
    if starts[-1] + patch < length:
        starts.append(length - patch)
    return starts


def predictor(model: keras.Model, batch_size: int = _PREDICT_BATCH) -> Callable[[np.ndarray], np.ndarray]:
    """``predict(images)``: the softmax of ``model``'s logits for images (M, H, W, C), in inference mode, as
    NumPy (M, classes); what :func:`occlusion` and :func:`deletion_curve` take."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model: expected a Keras model, got {type(model).__name__}")

    def predict(images: np.ndarray) -> np.ndarray:
        logits = model.predict(np.asarray(images, np.float32), batch_size=batch_size, verbose=0)
        return np.asarray(keras.ops.convert_to_numpy(keras.ops.softmax(logits, axis=-1)), np.float64)

    return predict


# --- the deletion curve ---------------------------------------------------------------------------


def deletion_curve(
    predict: Callable[[np.ndarray], np.ndarray],
    images: np.ndarray,
    maps: np.ndarray,
    classes: np.ndarray,
    steps: int = 20,
    fill: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """The class probability (N, steps + 1) after deleting (setting to ``fill``, all channels) the top 0,
    1/steps, ..., all of the pixels, ranked by the map, highest first.

    Ties are broken at random (``seed``), so a constant map deletes in a random order. Column 0 is the
    probability of the untouched image, the last column that of an image that is ``fill`` everywhere.

    Args:
        predict: images (M, H, W, C) -> class probabilities (M, classes), NumPy.
        images: (N, H, W, C); maps: (N, H, W), the image's resolution (see :func:`upsample`); classes: int (N,).
    """
    images = _checked_images(images)
    classes = _checked_classes(classes, len(images))
    maps = np.asarray(maps, np.float64)
    if maps.shape != images.shape[:3]:
        hint = " (upsample a layer's maps to the image size first)" if maps.ndim == 3 else ""
        raise ValueError(f"maps: expected shape {images.shape[:3]}, one per image, got {maps.shape}{hint}")
    if not np.all(np.isfinite(maps)):
        raise ValueError("maps: expected finite values, got NaN or infinity")
    _require_int("steps", steps)
    n_images, height, width = maps.shape
    rng = np.random.default_rng(seed)
    tie_breaks = rng.random((n_images, height * width))
    ranks = np.empty((n_images, height * width), np.int64)  # 0 for the pixel deleted first
    for n in range(n_images):
        order = np.lexsort((tie_breaks[n], -maps[n].ravel()))
        ranks[n, order] = np.arange(height * width)
    deleted = np.round(np.linspace(0, height * width, steps + 1)).astype(np.int64)
    jobs = [(n, s) for n in range(n_images) for s in range(steps + 1)]
    curves = np.empty((n_images, steps + 1))
    for start in range(0, len(jobs), _PREDICT_BATCH):
        which, step = np.array(jobs[start : start + _PREDICT_BATCH]).T
        gone = (ranks[which] < deleted[step][:, None]).reshape(-1, height, width, 1)
        probabilities = _class_probabilities(predict, np.where(gone, np.float32(fill), images[which]), classes[which])
        curves[which, step] = probabilities
    return curves


def deletion_area(curves: np.ndarray) -> np.ndarray:
    """Area under each deletion curve (N, steps + 1) over the deleted fraction 0..1, trapezoid rule: (N,).
    Lower is better: the map found the pixels the model's decision rests on."""
    curves = np.asarray(curves, np.float64)
    if curves.ndim != 2 or curves.shape[1] < 2:
        raise ValueError(f"curves: expected shape (N, steps + 1) with steps >= 1, got {curves.shape}")
    return np.trapezoid(curves, dx=1.0 / (curves.shape[1] - 1), axis=1)


def random_maps(shape: tuple[int, int, int], seed: int = 0) -> np.ndarray:
    """Maps (N, H, W) of independent uniform values: a random ranking of the pixels, the baseline a map must beat."""
    if len(shape) != 3 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in shape):
        raise ValueError(f"shape: expected (N, H, W), three positive ints, got {shape!r}")
    return np.random.default_rng(seed).random(tuple(int(n) for n in shape), dtype=np.float32)


# --- the randomization check ----------------------------------------------------------------------


def rank_correlation(maps_a: np.ndarray, maps_b: np.ndarray) -> np.ndarray:
    """Spearman's rank correlation (N,) of each pair of maps (N, h, w), flattened; tied values get their
    average rank. A constant map ranks nothing, so its correlation with any map is defined as 0.0."""
    maps_a, maps_b = np.asarray(maps_a, np.float64), np.asarray(maps_b, np.float64)
    if maps_a.shape != maps_b.shape or maps_a.ndim < 2 or maps_a[0].size < 2:
        raise ValueError(
            f"maps_a, maps_b: expected two arrays (N, h, w) of the same shape, 2 values or more each, got "
            f"{maps_a.shape} and {maps_b.shape}"
        )
    if not (np.all(np.isfinite(maps_a)) and np.all(np.isfinite(maps_b))):
        raise ValueError("maps_a, maps_b: expected finite values, got NaN or infinity")
    flat_a, flat_b = maps_a.reshape(len(maps_a), -1), maps_b.reshape(len(maps_b), -1)
    return np.array([_pearson(_average_ranks(a), _average_ranks(b)) for a, b in zip(flat_a, flat_b)])


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..P of ``values`` (P,); each run of equal values gets the mean of the ranks it spans."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    starts_run = np.concatenate([[True], ordered[1:] != ordered[:-1]])
    run_starts = np.flatnonzero(starts_run)
    run_ends = np.append(run_starts[1:], len(values))  # one past each run's last position
    run_of = np.cumsum(starts_run) - 1
    ranks = np.empty(len(values))
    ranks[order] = ((run_starts + run_ends - 1) / 2 + 1)[run_of]
    return ranks


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt(np.sum(a * a) * np.sum(b * b))
    return float(np.sum(a * b) / scale) if scale > 0 else 0.0


def randomized_copy(model: keras.Model, layer_names: Sequence[str], seed: int = 0) -> keras.Model:
    """A copy of the model in which every weight array of the named layers (searched in nested models too)
    has its entries shuffled (one seeded permutation per array); the model itself is left untouched.

    Shuffling keeps each array's values, so their distribution (BatchNorm's variances stay positive, scales
    stay sane) and destroys where they were, which is what the layer learned. The arrays are shuffled in the
    order of ``layer_names``, so a longer list starting with the same names shuffles those the same way.
    Integer state (a random layer's seed) is not a weight and is left alone. The copy is not compiled.
    """
    if isinstance(layer_names, str) or not layer_names:
        raise ValueError(f"layer_names: expected a non-empty sequence of layer names, got {layer_names!r}")
    if len(set(layer_names)) != len(layer_names):
        raise ValueError(f"layer_names: expected each name once, got {list(layer_names)}")
    copy = _copy(model)
    rng = np.random.default_rng(seed)
    for name in layer_names:
        variables = [v for v in _path_to(copy, name)[-1].weights if str(v.dtype).startswith(("float", "bfloat"))]
        if not variables:
            raise ValueError(f"layer_names: '{name}' has no weights to randomize")
        for variable in variables:
            values = np.asarray(variable.numpy())
            variable.assign(rng.permutation(values.ravel()).reshape(values.shape))
    return copy


def _copy(model: keras.Model) -> keras.Model:
    """A new model with the same structure (nested models copied too, not shared) and the same weights."""
    if not isinstance(model, keras.Model):
        raise ValueError(f"model: expected a Keras model, got {type(model).__name__}")
    try:
        copy = keras.models.clone_model(model)
    except (TypeError, ValueError) as err:
        raise ValueError(f"model: '{model.name}' cannot be copied from its config ({err})") from err
    weights = model.get_weights()
    if [w.shape for w in copy.get_weights()] != [w.shape for w in weights]:
        raise ValueError(f"model: the copy of '{model.name}' does not have the same weights")
    copy.set_weights(weights)
    return copy


def cascading_randomization(
    model: keras.Model,
    images: np.ndarray,
    classes: np.ndarray,
    layer_name: str,
    layers_top_down: Sequence[str],
    seed: int = 0,
) -> list[tuple[str, float]]:
    """Adebayo et al.'s cascading randomization: for i = 1..len(layers_top_down), shuffle the weights of the
    first i of those layers (:func:`randomized_copy`, cumulative from the top), compute Grad-CAM at
    ``layer_name`` and its mean :func:`rank_correlation` with the trained model's maps.

    Returns ``[(last randomized layer's name, mean correlation), ...]``: near 1 means the map does not notice
    the model lost what it learned.
    """
    if isinstance(layers_top_down, str) or not layers_top_down:
        raise ValueError(f"layers_top_down: expected a non-empty sequence of layer names, got {layers_top_down!r}")
    trained = grad_cam(model, images, classes, layer_name)
    results = []
    for i in range(1, len(layers_top_down) + 1):
        randomized = randomized_copy(model, layers_top_down[:i], seed)
        maps = grad_cam(randomized, images, classes, layer_name)
        results.append((layers_top_down[i - 1], float(np.mean(rank_correlation(trained, maps)))))
    return results


# --- checking inputs ------------------------------------------------------------------------------


def _checked_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4 or len(images) == 0:
        raise ValueError(f"images: expected shape (N, H, W, C) with N >= 1, got {images.shape}")
    if images.dtype.kind not in "iuf":
        raise ValueError(f"images: expected pixel values (numbers), got an array of {images.dtype}")
    return images.astype(np.float32)


def _checked_classes(classes: np.ndarray, n_images: int) -> np.ndarray:
    classes = np.asarray(classes)
    if classes.shape != (n_images,) or (classes.size and classes.dtype.kind not in "iu"):
        raise ValueError(
            f"classes: expected ints of shape ({n_images},), one per image, got {classes.dtype}, shape {classes.shape}"
        )
    if classes.min() < 0:
        raise ValueError(f"classes: expected class indices >= 0, got {classes.min()}")
    return classes.astype(np.int64)


def _require_int(name: str, value: int, most: int | None = None) -> None:
    """Raise a ValueError naming ``name`` unless ``value`` is an int from 1 to ``most`` (no upper bound if None)."""
    if not isinstance(value, (int, np.integer)) or value < 1 or (most is not None and value > most):
        raise ValueError(f"{name}: expected an int {'>= 1' if most is None else f'1..{most}'}, got {value!r}")


def _check_fits_model(model: keras.Model, images: np.ndarray) -> None:
    try:
        expected = tuple(model.inputs[0].shape[1:])
    except (AttributeError, IndexError, ValueError):  # not built yet: the first call will build it
        return
    if len(expected) != 3 or any(e is not None and e != got for e, got in zip(expected, images.shape[1:])):
        wanted = ", ".join("?" if e is None else str(e) for e in expected)
        raise ValueError(f"images: expected shape (N, {wanted}) for '{model.name}', got {images.shape}")


def _check_logits(logits: tf.Tensor, classes: np.ndarray) -> None:
    if len(logits.shape) != 2:
        raise ValueError(f"model: expected outputs (N, classes), got shape {tuple(logits.shape)}")
    if classes.max() >= logits.shape[1]:
        raise ValueError(f"classes: expected class indices below {logits.shape[1]}, got {classes.max()}")


def _class_probabilities(predict: Callable, images: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """``predict(images)[i, classes[i]]`` (M,), after checking it gave probabilities (M, classes)."""
    probabilities = np.asarray(predict(images), np.float64)
    if probabilities.ndim != 2 or len(probabilities) != len(images):
        raise ValueError(
            f"predict: expected probabilities of shape ({len(images)}, classes) for {len(images)} images, "
            f"got {probabilities.shape}"
        )
    if not np.all(np.isfinite(probabilities)) or probabilities.min() < -_SLACK or probabilities.max() > 1 + _SLACK:
        raise ValueError(
            f"predict: expected probabilities in 0..1 (apply softmax to the logits), got values "
            f"{probabilities.min():.3g}..{probabilities.max():.3g}"
        )
    if classes.max() >= probabilities.shape[1]:
        raise ValueError(f"classes: expected class indices below {probabilities.shape[1]}, got {classes.max()}")
    return probabilities[np.arange(len(images)), classes]
