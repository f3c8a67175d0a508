"""Reference NumPy implementations of convolution and pooling, with TensorFlow's semantics.

All batched functions use NHWC: ``x`` has shape (N, H, W, C) and a convolution kernel ``w`` has
shape (kh, kw, C_in, C_out), as in ``tf.nn.conv2d``. Results match TensorFlow to float32 rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

Padding = str | int
IntPair = int | tuple[int, int]

# Rows of the patch matrix built per matrix product: large enough for BLAS to run at full speed,
# small enough (a few MB) to stay in cache instead of materializing every patch of the batch at once.
_PATCH_ROWS = 4096


def corr2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """2-D "valid" cross-correlation of one single-channel image: the textbook operation.

    ``out[i, j] = sum_{a, b} image[i + a, j + b] * kernel[a, b]``

    Args:
        image: shape (H, W).
        kernel: shape (kh, kw), at most the size of ``image``.

    Returns:
        shape (H - kh + 1, W - kw + 1).
    """
    image, kernel = np.asarray(image), np.asarray(kernel)
    _check_rank("image", image, 2, "(H, W)")
    _check_rank("kernel", kernel, 2, "(kh, kw)")
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"kernel: expected at most the image size {image.shape}, got {kernel.shape}")
    windows = sliding_window_view(image, kernel.shape)  # (H - kh + 1, W - kw + 1, kh, kw)
    return np.einsum("ijab,ab->ij", windows, kernel)


def convolve2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """True 2-D "valid" convolution: cross-correlation with the kernel flipped in both axes.

    ``out[i, j] = sum_{a, b} image[i + a, j + b] * kernel[kh - 1 - a, kw - 1 - b]``
    """
    return corr2d(image, np.asarray(kernel)[::-1, ::-1])


def output_size(n: int, k: int, stride: int = 1, padding: Padding = 0, dilation: int = 1) -> int:
    """Output length of a convolution or pooling along one axis.

    ``floor((n + 2 * padding - dilation * (k - 1) - 1) / stride) + 1`` for an int ``padding``
    (cells added on each side); ``"valid"`` means 0 and ``"same"`` gives ``ceil(n / stride)``.
    """
    for name, value in (("n", n), ("k", k), ("stride", stride), ("dilation", dilation)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive int, got {value!r}")
    if padding == "same":
        return math.ceil(n / stride)
    pad = 0 if padding == "valid" else padding
    if not isinstance(pad, (int, np.integer)) or pad < 0:
        raise ValueError(f"padding: expected 'valid', 'same' or an int >= 0, got {padding!r}")
    span = dilation * (k - 1) + 1
    if n + 2 * pad < span:
        raise ValueError(
            f"k: kernel spans {span} cells (dilation {dilation}), more than the padded input {n + 2 * pad}"
        )
    return (n + 2 * pad - span) // stride + 1


def pad_amounts(n: int, k: int, stride: int, padding: Padding, dilation: int = 1) -> tuple[int, int]:
    """Cells added (before, after) along one axis. For ``"same"`` this is TensorFlow's rule:
    the total is split with the extra cell, if any, after (bottom or right)."""
    for name, value in (("n", n), ("k", k), ("stride", stride), ("dilation", dilation)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive int, got {value!r}")
    if padding == "valid":
        return 0, 0
    if padding == "same":
        total = max((math.ceil(n / stride) - 1) * stride + dilation * (k - 1) + 1 - n, 0)
        return total // 2, total - total // 2
    if isinstance(padding, (int, np.integer)) and padding >= 0:
        return int(padding), int(padding)
    raise ValueError(f"padding: expected 'valid', 'same' or an int >= 0, got {padding!r}")


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: Padding = "valid",
    dilation: IntPair = 1,
) -> np.ndarray:
    """Batched multi-channel 2-D cross-correlation, as ``tf.nn.conv2d`` computes it, vectorized.

    Every kernel-sized patch becomes a row of a patch matrix (im2col), and one matrix product with the
    kernel, reshaped to (kh * kw * C_in, C_out), gives every output at once. Patches are gathered a few
    thousand rows at a time so the patch matrix stays in cache.

    Args:
        x: input, shape (N, H, W, C_in).
        w: kernel, shape (kh, kw, C_in, C_out).
        b: optional bias, shape (C_out,).
        stride, dilation: an int, or (along H, along W).
        padding: ``"valid"``, ``"same"`` (TensorFlow's rule) or an int added on every side.

    Returns:
        shape (N, H_out, W_out, C_out), with ``H_out = output_size(H, kh, stride, padding, dilation)``.
    """
    x, w, b, strides, dilations = _check_conv_args(x, w, b, stride, dilation)
    xp, (out_h, out_w) = _pad_input(x, w.shape[:2], strides, padding, dilations, fill=0.0)
    patches = _windows(xp, w.shape[:2], (out_h, out_w), strides, dilations)  # (N, Ho, Wo, kh, kw, C_in)
    kernel_matrix = w.reshape(-1, w.shape[3])
    out = np.empty((x.shape[0], out_h, out_w, w.shape[3]), dtype=np.result_type(x, w))
    out.fill(0)  # touch the new pages here: faulting them in inside BLAS's worker threads took 2x longer
    chunks = list(_patch_chunks(x.shape[0], out_h, out_w))
    biggest = max(patches[chunk].shape[:2] for chunk in chunks)
    buffer = np.empty(biggest + patches.shape[2:], dtype=x.dtype)  # reused by every chunk: no new page faults
    for chunk in chunks:
        rows = buffer[: patches[chunk].shape[0], : patches[chunk].shape[1]]
        np.copyto(rows, patches[chunk])  # the im2col copy, a few thousand patches at a time
        np.matmul(rows.reshape(-1, kernel_matrix.shape[0]), kernel_matrix, out=out[chunk].reshape(-1, w.shape[3]))
    return out if b is None else out + b


def conv2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None = None,
    stride: IntPair = 1,
    padding: Padding = "valid",
    dilation: IntPair = 1,
) -> np.ndarray:
    """The same as :func:`conv2d`, written as plain loops that read like the formula

    ``out[n, i, j, o] = b[o] + sum_{dy, dx, c} x[n, i*s + dy*d - p, j*s + dx*d - p, c] * w[dy, dx, c, o]``

    where ``(dy, dx)`` walks over the kernel and cells outside the input (the padding) count as zero.
    Slow: for small inputs only.
    """
    x, w, b, (sh, sw), (dh, dw) = _check_conv_args(x, w, b, stride, dilation)
    n_images, height, width, c_in = x.shape
    kh, kw, _, c_out = w.shape
    top, _, out_h = _axis_geometry(0, height, kh, sh, padding, dh)
    left, _, out_w = _axis_geometry(1, width, kw, sw, padding, dw)
    out = np.zeros((n_images, out_h, out_w, c_out), dtype=np.result_type(x, w))
    for n in range(n_images):
        for i in range(out_h):
            for j in range(out_w):
                for o in range(c_out):
                    total = 0.0 if b is None else b[o]
                    for dy in range(kh):
                        for dx in range(kw):
                            row, col = i * sh + dy * dh - top, j * sw + dx * dw - left
                            if 0 <= row < height and 0 <= col < width:  # outside = padding = 0
                                for c in range(c_in):
                                    total += x[n, row, col, c] * w[dy, dx, c, o]
                    out[n, i, j, o] = total
    return out


def pool2d(
    x: np.ndarray,
    size: IntPair = 2,
    stride: IntPair | None = None,
    padding: str = "valid",
    mode: str = "max",
) -> np.ndarray:
    """Max or average pooling, as ``tf.nn.max_pool2d`` / ``tf.nn.avg_pool2d`` compute it.

    Args:
        x: input, shape (N, H, W, C).
        size: window, an int or (along H, along W).
        stride: defaults to ``size`` (windows that touch but do not overlap).
        padding: ``"valid"`` or ``"same"``. With ``"same"``, padded cells never win a max and are
            not counted in an average, as in TensorFlow and Keras (PyTorch's ``AvgPool2d`` counts
            them by default, ``count_include_pad=True``).
        mode: ``"max"`` or ``"avg"``.

    Returns:
        shape (N, H_out, W_out, C).
    """
    x = np.asarray(x)
    _check_rank("x", x, 4, "(N, H, W, C)")
    sizes = _pair("size", size)
    strides = sizes if stride is None else _pair("stride", stride)
    if padding not in ("valid", "same"):
        raise ValueError(f"padding: expected 'valid' or 'same' for pooling, got {padding!r}")
    if mode not in ("max", "avg"):
        raise ValueError(f"mode: expected 'max' or 'avg', got {mode!r}")
    fill = -np.inf if mode == "max" else 0.0
    xp, out_hw = _pad_input(x.astype(np.result_type(x, np.float32)), sizes, strides, padding, (1, 1), fill, "size")
    windows = _windows(xp, sizes, out_hw, strides, (1, 1))  # (N, Ho, Wo, kh, kw, C)
    if mode == "max":
        return windows.max(axis=(3, 4))
    real = _pad_input(np.ones((1,) + x.shape[1:3] + (1,), xp.dtype), sizes, strides, padding, (1, 1), 0.0)[0]
    counts = _windows(real, sizes, out_hw, strides, (1, 1)).sum(axis=(3, 4))  # cells that are not padding
    return windows.sum(axis=(3, 4)) / counts


def transposed_output_size(n: int, k: int, stride: int = 1, padding: str = "valid") -> int:
    """Output length of a transposed convolution along one axis, Keras's ``Conv2DTranspose`` rule.

    ``n * stride`` for ``"same"``; ``(n - 1) * stride + k`` for ``"valid"`` (``n * stride`` if ``k < stride``).
    This is the largest input a strided convolution maps back to ``n`` positions, so that the transposed
    convolution is that convolution's adjoint.
    """
    for name, value in (("n", n), ("k", k), ("stride", stride)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name}: expected a positive int, got {value!r}")
    if padding == "same":
        return n * stride
    if padding == "valid":
        return n * stride + max(k - stride, 0)
    raise ValueError(f"padding: expected 'valid' or 'same' for a transposed convolution, got {padding!r}")


def conv2d_transpose(y: np.ndarray, w: np.ndarray, stride: IntPair = 1, padding: str = "valid") -> np.ndarray:
    """Transposed convolution, as Keras's ``Conv2DTranspose`` (no bias) and ``tf.nn.conv2d_transpose`` compute it.

    It is the adjoint of :func:`conv2d` with the same kernel, stride and padding: every input value
    scatters a copy of the kernel, scaled by it, into the output, ``stride`` cells apart, and where
    copies overlap they add. So ``<conv2d(x, w), y> == <x, conv2d_transpose(y, w)>`` for every ``x`` of
    the output's shape and every ``y`` of the input's shape.

    Args:
        y: input, shape (N, H, W, C_in), C_in being the convolution's output channels.
        w: kernel, shape (kh, kw, C_out, C_in): the same array as the convolution's (kh, kw, C_in', C_out'),
            read backwards; Keras's ``Conv2DTranspose`` stores its kernel in this layout.
        stride: an int, or (along H, along W).
        padding: ``"valid"`` or ``"same"``.

    Returns:
        shape (N, H_out, W_out, C_out), with ``H_out = transposed_output_size(H, kh, stride, padding)``.
    """
    y, w = np.asarray(y), np.asarray(w)
    _check_layouts("y", y, w, "(kh, kw, C_out, C_in)", channel_axis=3)
    (sh, sw), (kh, kw) = _pair("stride", stride), w.shape[:2]
    out_h, out_w = (transposed_output_size(y.shape[1 + a], w.shape[a], (sh, sw)[a], padding) for a in (0, 1))
    (top, bottom), (left, right) = pad_amounts(out_h, kh, sh, padding), pad_amounts(out_w, kw, sw, padding)
    out = np.zeros((y.shape[0], top + out_h + bottom, left + out_w + right, w.shape[2]), np.result_type(y, w))
    rows, cols = slice(None, sh * (y.shape[1] - 1) + 1, sh), slice(None, sw * (y.shape[2] - 1) + 1, sw)
    for a in range(kh):  # one tap of the kernel at a time: its copies land stride cells apart
        for b in range(kw):
            out[:, a:, b:][:, rows, cols] += y @ w[a, b].T
    return out[:, top : top + out_h, left : left + out_w]


# --- shared checks and plumbing -------------------------------------------------------------------


def _check_rank(name: str, array: np.ndarray, rank: int, layout: str) -> None:
    if array.ndim != rank:
        raise ValueError(f"{name}: expected {rank} dimensions {layout}, got shape {array.shape}")


def _pair(name: str, value: IntPair) -> tuple[int, int]:
    pair = (value, value) if np.ndim(value) == 0 else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) and v >= 1 for v in pair):
        raise ValueError(f"{name}: expected a positive int or a pair of them, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_layouts(name: str, x: np.ndarray, w: np.ndarray, kernel_layout: str, channel_axis: int) -> None:
    """An NHWC input and a 4-D kernel whose ``channel_axis`` holds the input's channels."""
    _check_rank(name, x, 4, "(N, H, W, C_in)")
    _check_rank("w", w, 4, kernel_layout)
    if w.shape[channel_axis] != x.shape[3]:
        raise ValueError(
            f"w: expected {x.shape[3]} input channels on axis {channel_axis} (the last axis of {name}, shape "
            f"{x.shape}), got w of shape {w.shape} with {w.shape[channel_axis]}"
        )


def _check_conv_args(x, w, b, stride, dilation):
    x, w = np.asarray(x), np.asarray(w)
    _check_layouts("x", x, w, "(kh, kw, C_in, C_out)", channel_axis=2)
    if b is not None:
        b = np.asarray(b)
        if b.shape != (w.shape[3],):
            raise ValueError(f"b: expected shape ({w.shape[3]},), one bias per output channel, got {b.shape}")
    return x, w, b, _pair("stride", stride), _pair("dilation", dilation)


def _axis_geometry(
    axis: int, n: int, k: int, stride: int, padding: Padding, dilation: int, kernel_name: str = "w"
) -> tuple[int, int, int]:
    """Cells padded before and after, and the output length, along H (axis 0) or W (axis 1).
    ``kernel_name`` is the caller's argument for the window, for the error message."""
    before, after = pad_amounts(n, k, stride, padding, dilation)
    span = dilation * (k - 1) + 1
    if n + before + after < span:
        raise ValueError(
            f"{kernel_name}: window spans {span} cells along {'HW'[axis]} (size {k}, dilation {dilation}), "
            f"more than the padded input ({n + before + after}); use a smaller kernel or more padding"
        )
    return before, after, (n + before + after - span) // stride + 1


def _pad_input(x, kernel_hw, strides, padding, dilations, fill, kernel_name="w"):
    """Pad (N, H, W, C) for the given padding rule; return it and the output (H_out, W_out)."""
    geometry = [
        _axis_geometry(a, x.shape[1 + a], kernel_hw[a], strides[a], padding, dilations[a], kernel_name) for a in (0, 1)
    ]
    pads = [(before, after) for before, after, _ in geometry]
    padded = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=fill)
    return padded, (geometry[0][2], geometry[1][2])


def _patch_chunks(n_images: int, out_h: int, out_w: int):
    """Index pairs (images, output rows) covering the output about ``_PATCH_ROWS`` positions at a time:
    several small images per chunk, or a band of rows of one large image."""
    if out_h * out_w <= _PATCH_ROWS:
        step = _PATCH_ROWS // (out_h * out_w)
        for start in range(0, n_images, step):
            yield slice(start, start + step), slice(None)
    else:
        band = max(1, _PATCH_ROWS // out_w)
        for image in range(n_images):
            for row in range(0, out_h, band):
                yield slice(image, image + 1), slice(row, row + band)


def _windows(xp, kernel_hw, out_hw, strides, dilations):
    """A read-only view (N, H_out, W_out, kh, kw, C) of every window of a padded input; no copy."""
    sn, sh, sw, sc = xp.strides
    shape = (xp.shape[0], *out_hw, *kernel_hw, xp.shape[3])
    steps = (sn, sh * strides[0], sw * strides[1], sh * dilations[0], sw * dilations[1], sc)
    return as_strided(xp, shape=shape, strides=steps, writeable=False)
