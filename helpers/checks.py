"""Instant feedback for the exercises: run a student's function on small fixed cases against the
references in :mod:`helpers.ops`, :mod:`helpers.gan` and :mod:`helpers.diffusion`, and say in words
what is wrong.

Each ``check_*`` prints one short verdict and returns ``True`` or ``False``, so a notebook can
``assert`` a solution passes. Known mistakes (a flipped kernel, an ignored stride, padding on the
wrong side, an average that counts padding, ...) are recognized by recomputing the reference the
wrong way and comparing.

Every check builds a list of :class:`_Case` (the arguments, the right answer, the known wrong answers)
and hands it to :func:`_run_cases`; :func:`_compare` judges every answer, a count or an array alike.
"""

from __future__ import annotations

import copy
import reprlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import ops

_RTOL, _ATOL = 1e-4, 1e-4
Mistake = tuple[Callable[[], Any], str]  # (how to compute the wrong answer, what to tell the student)


@dataclass(frozen=True)
class _Case:
    """One call of the student's function: ``fn(*args, **kwargs)`` should give ``expected`` (a number or
    an array); an answer equal to one of the ``mistakes``' wrong answers gets that mistake's message."""

    label: str
    expected: Any
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    mistakes: Sequence[Mistake] = ()

    @property
    def options(self) -> str:
        """The keyword arguments that are not arrays, as the student would write them: ``stride=2, padding=1``."""
        return ", ".join(f"{k}={v!r}" for k, v in self.kwargs.items() if not isinstance(v, np.ndarray))


# --- lessons 01-02: convolution and pooling -------------------------------------------------------


def check_output_size(fn: Callable[..., int]) -> bool:
    """Check ``fn(n, k, stride=1, padding=0, dilation=1)`` (int padding per side) against the formula."""
    table = [
        (dict(n=5, k=3), "no padding, stride 1"),
        (dict(n=5, k=3, padding=1), "padding 1"),
        (dict(n=7, k=3, stride=2), "stride 2"),
        (dict(n=8, k=3, stride=2), "stride 2 that does not divide evenly (round down)"),
        (dict(n=9, k=3, dilation=2), "dilation 2"),
        (dict(n=224, k=7, stride=2, padding=3), "a ResNet stem"),
    ]
    return _run_cases("output_size", fn, _keyword_cases(ops.output_size, table))


def check_corr2d(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> bool:
    """Check ``fn(image, kernel)``: single-channel "valid" cross-correlation, (H, W) -> (H-kh+1, W-kw+1)."""
    rng = np.random.default_rng(1)
    table = [
        (np.arange(9.0).reshape(3, 3), np.array([[0.0, 1.0], [2.0, 3.0]]), "3x3 image, 2x2 kernel"),
        (rng.normal(size=(6, 7)), rng.normal(size=(3, 3)), "6x7 image, 3x3 kernel"),
        (rng.normal(size=(5, 8)), rng.normal(size=(2, 4)), "5x8 image, 2x4 kernel (not square)"),
    ]
    return _run_cases("corr2d", fn, [_corr2d_case(*row) for row in table])


def _corr2d_case(image: np.ndarray, kernel: np.ndarray, label: str) -> _Case:
    mistakes: list[Mistake] = [(lambda: ops.convolve2d(image, kernel), _FLIPPED)]
    if kernel.shape[0] == kernel.shape[1]:  # a transposed non-square kernel cannot even be applied
        mistakes.append(
            (
                lambda: ops.corr2d(image, kernel.T),
                "the kernel's indices are swapped: use kernel[a, b] "
                "with a moving down the rows and b across the columns.",
            )
        )
    return _Case(label, ops.corr2d(image, kernel), args=(image, kernel), mistakes=mistakes)


def check_conv2d(fn: Callable[..., np.ndarray]) -> bool:
    """Check ``fn(x, w, b=None, stride=1, padding="valid", dilation=1)`` with NHWC ``x`` and
    (kh, kw, C_in, C_out) ``w``. Cases go from plain to every option, passing only the options each
    case needs, so a partial implementation gets credit for what it does."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 7, 8, 3)).astype(np.float32)
    w = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    w_even = rng.normal(size=(2, 2, 3, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    table = [
        (dict(x=x[:1, :, :, :1], w=w[:, :, :1, :1]), "one image, one channel in and out"),
        (dict(x=x, w=w), "a batch of 2, 3 channels in, 4 out"),
        (dict(x=x, w=w, b=bias), "with a bias"),
        (dict(x=x, w=w, stride=2), "stride 2"),
        (dict(x=x, w=w, padding=1), "padding 1"),
        (dict(x=x, w=w, padding="same"), "padding 'same'"),
        (dict(x=x, w=w_even, padding="same"), "padding 'same' with a 2x2 kernel (uneven padding)"),
        (dict(x=x, w=w, stride=2, padding="same"), "stride 2 with padding 'same'"),
        (dict(x=x, w=w, dilation=2), "dilation 2"),
    ]
    return _run_cases("conv2d", fn, _keyword_cases(ops.conv2d, table, _conv_mistakes))


def check_pool2d(fn: Callable[..., np.ndarray]) -> bool:
    """Check ``fn(x, size=2, stride=None, padding="valid", mode="max")`` with NHWC ``x``."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 7, 6, 3)).astype(np.float32)
    table = [
        (dict(x=x[:1, :4, :4, :1]), "2x2 max pooling of one 4x4 channel"),
        (dict(x=x), "2x2 max pooling, a batch with 3 channels and an odd height"),
        (dict(x=x, mode="avg"), "2x2 average pooling"),
        (dict(x=x, size=3, stride=2), "3x3 windows, stride 2 (overlapping)"),
        (dict(x=x, size=3, stride=1), "3x3 windows, stride 1"),
        (dict(x=x, padding="same"), "max pooling with padding 'same'"),
        (dict(x=x, size=3, stride=2, padding="same", mode="avg"), "average pooling with padding 'same'"),
        (dict(x=x, size=2, stride=2, padding="same", mode="avg"), "average pooling, 'same', padding only after"),
    ]
    return _run_cases("pool2d", fn, _keyword_cases(ops.pool2d, table, _pool_mistakes))


def check_global_pool(fn: Callable[[np.ndarray], np.ndarray], mode: str = "avg") -> bool:
    """Check ``fn(x)``: global average (or max) pooling of NHWC ``x`` down to shape (N, C)."""
    if mode not in ("avg", "max"):
        raise ValueError(f"mode: expected 'avg' or 'max', got {mode!r}")
    rng = np.random.default_rng(4)
    reduce = np.mean if mode == "avg" else np.max
    table = [
        (rng.normal(size=(1, 3, 3, 2)), "one 3x3 image, 2 channels"),
        (rng.normal(size=(2, 5, 4, 3)), "2 images, 5x4, 3 channels"),
    ]
    return _run_cases(f"global {mode} pooling", fn, [_global_pool_case(x, label, reduce) for x, label in table])


def _global_pool_case(x: np.ndarray, label: str, reduce: Callable[..., np.ndarray]) -> _Case:
    mistakes: list[Mistake] = [
        (
            lambda: reduce(x, axis=(1, 2), keepdims=True),
            "keep only (N, C): the pooled height and width must go (no keepdims).",
        ),
        (
            lambda: reduce(x, axis=(1, 2, 3)),
            "you pooled over the channels too: pool over height and width only (axes 1 and 2).",
        ),
        (
            lambda: reduce(x, axis=(0, 1, 2)),
            "you pooled over the batch: each image keeps its own result (pool over axes 1 and 2).",
        ),
    ]
    return _Case(label, reduce(x, axis=(1, 2)), args=(x,), mistakes=mistakes)


# --- lessons 03-04: counting parameters, receptive fields -----------------------------------------


def check_conv_params(fn: Callable[[int, int, int, int], int]) -> bool:
    """Check ``fn(kh, kw, c_in, c_out)``: the number of trainable parameters of a Conv2D layer with bias."""
    table = [(3, 3, 1, 32), (3, 3, 32, 64), (5, 5, 3, 16), (1, 1, 256, 64), (3, 1, 8, 4)]
    return _run_cases("conv_params", fn, [_conv_params_case(*row) for row in table])


def _conv_params_case(kh: int, kw: int, c_in: int, c_out: int) -> _Case:
    mistakes: list[Mistake] = [
        (lambda: kh * kw * c_in * c_out, "the bias is missing: each output channel has one."),
        (lambda: kh * kw * c_out + c_out, "each output channel has a kernel for every input channel (times c_in)."),
        (lambda: kh * kw * c_in * c_out + c_in, "there is one bias per output channel, not per input channel."),
    ]
    label = f"{kh}x{kw} kernel, {c_in} -> {c_out} channels"
    return _Case(label, kh * kw * c_in * c_out + c_out, args=(kh, kw, c_in, c_out), mistakes=mistakes)


def _reference_block_params(c_in: int, c_out: int, n_convs: int) -> int:
    """Parameters of a VGG block: the first 3x3 convolution sees ``c_in`` channels, the others ``c_out``."""
    return (9 * c_in * c_out + c_out) + (n_convs - 1) * (9 * c_out * c_out + c_out)


def check_block_params(fn: Callable[[int, int, int], int]) -> bool:
    """Check ``fn(c_in, c_out, n_convs)``: parameters of a VGG block of ``n_convs`` 3x3 convolutions with
    bias, the first from ``c_in`` to ``c_out`` channels, the others from ``c_out`` to ``c_out``."""
    table = [(3, 64, 2), (64, 128, 2), (128, 256, 3), (256, 512, 3), (1, 16, 1)]
    return _run_cases("block_params", fn, [_block_params_case(*row) for row in table])


def _block_params_case(c_in: int, c_out: int, n_convs: int) -> _Case:
    expected = _reference_block_params(c_in, c_out, n_convs)
    mistakes: list[Mistake] = [
        (lambda: n_convs * (9 * c_in * c_out + c_out), "only the first convolution sees c_in channels; "
         "the others take the c_out channels of the one before."),
        (lambda: expected - n_convs * c_out, "the biases are missing: one per output channel per convolution."),
        (lambda: n_convs * (9 * c_out * c_out + c_out), "the first convolution takes c_in channels, not c_out."),
    ]  # fmt: skip
    label = f"{n_convs} convolutions, {c_in} -> {c_out} channels"
    return _Case(label, expected, args=(c_in, c_out, n_convs), mistakes=mistakes)


def check_receptive_field(fn: Callable[[list[tuple[int, int]]], int]) -> bool:
    """Check ``fn(layers)``: the receptive field (pixels along one axis) after a stack of layers,
    each given as ``(kernel_size, stride)``."""
    table = [
        ([(3, 1)], "one 3x3 convolution"),
        ([(3, 1), (3, 1)], "two 3x3 convolutions"),
        ([(3, 1), (2, 2), (3, 1)], "conv, 2x2 pool, conv"),
        ([(3, 1), (2, 2), (3, 1), (2, 2)], "the lesson's CNN"),
        ([(7, 2), (3, 2), (3, 1)], "a ResNet-like stem"),
    ]
    return _run_cases("receptive_field", fn, [_receptive_field_case(*row) for row in table])


def _receptive_field_case(stack: list[tuple[int, int]], label: str) -> _Case:
    mistakes: list[Mistake] = [
        (lambda: 1 + sum(k - 1 for k, _ in stack), "the strides are ignored: after a stride-2 layer, each step "
         "of the next kernel moves 2 input pixels, so multiply (k - 1) by the product of earlier strides."),
        (lambda: sum(k for k, _ in stack), "the sizes are added: a field grows by k - 1 per layer, from 1."),
    ]  # fmt: skip
    return _Case(label, _reference_receptive_field(stack), args=(stack,), mistakes=mistakes)


def _reference_receptive_field(stack: list[tuple[int, int]]) -> int:
    field, jump = 1, 1
    for kernel, stride in stack:
        field, jump = field + (kernel - 1) * jump, jump * stride
    return field


# --- known mistakes of convolution and pooling ----------------------------------------------------

_FLIPPED = (
    "the kernel is flipped: you computed a true convolution. Deep-learning 'convolution' is "
    "cross-correlation: multiply image[i + a, j + b] by kernel[a, b], without flipping."
)


def _conv_mistakes(kwargs: dict) -> list[Mistake]:
    x, w, b = kwargs["x"], kwargs["w"], kwargs.get("b")
    stride, padding, dilation = kwargs.get("stride", 1), kwargs.get("padding", "valid"), kwargs.get("dilation", 1)
    options = dict(b=b, stride=stride, padding=padding, dilation=dilation)
    mistakes: list[Mistake] = [(lambda: ops.conv2d(x, w[::-1, ::-1], **options), _FLIPPED)]
    if stride != 1:
        mistakes.append((lambda: ops.conv2d(x, w, **{**options, "stride": 1}), "the stride is ignored."))
    if dilation != 1:
        mistakes.append(
            (
                lambda: ops.conv2d(x, w, **{**options, "dilation": 1}),
                "the dilation is ignored: kernel taps sit dilation cells apart.",
            )
        )
    if padding != "valid":
        mistakes.append((lambda: ops.conv2d(x, w, **{**options, "padding": "valid"}), "the padding is ignored."))
    if padding == "same":
        mistakes.append((lambda: _conv_padded_wrong_side(x, w, **options), _WRONG_SIDE))
    if b is not None:
        mistakes.append((lambda: ops.conv2d(x, w, **{**options, "b": None}), "the bias is not added."))
    return mistakes


_WRONG_SIDE = (
    "the extra padding cell is on the wrong side. When the total padding is odd, TensorFlow puts the "
    "extra row and column after the input (bottom and right), not before."
)


def _conv_padded_wrong_side(x, w, b, stride, padding, dilation):
    pads = [ops.pad_amounts(x.shape[1 + a], w.shape[a], stride, padding, dilation) for a in (0, 1)]
    swapped = np.pad(x, ((0, 0), pads[0][::-1], pads[1][::-1], (0, 0)))
    return ops.conv2d(swapped, w, b, stride, "valid", dilation)


def _pool_mistakes(kwargs: dict) -> list[Mistake]:
    x, size = kwargs["x"], kwargs.get("size", 2)
    stride, padding, mode = kwargs.get("stride"), kwargs.get("padding", "valid"), kwargs.get("mode", "max")
    other_mode = "avg" if mode == "max" else "max"
    mistakes: list[Mistake] = [
        (lambda: ops.pool2d(x, size, stride, padding, other_mode), f"you computed {other_mode} pooling, not {mode}."),
        (lambda: ops.pool2d(x, size, 1, padding, mode), "the stride is wrong: it defaults to the window size."),
    ]
    if padding == "same" and mode == "avg":
        mistakes.append(
            (
                lambda: _avg_pool_counting_padding(x, size, stride),
                "padded cells are counted in the average: divide "
                "each window's sum by the number of real (not padded) cells in it, as TensorFlow does.",
            )
        )
    if padding == "same":
        mistakes.append((lambda: ops.pool2d(x, size, stride, "valid", mode), "the padding is ignored."))
    return mistakes


def _avg_pool_counting_padding(x, size, stride):
    k = size if isinstance(size, int) else size[0]
    s = stride or k
    pads = [ops.pad_amounts(x.shape[1 + a], k, s, "same") for a in (0, 1)]
    padded = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    return ops.pool2d(padded, size, stride, "valid", "avg")


# --- lesson 06: GAN losses ------------------------------------------------------------------------


def check_discriminator_loss(fn: Callable[[Any, Any], Any]) -> bool:
    """Check ``fn(real_logits, fake_logits)``: D's binary cross-entropy on logits, real 1 and fake 0."""
    from . import gan  # here, not at the top: importing gan imports TensorFlow

    rng = np.random.default_rng(5)
    table = [
        (rng.normal(size=(4, 1)).astype(np.float32), rng.normal(size=(4, 1)).astype(np.float32), "batch of 4"),
        (np.full((3, 1), 4.0, np.float32), np.full((3, 1), -4.0, np.float32), "a confident, correct D"),
    ]
    cases = [_discriminator_case(*row, gan.discriminator_loss) for row in table]
    return _run_cases("discriminator loss", fn, cases)


def _discriminator_case(real: np.ndarray, fake: np.ndarray, label: str, reference: Callable) -> _Case:
    mistakes: list[Mistake] = [
        (lambda: _bce(real, 0) + _bce(fake, 1), "the labels are swapped: real images are 1, fakes 0."),
        (lambda: _bce(real, 1), "only the real images count: add the loss on the fakes (label 0)."),
        (lambda: (_bce(real, 1) + _bce(fake, 0)) / 2, "sum the two terms, do not average them."),
        (lambda: _bce(_sigmoid(real), 1) + _bce(_sigmoid(fake), 0), "the inputs are already logits: no sigmoid."),
    ]
    return _Case(label, np.asarray(reference(real, fake)), args=(real, fake), mistakes=mistakes)


def check_generator_loss(fn: Callable[[Any], Any]) -> bool:
    """Check ``fn(fake_logits)``: the non-saturating generator loss -log D(G(z)), averaged."""
    from . import gan  # here, not at the top: importing gan imports TensorFlow

    rng = np.random.default_rng(6)
    table = [(rng.normal(size=(5, 1)).astype(np.float32), "batch of 5"), (np.full((2, 1), -5.0, np.float32), "D sure")]
    return _run_cases("generator loss", fn, [_generator_case(*row, gan.generator_loss) for row in table])


def _generator_case(fake: np.ndarray, label: str, reference: Callable) -> _Case:
    mistakes: list[Mistake] = [
        (
            lambda: np.mean(np.log(1 - _sigmoid(fake))),
            "that is the saturating loss log(1 - D(G(z))): use -log D(G(z)) (label the fakes 1).",
        ),
        (lambda: _bce(fake, 0), "the generator wants its fakes called real: label them 1, not 0."),
    ]
    return _Case(label, np.asarray(reference(fake)), args=(fake,), mistakes=mistakes)


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-logits))


def _bce(logits: np.ndarray, label: float) -> float:
    """Mean binary cross-entropy of logits against one label, computed stably."""
    return float(np.mean(np.maximum(logits, 0) - logits * label + np.log1p(np.exp(-np.abs(logits)))))


# --- lesson 07: diffusion -------------------------------------------------------------------------

# A short, steep linear schedule (DDPM's, over 50 steps): neighbouring steps differ enough that an
# answer off by one timestep is told apart from the right one.
_BETAS = np.linspace(1e-3, 0.1, 50)
_ALPHA_BAR = np.cumprod(1.0 - _BETAS)


def check_q_sample(fn: Callable[..., Any]) -> bool:
    """Check ``fn(x0, t, noise, alpha_bar)``: noise images (N, H, W, C) to their timesteps ``t`` (N,) in one go."""
    from .diffusion import q_sample  # here, not at the top: importing diffusion imports TensorFlow

    rng = np.random.default_rng(6)
    table = [(np.array([3, 20, 41]), "three images, three timesteps"), (np.array([10, 10]), "two images, one timestep")]
    return _run_cases("q_sample", fn, [_q_sample_case(t, label, rng, q_sample) for t, label in table])


def _q_sample_case(t: np.ndarray, label: str, rng: np.random.Generator, reference: Callable) -> _Case:
    x0, noise = rng.uniform(-1, 1, (len(t), 4, 4, 1)), rng.normal(size=(len(t), 4, 4, 1))

    def mixed(signal: np.ndarray, rest: np.ndarray) -> np.ndarray:
        """``signal * x0 + rest * noise``, with one weight per image (N,) broadcast over its pixels."""
        return signal.reshape(-1, 1, 1, 1) * x0 + rest.reshape(-1, 1, 1, 1) * noise

    a = _ALPHA_BAR[t]
    mistakes: list[Mistake] = [
        (lambda: mixed(a, 1 - a), "take square roots: sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise."),
        (lambda: mixed(np.sqrt(1 - a), np.sqrt(a)), "the two weights are swapped: x0 gets sqrt(alpha_bar[t])."),
        (
            lambda: mixed(np.sqrt(_ALPHA_BAR[t - 1]), np.sqrt(1 - _ALPHA_BAR[t - 1])),
            "off by one timestep: alpha_bar[t] already includes timestep t (index it with t, not t - 1).",
        ),
        (
            lambda: mixed(np.sqrt(_ALPHA_BAR[t + 1]), np.sqrt(1 - _ALPHA_BAR[t + 1])),
            "off by one timestep: index alpha_bar with t itself, not t + 1.",
        ),
        (
            lambda: mixed(np.sqrt(1 - _BETAS[t]), np.sqrt(_BETAS[t])),
            "that is one step of noise; use alpha_bar, the product over all timesteps up to t.",
        ),
        (lambda: mixed(np.sqrt(a[:1]), np.sqrt(1 - a[:1])), "each image has its own timestep: use t[i] for image i."),
    ]
    expected = reference(x0, t, noise, _ALPHA_BAR)
    return _Case(label, expected, args=(x0, t, noise, _ALPHA_BAR), mistakes=mistakes)


def check_ddim_step(fn: Callable[..., Any]) -> bool:
    """Check ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev)``: one deterministic DDIM update, without clipping."""
    from .diffusion import ddim_step  # here, not at the top: importing diffusion imports TensorFlow

    rng = np.random.default_rng(7)
    table = [(0.05, 0.4, "from much noise"), (0.7, 0.9, "a late step"), (0.9, 1.0, "the last step, to the image")]
    return _run_cases("DDIM step", fn, [_ddim_case(*row, rng, ddim_step) for row in table])


def _ddim_case(a_t: float, a_prev: float, label: str, rng: np.random.Generator, reference: Callable) -> _Case:
    x_t, eps = rng.normal(size=(2, 4, 4, 1)), rng.normal(size=(2, 4, 4, 1))
    x0 = (x_t - np.sqrt(1 - a_t) * eps) / np.sqrt(a_t)
    mistakes: list[Mistake] = [
        (lambda: np.sqrt(a_prev) * x0, "add the noise back: + sqrt(1 - alpha_bar_prev) * eps."),
        (
            lambda: np.sqrt(a_prev) * x0 + np.sqrt(1 - a_t) * eps,
            "the noise term uses alpha_bar_prev, not alpha_bar_t.",
        ),
        (
            lambda: np.sqrt(a_t) * (x_t - np.sqrt(1 - a_prev) * eps) / np.sqrt(a_prev) + np.sqrt(1 - a_t) * eps,
            "alpha_bar_t and alpha_bar_prev are swapped.",
        ),
        (
            lambda: np.sqrt(a_prev) * (x_t - np.sqrt(1 - a_t) * eps) + np.sqrt(1 - a_prev) * eps,
            "to estimate x0, divide (x_t - sqrt(1 - alpha_bar_t) eps) by sqrt(alpha_bar_t).",
        ),
    ]
    expected = reference(x_t, eps, a_t, a_prev, clip=False)
    return _Case(label, expected, args=(x_t, eps, a_t, a_prev), mistakes=mistakes)


# --- lesson 05: what a network looks at -----------------------------------------------------------


def check_grad_cam_weights(fn: Callable[[np.ndarray, np.ndarray], Any]) -> bool:
    """Check ``fn(activations, gradients)``: Grad-CAM's weighting step, two (N, h, w, C) arrays -> maps (N, h, w).

    Channel k's weight is the mean of its gradients over the positions; the map is ReLU(sum_k weight_k * A_k),
    divided by its own max (a map that is zero everywhere stays zero). Summing the gradients instead of
    averaging them passes too: the division by the max cancels the difference.
    """
    from .explain import combine  # here, not at the top: importing explain imports TensorFlow

    rng = np.random.default_rng(8)
    spread = np.array([1.0, 4.0, 0.5]).reshape(3, 1, 1, 1)  # three maps whose peaks differ
    against = np.concatenate([rng.normal(size=(1, 3, 4, 2)), -rng.uniform(0.1, 1, (1, 3, 4, 2))])
    table = [
        (rng.uniform(0.5, 3, (1, 4, 4, 3)), rng.uniform(0.1, 1, (1, 4, 4, 3)), "positive weights, a map above 0"),
        (rng.uniform(0, 3, (1, 5, 4, 3)), rng.normal(size=(1, 5, 4, 3)), "negative gradients, a map partly below 0"),
        (rng.uniform(0, 3, (3, 3, 3, 4)), spread * rng.normal(size=(3, 3, 3, 4)), "a batch of 3 maps, different peaks"),
        (rng.uniform(0.5, 3, (2, 3, 4, 2)), against, "the second map is zero everywhere after the ReLU"),
    ]
    cases = [_Case(label, combine(a, g), args=(a, g), mistakes=_grad_cam_mistakes(a, g)) for a, g, label in table]
    return _run_cases("Grad-CAM weights", _refusing_nan(fn), cases)


def _grad_cam_mistakes(activations: np.ndarray, gradients: np.ndarray) -> list[Mistake]:
    weighted = np.einsum("nhwc,nc->nhw", activations, gradients.mean(axis=(1, 2)))
    positive = np.maximum(weighted, 0)
    lowest, highest = weighted.min(axis=(1, 2), keepdims=True), weighted.max(axis=(1, 2), keepdims=True)
    return [
        (
            lambda: _peak_one(np.maximum((gradients * activations).sum(axis=3), 0)),
            "the gradients are used position by position: average each channel's gradients over the positions "
            "(axes 1 and 2) first, one weight per channel, and weight the whole channel with it.",
        ),
        (
            lambda: _peak_one(np.maximum(np.einsum("nhwc,nhw->nhw", activations, gradients.mean(axis=3)), 0)),
            "the gradients are averaged over the channels (axis 3): average them over the positions "
            "(axes 1 and 2), which gives one weight per channel.",
        ),
        (
            lambda: _peak_one(weighted),
            "the ReLU is missing: keep only the positive part of the weighted sum (np.maximum(..., 0)), the "
            "evidence for the class; the negative part speaks for other classes.",
        ),
        (
            lambda: np.maximum((weighted - lowest) / (highest - lowest), 0),
            "the map is min-max scaled, (map - min) / (max - min), before the ReLU: that moves its lowest value to "
            "0 and lifts any evidence against the class above 0. Apply the ReLU first, then divide by the max.",
        ),
        (lambda: positive, "divide each map by its max, so that its peak is 1."),
        (lambda: positive / positive.max(), "divide each map by its own max, not by the largest in the batch."),
    ]


def _peak_one(maps: np.ndarray) -> np.ndarray:
    """Each map (N, h, w) divided by its own max where that is above 0."""
    peaks = maps.max(axis=(1, 2), keepdims=True)
    return np.divide(maps, peaks, out=np.zeros_like(maps), where=peaks > 0)


def _refusing_nan(fn: Callable) -> Callable:
    """``fn``, whose answer becomes a verdict if it holds NaN (NaN equals nothing, so no mistake would match)."""

    def guarded(*args: Any, **kwargs: Any) -> Any:
        answer = fn(*args, **kwargs)
        numbers = _numbers(answer)
        if numbers is not None and np.isnan(numbers).any():
            return _Problem(
                "your maps contain NaN, most likely 0 / 0 from a map that is zero everywhere after the ReLU: "
                "divide only the maps whose max is above 0 and leave the others at 0."
            )
        return answer

    return guarded


def check_cam_layer(model: Any, layer_name: str) -> bool:
    """Check the choice of Grad-CAM's layer: it must be the model's last layer whose output is a map (4-D,
    (N, h, w, C), with more than one position), searched through nested models.

    Any type of layer passes (a convolution, the ReLU after it, a pooling): what matters is that it is the last
    map, the most class-specific features the model has, the ones its head sees. A later map of 1x1 (pooled down
    to one position) is passed over, since one position cannot say where. Naming a nested model passes when
    its output is that layer's.
    """
    from . import explain  # here, not at the top: importing explain imports TensorFlow

    if not hasattr(model, "layers"):
        raise ValueError(f"model: expected a Keras model, got {type(model).__name__}")
    leaves = list(explain._leaf_layers(model))
    maps = [layer for layer in leaves if len(explain._output_shape(layer) or ()) == 4]
    if not maps:
        raise ValueError("model: no layer has a 4-D output; build the model first (start it with keras.Input)")
    answer = ([layer for layer in maps if _positions(layer) > 1] or maps)[-1]
    try:
        named = explain._path_to(model, layer_name)[-1]
    except ValueError:
        return _fail("CAM layer", f"the model has no layer '{layer_name}'. Layers with a map: {_layer_list(maps)}.")
    chosen = _output_layer(named)
    if chosen not in leaves:  # a nested model ending in a plain operation (keras.ops): judge the model's output
        chosen = named
    about = f"'{layer_name}'" + (f" (its output is that of '{chosen.name}')" if chosen is not named else "")
    if chosen is answer:
        print(f"✓ CAM layer: {about} is the last layer with a map ({_size(answer)}): what the head sees.")
        return True
    last = f"'{answer.name}' ({_size(answer)})"
    shape = explain._output_shape(chosen)
    if shape is None or len(shape) != 4:
        return _fail("CAM layer", f"{about} {_why_no_map(chosen, shape)} Grad-CAM needs a map; the last is {last}.")
    if _positions(chosen) == 1:
        return _fail("CAM layer", f"{about} gives a 1x1 map: one position cannot say where. Use {last}.")
    between = leaves[leaves.index(chosen) + 1 : leaves.index(answer) + 1]
    convolutions = [layer for layer in between if hasattr(layer, "kernel") or hasattr(layer, "depthwise_kernel")]
    finer = _positions(chosen) > _positions(answer)
    if finer or convolutions:
        return _fail(
            "CAM layer",
            f"{about} comes before {_layer_list(convolutions or between, most=3)}: its map is "
            f"{f'finer ({_size(chosen)}) but its' if finer else 'as fine, but its'} features are lower-level "
            f"(edges, textures), less specific to the class. Grad-CAM takes the last map, {last}.",
        )
    return _fail(
        "CAM layer",
        f"{about} is followed by layers that still change the map ({_layer_list(between)}): take the last, {last}.",
    )


def _output_layer(layer: Any) -> Any:
    """The layer that gives a nested model's output (looked for inside it, at any depth); any other layer itself."""
    while hasattr(layer, "layers") and layer.layers:
        outputs = getattr(layer, "outputs", None)
        history = getattr(outputs[0], "_keras_history", None) if outputs else None
        layer = history.operation if history is not None else layer.layers[-1]
    return layer


def _positions(layer: Any) -> float:
    """How many positions a layer's map has, h * w (infinite when the size is not fixed)."""
    from .explain import _output_shape

    _, height, width, _ = _output_shape(layer)
    return float("inf") if height is None or width is None else height * width


def _size(layer: Any) -> str:
    from .explain import _output_shape

    _, height, width, channels = _output_shape(layer)
    return f"{height or '?'}x{width or '?'}, {channels} channels"


def _why_no_map(layer: Any, shape: tuple | None) -> str:
    kind = type(layer).__name__
    if shape is None:
        return "has no output shape to judge (it was never called: start the model with keras.Input)."
    if kind == "Dense":
        return f"is a Dense layer: its output {shape} has no positions left, so it has no map."
    if kind == "Flatten":
        return f"flattens the map into {shape}: the numbers are there, but not their (h, w) layout to weight."
    if kind.startswith("Global"):
        return f"pools over all positions into {shape}: nothing is left to say where."
    return f"gives outputs of shape {shape}, not a map (N, h, w, C)."


def _layer_list(layers: Sequence[Any], most: int = 6) -> str:
    names = [f"'{layer.name}'" for layer in layers]
    return ", ".join(names[:most]) + (f" and {len(names) - most} more" if len(names) > most else "")


def check_nearest_mean(fn: Callable[[np.ndarray, np.ndarray, np.ndarray], Any]) -> bool:
    """Check ``fn(features, labels, queries)``: the nearest class mean classifier. ``features`` (N, F) with
    ``labels`` (N,) in 0..C-1 give one mean per class; each query (M, F) gets the class whose mean is nearest
    (Euclidean distance). Returns predicted labels (M,)."""
    rng = np.random.default_rng(5)
    centres = rng.normal(0, 4, (3, 4))
    labels = np.repeat(np.arange(3), 4)
    table = [
        (centres[labels] + rng.normal(0, 0.5, (12, 4)), labels, centres + rng.normal(0, 0.5, (3, 4)),
         "three clusters in 4-D"),
        (np.array([[0.0, 0], [0, 0], [1.9, 0], [3, 0], [3, 0], [3, 0]]), np.array([0, 0, 0, 1, 1, 1]),
         np.array([[2.0, 0.0], [-1.0, 0.0]]), "the nearest single sample is of the other class"),
        (np.array([[1.0, 0], [1, 0], [5, 0], [5, 0]]), np.array([0, 0, 1, 1]), np.array([[1.2, 0.0], [4.0, 1.0]]),
         "means of different lengths"),
    ]  # fmt: skip
    cases = [
        _Case(label, _nearest_mean(f, y, q), args=(f, y, q), mistakes=_nearest_mean_mistakes(f, y, q))
        for f, y, q, label in table
    ]
    return _run_cases("nearest class mean", fn, cases)


def _class_means(features: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return np.stack([features[labels == c].mean(axis=0) for c in range(labels.max() + 1)])


def _nearest_mean(features: np.ndarray, labels: np.ndarray, queries: np.ndarray) -> np.ndarray:
    distances = ((queries[:, None, :] - _class_means(features, labels)[None]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


def _nearest_mean_mistakes(features: np.ndarray, labels: np.ndarray, queries: np.ndarray) -> list[Mistake]:
    means = _class_means(features, labels)
    distances = ((queries[:, None, :] - means[None]) ** 2).sum(axis=2)
    return [
        (
            lambda: labels[((queries[:, None, :] - features[None]) ** 2).sum(axis=2).argmin(axis=1)],
            "each query got the class of its nearest training sample (1-nearest neighbour): average each class's "
            "features first (one mean per class), then find the nearest mean.",
        ),
        (
            lambda: (queries @ means.T).argmax(axis=1),
            "the largest dot product with a mean is not the nearest mean: a long mean wins even when far away. "
            "Use the distance, ((queries[:, None] - means[None]) ** 2).sum(axis=2), and its argmin.",
        ),
        (lambda: distances.argmax(axis=1), "argmax of the distances picks the farthest mean: use argmin."),
        (lambda: distances, "return one label per query (the argmin over the classes), not the distances (M, C)."),
    ]


# --- running cases, comparing and reporting -------------------------------------------------------


def _keyword_cases(
    reference: Callable[..., Any],
    table: Sequence[tuple[dict[str, Any], str]],
    mistakes_for: Callable[[dict[str, Any]], list[Mistake]] = lambda kwargs: [],
) -> list[_Case]:
    """One case per ``(kwargs, label)`` row of ``table``: the answer is ``reference(**kwargs)``, the
    known wrong answers are ``mistakes_for(kwargs)``."""
    return [_Case(label, reference(**kw), kwargs=kw, mistakes=mistakes_for(kw)) for kw, label in table]


def _run_cases(name: str, fn: Callable, cases: Sequence[_Case]) -> bool:
    """Run ``fn`` on each case in turn and print the verdict: the first problem found, or a pass."""
    for case in cases:
        problem = _compare(_call(fn, case), case)
        if problem:
            return _fail(name, problem)
    return _pass(name, len(cases))


class _Problem(str):
    """A verdict sentence made by :func:`_call`, told apart from a ``str`` the student's function returned."""


def _call(fn: Callable, case: _Case) -> Any:
    """Call the student's function on the case; turn an exception into a :class:`_Problem` sentence."""
    # Fresh copies, so a function that writes into its input cannot spoil the reference or the mistakes.
    args, kwargs = copy.deepcopy(case.args), copy.deepcopy(case.kwargs)
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return _Problem(f"case '{case.label}': not implemented yet (the function raised NotImplementedError).")
    except Exception as err:  # noqa: BLE001  (any error is feedback for the student)
        where = f"case '{case.label}' ({case.options or 'no options'})"
        return _Problem(f"{where}: your function raised {type(err).__name__}: {err}")


def _compare(got: Any, case: _Case) -> str | None:
    """``None`` if ``got`` is the case's answer, else a sentence saying what is wrong: the call failed,
    nothing or no numbers came back, a known mistake, the shape, or the values (a whole number exactly)."""
    if isinstance(got, _Problem):
        return got
    where = f"case '{case.label}'"
    if got is None:
        return f"{where}: your function returned None. Fill in its body and return the result."
    expected, answer = np.asarray(case.expected), _numbers(got)
    if answer is None:
        wanted = "one number" if expected.ndim == 0 else f"an array of numbers of shape {expected.shape}"
        return f"{where}: your function returned {_described(got)}; expected {wanted}."
    if _matches(answer, expected):
        return None
    for wrong_answer, message in case.mistakes:
        if _matches(answer, wrong_answer()):
            return f"{where}: {message}"
    if answer.shape != expected.shape:
        hint = _shape_hint(answer.shape, expected)
        return f"{where}: output shape: expected {expected.shape}, got {answer.shape}. {hint}"
    if _is_count(expected) and expected.ndim == 0:
        options = f" ({case.options})" if case.options else ""
        return f"{where}{options}: expected {expected}, got {got!r}."
    return f"{where}: {_value_hint(answer, expected)}"


def _numbers(got: Any) -> np.ndarray | None:
    """``got`` as an array of numbers (a NumPy array, a tensor, a number, a list); ``None`` if it holds
    anything else (text, booleans, a ragged list, an object)."""
    if isinstance(got, (str, bytes)):  # NumPy would make an array of text, not refuse
        return None
    try:
        answer = np.asarray(got)
    except (TypeError, ValueError):  # ragged lists, objects NumPy cannot convert
        return None
    return answer if answer.dtype.kind in "iuf" else None


def _described(got: Any) -> str:
    """What a student's non-numeric answer is, in words: ``a str ('320')``, ``an array of bool``."""
    if hasattr(got, "dtype"):  # a NumPy array or a tensor: its element type says what went wrong
        return f"an array of {getattr(got.dtype, 'name', got.dtype)}"
    kind = type(got).__name__
    return f"{'an' if kind[0].lower() in 'aeiou' else 'a'} {kind} ({reprlib.repr(got)})"


def _is_count(expected: np.ndarray) -> bool:
    return expected.dtype.kind in "iu"


def _matches(answer: np.ndarray, expected: Any) -> bool:
    """Same shape and values: counts exactly (a tolerance would pass a few missing parameters in
    millions), everything else to within ``_RTOL`` and ``_ATOL``."""
    expected = np.asarray(expected)
    if answer.shape != expected.shape:
        return False
    if _is_count(expected):
        return bool(np.array_equal(answer, expected))
    return bool(np.allclose(answer, expected, rtol=_RTOL, atol=_ATOL))


def _shape_hint(got: tuple, expected: np.ndarray) -> str:
    if expected.ndim == 0:
        if _is_count(expected):
            return "Return one whole number, not a list or an array."
        return "Return one number: average the per-example values over the batch."
    if len(got) != expected.ndim:
        return "The number of dimensions differs: keep the layout of the input (NHWC for batches)."
    spatial = slice(-3, -1) if len(got) == 4 else slice(0, 2)
    delta = np.subtract(got[spatial], expected.shape[spatial])
    if np.all(delta == -1):
        return "Off by one: there are H - kh + 1 positions along H (not H - kh), so your loops stop one short."
    if np.all(delta == 1):
        return "Off by one: there are H - kh + 1 positions along H, so your loops go one too far."
    return "Work out the output size first: floor((H + pad_before + pad_after - span) / stride) + 1."


def _value_hint(got: np.ndarray, expected: np.ndarray) -> str:
    error = np.abs(got.astype(np.float64) - expected)
    where = tuple(int(i) for i in np.unravel_index(np.argmax(error), error.shape))
    inner = (slice(None), slice(1, -1), slice(1, -1)) if got.ndim == 4 else (slice(1, -1),) * 2
    largest = f"largest error {error.max():.3g} at index {where}"
    if got.ndim >= 2 and error[inner].size and np.allclose(got[inner], expected[inner], rtol=_RTOL, atol=_ATOL):
        return f"the inside is right but the border is wrong ({largest}): check your padding."
    return f"values differ: {largest}, expected {expected[where]:.4g}, got {got[where]:.4g}."


def _pass(name: str, n_cases: int) -> bool:
    print(f"✓ {name}: all {n_cases} cases match the reference. Well done!")
    return True


def _fail(name: str, problem: str) -> bool:
    print(f"✗ {name}: {problem}")
    return False
