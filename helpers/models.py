"""Model builders for the lessons, written so they read like the architecture diagram."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path

from . import weights
from .data import DATA_DIR
from .environment import keras
from .files import read_record
from .pixels import IMAGE_SHAPE

layers = keras.layers

PRETRAINED_DIR = DATA_DIR / "pretrained"
CLASSIFIER_PATH = PRETRAINED_DIR / "fashion_classifier.weights.h5"

# Every convolution in the course's CNNs: 3x3, size-preserving, ReLU.
DefaultConv2D = partial(layers.Conv2D, kernel_size=3, padding="same", activation="relu")


def build_cnn(
    input_shape: Sequence[int] = IMAGE_SHAPE,
    num_classes: int = 10,
    filters: Sequence[int] = (32, 64),
    convs_per_block: int = 1,
    dense_units: int = 128,
    dropout: float = 0.0,
    name: str = "cnn",
) -> keras.Sequential:
    """The lesson's CNN: blocks of 3x3 convolutions each followed by 2x2 max pooling, then dense layers.

    Input: raw pixel values in 0..255, shape (N, H, W, C); the model rescales them to 0..1 itself, so
    a saved model needs no preprocessing (the course's convention; :func:`build_vgg` has ``rescale``).
    Output: ``num_classes`` logits (no softmax), shape (N, num_classes).

    Args:
        filters: output channels of each block; each block halves the height and width.
        convs_per_block: 3x3 convolutions per block before its pooling.
        dense_units: width of the hidden dense layer.
        dropout: dropout rate before each dense layer (0 for none).
    """
    input_shape = _validated_cnn_args(input_shape, num_classes, filters, convs_per_block, dense_units, dropout)
    stack = [keras.Input(input_shape, name="pixels"), layers.Rescaling(1 / 255, name="rescale")]
    for block, channels in enumerate(filters, start=1):
        stack += [DefaultConv2D(channels, name=f"block{block}_conv{i}") for i in range(1, convs_per_block + 1)]
        stack.append(layers.MaxPooling2D(2, name=f"block{block}_pool"))
    stack.append(layers.Flatten(name="flatten"))
    if dropout:
        stack.append(layers.Dropout(dropout, name="dropout1"))
    stack.append(layers.Dense(dense_units, activation="relu", name="dense"))
    if dropout:
        stack.append(layers.Dropout(dropout, name="dropout2"))
    stack.append(layers.Dense(num_classes, name="logits"))
    return keras.Sequential(stack, name=name)


def _validated_cnn_args(
    input_shape, num_classes, filters, convs_per_block, dense_units, dropout
) -> tuple[int, int, int]:
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or not all(isinstance(n, int) and n > 0 for n in input_shape):
        raise ValueError(f"input_shape: expected (height, width, channels) of positive ints, got {input_shape}")
    if not filters or not all(isinstance(f, int) and f > 0 for f in filters):
        raise ValueError(f"filters: expected a non-empty sequence of positive ints, got {filters!r}")
    if min(input_shape[:2]) < 2 ** len(filters):
        raise ValueError(
            f"filters: {len(filters)} blocks halve the size {len(filters)} times, too often for input {input_shape[:2]}"
        )
    if convs_per_block < 1 or num_classes < 2 or dense_units < 1 or not 0.0 <= dropout < 1.0:
        raise ValueError(
            "convs_per_block, num_classes, dense_units, dropout: expected >= 1, >= 2, >= 1 and 0 <= dropout < 1, "
            f"got {convs_per_block}, {num_classes}, {dense_units}, {dropout}"
        )
    return input_shape


def receptive_fields(model: keras.Model) -> list[tuple[str, int, int]]:
    """Receptive field of one unit after each convolution or pooling layer, along one axis.

    Going through the layers, a layer with kernel k, stride s and dilation d grows the field by
    ``(k - 1) * d * jump`` input pixels, where ``jump`` (the input distance between neighbouring
    units) is the product of the strides so far, and then multiplies ``jump`` by s.

    Returns:
        ``(layer name, field size in input pixels, jump)`` for each such layer, in order.
    """
    field, jump, rows = 1, 1, []
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            kernel, stride, dilation = layer.kernel_size[0], layer.strides[0], layer.dilation_rate[0]
        elif isinstance(layer, (layers.MaxPooling2D, layers.AveragePooling2D)):
            kernel, stride, dilation = layer.pool_size[0], layer.strides[0], 1
        else:
            continue
        field += (kernel - 1) * dilation * jump
        jump *= stride
        rows.append((layer.name, field, jump))
    return rows


def build_classifier(**config) -> keras.Sequential:
    """The shipped classifier's architecture: :func:`build_cnn` with ``config`` (its record's), named for it."""
    return build_cnn(**config, name="fashion_classifier")


def load_pretrained_classifier(path: str | Path = CLASSIFIER_PATH) -> keras.Model:
    """The Fashion-MNIST classifier trained by this repository (``python -m helpers.train classifier``).

    Input: float images of shape (N, 28, 28, 1) with raw values 0..255 (the model rescales itself).
    Output: 10 logits, shape (N, 10); ``tf.nn.softmax`` turns them into probabilities. Its test
    accuracy and how it was trained are in the JSON record beside the file.

    The file's size and SHA-256 are checked against that record before Keras reads it.
    """
    fix = "Restore it with 'git checkout -- data/pretrained' or retrain it with 'python -m helpers.train classifier'."
    return load_recorded_model(path, build_classifier, fix)


def load_recorded(path: str | Path, build: Callable[..., keras.Model], fix: str) -> tuple[keras.Model, dict]:
    """A shipped model and its JSON record: ``build(**config)`` with the record's ``config``, then the weights file.

    The file holds weights only (``.weights.h5``), so any Keras the course supports reads it: a whole
    ``.keras`` file also stores each layer's constructor arguments, and a Keras older than the one that
    saved it refuses arguments it does not know. The file's size and SHA-256 are checked against the
    record first. ``fix`` says how to restore the file; it ends every error message.

    Raises:
        FileNotFoundError, CorruptFileError: see :func:`helpers.files.read_record`.
        ValueError: the record has no ``config``, or the weights do not fit the architecture it builds.
    """
    record = read_record(path, fix)
    if not isinstance(record.get("config"), dict):
        raise ValueError(f"{path}: its record has no 'config' (the architecture's arguments). {fix}")
    model = build(**record["config"])
    try:
        model.load_weights(path)
    except ValueError as err:
        first_line = str(err).splitlines()[0]
        raise ValueError(
            f"{path}: its weights do not fit {build.__name__}(**{record['config']}) ({first_line}). {fix}"
        ) from err
    return model, record


def load_recorded_model(path: str | Path, build: Callable[..., keras.Model], fix: str) -> keras.Model:
    """The model of :func:`load_recorded`, without its record."""
    return load_recorded(path, build, fix)[0]


# VGG configuration D of Simonyan & Zisserman (2014): channels of each 3x3 convolution, "M" for 2x2 max pooling.
VGG16_CONFIG: tuple[int | str, ...] = (
    64,
    64,
    "M",
    128,
    128,
    "M",
    256,
    256,
    256,
    "M",
    512,
    512,
    512,
    "M",
    512,
    512,
    512,
    "M",
)


def build_vgg(
    config: Sequence[int | str],
    include_top: bool = True,
    input_shape: Sequence[int] = (224, 224, 3),
    classes: int = 1000,
    dense_units: int = 4096,
    classifier_activation: str | None = "softmax",
    dropout: float = 0.0,
    rescale: float | None = None,
    name: str = "vgg",
) -> keras.Model:
    """A VGG network from its configuration list: 3x3 "same" ReLU convolutions, "M" = 2x2 max pooling.

    Inputs, as for every model in the course: what the network was trained on, scaled inside the
    model. ``rescale=1 / 255`` gives a Fashion-MNIST network that takes raw pixels 0..255, like
    :func:`build_cnn`; ``None`` (VGG16) takes ImageNet pixels after ``preprocess_input``.

    Layers are named as in ``keras.applications.VGG16`` (``block1_conv1`` ... ``block5_pool``, then
    ``flatten``, ``fc1``, ``fc2``, ``predictions``), so Keras' weight files load into it.

    Args:
        config: channels per convolution, and "M" where a block ends with pooling.
        include_top: add the classifier: flatten, two dense layers of ``dense_units``, ``classes`` outputs.
        input_shape: (H, W, C); H and W must survive every pooling.
        classifier_activation: activation of the last layer (``None`` for logits).
        dropout: dropout rate after each hidden dense layer, as in the paper (0 for none; Keras' VGG16 has none).

    Returns:
        A functional model: (N, H, W, C) -> (N, classes) with the top, else the last feature map.
    """
    if (
        not isinstance(config, (list, tuple))
        or not config
        or any(item != "M" and not (isinstance(item, int) and item > 0) for item in config)
    ):
        raise ValueError(f"config: expected positive ints (channels) and 'M' (pooling), got {config!r}")
    if include_top and (classes < 1 or dense_units < 1 or not 0.0 <= dropout < 1.0):
        raise ValueError(
            "classes, dense_units, dropout: expected >= 1, >= 1 and 0 <= dropout < 1, "
            f"got {classes}, {dense_units}, {dropout}"
        )
    pools = sum(1 for item in config if item == "M")
    input_shape = tuple(input_shape)
    if len(input_shape) != 3 or min(input_shape[:2]) < 2**pools:
        raise ValueError(
            f"input_shape: expected (H, W, C) with H and W >= {2**pools} for {pools} poolings, got {input_shape}"
        )
    if rescale is not None and not rescale > 0:
        raise ValueError(f"rescale: expected None or a factor > 0, got {rescale}")
    inputs = keras.Input(input_shape, name="input_layer")
    x = layers.Rescaling(rescale, name="rescale")(inputs) if rescale is not None else inputs
    block, conv = 1, 1
    for item in config:
        if item == "M":
            x = layers.MaxPooling2D(2, strides=2, name=f"block{block}_pool")(x)
            block, conv = block + 1, 1
        else:
            x = DefaultConv2D(item, name=f"block{block}_conv{conv}")(x)
            conv += 1
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        for index in (1, 2):
            x = layers.Dense(dense_units, activation="relu", name=f"fc{index}")(x)
            if dropout:
                x = layers.Dropout(dropout, name=f"fc{index}_dropout")(x)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    return keras.Model(inputs, x, name=name)


def vgg16(include_top: bool = True, input_shape: Sequence[int] = (224, 224, 3), classes: int = 1000) -> keras.Model:
    """VGG16 (configuration D), layer for layer like ``keras.applications.VGG16``; random weights."""
    return build_vgg(VGG16_CONFIG, include_top=include_top, input_shape=input_shape, classes=classes, name="vgg16")


def load_vgg16_imagenet(include_top: bool = True, input_shape: Sequence[int] = (224, 224, 3)) -> keras.Model:
    """VGG16 with its ImageNet weights, for (N, H, W, 3) inputs made by ``preprocess_input``.

    Without the top (``include_top=False``) it is the convolutional base, for any ``input_shape`` of at least
    32x32: only the convolutions' weights are read from the file, whose 13 kernels do not depend on the
    image size. With the top, ``input_shape`` must be (224, 224, 3), the size fc1 was trained for.

    Where the weights come from is :func:`helpers.weights.get_weights`'s business. When it says to
    use random weights (``COURSE_VGG16_WEIGHTS=random``, or the smoke profile with no weights to be
    had), a banner says so: the predictions are then meaningless. The live and full profiles never
    fall back: they raise :class:`helpers.weights.WeightsUnavailableError` saying how to get the file.
    """
    input_shape = tuple(input_shape)
    if include_top and input_shape != (224, 224, 3):
        raise ValueError(
            f"input_shape: VGG16 with its top takes (224, 224, 3), got {input_shape}; use include_top=False"
        )
    source = weights.get_weights()
    model = vgg16(include_top=include_top, input_shape=input_shape)
    if isinstance(source, str):
        _random_weights_banner(source)
        model.imagenet_weights = False
        return model
    weights.load_keras2_weights(model, source)
    model.imagenet_weights = True
    return model


def _random_weights_banner(reason: str) -> None:
    print(
        "!" * 72 + "\n"
        f"!! VGG16 with RANDOM weights ({reason}).\n"
        "!! Its predictions below are MEANINGLESS: only the code paths run.\n"
        "!! Real weights: python -m helpers.weights status\n" + "!" * 72
    )


def layer_costs(model: keras.Model) -> list[dict]:
    """Per layer: output shape, parameters and multiply-accumulates (MACs) for one input image.

    A convolution costs H_out * W_out * kh * kw * C_in * C_out MACs, a dense layer n_in * n_out;
    other layers are counted as free (their cost is tiny next to these).
    """
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape[1:])
        if isinstance(layer, layers.Conv2D):
            kh, kw, c_in, c_out = layer.kernel.shape
            macs = shape[0] * shape[1] * kh * kw * c_in * c_out
        elif isinstance(layer, layers.Dense):
            macs = layer.kernel.shape[0] * layer.kernel.shape[1]
        else:
            macs = 0
        rows.append({"name": layer.name, "output_shape": shape, "params": layer.count_params(), "macs": int(macs)})
    return rows
