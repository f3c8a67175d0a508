"""How fast is each convolution? ``python -m benchmarks.conv_speed [--repeats 7]``

Times ``conv2d_naive`` (plain loops), ``conv2d`` (NumPy, im2col + matrix product) and
``tf.nn.conv2d`` on the same inputs, interleaved, best of several runs, and prints JSON:

* a small input the naive loops can finish: (1, 16, 16, 8) with a (3, 3, 8, 8) kernel, all three;
* a layer-sized input: (32, 56, 56, 64) with a (3, 3, 64, 64) kernel, NumPy versus TensorFlow.

Target: NumPy ``conv2d`` within 1.5x of ``tf.nn.conv2d`` on the layer-sized input.
"""

from __future__ import annotations

import argparse
import datetime
import os

import numpy as np

from benchmarks import report
from helpers import ops, timing
from helpers.environment import tf

SMALL = ((1, 16, 16, 8), (3, 3, 8, 8))
LAYER = ((32, 56, 56, 64), (3, 3, 64, 64))


def inputs(x_shape, w_shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(x_shape, dtype=np.float32), rng.standard_normal(w_shape, dtype=np.float32)


def measure(repeats: int) -> dict:
    x, w = inputs(*SMALL)
    small = timing.best_times(
        {
            "conv2d_naive": lambda: ops.conv2d_naive(x, w, padding="same"),
            "conv2d": lambda: ops.conv2d(x, w, padding="same"),
            "tf.nn.conv2d": lambda: tf.nn.conv2d(x, w, 1, "SAME").numpy(),
        },
        repeats=max(2, repeats // 3),
    )
    x, w = inputs(*LAYER)
    np.testing.assert_allclose(
        ops.conv2d(x, w, padding="same"), tf.nn.conv2d(x, w, 1, "SAME").numpy(), rtol=1e-3, atol=1e-3
    )
    layer = timing.best_times(
        {
            "conv2d": lambda: ops.conv2d(x, w, padding="same"),
            "tf.nn.conv2d": lambda: tf.nn.conv2d(x, w, 1, "SAME").numpy(),
        },
        repeats=repeats,
    )
    macs = int(np.prod(LAYER[0][:3])) * int(np.prod(LAYER[1]))
    return {
        "date": datetime.date.today().isoformat(),
        "cpu_count": os.cpu_count(),
        "small": {
            "x": SMALL[0],
            "w": SMALL[1],
            "seconds": small,
            "naive_over_numpy": round(small["conv2d_naive"] / small["conv2d"], 1),
        },
        "layer": {
            "x": LAYER[0],
            "w": LAYER[1],
            "seconds": layer,
            "numpy_over_tf": round(layer["conv2d"] / layer["tf.nn.conv2d"], 2),
            "gmacs_per_s": {name: round(macs / s / 1e9, 1) for name, s in layer.items()},
        },
        "target_numpy_over_tf": 1.5,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--out", help="also write the JSON to this file (atomically)")
    args = parser.parse_args()
    report(measure(args.repeats), args.out)


if __name__ == "__main__":
    main()
