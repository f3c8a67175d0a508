"""Instant feedback for the exercises: run a student's function on small fixed cases against the
references in :mod:`helpers.ops`, :mod:`helpers.gan` and :mod:`helpers.diffusion`, and say in words
what is wrong.

Each ``check_*`` prints one short verdict and returns ``True`` or ``False``, so a notebook can
``assert`` a solution passes. Known mistakes (a flipped kernel, an ignored stride, padding on the
wrong side, an average that counts padding, ...) are recognized by recomputing the reference the
wrong way and comparing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from . import ops

_RTOL, _ATOL = 1e-4, 1e-4
Mistake = tuple[Callable[[], Any], str]  # (how to compute the wrong answer, what to tell the student)


def check_output_size(fn: Callable[..., int]) -> bool:
    """Check ``fn(n, k, stride=1, padding=0, dilation=1)`` (int padding per side) against the formula."""
    cases = [
        (dict(n=5, k=3), "no padding, stride 1"),
        (dict(n=5, k=3, padding=1), "padding 1"),
        (dict(n=7, k=3, stride=2), "stride 2"),
        (dict(n=8, k=3, stride=2), "stride 2 that does not divide evenly (round down)"),
        (dict(n=9, k=3, dilation=2), "dilation 2"),
        (dict(n=224, k=7, stride=2, padding=3), "a ResNet stem"),
    ]
    for kwargs, label in cases:
        expected = ops.output_size(**kwargs)
        got = _call(fn, label, **kwargs)
        if isinstance(got, str):
            return _fail("output_size", got)
        if got != expected:
            return _fail("output_size", f"{label} {kwargs}: expected {expected}, got {got!r}.")
    return _pass("output_size", len(cases))


def check_corr2d(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> bool:
    """Check ``fn(image, kernel)``: single-channel "valid" cross-correlation, (H, W) -> (H-kh+1, W-kw+1)."""
    rng = np.random.default_rng(1)
    cases = [
        (np.arange(9.0).reshape(3, 3), np.array([[0.0, 1.0], [2.0, 3.0]]), "3x3 image, 2x2 kernel"),
        (rng.normal(size=(6, 7)), rng.normal(size=(3, 3)), "6x7 image, 3x3 kernel"),
        (rng.normal(size=(5, 8)), rng.normal(size=(2, 4)), "5x8 image, 2x4 kernel (not square)"),
    ]
    for image, kernel, label in cases:
        mistakes: list[Mistake] = [(lambda: ops.convolve2d(image, kernel), _FLIPPED)]
        if kernel.shape[0] == kernel.shape[1]:
            mistakes.append(
                (
                    lambda: ops.corr2d(image, kernel.T),
                    "the kernel's indices are swapped: use kernel[a, b] "
                    "with a moving down the rows and b across the columns.",
                )
            )
        problem = _compare(_call(fn, label, image.copy(), kernel.copy()), ops.corr2d(image, kernel), label, mistakes)
        if problem:
            return _fail("corr2d", problem)
    return _pass("corr2d", len(cases))


def check_conv2d(fn: Callable[..., np.ndarray]) -> bool:
    """Check ``fn(x, w, b=None, stride=1, padding="valid", dilation=1)`` with NHWC ``x`` and
    (kh, kw, C_in, C_out) ``w``. Cases go from plain to every option, passing only the options each
    case needs, so a partial implementation gets credit for what it does."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 7, 8, 3)).astype(np.float32)
    w = rng.normal(size=(3, 3, 3, 4)).astype(np.float32)
    w_even = rng.normal(size=(2, 2, 3, 4)).astype(np.float32)
    bias = rng.normal(size=4).astype(np.float32)
    cases = [
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
    return _run_cases("conv2d", fn, cases, ops.conv2d, _conv_mistakes)


def check_pool2d(fn: Callable[..., np.ndarray]) -> bool:
    """Check ``fn(x, size=2, stride=None, padding="valid", mode="max")`` with NHWC ``x``."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 7, 6, 3)).astype(np.float32)
    cases = [
        (dict(x=x[:1, :4, :4, :1]), "2x2 max pooling of one 4x4 channel"),
        (dict(x=x), "2x2 max pooling, a batch with 3 channels and an odd height"),
        (dict(x=x, mode="avg"), "2x2 average pooling"),
        (dict(x=x, size=3, stride=2), "3x3 windows, stride 2 (overlapping)"),
        (dict(x=x, size=3, stride=1), "3x3 windows, stride 1"),
        (dict(x=x, padding="same"), "max pooling with padding 'same'"),
        (dict(x=x, size=3, stride=2, padding="same", mode="avg"), "average pooling with padding 'same'"),
        (dict(x=x, size=2, stride=2, padding="same", mode="avg"), "average pooling, 'same', padding only after"),
    ]
    return _run_cases("pool2d", fn, cases, ops.pool2d, _pool_mistakes)


def check_global_pool(fn: Callable[[np.ndarray], np.ndarray], mode: str = "avg") -> bool:
    """Check ``fn(x)``: global average (or max) pooling of NHWC ``x`` down to shape (N, C)."""
    if mode not in ("avg", "max"):
        raise ValueError(f"mode: expected 'avg' or 'max', got {mode!r}")
    rng = np.random.default_rng(4)
    reduce = np.mean if mode == "avg" else np.max
    cases = [
        (rng.normal(size=(1, 3, 3, 2)), "one 3x3 image, 2 channels"),
        (rng.normal(size=(2, 5, 4, 3)), "2 images, 5x4, 3 channels"),
    ]
    for x, label in cases:
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
        problem = _compare(_call(fn, label, x.copy()), reduce(x, axis=(1, 2)), label, mistakes)
        if problem:
            return _fail(f"global {mode} pooling", problem)
    return _pass(f"global {mode} pooling", len(cases))


def check_conv_params(fn: Callable[[int, int, int, int], int]) -> bool:
    """Check ``fn(kh, kw, c_in, c_out)``: the number of trainable parameters of a Conv2D layer with bias."""
    cases = [(3, 3, 1, 32), (3, 3, 32, 64), (5, 5, 3, 16), (1, 1, 256, 64), (3, 1, 8, 4)]
    for kh, kw, c_in, c_out in cases:
        label = f"{kh}x{kw} kernel, {c_in} -> {c_out} channels"
        mistakes: list[Mistake] = [
            (lambda: kh * kw * c_in * c_out, "the bias is missing: each output channel has one."),
            (lambda: kh * kw * c_out + c_out, "each output channel has a kernel for every input channel (times c_in)."),
            (lambda: kh * kw * c_in * c_out + c_in, "there is one bias per output channel, not per input channel."),
        ]
        problem = _compare_scalar(
            _call(fn, label, kh, kw, c_in, c_out), kh * kw * c_in * c_out + c_out, label, mistakes
        )
        if problem:
            return _fail("conv_params", problem)
    return _pass("conv_params", len(cases))


def _reference_block_params(c_in: int, c_out: int, n_convs: int) -> int:
    """Parameters of a VGG block: the first 3x3 convolution sees ``c_in`` channels, the others ``c_out``."""
    return (9 * c_in * c_out + c_out) + (n_convs - 1) * (9 * c_out * c_out + c_out)


def check_block_params(fn: Callable[[int, int, int], int]) -> bool:
    """Check ``fn(c_in, c_out, n_convs)``: parameters of a VGG block of ``n_convs`` 3x3 convolutions with
    bias, the first from ``c_in`` to ``c_out`` channels, the others from ``c_out`` to ``c_out``."""
    cases = [(3, 64, 2), (64, 128, 2), (128, 256, 3), (256, 512, 3), (1, 16, 1)]
    for c_in, c_out, n_convs in cases:
        label = f"{n_convs} convolutions, {c_in} -> {c_out} channels"
        expected = _reference_block_params(c_in, c_out, n_convs)
        mistakes: list[Mistake] = [
            (lambda: n_convs * (9 * c_in * c_out + c_out), "only the first convolution sees c_in channels; "
             "the others take the c_out channels of the one before."),
            (lambda: expected - n_convs * c_out, "the biases are missing: one per output channel per convolution."),
            (lambda: n_convs * (9 * c_out * c_out + c_out), "the first convolution takes c_in channels, not c_out."),
        ]  # fmt: skip
        problem = _compare_scalar(_call(fn, label, c_in, c_out, n_convs), expected, label, mistakes)
        if problem:
            return _fail("block_params", problem)
    return _pass("block_params", len(cases))


def check_receptive_field(fn: Callable[[list[tuple[int, int]]], int]) -> bool:
    """Check ``fn(layers)``: the receptive field (pixels along one axis) after a stack of layers,
    each given as ``(kernel_size, stride)``."""
    cases = [
        ([(3, 1)], "one 3x3 convolution"),
        ([(3, 1), (3, 1)], "two 3x3 convolutions"),
        ([(3, 1), (2, 2), (3, 1)], "conv, 2x2 pool, conv"),
        ([(3, 1), (2, 2), (3, 1), (2, 2)], "the lesson's CNN"),
        ([(7, 2), (3, 2), (3, 1)], "a ResNet-like stem"),
    ]
    for stack, label in cases:
        mistakes: list[Mistake] = [
            (lambda: 1 + sum(k - 1 for k, _ in stack), "the strides are ignored: after a stride-2 layer, each step "
             "of the next kernel moves 2 input pixels, so multiply (k - 1) by the product of earlier strides."),
            (lambda: sum(k for k, _ in stack), "the sizes are added: a field grows by k - 1 per layer, from 1."),
        ]  # fmt: skip
        expected = _reference_receptive_field(stack)
        problem = _compare_scalar(_call(fn, label, [tuple(layer) for layer in stack]), expected, label, mistakes)
        if problem:
            return _fail("receptive_field", problem)
    return _pass("receptive_field", len(cases))


def _reference_receptive_field(stack: list[tuple[int, int]]) -> int:
    field, jump = 1, 1
    for kernel, stride in stack:
        field, jump = field + (kernel - 1) * jump, jump * stride
    return field


def _compare_scalar(got: Any, expected: int, label: str, mistakes: Iterable[Mistake]) -> str | None:
    if isinstance(got, str):
        return got
    if got is None:
        return f"case '{label}': your function returned None. Fill in its body and return the result."
    if got == expected:
        return None
    for wrong_answer, message in mistakes:
        if got == wrong_answer() != expected:
            return f"case '{label}': {message}"
    return f"case '{label}': expected {expected}, got {got!r}."


# --- known mistakes -------------------------------------------------------------------------------

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


def check_discriminator_loss(fn: Callable[[Any, Any], Any]) -> bool:
    """Check ``fn(real_logits, fake_logits)``: D's binary cross-entropy on logits, real 1 and fake 0."""
    from . import gan

    rng = np.random.default_rng(5)
    cases = [
        (rng.normal(size=(4, 1)).astype(np.float32), rng.normal(size=(4, 1)).astype(np.float32), "batch of 4"),
        (np.full((3, 1), 4.0, np.float32), np.full((3, 1), -4.0, np.float32), "a confident, correct D"),
    ]
    for real, fake, label in cases:
        mistakes: list[Mistake] = [
            (lambda: _bce(real, 0) + _bce(fake, 1), "the labels are swapped: real images are 1, fakes 0."),
            (lambda: _bce(real, 1), "only the real images count: add the loss on the fakes (label 0)."),
            (lambda: (_bce(real, 1) + _bce(fake, 0)) / 2, "sum the two terms, do not average them."),
            (lambda: _bce(_sigmoid(real), 1) + _bce(_sigmoid(fake), 0), "the inputs are already logits: no sigmoid."),
        ]
        expected = np.asarray(gan.discriminator_loss(real, fake))
        problem = _compare(_call(fn, label, real.copy(), fake.copy()), expected, label, mistakes)
        if problem:
            return _fail("discriminator loss", problem)
    return _pass("discriminator loss", len(cases))


def check_generator_loss(fn: Callable[[Any], Any]) -> bool:
    """Check ``fn(fake_logits)``: the non-saturating generator loss -log D(G(z)), averaged."""
    from . import gan

    rng = np.random.default_rng(6)
    cases = [(rng.normal(size=(5, 1)).astype(np.float32), "batch of 5"), (np.full((2, 1), -5.0, np.float32), "D sure")]
    for fake, label in cases:
        mistakes: list[Mistake] = [
            (
                lambda: np.mean(np.log(1 - _sigmoid(fake))),
                "that is the saturating loss log(1 - D(G(z))): use -log D(G(z)) (label the fakes 1).",
            ),
            (lambda: _bce(fake, 0), "the generator wants its fakes called real: label them 1, not 0."),
        ]
        problem = _compare(_call(fn, label, fake.copy()), np.asarray(gan.generator_loss(fake)), label, mistakes)
        if problem:
            return _fail("generator loss", problem)
    return _pass("generator loss", len(cases))


def check_q_sample(fn: Callable[..., Any]) -> bool:
    """Check ``fn(x0, t, noise, alpha_bar)``: noise images (N, H, W, C) to their steps ``t`` (N,) in one go."""
    from .diffusion import linear_alpha_bar, q_sample

    alpha_bar = linear_alpha_bar(50, 1e-3, 0.1)
    betas = 1 - alpha_bar / np.concatenate([[1.0], alpha_bar[:-1]])
    rng = np.random.default_rng(6)
    cases = [(np.array([3, 20, 41]), "three images, three steps"), (np.array([10, 10]), "two images, one step")]
    for t, label in cases:
        x0, noise = rng.uniform(-1, 1, (len(t), 4, 4, 1)), rng.normal(size=(len(t), 4, 4, 1))
        a = alpha_bar[t].reshape(-1, 1, 1, 1)

        def mixed(signal, rest):
            return signal * x0 + rest * noise

        mistakes: list[Mistake] = [
            (lambda: mixed(a, 1 - a), "take square roots: sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise."),
            (lambda: mixed(np.sqrt(1 - a), np.sqrt(a)), "the two weights are swapped: x0 gets sqrt(alpha_bar[t])."),
            (
                lambda: mixed(
                    np.sqrt(alpha_bar[t - 1]).reshape(-1, 1, 1, 1), np.sqrt(1 - alpha_bar[t - 1]).reshape(-1, 1, 1, 1)
                ),
                "off by one step: alpha_bar[t] already includes step t (index it with t, not t - 1).",
            ),
            (
                lambda: mixed(
                    np.sqrt(alpha_bar[t + 1]).reshape(-1, 1, 1, 1), np.sqrt(1 - alpha_bar[t + 1]).reshape(-1, 1, 1, 1)
                ),
                "off by one step: index alpha_bar with t itself, not t + 1.",
            ),
            (
                lambda: mixed(np.sqrt(1 - betas[t]).reshape(-1, 1, 1, 1), np.sqrt(betas[t]).reshape(-1, 1, 1, 1)),
                "that is one step of noise; use alpha_bar, the product over all steps up to t.",
            ),
            (lambda: mixed(np.sqrt(a[:1]), np.sqrt(1 - a[:1])), "each image has its own step: use t[i] for image i."),
        ]
        expected = q_sample(x0, t, noise, alpha_bar)
        problem = _compare(_call(fn, label, x0.copy(), t.copy(), noise.copy(), alpha_bar), expected, label, mistakes)
        if problem:
            return _fail("q_sample", problem)
    return _pass("q_sample", len(cases))


def check_ddim_step(fn: Callable[..., Any]) -> bool:
    """Check ``fn(x_t, eps, alpha_bar_t, alpha_bar_prev)``: one deterministic DDIM update, without clipping."""
    from .diffusion import ddim_step

    rng = np.random.default_rng(7)
    cases = [(0.05, 0.4, "from much noise"), (0.7, 0.9, "a late step"), (0.9, 1.0, "the last step, to the image")]
    for a_t, a_prev, label in cases:
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
        expected = ddim_step(x_t, eps, a_t, a_prev, clip=False)
        problem = _compare(_call(fn, label, x_t.copy(), eps.copy(), a_t, a_prev), expected, label, mistakes)
        if problem:
            return _fail("DDIM step", problem)
    return _pass("DDIM step", len(cases))


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-logits))


def _bce(logits: np.ndarray, label: float) -> float:
    """Mean binary cross-entropy of logits against one label, computed stably."""
    return float(np.mean(np.maximum(logits, 0) - logits * label + np.log1p(np.exp(-np.abs(logits)))))


# --- comparing and reporting ---


def _run_cases(name: str, fn: Callable, cases: list, reference: Callable, mistakes_for: Callable) -> bool:
    """Run ``fn(**kwargs)`` for each ``(kwargs, label)`` case against ``reference``; stop at the first problem."""
    for kwargs, label in cases:
        problem = _compare(_call(fn, label, **_copied(kwargs)), reference(**kwargs), label, mistakes_for(kwargs))
        if problem:
            return _fail(name, problem)
    return _pass(name, len(cases))


def _copied(kwargs: dict) -> dict:
    """Fresh arrays for the student, so a function that writes into its input cannot spoil the reference."""
    return {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}


def _call(fn: Callable, label: str, *args, **kwargs) -> Any:
    """Call the student's function; turn an exception into a sentence (returned as a str)."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        return f"case '{label}': not implemented yet (the function raised NotImplementedError)."
    except Exception as err:  # noqa: BLE001  (any error is feedback for the student)
        options = ", ".join(f"{k}={v!r}" for k, v in kwargs.items() if not isinstance(v, np.ndarray))
        return f"case '{label}' ({options or 'no options'}): your function raised {type(err).__name__}: {err}"


def _compare(got: Any, expected: np.ndarray, label: str, mistakes: Iterable[Mistake]) -> str | None:
    """``None`` if ``got`` matches, else a sentence saying what is wrong."""
    if isinstance(got, str):
        return got
    if got is None:
        return f"case '{label}': your function returned None. Fill in its body and return the result."
    got = np.asarray(got)
    for wrong_answer, message in mistakes:
        wrong = wrong_answer()
        if not _close(got, expected) and _close(got, wrong):
            return f"case '{label}': {message}"
    if got.shape != expected.shape:
        hint = _shape_hint(got.shape, expected.shape)
        return f"case '{label}': output shape: expected {expected.shape}, got {got.shape}. {hint}"
    if _close(got, expected):
        return None
    return f"case '{label}': {_value_hint(got, expected)}"


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.allclose(a, b, rtol=_RTOL, atol=_ATOL)


def _shape_hint(got: tuple, expected: tuple) -> str:
    if not expected:
        return "Return one number: average the per-example values over the batch."
    if len(got) != len(expected):
        return "The number of dimensions differs: keep the layout of the input (NHWC for batches)."
    spatial = slice(-3, -1) if len(got) == 4 else slice(0, 2)
    delta = np.subtract(got[spatial], expected[spatial])
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
